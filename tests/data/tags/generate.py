#!/usr/bin/env python3
"""Produce pip-selections.json: which wheel real pip picks for each target.

Run with the pip to compare against (a recent one, in a venv):

    python3 -m venv /tmp/pipref && /tmp/pipref/bin/pip install --upgrade pip
    /tmp/pipref/bin/python tests/data/tags/generate.py

For each target, the accepted platform tags come from pip's own vendored
`packaging` (manylinux, musllinux and macOS lists), computed as on a machine
at the target's floor: the glibc/musl version detection is replaced by the
floor. pip then runs `pip download --only-binary=:all: --no-deps
--python-version X.Y --implementation cp --platform P1 --platform P2 ...`
against a folder of generated wheels, once per project, and the file it
downloads is recorded (or null when pip finds none).
"""

import json
import os
import subprocess
import sys
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pip._vendor.packaging import _manylinux, _musllinux, tags
import pip

HERE = Path(__file__).resolve().parent

# Each project's wheel files (version and tags vary; the contents are minimal).
PROJECTS = {
    "tagmix": [
        "tagmix-1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "tagmix-1.0-cp312-cp312-manylinux_2_28_x86_64.whl",
        "tagmix-1.0-cp312-cp312-musllinux_1_1_x86_64.whl",
        "tagmix-1.0-cp312-cp312-macosx_11_0_arm64.whl",
        "tagmix-1.0-cp312-cp312-macosx_10_9_x86_64.whl",
        "tagmix-1.0-cp312-cp312-macosx_10_9_universal2.whl",
        "tagmix-1.0-cp312-cp312-win_amd64.whl",
        "tagmix-1.0-cp312-cp312-win_arm64.whl",
        "tagmix-1.0-cp312-cp312-win32.whl",
        "tagmix-1.0-cp312-cp312-manylinux_2_17_aarch64.manylinux2014_aarch64.whl",
        "tagmix-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "tagmix-1.0-cp311-cp311-win_amd64.whl",
        "tagmix-1.0-cp310-cp310-manylinux1_x86_64.whl",
        "tagmix-1.0-cp313-cp313-manylinux_2_5_x86_64.manylinux1_x86_64.whl",
        "tagmix-1.0-cp38-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "tagmix-1.0-cp38-abi3-win_amd64.whl",
        "tagmix-1.0-cp38-abi3-macosx_10_12_universal2.whl",
        "tagmix-1.0-cp37-cp37m-win32.whl",
        "tagmix-1.0-py3-none-any.whl",
    ],
    "abionly": [
        "abionly-2.0-cp39-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "abionly-2.0-cp39-abi3-musllinux_1_2_x86_64.whl",
        "abionly-2.0-cp39-abi3-macosx_11_0_arm64.whl",
        "abionly-2.0-cp39-abi3-win_amd64.whl",
        "abionly-2.0-cp311-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "abionly-1.0-py3-none-any.whl",
    ],
    "pureonly": [
        "pureonly-1.0-py2.py3-none-any.whl",
        "pureonly-1.1-1-py3-none-any.whl",
        "pureonly-1.1-2-py3-none-any.whl",
        "pureonly-1.1-py312-none-any.whl",
    ],
    "newer": [
        "newer-1.0-py3-none-any.whl",
        "newer-2.0-cp313-cp313-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "newer-2.0-cp313-cp313-win_amd64.whl",
        "newer-2.0-cp313-cp313-macosx_11_0_arm64.whl",
    ],
    "macold": [
        "macold-1.0-cp312-cp312-macosx_10_13_x86_64.whl",
        "macold-1.0-cp312-cp312-macosx_12_0_x86_64.whl",
        "macold-1.0-cp312-cp312-macosx_14_0_arm64.whl",
        "macold-1.0-cp312-cp312-macosx_11_0_universal2.whl",
        "macold-1.0-cp312-cp312-macosx_10_15_intel.whl",
    ],
    "linuxnew": [
        "linuxnew-3.0-cp312-cp312-manylinux_2_28_x86_64.whl",
        "linuxnew-3.0-cp312-cp312-manylinux_2_28_aarch64.whl",
        "linuxnew-3.0-cp312-cp312-musllinux_1_2_aarch64.whl",
        "linuxnew-2.0-cp312-cp312-manylinux_2_12_x86_64.manylinux2010_x86_64.whl",
        "linuxnew-2.0-cp312-cp312-linux_x86_64.whl",
    ],
}

DEFAULT_FLOORS = {"glibc": "2.17", "musl": "1.2", "macos": "11.0"}

# (python, chiron platform, floors overriding the defaults)
TARGETS = [
    *[("3.12", name, {}) for name in [
        "linux-x86_64", "linux-aarch64", "linux-i686", "linux-armv7l", "linux-ppc64le", "linux-s390x",
        "musllinux-x86_64", "musllinux-aarch64", "macos-x86_64", "macos-arm64",
        "windows-x86_64", "windows-arm64", "windows-x86",
    ]],
    ("3.11", "linux-x86_64", {}),
    ("3.11", "macos-x86_64", {}),
    ("3.11", "windows-x86_64", {}),
    ("3.13", "linux-x86_64", {}),
    ("3.13", "linux-aarch64", {}),
    ("3.13", "macos-arm64", {}),
    ("3.10", "linux-x86_64", {}),
    ("3.9", "musllinux-x86_64", {}),
    ("3.8", "linux-x86_64", {}),
    ("3.7", "windows-x86", {}),
    ("3.12", "linux-x86_64", {"glibc": "2.28"}),
    ("3.12", "linux-x86_64", {"glibc": "2.12"}),
    ("3.12", "musllinux-x86_64", {"musl": "1.1"}),
    ("3.12", "macos-x86_64", {"macos": "10.13"}),
    ("3.12", "macos-x86_64", {"macos": "12.0"}),
    ("3.12", "macos-arm64", {"macos": "14.0"}),
    ("3.12", "manylinux_2_28_aarch64", {}),
    ("3.12", "manylinux2014_x86_64", {}),
    ("3.12", "musllinux_1_2_aarch64", {}),
    ("3.12", "macosx_12_0_arm64", {}),
    ("3.12", "macosx_10_15_x86_64", {}),
    ("3.12", "win_arm64", {}),
    ("3.12", "linux_x86_64", {}),
]

NAMED = {
    "linux-x86_64": ("manylinux", "x86_64"), "linux-aarch64": ("manylinux", "aarch64"),
    "linux-i686": ("manylinux", "i686"), "linux-armv7l": ("manylinux", "armv7l"),
    "linux-ppc64le": ("manylinux", "ppc64le"), "linux-s390x": ("manylinux", "s390x"),
    "musllinux-x86_64": ("musllinux", "x86_64"), "musllinux-aarch64": ("musllinux", "aarch64"),
    "macos-x86_64": ("macos", "x86_64"), "macos-arm64": ("macos", "arm64"),
    "windows-x86_64": ("windows", "win_amd64"), "windows-arm64": ("windows", "win_arm64"),
    "windows-x86": ("windows", "win32"),
}


def pair(text):
    major, minor = text.split(".")
    return int(major), int(minor)


def manylinux(floor, arch):
    _manylinux._get_glibc_version = lambda: floor
    _manylinux._is_compatible = lambda *args: True
    # Checks the running interpreter's ELF header; the target is not this machine.
    _manylinux._have_compatible_abi = lambda *args: True
    return list(_manylinux.platform_tags([arch]))


def musllinux(floor, arch):
    class Musl:
        major, minor = floor
    _musllinux._get_musl_version = lambda executable: Musl()
    return list(_musllinux.platform_tags([arch]))


def macos(floor, arch):
    return list(tags.mac_platforms(floor, arch))


def platform_list(platform, floors):
    if platform in NAMED:
        kind, arch = NAMED[platform]
        floor = {"manylinux": floors["glibc"], "musllinux": floors["musl"], "macos": floors["macos"]}.get(kind)
        if kind == "manylinux":
            return manylinux(pair(floor), arch)
        if kind == "musllinux":
            return musllinux(pair(floor), arch)
        if kind == "macos":
            return macos(pair(floor), arch)
        return [arch]
    # A raw tag: the newest tag accepted, as on a machine of that platform.
    legacy = {"manylinux2014": (2, 17), "manylinux2010": (2, 12), "manylinux1": (2, 5)}
    head, _, rest = platform.partition("_")
    if head in legacy:
        return manylinux(legacy[head], rest)
    if head in ("manylinux", "musllinux", "macosx"):
        major, minor, arch = rest.split("_", 2)
        floor = (int(major), int(minor))
        if head == "manylinux":
            return manylinux(floor, arch)
        if head == "musllinux":
            return musllinux(floor, arch)
        return macos(floor, "arm64" if arch == "universal2" else arch)
    return [platform]


def make_wheel(folder, filename):
    parts = filename[:-4].split("-")
    name, version = parts[0], parts[1]
    tag_text = "-".join(parts[-3:])
    dist_info = f"{name}-{version}.dist-info"
    with zipfile.ZipFile(folder / filename, "w") as wheel:
        wheel.writestr(f"{dist_info}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        tags_lines = "".join(
            f"Tag: {py}-{abi}-{plat}\n"
            for py in parts[-3].split(".") for abi in parts[-2].split(".") for plat in parts[-1].split(".")
        )
        wheel.writestr(f"{dist_info}/WHEEL", f"Wheel-Version: 1.0\nGenerator: generate.py\nRoot-Is-Purelib: true\n{tags_lines}")
        wheel.writestr(f"{dist_info}/RECORD", "")


def pip_choice(links, python, platforms, project):
    with tempfile.TemporaryDirectory() as dest:
        command = [
            sys.executable, "-m", "pip", "download", "--quiet", "--no-index", "--find-links", str(links),
            "--only-binary=:all:", "--no-deps", "--dest", dest, "--python-version", python,
            "--implementation", "cp", "--disable-pip-version-check",
        ]
        for platform in platforms:
            command += ["--platform", platform]
        command.append(project)
        result = subprocess.run(command, capture_output=True, text=True)
        files = os.listdir(dest)
        if result.returncode != 0:
            return None
        assert len(files) == 1, files
        return files[0]


def main():
    with tempfile.TemporaryDirectory() as links:
        links = Path(links)
        for files in PROJECTS.values():
            for filename in files:
                make_wheel(links, filename)
        rows = []
        jobs = []
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            for python, platform, overrides in TARGETS:
                floors = {**DEFAULT_FLOORS, **overrides}
                platforms = platform_list(platform, floors)
                assert platforms, f"no platform tags for {platform} {floors}"
                for project in PROJECTS:
                    row = {"python": python, "platform": platform, "floors": floors,
                           "platform_tags": platforms, "project": project}
                    jobs.append((row, pool.submit(pip_choice, links, python, platforms, project)))
            for row, future in jobs:
                row["pip_chose"] = future.result()
                rows.append(row)
    out = {
        "generated_by": f"tests/data/tags/generate.py with pip {pip.__version__}",
        "projects": PROJECTS,
        "cases": rows,
    }
    (HERE / "pip-selections.json").write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"{len(rows)} cases written")


if __name__ == "__main__":
    main()
