#!/usr/bin/env bash
# Benchmark: chiron wheelhouse and chiron lock against what people run today,
# side by side in one run, for 3 Python versions x 3 platforms, on two local
# indexes serving the same corpus of real wheels:
#   pypiserver  pypiserver (threaded with waitress): no PEP 658 metadata files,
#               no requires-python, like many private indexes
#   nginx       a static PEP 503 tree (benches/data/static_index.py) with
#               #sha256=, data-requires-python and PEP 658/714 metadata files,
#               served by nginx (sendfile, keepalive): a PyPI-like fast index
#
#   bash benches/wheelhouse.sh            # prints a table; see docs/benchmarks.md
#
# The first run downloads the stack of real wheels once from the configured
# index (PIP_INDEX_URL or PyPI) into $BENCH_DIR/corpus; later runs reuse it,
# and every timed run talks to 127.0.0.1 only.
# Timed on each server, each from a cold cache:
#   chiron cold     chiron wheelhouse, empty cache and output
#   chiron warm     the same command again, nothing changed
#   pip loop        9 x pip download --only-binary=:all: --platform P --python-version V
#   uv + pip        per target: uv pip compile --python-platform P --only-binary :all:,
#                   then pip download --no-deps --require-hashes of the result
#   curl floor      the distinct files of chiron's wheelhouse fetched by one
#                   curl -Z --parallel-max 8 process, one URL list, and nothing else
#   chiron lock     chiron lock for the 9 targets, empty cache (skipped when the
#                   binary has no `lock` subcommand)
#   uv compile x1   one uv pip compile --generate-hashes, one target, empty cache
#   uv compile x9   nine of them, one per target, sharing a cache that starts empty
# Not timed ("trace"): one more chiron cold run with its debug log stamped
# ($BENCH_DIR/work/<server>-trace.log) and, on nginx, the access log's
# timeline of index pages, metadata files and wheels (nginx-timeline.txt):
# whether downloads wait for resolution.
#
# Knobs (environment): BENCH_DIR (default ~/.cache/chiron-bench), CHIRON (a
# chiron binary to use instead of building one), BENCH_SERVERS ("pypiserver
# nginx"), BENCH_STEPS ("chiron trace pip uv floor lock"), BENCH_PYTHONS,
# BENCH_PLATFORMS (comma-separated, for quick trials; the corpus is always
# the full matrix), UV and PIP (the tools timed; default: the pinned ones CI
# installs, else a venv of their own).
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/lib.sh
PORT=${BENCH_PORT:-$(free_port)}
NGINX_PORT=${BENCH_NGINX_PORT:-$(free_port)}
read -r -a SERVERS <<<"${BENCH_SERVERS:-pypiserver nginx}"
STEPS=" ${BENCH_STEPS:-chiron trace pip uv floor lock} "
IFS=, read -r -a PYTHONS <<<"${BENCH_PYTHONS:-$(IFS=,; echo "${ALL_PYTHONS[*]}")}"
IFS=, read -r -a PLATFORMS <<<"${BENCH_PLATFORMS:-$(IFS=,; echo "${ALL_PLATFORMS[*]}")}"
# The one target of "uv compile x1".
ONE_PY=${PYTHONS[-1]}
ONE_PLAT=${PLATFORMS[0]}
# The static tree for nginx, made once per corpus.
STATIC="$BENCH_DIR/static"
if [ ! -f "$STATIC/.complete" ] || [ "$CORPUS/.complete" -nt "$STATIC/.complete" ]; then
  rm -rf "$STATIC"
  python3 "$ROOT/benches/data/static_index.py" "$CORPUS" "$STATIC"
  touch "$STATIC/.complete"
fi

# pypiserver.
"$VENV/bin/pypi-server" run -i 127.0.0.1 -p "$PORT" --server auto --disable-fallback "$CORPUS" >"$BENCH_DIR/pypiserver.log" 2>&1 &
PIDS+=($!)

# nginx: range requests work for static files by default.
NGINX_DIR="$BENCH_DIR/nginx"
start_nginx "$NGINX_DIR" "$NGINX_PORT" "  types { text/html html; }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $STATIC;
    index index.html;
    absolute_redirect off;
  }"

wait_for "http://127.0.0.1:$PORT/simple/" "$BENCH_DIR/pypiserver.log" "${PIDS[0]}"
# Warm pypiserver's digest cache, as a long-running server has it: every
# project page once, untimed.
curl -fs "http://127.0.0.1:$PORT/simple/" | grep -o 'href="[^"]*"' | cut -d'"' -f2 \
  | sed "s|^/simple/||; s|^|http://127.0.0.1:$PORT/simple/|" | xargs curl -fs > /dev/null
declare -A INDEX=([pypiserver]="http://127.0.0.1:$PORT/simple" [nginx]="http://127.0.0.1:$NGINX_PORT/simple")
declare -A FILES=([pypiserver]="http://127.0.0.1:$PORT/packages" [nginx]="http://127.0.0.1:$NGINX_PORT/files")

WORK="$BENCH_DIR/work"
rm -rf "$WORK"; mkdir -p "$WORK"
cd "$WORK"
step() { [[ $STEPS == *" $1 "* ]]; }
PY_LIST=$(IFS=,; echo "${PYTHONS[*]}")
PLAT_LIST=$(IFS=,; echo "${PLATFORMS[*]}")

pip_loop() {
  for py in "${PYTHONS[@]}"; do for plat in "${PLATFORMS[@]}"; do
    local args=(); for tag in ${PIP_TAGS[$plat]}; do args+=(--platform "$tag"); done
    "$PIP" download -q --no-cache-dir --only-binary=:all: "${args[@]}" --python-version "$py" \
        -d "$OUT/$py-$plat" -r "$REQS" --index-url "$IDX"
  done; done
}
uv_pipeline() {
  mkdir -p "$OUT/locks"
  for py in "${PYTHONS[@]}"; do for plat in "${PLATFORMS[@]}"; do
    local lock="$OUT/locks/$py-$plat.txt"
    UV_CACHE_DIR="$OUT/uv-cache" "$UV" pip compile -q "$REQS" \
        --python-version "$py" --python-platform "${UV_PLATFORM[$plat]}" --only-binary :all: \
        --generate-hashes --index-url "$IDX" -o "$lock"
    local args=(); for tag in ${PIP_TAGS[$plat]}; do args+=(--platform "$tag"); done
    "$PIP" download -q --no-cache-dir --no-deps --only-binary=:all: "${args[@]}" --python-version "$py" \
        -d "$OUT/$py-$plat" -r "$lock" --index-url "$IDX"
  done; done
}
uv_compile() {  # PYTHON PLATFORM...
  mkdir -p "$OUT"
  local py=$1; shift
  for plat in "$@"; do
    UV_CACHE_DIR="$OUT/uv-cache" "$UV" pip compile -q "$REQS" \
        --python-version "$py" --python-platform "${UV_PLATFORM[$plat]}" --only-binary :all: \
        --generate-hashes --index-url "$IDX" -o "$OUT/$py-$plat.txt"
  done
}
uv_compile_all() { for py in "${PYTHONS[@]}"; do uv_compile "$py" "${PLATFORMS[@]}"; done; }
DECLS="$(declare -f pip_loop uv_pipeline uv_compile uv_compile_all); $(declare -p PYTHONS PLATFORMS PIP_TAGS UV_PLATFORM PIP UV REQS)"
floor() {
  mkdir -p "$OUT" && curl -sSf -Z --parallel-max 8 -K "$CFG"
}

HAVE_LOCK=0
if "$CHIRON" lock --help >/dev/null 2>&1; then HAVE_LOCK=1; fi

for srv in "${SERVERS[@]}"; do
  IDX=${INDEX[$srv]}
  W="$WORK/$srv"; mkdir -p "$W"
  args=(wheelhouse -r "$REQS" --python "$PY_LIST" --platform "$PLAT_LIST" -i "$IDX" --no-progress)
  if step chiron; then
    CHIRON_CACHE_DIR="$W/chiron-cache" timed "$srv-chiron-cold" "$CHIRON" "${args[@]}" --out "$W/chiron"
    CHIRON_CACHE_DIR="$W/chiron-cache" timed "$srv-chiron-warm" "$CHIRON" "${args[@]}" --out "$W/chiron"
  fi
  if step trace; then
    # Untimed: one more cold run with chiron's debug log, each line stamped
    # with seconds since the start, to see where the time goes; on nginx,
    # the access log then tells when metadata and wheels were fetched.
    t_start=$(date +%s.%N)
    CHIRON_CACHE_DIR="$W/trace-cache" RUST_LOG=chiron=debug "$CHIRON" "${args[@]}" --out "$W/trace" 2>&1 \
      | python3 -u -c 'import sys, time
t0 = time.monotonic()
for line in sys.stdin: sys.stdout.write(f"{time.monotonic() - t0:8.3f} {line}")' > "$WORK/$srv-trace.log" || true
    t_end=$(date +%s.%N)
    if [ "$srv" = nginx ]; then
      sleep 0.2
      python3 - "$NGINX_DIR/access.log" "$t_start" "$t_end" <<'PY' | tee "$WORK/nginx-timeline.txt"
import sys
log, t0, t1 = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
kinds = {}
for line in open(log):
    end, took, status, size, rng, uri = line.split(" ", 5)
    end, took, size, uri = float(end), float(took), int(size), uri.strip()
    if not t0 <= end <= t1 + 0.5:
        continue
    kind = ("page" if uri.startswith("/simple/") else "metadata" if uri.endswith(".metadata")
            else "range" if rng != '"-"' else "wheel")
    k = kinds.setdefault(kind, [0, 0, 1e9, 0])
    k[0] += 1; k[1] += size; k[2] = min(k[2], end - took - t0); k[3] = max(k[3], end - t0)
print(f"chiron cold on nginx, seen by nginx (seconds from the start; the run took {t1 - t0:.2f} s):")
for kind in ("page", "metadata", "range", "wheel"):
    if kind in kinds:
        n, size, first, last = kinds[kind]
        print(f"  {kind:9} {n:4} requests {size / 1e6:8.1f} MB   first starts {first:6.2f}   last ends {last:6.2f}")
PY
    fi
  fi
  if step pip; then
    timed "$srv-pip-loop" env OUT="$W/pip" IDX="$IDX" bash -c "$DECLS; pip_loop"
  fi
  if step uv; then
    timed "$srv-uv-pip" env OUT="$W/uvpip" IDX="$IDX" bash -c "$DECLS; uv_pipeline"
  fi
  if step floor; then
    manifest="$W/chiron/manifest.json"
    [ -f "$manifest" ] || manifest=$(ls "$WORK"/*/chiron/manifest.json 2>/dev/null | head -1 || true)
    if [ -n "$manifest" ] && [ -f "$manifest" ]; then
      python3 - "$manifest" "${FILES[$srv]}" "$W/curl" > "$W/curl.cfg" <<'PY'
import json, sys, urllib.parse
manifest, base, out = sys.argv[1:]
for f in sorted({f["filename"] for f in json.load(open(manifest))["files"]}):
    print(f'url = "{base}/{urllib.parse.quote(f)}"')
    print(f'output = "{out}/{f}"')
PY
      timed "$srv-curl-floor" env OUT="$W/curl" CFG="$W/curl.cfg" bash -c "$(declare -f floor); floor"
    else
      echo "curl floor skipped: no chiron manifest to take the file list from" >&2
    fi
  fi
  if step lock; then
    if [ "$HAVE_LOCK" = 1 ]; then
      CHIRON_CACHE_DIR="$W/lock-cache" timed "$srv-chiron-lock" \
          "$CHIRON" lock -r "$REQS" --python "$PY_LIST" --platform "$PLAT_LIST" -i "$IDX" -o "$W/lock" --no-progress
    fi
    timed "$srv-uv-compile-1" env OUT="$W/uv1" IDX="$IDX" bash -c "$DECLS; uv_compile $ONE_PY $ONE_PLAT"
    timed "$srv-uv-compile-9" env OUT="$W/uv9" IDX="$IDX" bash -c "$DECLS; uv_compile_all"
  fi
done

# The table.
NTARGETS=$(( ${#PYTHONS[@]} * ${#PLATFORMS[@]} ))
echo
{
manifest=$(ls "$WORK"/*/chiron/manifest.json 2>/dev/null | head -1 || true)
if [ -n "$manifest" ]; then
  read -r FILES_N BYTES_MB < <(python3 -c "
import json, os, sys
fs = {f['filename']: f for f in json.load(open('$manifest'))['files']}
print(len(fs), round(sum(os.path.getsize(os.path.join('$CORPUS', n)) for n in fs) / 1e6))")
  echo "stack: $(grep -c . "$REQS") top-level requirements, $NTARGETS targets, $FILES_N distinct files, $BYTES_MB MB"
fi
echo "tools: $("$CHIRON" --version), $("$UV" --version), pip $("$PIP" --version | cut -d' ' -f2); $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-11s %-15s %8s %9s %10s %8s %8s\n' server run seconds "vs floor" "vs chiron" "peak MB" "CPU s"
for srv in "${SERVERS[@]}"; do
  floor_t=; has "$srv-curl-floor" && floor_t=$(secs "$srv-curl-floor")
  cold_t=; has "$srv-chiron-cold" && cold_t=$(secs "$srv-chiron-cold")
  lock_t=; has "$srv-chiron-lock" && lock_t=$(secs "$srv-chiron-lock")
  for run in chiron-cold chiron-warm pip-loop uv-pip curl-floor chiron-lock uv-compile-1 uv-compile-9; do
    name="$srv-$run"
    if ! has "$name"; then
      if [ "$run" = chiron-lock ] && step lock && [ "$HAVE_LOCK" = 0 ]; then
        printf '%-11s %-15s %s\n' "$srv" "$run" "skipped: chiron lock not built"
      fi
      continue
    fi
    t=$(secs "$name")
    case $run in
      chiron-lock|uv-compile-*) vf=-; vc=-; [ -n "$lock_t" ] && vc=$(ratio "$t" "$lock_t") ;;
      *) vf=-; vc=-; [ -n "$floor_t" ] && vf=$(ratio "$t" "$floor_t"); [ -n "$cold_t" ] && vc=$(ratio "$t" "$cold_t") ;;
    esac
    printf '%-11s %-15s %8s %9s %10s %8s %8s\n' "$srv" "$run" "$t" "$vf" "$vc" "$(mem "$name")" "$(cpu "$name")"
  done
done

# The goals of issue 10.
echo
echo "goals:"
goal() { printf '  %-58s %s\n' "$1" "$2"; }
if has nginx-chiron-cold && has nginx-curl-floor; then
  r=$(python3 -c "print(f'{$(secs nginx-chiron-cold)/$(secs nginx-curl-floor):.2f}')")
  goal "nginx: wheelhouse cold within 1.5x of the floor" "${r}x $(check "$r <= 1.5")"
fi
if has pypiserver-chiron-cold && has pypiserver-curl-floor; then
  r=$(python3 -c "print(f'{$(secs pypiserver-chiron-cold)/$(secs pypiserver-curl-floor):.2f}')")
  goal "pypiserver: wheelhouse cold at the floor (<= 1.0x)" "${r}x $(check "$r <= 1.0")"
fi
if has nginx-chiron-cold && has nginx-pip-loop; then
  r=$(python3 -c "print(f'{$(secs nginx-pip-loop)/$(secs nginx-chiron-cold):.1f}')")
  goal "nginx: at least 15x faster than the pip loop" "${r}x $(check "$r >= 15")"
fi
for srv in "${SERVERS[@]}"; do
  if has "$srv-chiron-warm"; then goal "$srv: warm under 0.3 s" "$(secs "$srv-chiron-warm") s $(check "$(secs "$srv-chiron-warm") < 0.3")"; fi
  if has "$srv-chiron-cold"; then goal "$srv: peak memory under 150 MB" "$(mem "$srv-chiron-cold") MB $(check "$(mem "$srv-chiron-cold") < 150")"; fi
  if has "$srv-chiron-lock" && has "$srv-uv-compile-1"; then
    r=$(python3 -c "print(f'{$(secs "$srv-chiron-lock")/$(secs "$srv-uv-compile-1"):.2f}')")
    goal "$srv: chiron lock ($NTARGETS targets) within 2x of one uv pip compile" "${r}x $(check "$r <= 2")"
  fi
  if has "$srv-chiron-lock" && has "$srv-uv-compile-9"; then
    goal "$srv: chiron lock faster than $NTARGETS uv pip compile" "$(secs "$srv-chiron-lock") s vs $(secs "$srv-uv-compile-9") s $(check "$(secs "$srv-chiron-lock") < $(secs "$srv-uv-compile-9")")"
  fi
done

# Where the pip loop is wrong: it evaluates markers for this machine.
if [ -d "$WORK/${SERVERS[0]}/pip" ] && [ -d "$WORK/${SERVERS[0]}/chiron" ]; then
  echo
  echo "packages each target needs (chiron) that the pip loop did not download:"
  for py in "${PYTHONS[@]}"; do for plat in "${PLATFORMS[@]}"; do
    python3 - "$WORK/${SERVERS[0]}" "$py" "$plat" <<'PY'
import re, sys, os
work, py, plat = sys.argv[1:]
norm = lambda n: re.sub(r"[-_.]+", "-", n).lower()
needed = {norm(l.split("==")[0].split("[")[0]) for l in open(f"{work}/chiron/requirements-{py}-{plat}.txt") if re.match(r"^[A-Za-z0-9]", l)}
got = {norm(f.split("-")[0]) for f in os.listdir(f"{work}/pip/{py}-{plat}")}
missing = sorted(needed - got)
print(f"  {py}-{plat}: {', '.join(missing) if missing else 'none'}")
PY
  done; done
fi
} | tee "$WORK/results.txt"
