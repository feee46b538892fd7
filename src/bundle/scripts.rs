//! The scripts and README a bundle carries, so the receiving side needs
//! only Python with pip: check every file against SHA256SUMS, pick the
//! target this interpreter is, install with `--no-index --require-hashes`.

use crate::manifest::Manifest;

pub const INSTALL_SH: &str = r#"#!/bin/sh
# Installs this bundle's packages into a Python environment, offline.
#   ./install.sh [PYTHON]     default: $PYTHON, else python3
# A venv's python installs into that venv. Every file is checked against
# SHA256SUMS first; pip then installs only files whose hashes are pinned.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
python=${1:-${PYTHON:-python3}}
cd "$here"
if command -v sha256sum >/dev/null 2>&1; then
    sha256sum -c --quiet SHA256SUMS
elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 -c --quiet SHA256SUMS
else
    echo "install.sh: neither sha256sum nor shasum is available to check the files" >&2
    exit 1
fi
requirements=$("$python" select_target.py)
echo "installing $requirements with $python"
exec "$python" -m pip install --no-index --find-links wheels --require-hashes -r "$requirements"
"#;

pub const INSTALL_PS1: &str = r#"# Installs this bundle's packages into a Python environment, offline.
#   .\install.ps1 [-Python PATH]     default: python
# Every file is checked against SHA256SUMS first; pip then installs only
# files whose hashes are pinned.
param([string]$Python = "python")
$ErrorActionPreference = "Stop"
Set-Location -LiteralPath $PSScriptRoot
foreach ($line in Get-Content -LiteralPath SHA256SUMS) {
    $hash, $name = $line -split '  ', 2
    $actual = (Get-FileHash -Algorithm SHA256 -LiteralPath $name).Hash.ToLowerInvariant()
    if ($actual -ne $hash) { throw "SHA256SUMS: $name does not match" }
}
$requirements = & $Python select_target.py
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
Write-Host "installing $requirements with $Python"
& $Python -m pip install --no-index --find-links wheels --require-hashes -r $requirements
exit $LASTEXITCODE
"#;

/// Prints the requirements file of the target the running interpreter is:
/// its Python version, and a platform tag pip accepts here (pip's own
/// `packaging.tags`, so the choice is pip's).
pub const SELECT_TARGET_PY: &str = r#""""Prints the requirements file of the bundle target this Python is."""
import json
import os
import sys

try:
    from pip._vendor.packaging import tags
except ImportError:
    sys.exit("select_target.py: this Python has no pip; install pip first")

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "manifest.json"), encoding="utf-8") as f:
    manifest = json.load(f)
version = "%d.%d" % sys.version_info[:2]
platforms = {tag.platform for tag in tags.sys_tags()}
for target in manifest["targets"]:
    if target["python"] == version and platforms & set(target["platform_tags"]):
        print(target["requirements_file"])
        sys.exit(0)
# A declared target the bundle does not serve: say why, not a pip error.
for gap in manifest.get("gaps", []):
    if gap["python"] == version and platforms & set(gap["platform_tags"]):
        lines = ["select_target.py: this bundle does not serve %s (Python %s on %s): "
                 "it was built with gaps allowed, and this target is one" % (gap["name"], version, gap["platform"])]
        for package in gap["packages"]:
            lines.append("  no wheel of %s: %s" % (package["package"], package["reason"]))
            lines.append("  fix (where the bundle is built): %s" % package["hint"])
        if not gap["packages"]:
            lines.append("  %s" % gap["reason"].splitlines()[0])
            lines.append("  fix (where the bundle is built): %s" % gap["hint"])
        sys.exit("\n".join(lines))
names = ", ".join(t["name"] for t in manifest["targets"])
gaps = ", ".join(g["name"] for g in manifest.get("gaps", []))
sys.exit("select_target.py: this bundle has no target for Python %s on %s (it has: %s%s)"
         % (version, sorted(platforms)[0] if platforms else "this platform", names,
            "; not served: " + gaps if gaps else ""))
"#;

/// The README of a bundle.
pub fn readme(manifest: &Manifest) -> String {
    let mut out = String::from(
        "chiron air-gap bundle\n\
         =====================\n\n\
         Python packages with everything needed to install them without a network.\n\n\
         Check it (on a machine with chiron):  chiron verify bundle.tar.gz --key cosign.pub\n\
         Unpack it once it verified:           tar xzf bundle.tar.gz\n\
         Install (Linux, macOS):               ./install.sh /path/to/python\n\
         Install (Windows):                    .\\install.ps1 -Python C:\\path\\to\\python.exe\n\
         Or with chiron:                       chiron airgap install bundle.tar.gz --python /path/to/python\n\n\
         The scripts check every file against SHA256SUMS, pick the target matching the\n\
         interpreter, and run pip install --no-index --find-links wheels --require-hashes.\n\
         chiron verify accepts only archives that tar and Python's tarfile extract to\n\
         exactly the files it checked (one gzip member, plain ustar entries).\n\n\
         Targets:\n",
    );
    for target in &manifest.targets {
        out.push_str(&format!(
            "  {:<28} {}\n",
            target.name, target.requirements_file
        ));
    }
    if !manifest.gaps.is_empty() {
        out.push_str(
            "\nNot served (built with gaps allowed; manifest.json says why and what to change):\n",
        );
        for gap in &manifest.gaps {
            let names: Vec<&str> = gap.packages.iter().map(|p| p.package.as_str()).collect();
            let why = if names.is_empty() {
                "the requirements conflict".to_string()
            } else {
                format!("no wheel of {}", names.join(", "))
            };
            out.push_str(&format!("  {:<28} {why}\n", gap.name));
        }
    }
    out.push_str(&format!(
        "\n{} packages, {} files. Contents: wheels/, requirements-<target>.txt, pylock.toml,\n\
         manifest.json, sbom.cdx.json (CycloneDX), scan.json and policy.json (when the\n\
         wheelhouse gate ran), provenance.intoto.json (SLSA provenance in a DSSE envelope),\n\
         SHA256SUMS and SHA256SUMS.sig (cosign blob signature of SHA256SUMS).\n\
         Built by chiron {}.\n",
        manifest.packages.len(),
        manifest.files.len(),
        manifest.tool.version
    ));
    out
}
