"""Writes an OSV database zip shaped like osv.dev's PyPI export (all.zip):
RECORDS records over many packages, PYSEC-style ones with explicit version
lists and GHSA-style ones with CVSS vectors, aliased in pairs through a CVE,
and a share of them on the packages of the lock given (so the scan finds
something). Deterministic for a given seed."""

import io
import json
import random
import sys
import zipfile

lock, out = sys.argv[1], sys.argv[2]
RECORDS = int(sys.argv[3]) if len(sys.argv) > 3 else 20000
rng = random.Random(20261125)
pins = [l.split("==") for l in open(lock).read().split() if "==" in l and not l.startswith("#")]
real = [n for n, _ in pins]
synthetic = [f"pkg-{i:05d}" for i in range(7000)]


def version_list(n):
    major, minor, patch = 0, 1, 0
    out = []
    for _ in range(n):
        out.append(f"{major}.{minor}.{patch}")
        step = rng.random()
        if step < 0.6:
            patch += 1
        elif step < 0.9:
            minor, patch = minor + 1, 0
        else:
            major, minor, patch = major + 1, 0, 0
    return out


buffer = io.BytesIO()
with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
    i = 0
    while i < RECORDS:
        name = rng.choice(real) if rng.random() < 0.08 else rng.choice(synthetic)
        versions = version_list(rng.randint(5, 150))
        start = rng.randint(0, len(versions) - 2)
        end = rng.randint(start + 1, len(versions) - 1)
        events = [{"introduced": "0" if start == 0 else versions[start]}, {"fixed": versions[end]}]
        cve = f"CVE-{rng.randint(2015, 2026)}-{rng.randint(1000, 99999)}"
        ghsa = "GHSA-" + "-".join("".join(rng.choice("23456789cfghjmpqrvwx") for _ in range(4)) for _ in range(3))
        pysec = f"PYSEC-{rng.randint(2015, 2026)}-{i}"
        summary = f"{name}: a flaw in request parsing ({i})"
        vector = rng.choice([
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N",
            "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:H",
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N",
        ])
        affected = {"package": {"ecosystem": "PyPI", "name": name, "purl": f"pkg:pypi/{name}"},
                    "ranges": [{"type": "ECOSYSTEM", "events": events}]}
        records = [
            {"schema_version": "1.6.0", "id": ghsa, "modified": "2026-01-01T00:00:00Z",
             "published": "2025-01-01T00:00:00Z", "aliases": [cve], "summary": summary,
             "details": "Details. " * 40, "severity": [{"type": "CVSS_V3" if "3.1" in vector else "CVSS_V4", "score": vector}],
             "affected": [affected],
             "references": [{"type": "WEB", "url": f"https://example.invalid/{ghsa}"}]},
            {"schema_version": "1.6.0", "id": pysec, "modified": "2026-01-01T00:00:00Z",
             "published": "2025-01-01T00:00:00Z", "aliases": [cve, ghsa], "details": "Details. " * 40,
             "affected": [dict(affected, versions=versions[start:end])],
             "references": [{"type": "ADVISORY", "url": f"https://example.invalid/{pysec}"}]},
        ]
        for record in records:
            archive.writestr(f"{record['id']}.json", json.dumps(record, indent=2))
            i += 1
open(out, "wb").write(buffer.getvalue())
print(f"{i} records, {len(buffer.getvalue()) // 1024} KiB zipped", file=sys.stderr)
