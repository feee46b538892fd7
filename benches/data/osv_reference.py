"""An independent reading of an OSV zip for a pinned lock, with the
`packaging` library's PEP 440 ordering and the OSV spec's range algorithm,
to cross-check chiron's offline findings: prints the (package, id) pairs
each side found and the differences."""

import json
import sys
import zipfile

from packaging.utils import canonicalize_name
from packaging.version import Version

db, lock, chiron_json = sys.argv[1], sys.argv[2], sys.argv[3]
pins = {}
for line in open(lock):
    line = line.strip()
    if line and not line.startswith("#"):
        name, version = line.split("==")
        pins[canonicalize_name(name)] = Version(version)


def affected(entry, version):
    if any(Version(v) == version for v in entry.get("versions", [])):
        return True
    for r in entry.get("ranges", []):
        if r["type"] != "ECOSYSTEM":
            continue
        # The spec: sort events by version; introduced opens, fixed closes
        # before, last_affected closes after.
        state = False
        events = []
        for e in r["events"]:
            for kind, v in e.items():
                events.append((Version("0") if v == "0" else Version(v), kind))
        events.sort(key=lambda e: e[0])
        for v, kind in events:
            if kind == "introduced" and version >= v:
                state = True
            elif kind == "fixed" and version >= v:
                state = False
            elif kind == "last_affected" and version > v:
                state = False
        if state:
            return True
    return False


groups = []  # each: set of ids
with zipfile.ZipFile(db) as archive:
    for name in archive.namelist():
        record = json.loads(archive.read(name))
        if record.get("withdrawn"):
            continue
        for entry in record.get("affected", []):
            package = canonicalize_name(entry["package"]["name"])
            if package in pins and affected(entry, pins[package]):
                ids = {record["id"], *record.get("aliases", [])}
                groups.append((package, ids))
merged = []
for package, ids in groups:
    for other in merged:
        if other[0] == package and other[1] & ids:
            other[1].update(ids)
            break
    else:
        merged.append((package, set(ids)))
report = json.load(open(chiron_json))
ours = [(p["package"], set(f["aliases"])) for p in report["vulnerable"] for f in p["findings"]]
missing = [(p, sorted(i)) for p, i in merged if not any(q == p and i & j for q, j in ours)]
extra = [(p, sorted(i)) for p, i in ours if not any(q == p and i & j for q, j in merged)]
print(f"offline findings: chiron {len(ours)}, reference {len(merged)}; "
      f"missing {len(missing)} {missing[:3]}, extra {len(extra)} {extra[:3]}")
