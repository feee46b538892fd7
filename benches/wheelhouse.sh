#!/usr/bin/env bash
# Benchmark: chiron wheelhouse against what people run today, side by side,
# for 3 Python versions x 3 platforms, served by a local pypiserver (which,
# like many private indexes, offers no PEP 658 metadata files).
#
#   bash benches/wheelhouse.sh            # prints a table; see docs/benchmarks.md
#
# The first run downloads the stack of real wheels once from the configured
# index (PIP_INDEX_URL or PyPI) into $BENCH_DIR/corpus; later runs reuse it.
# Timed, each from a cold cache:
#   chiron cold     chiron wheelhouse, empty cache and output
#   chiron warm     the same command again, nothing changed
#   pip loop        9 x pip download --only-binary=:all: --platform P --python-version V
#   uv + pip        per target: uv pip compile --python-platform P --only-binary :all:,
#                   then pip download --no-deps --require-hashes of the result
#   curl floor      the same distinct files with 8 parallel curl processes, then sha256sum
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BENCH_DIR=${BENCH_DIR:-$HOME/.cache/chiron-bench}
PORT=${BENCH_PORT:-18765}
mkdir -p "$BENCH_DIR"

PYTHONS=(3.10 3.11 3.12)
# chiron platform, pip --platform tags, uv --python-platform
# macOS 12 is the floor of today's compiled stacks (scipy has no macOS 11 arm64 wheel).
PLATFORMS=(linux-x86_64 macosx_12_0_arm64 windows-x86_64)
declare -A PIP_TAGS=(
  [linux-x86_64]="manylinux_2_17_x86_64 manylinux2014_x86_64 manylinux_2_12_x86_64 manylinux2010_x86_64 manylinux_2_5_x86_64 manylinux1_x86_64"
  [macosx_12_0_arm64]="macosx_12_0_arm64"
  [windows-x86_64]="win_amd64"
)
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

# Tools, in a venv of their own.
VENV="$BENCH_DIR/venv"
if [ ! -x "$VENV/bin/waitress-serve" ]; then
  python3 -m venv "$VENV"
  # waitress: a threaded server, as pypiserver is deployed (its fallback serves one request at a time).
  "$VENV/bin/pip" install -q --upgrade pip "pypiserver[passlib]" waitress uv
fi
PIP="$VENV/bin/pip"
UV="$VENV/bin/uv"

cargo build -q --release --locked
CHIRON="$ROOT/target/release/chiron"
export CARGO_TERM_COLOR=never

# The corpus: what chiron and pip pick for every target, from the real index.
CORPUS="$BENCH_DIR/corpus"
if [ ! -f "$CORPUS/.complete" ]; then
  rm -rf "$CORPUS" "$BENCH_DIR/seed"
  mkdir -p "$CORPUS"
  "$CHIRON" wheelhouse -r "$REQS" --python "$(IFS=,; echo "${PYTHONS[*]}")" \
      --platform "$(IFS=,; echo "${PLATFORMS[*]}")" --out "$BENCH_DIR/seed" --no-progress
  cp "$BENCH_DIR/seed"/*.whl "$CORPUS/"
  for py in "${PYTHONS[@]}"; do for plat in "${PLATFORMS[@]}"; do
    args=(); for tag in ${PIP_TAGS[$plat]}; do args+=(--platform "$tag"); done
    "$PIP" download -q --only-binary=:all: "${args[@]}" --python-version "$py" -d "$CORPUS" -r "$REQS"
  done; done
  touch "$CORPUS/.complete"
fi

# The local index.
"$VENV/bin/pypi-server" run -i 127.0.0.1 -p "$PORT" --server auto --disable-fallback "$CORPUS" >"$BENCH_DIR/pypiserver.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/simple/" >/dev/null && break; sleep 0.1; done
curl -fs "http://127.0.0.1:$PORT/simple/" >/dev/null || { echo "pypiserver did not start: see $BENCH_DIR/pypiserver.log" >&2; exit 1; }
INDEX="http://127.0.0.1:$PORT/simple"

WORK="$BENCH_DIR/work"
rm -rf "$WORK"; mkdir -p "$WORK"
# time NAME COMMAND...: wall seconds and peak RSS (MB) into $WORK/NAME.time
timed() {
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$WORK/$name.time" "$@" >"$WORK/$name.log" 2>&1
}
secs() { cut -d' ' -f1 "$WORK/$1.time"; }
mem() { awk '{printf "%.0f", $2/1024}' "$WORK/$1.time"; }

# chiron, cold then warm.
export PIP_INDEX_URL=$INDEX PIP_FIND_LINKS= PIP_CERT=
CHIRON_ARGS=(wheelhouse -r "$REQS" --python "$(IFS=,; echo "${PYTHONS[*]}")"
  --platform "$(IFS=,; echo "${PLATFORMS[*]}")" --out "$WORK/chiron" --no-progress)
CHIRON_CACHE_DIR="$WORK/chiron-cache" timed chiron-cold "$CHIRON" "${CHIRON_ARGS[@]}"
CHIRON_CACHE_DIR="$WORK/chiron-cache" timed chiron-warm "$CHIRON" "${CHIRON_ARGS[@]}"

# (a) the pip loop.
pip_loop() {
  for py in "${PYTHONS[@]}"; do for plat in "${PLATFORMS[@]}"; do
    local args=(); for tag in ${PIP_TAGS[$plat]}; do args+=(--platform "$tag"); done
    "$PIP" download -q --no-cache-dir --only-binary=:all: "${args[@]}" --python-version "$py" \
        -d "$WORK/pip/$py-$plat" -r "$REQS" --index-url "$INDEX"
  done; done
}
timed pip-loop bash -c "$(declare -f pip_loop); $(declare -p PYTHONS PLATFORMS PIP_TAGS PIP REQS WORK INDEX); pip_loop"

# (b) uv pip compile per target, then pip download --no-deps.
uv_pipeline() {
  for py in "${PYTHONS[@]}"; do for plat in "${PLATFORMS[@]}"; do
    local lock="$WORK/uv/$py-$plat.txt"; mkdir -p "$WORK/uv"
    UV_PYTHON_DOWNLOADS=never UV_CACHE_DIR="$WORK/uv-cache" "$UV" pip compile -q "$REQS" \
        --python-version "$py" --python-platform "${UV_PLATFORM[$plat]}" --only-binary :all: \
        --generate-hashes --index-url "$INDEX" -o "$lock"
    local args=(); for tag in ${PIP_TAGS[$plat]}; do args+=(--platform "$tag"); done
    "$PIP" download -q --no-cache-dir --no-deps --only-binary=:all: "${args[@]}" --python-version "$py" \
        -d "$WORK/uvpip/$py-$plat" -r "$lock" --index-url "$INDEX"
  done; done
}
timed uv-pipeline bash -c "$(declare -f uv_pipeline); $(declare -p PYTHONS PLATFORMS PIP_TAGS UV_PLATFORM PIP UV REQS WORK INDEX); uv_pipeline"

# (c) the floor: chiron's distinct files, 8 curl processes, then hashing.
python3 -c "
import json, sys
for f in json.load(open('$WORK/chiron/manifest.json'))['files']:
    print('http://127.0.0.1:$PORT/packages/' + f['filename'])
" > "$WORK/urls.txt"
floor() {
  mkdir -p "$WORK/curl" && cd "$WORK/curl"
  xargs -P 8 -n 4 curl -sf --remote-name-all < "$WORK/urls.txt"
  sha256sum ./* > /dev/null
}
timed curl-floor bash -c "$(declare -f floor); WORK=$WORK; floor"

FILES=$(wc -l < "$WORK/urls.txt")
BYTES=$(du -sm "$WORK/curl" | cut -f1)
ratio() { python3 -c "print(f'{$1/$2:.1f}')"; }
echo
echo "stack: $(grep -c . "$REQS") top-level requirements, $(( ${#PYTHONS[@]} * ${#PLATFORMS[@]} )) targets, $FILES distinct files, $BYTES MB"
printf '%-12s %9s %14s %12s\n' "run" "seconds" "vs chiron cold" "peak MB"
for run in chiron-cold chiron-warm pip-loop uv-pipeline curl-floor; do
  printf '%-12s %9s %14s %12s\n' "$run" "$(secs $run)" "$(ratio "$(secs $run)" "$(secs chiron-cold)")x" "$(mem $run)"
done

# Where the pip loop is wrong: it evaluates markers for this machine.
echo
echo "packages each target needs (chiron) that the pip loop did not download:"
for py in "${PYTHONS[@]}"; do for plat in "${PLATFORMS[@]}"; do
  python3 - "$WORK" "$py" "$plat" <<'PY'
import re, sys, os
work, py, plat = sys.argv[1:]
norm = lambda n: re.sub(r"[-_.]+", "-", n).lower()
needed = {norm(l.split("==")[0].split("[")[0]) for l in open(f"{work}/chiron/requirements-{py}-{plat}.txt") if re.match(r"^[A-Za-z0-9]", l)}
got = {norm(f.split("-")[0]) for f in os.listdir(f"{work}/pip/{py}-{plat}")}
missing = sorted(needed - got)
print(f"  {py}-{plat}: {', '.join(missing) if missing else 'none'}")
PY
done; done
