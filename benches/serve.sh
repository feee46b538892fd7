#!/usr/bin/env bash
# Benchmark: chiron serve against pypiserver, side by side in one run on
# 127.0.0.1, serving the same folder of real wheels (the corpus of
# benches/wheelhouse.sh, see benches/lib.sh):
#   chiron      chiron serve CORPUS (the release build), PEP 691 JSON and
#               PEP 658 metadata files
#   pypiserver  the version CI pins, under gunicorn with 2 x cores + 1
#               pre-forked workers (the server its README shows for
#               production and gunicorn's recommended count) and its
#               digest cache, warmed before timing: HTML only, no PEP 658
#   nginx       the physical floor: nginx serving `chiron serve
#               --export-static` of the same corpus with the configuration
#               docs/serve.md gives
#
#   bash benches/serve.sh             # prints a table; see docs/benchmarks.md
#
# Measured:
#   load        wrk, BENCH_CONNECTIONS (64) connections on 2 threads for
#               BENCH_DURATION (10s) each, pip's Accept header: requests per
#               second, p50 and p99 latency, errors (non-2xx and socket
#               errors), for the project list, one project page (numpy, the
#               one with the most files) and one PEP 658 metadata file
#   resolve     wall time of a cold `uv pip compile` of the stack (empty
#               cache, --index-url the server): resolution alone
#   uv / pip    wall time of a cold `uv pip install` and a cold `pip
#               install` of the stack into a fresh venv (empty cache,
#               --index-url the server)
# and for each of these, from the server's access log, the wheels fetched
# whole, the wheels read by range requests only and the metadata files
# fetched, against the wheels installed.
#
# Knobs (environment): BENCH_DIR, CHIRON, UV, PIP (see benches/lib.sh),
# BENCH_SERVERS ("chiron pypiserver nginx"), BENCH_STEPS ("load resolve uv
# pip"),
# BENCH_DURATION ("10s"), BENCH_CONNECTIONS (64), BENCH_PYTHON (the
# interpreter the installs target, one of the corpus's Pythons; default
# python3).
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/lib.sh
read -r -a SERVERS <<<"${BENCH_SERVERS:-chiron pypiserver nginx}"
STEPS=" ${BENCH_STEPS:-load resolve uv pip} "
DURATION=${BENCH_DURATION:-10s}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
PYTHON=$(command -v "${BENCH_PYTHON:-python3}")
PY_VERSION=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
[[ " ${ALL_PYTHONS[*]} " == *" $PY_VERSION "* ]] \
  || { echo "$PYTHON is Python $PY_VERSION; the corpus has wheels for ${ALL_PYTHONS[*]}: set BENCH_PYTHON" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }
step() { [[ $STEPS == *" $1 "* ]]; }
# What pip 26 sends: JSON first, HTML for indexes without it.
ACCEPT="application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01"
WORKERS=$(( 2 * $(nproc) + 1 ))

WORK="$BENCH_DIR/serve-work"
rm -rf "$WORK"; mkdir -p "$WORK"
cd "$WORK"
declare -A PORT=([chiron]=$(free_port) [pypiserver]=$(free_port) [nginx]=$(free_port))
declare -A LOG=([chiron]="$WORK/chiron.log" [pypiserver]="$WORK/pypiserver-access.log" [nginx]="$WORK/nginx/access.log")

# chiron serve, its metadata files extracted into an empty cache at start.
started=$(date +%s.%N)
CHIRON_CACHE_DIR="$WORK/chiron-cache" "$CHIRON" serve "$CORPUS" --bind "127.0.0.1:${PORT[chiron]}" 2>"${LOG[chiron]}" &
PIDS+=($!)
wait_for "http://127.0.0.1:${PORT[chiron]}/readyz" "${LOG[chiron]}" "$!" 600
CHIRON_READY=$(python3 -c "import time; print(f'{time.time() - $started:.1f}')")

# pypiserver under gunicorn, one access-log line per request with its range.
"$VENV/bin/gunicorn" -w "$WORKERS" -b "127.0.0.1:${PORT[pypiserver]}" \
  --access-logfile "${LOG[pypiserver]}" --access-logformat '%(m)s %(U)s %(s)s "%({range}i)s"' \
  "pypiserver:app(roots=['$CORPUS'], disable_fallback=True)" >"$WORK/pypiserver.log" 2>&1 &
PIDS+=($!)
wait_for "http://127.0.0.1:${PORT[pypiserver]}/simple/" "$WORK/pypiserver.log" "$!"

# nginx over the static export, configured as docs/serve.md says.
started=$(date +%s.%N)
CHIRON_CACHE_DIR="$WORK/chiron-cache" "$CHIRON" serve "$CORPUS" --export-static "$WORK/site" >/dev/null
EXPORT_SECS=$(python3 -c "import time; print(f'{time.time() - $started:.1f}')")
block=$(python3 - "$ROOT/docs/serve.md" "${PORT[nginx]}" "$WORK/site" <<'PY'
import sys
doc, port, root = sys.argv[1:]
block = open(doc).read().split("```nginx\n")[1].split("\n```")[0]
assert "listen 8080;" in block and "root /srv/pypi/site;" in block
print(block.replace("listen 8080;", f"listen 127.0.0.1:{port};").replace("root /srv/pypi/site;", f"root {root};"))
PY
)
start_nginx "$WORK/nginx" "${PORT[nginx]}" "$block"

# The same page on each: the project with the most files, and one of its
# wheels' metadata files.
PROJECT=numpy
WHEEL=$(cd "$CORPUS" && ls numpy-*.whl | head -1)
declare -A LIST PAGE METADATA
for srv in chiron nginx pypiserver; do
  LIST[$srv]="http://127.0.0.1:${PORT[$srv]}/simple/"
  PAGE[$srv]="http://127.0.0.1:${PORT[$srv]}/simple/$PROJECT/"
  METADATA[$srv]="http://127.0.0.1:${PORT[$srv]}/simple/$PROJECT/$WHEEL.metadata"
done
unset 'METADATA[pypiserver]'
for srv in chiron nginx; do
  curl -fsS -o /dev/null "${METADATA[$srv]}"
done

# Warm pypiserver's digest caches, one per worker, as a long-running server
# has them: every project page, as many times as there are workers, untimed.
curl -fs "${LIST[pypiserver]}" | grep -o 'href="[^"]*"' | cut -d'"' -f2 \
  | sed "s|^/simple/||; s|^|http://127.0.0.1:${PORT[pypiserver]}/simple/|" > "$WORK/pages.txt"
for _ in $(seq $(( 2 * WORKERS ))); do cat "$WORK/pages.txt"; done | xargs -P "$WORKERS" -n 20 curl -fs > /dev/null

# load NAME URL: wrk's requests per second, p50 and p99 in ms, errors.
load() {
  local name=$1 url=$2
  wrk -t2 -c"$CONNECTIONS" -d2s --timeout 30s -H "Accept: $ACCEPT" "$url" > /dev/null
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --timeout 30s --latency -H "Accept: $ACCEPT" "$url" > "$WORK/$name.wrk"
  python3 - "$WORK/$name.wrk" > "$WORK/$name.load" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(value):
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
p50 = ms(re.search(r"^\s+50%\s+(\S+)", text, re.M).group(1))
p99 = ms(re.search(r"^\s+99%\s+(\S+)", text, re.M).group(1))
errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", text))
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
errors += int(non2xx.group(1)) if non2xx else 0
print(f"{rps:.0f} {p50:.2f} {p99:.2f} {errors}")
PY
}

# fetches SERVER FROM: what the server's access log shows after line FROM:
# wheels fetched whole, distinct wheels read by ranges, metadata files.
fetches() {
  python3 - "$1" "${LOG[$1]}" "$2" <<'PY'
import sys
server, log, skip = sys.argv[1], sys.argv[2], int(sys.argv[3])
whole, ranged, metadata = set(), set(), 0
for line in open(log).readlines()[skip:]:
    if server == "chiron":
        if not line.startswith("access "):
            continue
        f = dict(x.split("=", 1) for x in line.split()[1:] if "=" in x)
        path, status, rng = f["path"], f["status"], f["status"] == "206"
    elif server == "nginx":
        _, _, status, _, rng, path = line.split(" ", 5)
        path, rng = path.strip(), rng != '"-"'
    else:
        _, path, status, rng = line.split(" ", 3)
        rng = rng.strip() != '"-"'
    if status not in ("200", "206"):
        continue
    name = path.rsplit("/", 1)[-1]
    if name.endswith(".whl"):
        (ranged if rng else whole).add(name)
    elif name.endswith(".metadata"):
        metadata += 1
print(len(whole), len(ranged - whole), metadata)
PY
}
lines() { wc -l < "${LOG[$1]}"; }

# install TOOL SERVER: a cold install of the stack into a fresh venv (TOOL
# uv or pip), or its resolution alone (TOOL resolve: uv pip compile).
install() {
  local tool=$1 srv=$2 venv="$WORK/$1-$2-venv" before
  "$UV" venv -q --python "$PYTHON" "$venv"
  before=$(lines "$srv")
  if [ "$tool" = resolve ]; then
    timed "$srv-resolve" env UV_CACHE_DIR="$WORK/$srv-resolve-cache" "$UV" pip compile -q \
        --python "$venv/bin/python" --index-url "${LIST[$srv]}" -o "$WORK/$srv-resolved.txt" "$REQS"
  elif [ "$tool" = uv ]; then
    timed "$srv-uv" env UV_CACHE_DIR="$WORK/$srv-uv-cache" "$UV" pip install \
        --python "$venv/bin/python" --index-url "${LIST[$srv]}" -r "$REQS"
  else
    timed "$srv-pip" "$PIP" --python "$venv/bin/python" install --no-cache-dir \
        --index-url "${LIST[$srv]}" -r "$REQS"
  fi
  sleep 0.5  # the last access-log lines
  echo "$(fetches "$srv" "$before") $(find "$venv"/lib/python*/site-packages -maxdepth 1 -name '*.dist-info' | wc -l)" > "$WORK/$srv-$tool.fetches"
}

for srv in "${SERVERS[@]}"; do
  if step load; then
    load "$srv-list" "${LIST[$srv]}"
    load "$srv-page" "${PAGE[$srv]}"
    [ -n "${METADATA[$srv]:-}" ] && load "$srv-metadata" "${METADATA[$srv]}"
  fi
  if step resolve; then install resolve "$srv"; fi
  if step uv; then install uv "$srv"; fi
  if step pip; then install pip "$srv"; fi
done

# The table.
rps() { cut -d' ' -f1 "$WORK/$1.load"; }
echo
{
read -r FILES_N BYTES_MB PROJECTS_N < <(python3 -c "
import os, re
fs = [f for f in os.listdir('$CORPUS') if f.endswith('.whl')]
names = {re.sub(r'[-_.]+', '-', f.split('-')[0]).lower() for f in fs}
print(len(fs), round(sum(os.path.getsize(os.path.join('$CORPUS', f)) for f in fs) / 1e6), len(names))")
echo "corpus: $FILES_N wheels of $PROJECTS_N projects, $BYTES_MB MB; page: $PROJECT ($(ls "$CORPUS"/numpy-*.whl | wc -l) files); install: $(grep -c . "$REQS") requirements on Python $PY_VERSION"
echo "tools: $("$CHIRON" --version), pypiserver ${PYPISERVER_PIN#*==} under gunicorn $("$VENV/bin/gunicorn" --version | grep -o '[0-9][0-9.]*') ($WORKERS workers), $(nginx -v 2>&1 | cut -d' ' -f3), $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2), $("$UV" --version), pip $("$PIP" --version | cut -d' ' -f2)"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg) at the end; chiron ready in $CHIRON_READY s (metadata extracted), export $EXPORT_SECS s"
echo
echo "load: $CONNECTIONS connections, $DURATION each, pip's Accept header (chiron and nginx answer JSON, pypiserver HTML)"
printf '%-14s %-11s %9s %8s %8s %7s %13s\n' what server "req/s" "p50 ms" "p99 ms" errors "chiron/this"
for kind in list page metadata; do
  for srv in "${SERVERS[@]}"; do
    if [ "$kind" = metadata ] && [ "$srv" = pypiserver ]; then
      step load && printf '%-14s %-11s %s\n' "$kind" "$srv" "n/a (no PEP 658)"; continue
    fi
    [ -f "$WORK/$srv-$kind.load" ] || continue
    read -r rps p50 p99 errors < "$WORK/$srv-$kind.load"
    vs=-; [ -f "$WORK/chiron-$kind.load" ] && vs=$(ratio "$(rps "chiron-$kind")" "$rps")
    printf '%-14s %-11s %9s %8s %8s %7s %13s\n' "$kind" "$srv" "$rps" "$p50" "$p99" "$errors" "$vs"
  done
done
echo
echo "cold, empty cache: resolve = uv pip compile, uv / pip = install into a fresh venv; wheels as the server's access log shows them"
printf '%-6s %-11s %8s %12s %7s %7s %9s %10s\n' tool server seconds "chiron/this" whole ranged metadata installed
for tool in resolve uv pip; do
  for srv in "${SERVERS[@]}"; do
    has "$srv-$tool" || continue
    read -r whole ranged metadata installed < "$WORK/$srv-$tool.fetches"
    [ "$tool" = resolve ] && installed=-
    vs=-; has "chiron-$tool" && vs=$(ratio "$(secs "chiron-$tool")" "$(secs "$srv-$tool")")
    printf '%-6s %-11s %8s %12s %7s %7s %9s %10s\n' "$tool" "$srv" "$(secs "$srv-$tool")" "$vs" "$whole" "$ranged" "$metadata" "$installed"
  done
done

# The goals of issue 16.
echo
echo "goals:"
goal() { printf '  %-62s %s\n' "$1" "$2"; }
if [ -f "$WORK/chiron-page.load" ] && [ -f "$WORK/pypiserver-page.load" ]; then
  r=$(ratio "$(rps chiron-page)" "$(rps pypiserver-page)")
  goal "project page: at least 10x pypiserver's requests per second" "$r $(check "'$r' != '-' and float('${r%x}') >= 10")"
fi
if [ -f "$WORK/chiron-resolve.fetches" ]; then
  read -r whole ranged _ _ < "$WORK/chiron-resolve.fetches"
  goal "uv resolving from chiron: no wheel fetched" "$whole whole + $ranged ranged $(check "$whole + $ranged == 0")"
fi
if [ -f "$WORK/chiron-uv.fetches" ]; then
  read -r whole ranged _ installed < "$WORK/chiron-uv.fetches"
  goal "uv installing from chiron: no wheel fetched that it does not install" \
    "$whole whole + $ranged ranged for $installed installed $(check "$whole <= $installed and $ranged == 0")"
fi
} | tee "$WORK/results.txt"
