#!/usr/bin/env bash
# Benchmark: chiron build against python -m build on the same generated
# project (setuptools, then hatchling), both against the same local index
# (a static PEP 503 tree of the backends' wheels served on 127.0.0.1).
#
#   bash benches/build.sh          # prints a table; see docs/benchmarks.md
#
# Timed (median of RUNS runs):
#   cold   empty caches, no build lock: every tool resolves, downloads,
#          makes its environment and builds the sdist and the wheel
#   warm   caches kept (chiron: the build lock and build wheelhouse kept)
#   check  chiron build --check: two builds, compared
# The floor: the backend called directly in a ready environment (no
# environment to make, nothing to install), the least any frontend can do.
# Reproducible: whether two cold builds gave the same bytes, without
# SOURCE_DATE_EPOCH set.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BENCH_DIR=${BENCH_DIR:-$HOME/.cache/chiron-bench}
RUNS=${RUNS:-3}
mkdir -p "$BENCH_DIR"

source .ci/tools.sh >/dev/null
if [ ! -x "$BENCH_DIR/build-venv/bin/pyproject-build" ]; then
    python3 -m venv "$BENCH_DIR/build-venv"
    "$BENCH_DIR/build-venv/bin/pip" install -q build==1.6.1
fi
cargo build --release --locked -q
CHIRON=${CARGO_TARGET_DIR:-$ROOT/target}/release/chiron

work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT

# A static simple index of the backends' wheels.
python3 - "$CHIRON_TEST_BUILD_WHEELS" "$work/index" <<'PY'
import hashlib, os, re, shutil, sys
src, root = sys.argv[1], sys.argv[2]
os.makedirs(os.path.join(root, "files"))
projects = {}
for name in sorted(os.listdir(src)):
    shutil.copy(os.path.join(src, name), os.path.join(root, "files", name))
    project = re.sub(r"[-_.]+", "-", name.split("-")[0]).lower()
    digest = hashlib.sha256(open(os.path.join(src, name), "rb").read()).hexdigest()
    projects.setdefault(project, []).append(f'<a href="../../files/{name}#sha256={digest}">{name}</a>')
for project, links in projects.items():
    os.makedirs(os.path.join(root, "simple", project))
    with open(os.path.join(root, "simple", project, "index.html"), "w") as page:
        page.write("<!DOCTYPE html><html><body>\n" + "<br>\n".join(links) + "\n</body></html>\n")
PY
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(cd "$work/index" && exec python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1) &
server=$!
INDEX=http://127.0.0.1:$port/simple
sleep 1

# project DIR BACKEND: a small package with 20 modules.
project() {
    local dir=$1 backend=$2 requires build_backend
    case $backend in
        setuptools) requires=setuptools; build_backend=setuptools.build_meta ;;
        hatchling) requires=hatchling; build_backend=hatchling.build ;;
    esac
    rm -rf "$dir"; mkdir -p "$dir/src/demo"
    printf '[build-system]\nrequires = ["%s"]\nbuild-backend = "%s"\n\n[project]\nname = "demo"\nversion = "1.0"\n' \
        "$requires" "$build_backend" > "$dir/pyproject.toml"
    for i in $(seq 20); do echo "VALUE_$i = $i" > "$dir/src/demo/m$i.py"; done
    touch "$dir/src/demo/__init__.py"
}

# timed NAME COMMAND...: wall seconds of one run (output kept).
timed() {
    local name=$1; shift
    local start end
    start=$(date +%s.%N)
    "$@" > "$BENCH_DIR/$name.out" 2> "$BENCH_DIR/$name.err"
    end=$(date +%s.%N)
    echo "$end - $start" | bc
}

median() { sort -n | sed -n "$(( (RUNS + 1) / 2 ))p"; }

# sums DIR: the sha256 of the distributions in DIR.
sums() { (cd "$1" && sha256sum ./*.whl ./*.tar.gz | sort); }

row() { printf '%-10s %-26s %8.2f  %s\n' "$1" "$2" "$3" "$4"; }

printf '%-10s %-26s %8s  %s\n' backend tool seconds notes
for backend in setuptools hatchling; do
    p=$work/$backend
    # chiron, cold: no lock, no cache. With uv on PATH when it is there
    # (as a user with uv gets), and with pip alone.
    for installer in uv pip; do
        path=$PATH
        [ "$installer" = uv ] && path=$(dirname "$CHIRON_TEST_UV"):$PATH
        cold=(); warm=()
        for _ in $(seq "$RUNS"); do
            project "$p" "$backend"
            cache=$(mktemp -d)
            cold+=("$(cd "$p" && PATH=$path XDG_CACHE_HOME=$cache timed chiron-cold "$CHIRON" build -q --no-progress --index-url "$INDEX")")
            sums "$p/dist" > "$BENCH_DIR/chiron-a.sums"
            rm -rf "$p/dist"
            warm+=("$(cd "$p" && PATH=$path XDG_CACHE_HOME=$cache timed chiron-warm "$CHIRON" build -q --no-progress --index-url "$INDEX")")
            sums "$p/dist" > "$BENCH_DIR/chiron-b.sums"
            rm -rf "$cache"
        done
        same=$(cmp -s "$BENCH_DIR/chiron-a.sums" "$BENCH_DIR/chiron-b.sums" && echo yes || echo no)
        row "$backend" "chiron build ($installer) cold" "$(printf '%s\n' "${cold[@]}" | median)" "reproducible: $same"
        row "$backend" "chiron build ($installer) warm" "$(printf '%s\n' "${warm[@]}" | median)" ""
        [ "$installer" = uv ] && chiron_warm_uv=$(printf '%s\n' "${warm[@]}" | median)
        [ "$installer" = pip ] && chiron_warm_pip=$(printf '%s\n' "${warm[@]}" | median)
    done
    check=()
    for _ in $(seq "$RUNS"); do
        check+=("$(cd "$p" && PATH=$(dirname "$CHIRON_TEST_UV"):$PATH timed chiron-check "$CHIRON" build -q --no-progress --check --index-url "$INDEX")")
    done
    row "$backend" "chiron build --check (uv)" "$(printf '%s\n' "${check[@]}" | median)" "two builds + compare"

    # python -m build: pip in its isolated environment, the same index.
    cold=(); warm=()
    for _ in $(seq "$RUNS"); do
        project "$p" "$backend"
        cache=$(mktemp -d)
        cold+=("$(cd "$p" && PIP_INDEX_URL=$INDEX PIP_CACHE_DIR=$cache timed build-cold "$BENCH_DIR/build-venv/bin/python" -m build)")
        sums "$p/dist" > "$BENCH_DIR/build-a.sums"
        rm -rf "$p/dist"
        warm+=("$(cd "$p" && PIP_INDEX_URL=$INDEX PIP_CACHE_DIR=$cache timed build-warm "$BENCH_DIR/build-venv/bin/python" -m build)")
        sums "$p/dist" > "$BENCH_DIR/build-b.sums"
        rm -rf "$cache"
    done
    same=$(cmp -s "$BENCH_DIR/build-a.sums" "$BENCH_DIR/build-b.sums" && echo yes || echo no)
    row "$backend" "python -m build cold" "$(printf '%s\n' "${cold[@]}" | median)" "reproducible: $same"
    build_warm=$(printf '%s\n' "${warm[@]}" | median)
    row "$backend" "python -m build warm" "$build_warm" ""

    # The floor: the backend called in a ready environment.
    floor_env=$BENCH_DIR/floor-$backend
    if [ ! -x "$floor_env/bin/python" ]; then
        python3 -m venv "$floor_env"
        "$floor_env/bin/pip" install -q --index-url "$INDEX" "$backend"
    fi
    project "$p" "$backend"
    floor=$(cd "$p" && timed floor "$floor_env/bin/python" -c "
import importlib, os
backend = importlib.import_module('$( [ "$backend" = setuptools ] && echo setuptools.build_meta || echo hatchling.build )')
os.makedirs('dist', exist_ok=True)
backend.build_sdist('dist'); backend.build_wheel('dist')")
    row "$backend" "floor: backend alone" "$floor" "no environment to make"
    printf 'ratio python -m build / chiron warm: %.1fx (uv), %.1fx (pip)\n' \
        "$(echo "$build_warm / $chiron_warm_uv" | bc -l)" "$(echo "$build_warm / $chiron_warm_pip" | bc -l)"
done
