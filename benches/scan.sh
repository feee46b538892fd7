#!/usr/bin/env bash
# Benchmark: chiron scan against pip-audit on the same 200-package lock
# (benches/data/scan-200.txt: popular packages pinned as of 2023-11-25).
#
#   bash benches/scan.sh          # prints a table; see docs/benchmarks.md
#
# Timed (median of RUNS runs, each with empty caches):
#   chiron offline   chiron scan LOCK --osv-db DB.zip, where DB.zip is a
#                    generated database shaped like osv.dev's PyPI all.zip
#                    (20,000 records, benches/data/gen_osv_db.py)
#   chiron pypi      chiron scan LOCK --source pypi (the PyPI JSON API)
#   pip-audit pypi   pip-audit -r LOCK --no-deps --disable-pip -s pypi
# pip-audit has no offline database, so the offline row has no peer; the
# online rows ask the same service for the same 200 releases. The findings
# of both online tools are compared (package, advisory id).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BENCH_DIR=${BENCH_DIR:-$HOME/.cache/chiron-bench}
RUNS=${RUNS:-3}
LOCK=$ROOT/benches/data/scan-200.txt
mkdir -p "$BENCH_DIR"

if [ ! -x "$BENCH_DIR/venv/bin/pip-audit" ]; then
    python3 -m venv "$BENCH_DIR/venv"
    "$BENCH_DIR/venv/bin/pip" install -q pip-audit==2.9.0 packaging
fi
cargo build --release --locked -q
CHIRON=${CARGO_TARGET_DIR:-$ROOT/target}/release/chiron
DB=$BENCH_DIR/osv-pypi-generated.zip
[ -f "$DB" ] || python3 benches/data/gen_osv_db.py "$LOCK" "$DB" 20000

# median_time NAME COMMAND...: runs COMMAND RUNS times with fresh caches;
# prints the median wall time in seconds and keeps the last output.
median_time() {
    local name=$1; shift
    local times=()
    for _ in $(seq "$RUNS"); do
        local cache; cache=$(mktemp -d)
        local start end
        start=$(date +%s.%N)
        XDG_CACHE_HOME=$cache "$@" > "$BENCH_DIR/$name.out" 2> "$BENCH_DIR/$name.err" || true
        end=$(date +%s.%N)
        rm -rf "$cache"
        times+=("$(echo "$end - $start" | bc)")
    done
    printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p"
}

# peak_rss COMMAND...: maximum resident set size in MiB.
peak_rss() {
    /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -1 | awk '{printf "%.0f", $1/1024}'
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

offline=$(median_time chiron-offline "$CHIRON" scan "$LOCK" --osv-db "$DB" --json --no-progress)
chiron_pypi=$(median_time chiron-pypi "$CHIRON" scan "$LOCK" --source pypi --json --no-progress)
audit=$(median_time pip-audit env PIP_AUDIT_NO_PROGRESS=1 "$BENCH_DIR/venv/bin/pip-audit" \
    -r "$LOCK" --no-deps --disable-pip -s pypi -f json --progress-spinner off \
    --cache-dir "$work/pip-audit-cache")
rss_offline=$(peak_rss "$CHIRON" scan "$LOCK" --osv-db "$DB" --json --no-progress || true)

# Same findings? (package, advisory id) pairs, ids as each tool reports them
# plus their aliases, compared by any shared id.
python3 - "$BENCH_DIR/chiron-pypi.out" "$BENCH_DIR/pip-audit.out" <<'PY'
import json, sys
chiron = json.load(open(sys.argv[1]))
audit = json.load(open(sys.argv[2]))
ours = {}
for package in chiron["vulnerable"]:
    for finding in package["findings"]:
        ours.setdefault(package["package"].lower(), []).append(set(finding["aliases"]))
theirs = {}
for dep in audit["dependencies"]:
    for vuln in dep.get("vulns", []):
        theirs.setdefault(dep["name"].lower(), []).append({vuln["id"], *vuln.get("aliases", [])})
def count(groups):
    return sum(len(v) for v in groups.values())
missing = [(p, sorted(ids)) for p, groups in theirs.items() for ids in groups
           if not any(ids & mine for mine in ours.get(p, []))]
extra = [(p, sorted(ids)) for p, groups in ours.items() for ids in groups
         if not any(ids & their for their in theirs.get(p, []))]
print(f"findings: chiron {count(ours)} in {len(ours)} packages, pip-audit {count(theirs)} in {len(theirs)} packages")
print(f"pip-audit findings chiron lacks: {len(missing)} {missing[:5]}")
print(f"chiron findings pip-audit lacks: {len(extra)} {extra[:5]}")
PY
# Offline: an independent reading of the same database (packaging's PEP 440
# and the OSV range algorithm) must find exactly what chiron found.
"$BENCH_DIR/venv/bin/python" "$ROOT/benches/data/osv_reference.py" "$DB" "$LOCK" "$BENCH_DIR/chiron-offline.out"
records=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['records'])" "$BENCH_DIR/chiron-offline.out")
echo
printf '%-16s %10s  %s\n' "tool" "seconds" "notes"
printf '%-16s %10.2f  %s\n' "chiron offline" "$offline" "$records OSV records, peak ${rss_offline} MiB"
printf '%-16s %10.2f  %s\n' "chiron pypi" "$chiron_pypi" "PyPI JSON API, 8 requests at a time"
printf '%-16s %10.2f  %s\n' "pip-audit pypi" "$audit" "PyPI JSON API"
printf 'ratio pip-audit / chiron (pypi): %.1fx; pip-audit / chiron (offline): %.1fx\n' \
    "$(echo "$audit / $chiron_pypi" | bc -l)" "$(echo "$audit / $offline" | bc -l)"
