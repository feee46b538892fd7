#!/usr/bin/env python3
"""Write a static PEP 503 index of a folder of wheels, as PyPI serves it.

    python3 static_index.py CORPUS OUT

OUT/files/<wheel>                 the wheel (a hard link to CORPUS/<wheel>, or a copy)
OUT/files/<wheel>.metadata        its METADATA (PEP 658)
OUT/simple/index.html             every project
OUT/simple/<name>/index.html      one link per file: `#sha256=` of the wheel,
                                  `data-requires-python` from METADATA's Requires-Python,
                                  `data-core-metadata` (PEP 714) and `data-dist-info-metadata`
                                  (PEP 658) with the sha256 of the metadata file

Served by any static file server (the benchmark uses nginx), it is a fast
index with everything a modern resolver asks for. The standard library only.
"""

import hashlib
import html
import os
import re
import shutil
import sys
import zipfile
from email.parser import HeaderParser


def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def wheel_metadata(path):
    """The bytes of the wheel's top-level `*.dist-info/METADATA`."""
    with zipfile.ZipFile(path) as zf:
        names = [n for n in zf.namelist() if n.endswith(".dist-info/METADATA") and n.count("/") == 1]
        if len(names) != 1:
            raise ValueError(f"{path}: {len(names)} top-level .dist-info/METADATA files")
        return zf.read(names[0])


def link_or_copy(src, dst):
    if os.path.exists(dst):
        if os.stat(dst).st_size == os.stat(src).st_size:
            return
        os.remove(dst)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


PAGE = """<!DOCTYPE html>
<html>
  <head>
    <meta name="pypi:repository-version" content="1.1">
    <title>{title}</title>
  </head>
  <body>
    <h1>{title}</h1>
{links}
  </body>
</html>
"""


def main(corpus, out):
    files_dir = os.path.join(out, "files")
    simple_dir = os.path.join(out, "simple")
    os.makedirs(files_dir, exist_ok=True)
    os.makedirs(simple_dir, exist_ok=True)
    projects = {}
    for filename in sorted(os.listdir(corpus)):
        if not filename.endswith(".whl"):
            continue
        src = os.path.join(corpus, filename)
        dst = os.path.join(files_dir, filename)
        link_or_copy(src, dst)
        metadata = wheel_metadata(src)
        with open(dst + ".metadata", "wb") as f:
            f.write(metadata)
        headers = HeaderParser().parsestr(metadata.decode("utf-8", "surrogateescape"))
        name = normalize(headers.get("Name") or filename.split("-")[0])
        requires_python = (headers.get("Requires-Python") or "").strip()
        projects.setdefault(name, []).append(
            (filename, sha256_file(src), hashlib.sha256(metadata).hexdigest(), requires_python)
        )

    for name, files in sorted(projects.items()):
        links = []
        for filename, digest, meta_digest, requires_python in files:
            attrs = ""
            if requires_python:
                attrs += f' data-requires-python="{html.escape(requires_python, quote=True)}"'
            attrs += f' data-dist-info-metadata="sha256={meta_digest}"'
            attrs += f' data-core-metadata="sha256={meta_digest}"'
            href = f"../../files/{filename}#sha256={digest}"
            links.append(f'    <a href="{html.escape(href, quote=True)}"{attrs}>{html.escape(filename)}</a><br/>')
        project_dir = os.path.join(simple_dir, name)
        os.makedirs(project_dir, exist_ok=True)
        with open(os.path.join(project_dir, "index.html"), "w") as f:
            f.write(PAGE.format(title=f"Links for {name}", links="\n".join(links)))

    links = "\n".join(f'    <a href="{name}/">{name}</a><br/>' for name in sorted(projects))
    with open(os.path.join(simple_dir, "index.html"), "w") as f:
        f.write(PAGE.format(title="Simple index", links=links))
    print(f"{sum(map(len, projects.values()))} files of {len(projects)} projects in {out}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
