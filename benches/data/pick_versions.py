"""Pins each name of names.txt to the release that was current on a cut-off
date, from the PyPI JSON API: a realistic lock that has aged. Run once by
hand to (re)make scan-200.txt; the benchmark reads the committed result."""

import concurrent.futures
import json
import sys
import urllib.request

from packaging.version import InvalidVersion, Version

CUTOFF = "2023-11-25"


def pick(name):
    url = f"https://pypi.org/pypi/{name}/json"
    data = json.load(urllib.request.urlopen(url, timeout=60))
    releases = []
    for version, files in data["releases"].items():
        try:
            parsed = Version(version)
        except InvalidVersion:
            continue
        live = [f for f in files if not f.get("yanked")]
        if parsed.is_prerelease or not live:
            continue
        releases.append((min(f["upload_time_iso_8601"] for f in live), parsed, version))
    older = sorted(r for r in releases if r[0] < CUTOFF)
    chosen = older[-1] if older else min(releases)
    return f"{name}=={chosen[2]}"


names = open(sys.argv[1]).read().split()
with concurrent.futures.ThreadPoolExecutor(16) as pool:
    pins = sorted(pool.map(pick, names))
print(f"# {len(pins)} popular PyPI packages pinned to the release current on {CUTOFF}")
print("# (made by benches/data/pick_versions.py from benches/data/names.txt)")
print("\n".join(pins))
