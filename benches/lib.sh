# shellcheck shell=bash
# Sourced by benches/wheelhouse.sh and benches/serve.sh: the stack of real
# wheels (the corpus), the tools in a venv of their own, chiron's release
# build, the servers' start and stop, and the timer. Expects `set -euo
# pipefail` and the repository as the working directory.
#
# Knobs (environment): BENCH_DIR (default ~/.cache/chiron-bench), CHIRON (a
# chiron binary to use instead of building one), UV and PIP (the tools
# timed; default: the pinned ones CI installs, else a venv of their own).

ROOT=$PWD
BENCH_DIR=${BENCH_DIR:-$HOME/.cache/chiron-bench}
mkdir -p "$BENCH_DIR"
# Free ports on 127.0.0.1 unless given.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# The corpus is always this whole matrix, whatever a script times.
ALL_PYTHONS=(3.10 3.11 3.12)
# chiron platform, pip --platform tags, uv --python-platform
# macOS 12 is the floor of today's compiled stacks (scipy has no macOS 11 arm64 wheel).
ALL_PLATFORMS=(linux-x86_64 macosx_12_0_arm64 windows-x86_64)
declare -A PIP_TAGS=(
  [linux-x86_64]="manylinux_2_17_x86_64 manylinux2014_x86_64 manylinux_2_12_x86_64 manylinux2010_x86_64 manylinux_2_5_x86_64 manylinux1_x86_64"
  [macosx_12_0_arm64]="macosx_12_0_arm64"
  [windows-x86_64]="win_amd64"
)
# shellcheck disable=SC2034 # used by wheelhouse.sh
declare -A UV_PLATFORM=(
  [linux-x86_64]="x86_64-manylinux_2_17"
  [macosx_12_0_arm64]="aarch64-apple-darwin"
  [windows-x86_64]="x86_64-pc-windows-msvc"
)
REQS="$BENCH_DIR/requirements.txt"
cat > "$REQS" <<'REQ'
requests
numpy
pandas
pydantic
fastapi
uvicorn
sqlalchemy
cryptography
pillow
lxml
pyyaml
jinja2
click
rich
boto3
httpx
orjson
aiohttp
scipy
matplotlib
REQ

command -v nginx >/dev/null || { echo "nginx is missing: apt-get install nginx" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is missing: apt-get install time" >&2; exit 2; }
command -v curl >/dev/null || { echo "curl is missing: apt-get install curl" >&2; exit 2; }

# Tools, in a venv of their own: pypiserver at the version CI pins
# (.ci/tools.sh), as it is deployed (its container image has these extras):
# the cache (watchdog), without which every project page re-lists the
# folder and re-hashes each of the project's files, and production WSGI
# servers, waitress (threaded) and gunicorn (pre-forked workers). Its best
# case: the `cache` extra pins watchdog 6.0.0, which also reports files
# opened and closed for reading, and pypiserver drops a file's cached digest
# on any event, so each page would re-hash the files it lists; watchdog
# 1.0.2 (the pin of pypiserver's older container images) reports writes
# only, and the cache holds.
PYPISERVER_PIN=$(grep -o 'pypiserver==[0-9.]*' "$ROOT/.ci/tools.sh")
VENV="$BENCH_DIR/venv"
VENV_PINS="$PYPISERVER_PIN waitress==3.0.2 gunicorn==27.0.1 watchdog==1.0.2"
if [ "$(cat "$VENV/pins" 2>/dev/null)" != "$VENV_PINS" ]; then
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip "${PYPISERVER_PIN/==/[passlib,cache]==}" waitress==3.0.2 gunicorn==27.0.1
  "$VENV/bin/pip" install -q --no-deps watchdog==1.0.2 2>/dev/null
  echo "$VENV_PINS" > "$VENV/pins"
fi
PINNED="$HOME/.cache/chiron-ci/tools/bin"
PIP=${PIP:-$( [ -x "$PINNED/pip" ] && echo "$PINNED/pip" || echo "$VENV/bin/pip")}
if [ -z "${UV:-}" ]; then
  if [ -x "$PINNED/uv" ]; then UV="$PINNED/uv"
  else [ -x "$VENV/bin/uv" ] || "$VENV/bin/pip" install -q uv; UV="$VENV/bin/uv"; fi
fi

if [ -z "${CHIRON:-}" ]; then
  cargo build -q --release --locked
  CHIRON="${CARGO_TARGET_DIR:-$ROOT/target}/release/chiron"
fi
export CARGO_TERM_COLOR=never

# The corpus: what chiron and pip pick for every target, from the real index.
CORPUS="$BENCH_DIR/corpus"
if [ ! -f "$CORPUS/.complete" ]; then
  rm -rf "$CORPUS" "$BENCH_DIR/seed"
  mkdir -p "$CORPUS"
  "$CHIRON" wheelhouse -r "$REQS" --python "$(IFS=,; echo "${ALL_PYTHONS[*]}")" \
      --platform "$(IFS=,; echo "${ALL_PLATFORMS[*]}")" --out "$BENCH_DIR/seed" --no-progress
  cp "$BENCH_DIR/seed"/*.whl "$CORPUS/"
  for py in "${ALL_PYTHONS[@]}"; do for plat in "${ALL_PLATFORMS[@]}"; do
    args=(); for tag in ${PIP_TAGS[$plat]}; do args+=(--platform "$tag"); done
    "$PIP" download -q --only-binary=:all: "${args[@]}" --python-version "$py" -d "$CORPUS" -r "$REQS"
  done; done
  touch "$CORPUS/.complete"
fi

# From here on, nothing but 127.0.0.1: no pip or uv configuration, no find-links.
unset PIP_FIND_LINKS PIP_EXTRA_INDEX_URL UV_INDEX_URL UV_EXTRA_INDEX_URL UV_FIND_LINKS UV_INDEX UV_DEFAULT_INDEX
export PIP_CONFIG_FILE=/dev/null UV_NO_CONFIG=1 UV_PYTHON_DOWNLOADS=never PIP_DISABLE_PIP_VERSION_CHECK=1

# Servers started here are stopped on exit.
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT
wait_for() {  # URL LOG PID [SECONDS, default 10]
  for _ in $(seq $(( ${4:-10} * 10 ))); do
    kill -0 "$3" 2>/dev/null || break
    curl -fs "$1" >/dev/null && return 0; sleep 0.1
  done
  echo "the server at $1 did not start: see $2" >&2; exit 1
}

# start_nginx DIR PORT BODY: nginx on 127.0.0.1:PORT (the BODY's `listen`)
# with its files in DIR, the BODY inside `http { }`: sendfile, keepalive,
# HTTP/1.1, 2 workers, one access-log line per request with when it ended,
# how long it took, its range and its path. Its pid is appended to PIDS.
start_nginx() {
  local dir=$1 port=$2 body=$3
  mkdir -p "$dir/tmp"; : > "$dir/access.log"
  cat > "$dir/nginx.conf" <<CONF
daemon off;
worker_processes 2;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
$( [ "$(id -u)" = 0 ] && echo "user root;" )
events { worker_connections 1024; }
http {
  default_type application/octet-stream;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 65;
  keepalive_requests 100000;
  log_format timeline '\$msec \$request_time \$status \$body_bytes_sent "\$http_range" \$request_uri';
  access_log $dir/access.log timeline;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
$body
}
CONF
  nginx -c "$dir/nginx.conf" -p "$dir" -e "$dir/error.log" &
  PIDS+=($!)
  wait_for "http://127.0.0.1:$port/simple/" "$dir/error.log" "$!"
}

# timed NAME COMMAND...: wall seconds, peak RSS (KB), user and sys seconds into $WORK/NAME.time
# Each run starts after `sync`, so that none waits for the writeback of the
# previous run's files (chiron's fsync of a small report would otherwise pay
# for the 855 MB the run before it wrote).
timed() {
  local name=$1; shift
  sync
  /usr/bin/time -f "%e %M %U %S" -o "$WORK/$name.time" "$@" >"$WORK/$name.log" 2>&1 \
    || { echo "$name failed (exit $?): see $WORK/$name.log" >&2; tail -5 "$WORK/$name.log" >&2; rm -f "$WORK/$name.time"; }
}
has() { [ -f "$WORK/$1.time" ]; }
secs() { cut -d' ' -f1 "$WORK/$1.time"; }
mem() { awk '{printf "%.0f", $2/1024}' "$WORK/$1.time"; }
cpu() { awk '{printf "%.2f", $3+$4}' "$WORK/$1.time"; }
# The table: A/B as "1.23x" ("-" when B is 0); "met" or "NOT met" for a
# Python condition.
ratio() { python3 -c "print(f'{$1/$2:.2f}x' if $2 > 0 else '-')"; }
check() { python3 -c "print('met' if $1 else 'NOT met')"; }
