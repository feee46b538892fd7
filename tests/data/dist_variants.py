"""Writes wheels and sdists with Python's own zipfile, tarfile and gzip
(an independent writer), each variant differing from the base in exactly
one aspect, and reads archives back as those modules see them.

  dist_variants.py wheels OUTDIR        -> OUTDIR/<variant>/demo-1.0-py3-none-any.whl
  dist_variants.py sdists OUTDIR        -> OUTDIR/<variant>/demo-1.0.tar.gz
  dist_variants.py hostile OUTDIR       -> OUTDIR/<name>.whl|.tar.gz, broken on purpose
  dist_variants.py inspect-wheel PATH   -> JSON: every entry's fields and bytes, RECORD checked
  dist_variants.py inspect-sdist PATH   -> JSON: the gzip header, every member's fields and bytes

Each variant folder also holds `expected.json`: the difference codes a
comparison with the base must name, and the entries they name.
"""
import base64
import csv
import gzip
import hashlib
import io
import json
import os
import struct
import sys
import tarfile
import tempfile
import zipfile

EPOCH = 1700000000
TIME = (2023, 11, 14, 22, 13, 20)
DIST_INFO = "demo-1.0.dist-info"

MOD = "".join(f"def f{i}():\n    return {i}\n\n" for i in range(40))
DATA = bytes((i * 7) % 251 for i in range(3000))


def wheel_files():
    """(name, bytes, mode) of the base wheel, RECORD aside, in write order."""
    return [
        ("demo/__init__.py", b"from .mod import f1\n", 0o644),
        ("demo/mod.py", MOD.encode(), 0o644),
        ("demo/data.bin", DATA, 0o644),
        ("demo/run.sh", b"#!/bin/sh\necho hi\n", 0o755),
        (f"{DIST_INFO}/METADATA", b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n", 0o644),
        (f"{DIST_INFO}/WHEEL", b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n", 0o644),
        (f"{DIST_INFO}/entry_points.txt", b"[console_scripts]\ndemo = demo:f1\n", 0o644),
    ]


def record_hash(data):
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def record_text(files, wrong=None):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    # Rows sorted, so that the order the files are written in does not
    # change RECORD.
    for name, data, _ in sorted(files):
        hash_ = record_hash(b"tampered" if name == wrong else data)
        writer.writerow([name, hash_, len(data)])
    writer.writerow([f"{DIST_INFO}/RECORD", "", ""])
    return out.getvalue().encode()


def write_wheel(path, files, times=None, methods=None, extras=None, comment=b"", wrong_record=None, dirs=()):
    times, methods, extras = times or {}, methods or {}, extras or {}
    all_files = files + [(f"{DIST_INFO}/RECORD", record_text(files, wrong_record), 0o644)]
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with zipfile.ZipFile(path, "w") as zf:
        for name in dirs:
            info = zipfile.ZipInfo(name, TIME)
            info.create_system = 3
            info.external_attr = ((0o040700) << 16) | 0x10
            zf.writestr(info, b"")
        for name, data, mode in all_files:
            info = zipfile.ZipInfo(name, times.get(name, TIME))
            info.compress_type = methods.get(name, zipfile.ZIP_DEFLATED)
            info.create_system = 3
            info.external_attr = (0o100000 | mode) << 16
            info.extra = extras.get(name, b"")
            zf.writestr(info, data)
        zf.comment = comment


def expect(folder, codes):
    """codes: list of [code, entry or null]."""
    with open(os.path.join(folder, "expected.json"), "w") as f:
        json.dump(codes, f)


def make_wheels(out):
    name = "demo-1.0-py3-none-any.whl"
    base = wheel_files()
    def at(variant):
        return os.path.join(out, variant, name)

    write_wheel(at("base"), base)
    expect(os.path.join(out, "base"), [])

    swapped = [base[1], base[0]] + base[2:]
    write_wheel(at("order"), swapped)
    expect(os.path.join(out, "order"), [["order", None]])

    write_wheel(at("mtime"), base, times={"demo/mod.py": (2001, 2, 3, 4, 5, 6)})
    expect(os.path.join(out, "mtime"), [["timestamp", "demo/mod.py"]])

    chmod = [(n, d, 0o600 if n == "demo/mod.py" else m) for n, d, m in base]
    write_wheel(at("permissions"), chmod)
    expect(os.path.join(out, "permissions"), [["permissions", "demo/mod.py"]])

    write_wheel(at("compression"), base, methods={"demo/data.bin": zipfile.ZIP_STORED})
    expect(os.path.join(out, "compression"), [["compression", "demo/data.bin"]])

    # The extended-timestamp extra field (0x5455): flags 1, mtime.
    ut = struct.pack("<HHBI", 0x5455, 5, 1, EPOCH)
    write_wheel(at("extra"), base, extras={"demo/mod.py": ut})
    expect(os.path.join(out, "extra"), [["extra-fields", "demo/mod.py"]])

    write_wheel(at("comment"), base, comment=b"built on a laptop")
    expect(os.path.join(out, "comment"), [["zip-comment", None]])

    write_wheel(at("record"), base, wrong_record="demo/__init__.py")
    expect(os.path.join(out, "record"), [["record-line", "demo/__init__.py"]])

    text = [(n, d.replace(b"return 7\n", b"return 8\n") if n == "demo/mod.py" else d, m) for n, d, m in base]
    write_wheel(at("text"), text)
    expect(os.path.join(out, "text"), [["content", "demo/mod.py"], ["record-line", "demo/mod.py"]])

    changed = bytearray(DATA)
    changed[1234] ^= 0xFF
    binary = [(n, bytes(changed) if n == "demo/data.bin" else d, m) for n, d, m in base]
    write_wheel(at("binary"), binary)
    expect(os.path.join(out, "binary"), [["content", "demo/data.bin"], ["record-line", "demo/data.bin"]])

    write_wheel(at("dirs"), base, dirs=["demo/"])
    expect(os.path.join(out, "dirs"), [["only-in-right", "demo/"]])

    only = base[:4] + [("demo/extra.py", b"x = 1\n", 0o644)] + base[4:]
    write_wheel(at("only"), only)
    expect(os.path.join(out, "only"), [["only-in-right", "demo/extra.py"], ["record-line", "demo/extra.py"]])


def sdist_members():
    """(name, bytes or None for a folder, mode) of the base sdist."""
    long_dir = "demo-1.0/" + "/".join(["deeply_nested_folder"] * 6)
    return [
        ("demo-1.0", None, 0o755),
        ("demo-1.0/PKG-INFO", b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n", 0o644),
        ("demo-1.0/pyproject.toml", b"[project]\nname = 'demo'\nversion = '1.0'\n", 0o644),
        ("demo-1.0/demo", None, 0o755),
        ("demo-1.0/demo/__init__.py", b"from .mod import f1\n", 0o644),
        ("demo-1.0/demo/mod.py", MOD.encode(), 0o644),
        ("demo-1.0/demo/data.bin", DATA, 0o644),
        ("demo-1.0/run.sh", b"#!/bin/sh\necho hi\n", 0o755),
        (long_dir + "/a_module_with_a_rather_long_name_too.py", b"x = 2\n", 0o644),
    ]


def tar_bytes(members, fmt=tarfile.PAX_FORMAT, mtimes=None, owner=None):
    mtimes = mtimes or {}
    owner = owner or {}
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=fmt) as tf:
        for name, data, mode in members:
            info = tarfile.TarInfo(name)
            info.mtime = mtimes.get(name, EPOCH)
            info.mode = mode
            info.uid, info.gid, info.uname, info.gname = owner.get(name, (1000, 1000, "dev", "dev"))
            if data is None:
                info.type = tarfile.DIRTYPE
                tf.addfile(info)
            else:
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def write_sdist(path, raw, gzip_mtime=EPOCH, filename="demo-1.0.tar", level=6):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        with gzip.GzipFile(filename=filename, mode="wb", fileobj=f, mtime=gzip_mtime, compresslevel=level) as gz:
            gz.write(raw)


def make_sdists(out):
    name = "demo-1.0.tar.gz"
    base = sdist_members()
    def at(variant):
        return os.path.join(out, variant, name)
    def both(variant, codes, raw=None, **gzip_options):
        write_sdist(at(variant), tar_bytes(base) if raw is None else raw, **gzip_options)
        expect(os.path.join(out, variant), codes)

    both("base", [])
    both("order", [["order", None]], raw=tar_bytes([base[0], base[2], base[1]] + base[3:]))
    both("mtime", [["timestamp", "demo-1.0/demo/mod.py"]], raw=tar_bytes(base, mtimes={"demo-1.0/demo/mod.py": 1000000000}))
    chmod = [(n, d, 0o600 if n == "demo-1.0/demo/mod.py" else m) for n, d, m in base]
    both("permissions", [["permissions", "demo-1.0/demo/mod.py"]], raw=tar_bytes(chmod))
    both("owner", [["owner", "demo-1.0/PKG-INFO"], ["owner", "demo-1.0/PKG-INFO"]],
         raw=tar_bytes(base, owner={"demo-1.0/PKG-INFO": (0, 1000, "root", "dev")}))
    both("gzip-mtime", [["gzip-header", None]], gzip_mtime=0)
    both("gzip-filename", [["gzip-header", None], ["gzip-header", None]], filename="")
    both("gzip-stream", [["gzip-stream", None]], level=2)
    text = [(n, d.replace(b"return 7\n", b"return 8\n") if n == "demo-1.0/demo/mod.py" else d, m) for n, d, m in base]
    both("text", [["content", "demo-1.0/demo/mod.py"]], raw=tar_bytes(text))
    changed = bytearray(DATA)
    changed[1234] ^= 0xFF
    binary = [(n, bytes(changed) if n == "demo-1.0/demo/data.bin" else d, m) for n, d, m in base]
    both("binary", [["content", "demo-1.0/demo/data.bin"]], raw=tar_bytes(binary))
    only = base + [("demo-1.0/demo/extra.py", b"x = 1\n", 0o644)]
    both("only", [["only-in-right", "demo-1.0/demo/extra.py"]], raw=tar_bytes(only))


def make_hostile(out):
    os.makedirs(out, exist_ok=True)
    wheel = os.path.join(out, "demo-1.0-py3-none-any.whl")
    write_wheel(wheel, wheel_files())
    good = open(wheel, "rb").read()

    def save(name, data):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)

    save("truncated.whl", good[: len(good) // 2])
    save("garbage.whl", bytes((i * 31 + 7) % 256 for i in range(5000)))
    save("empty.whl", b"")
    # A stored entry with one byte of its data flipped: the CRC says so.
    raw = bytearray(small_wheel([("demo/data.bin", DATA)], zipfile.ZIP_STORED))
    raw[30 + len("demo/data.bin") + 100] ^= 1
    save("crc.whl", bytes(raw))
    # One name twice (zipfile warns, and writes it).
    twice = io.BytesIO()
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with zipfile.ZipFile(twice, "w") as zf:
            zf.writestr("demo/a.py", b"one\n")
            zf.writestr("demo/a.py", b"two\n")
    save("duplicate.whl", twice.getvalue())
    # 64 MiB of zeros: 64 KiB deflated.
    save("bomb.whl", small_wheel([("demo/zeros.bin", b"\0" * (64 << 20))], zipfile.ZIP_DEFLATED))
    many = io.BytesIO()
    with zipfile.ZipFile(many, "w") as zf:
        for i in range(2000):
            zf.writestr(f"demo/m{i}.py", b"")
    save("many.whl", many.getvalue())
    # The directory names the entry `demo/a.py`, its local header `demo/b.py`.
    renamed = io.BytesIO()
    with zipfile.ZipFile(renamed, "w") as zf:
        zf.writestr("demo/a.py", b"x\n")
    raw = bytearray(renamed.getvalue())
    raw[30 + len("demo/")] = ord("b")
    save("renamed.whl", bytes(raw))
    # A symbolic link, listed in RECORD.
    linked = io.BytesIO()
    with zipfile.ZipFile(linked, "w") as zf:
        info = zipfile.ZipInfo("demo/link.py", TIME)
        info.create_system = 3
        info.external_attr = 0o120777 << 16
        zf.writestr(info, b"mod.py")
        zf.writestr(f"{DIST_INFO}/RECORD", record_text([("demo/link.py", b"mod.py", 0o777)]))
    save("symlink.whl", linked.getvalue())
    # Encrypted-flagged entry.
    flagged = bytearray(renamed.getvalue())
    central = flagged.rfind(b"PK\x01\x02")
    flagged[central + 8] |= 1
    save("encrypted.whl", bytes(flagged))

    sdist = os.path.join(out, "demo-1.0.tar.gz")
    raw_tar = tar_bytes(sdist_members())
    write_sdist(sdist, raw_tar)
    good = open(sdist, "rb").read()
    save("truncated.tar.gz", good[: len(good) // 2])
    save("not-gzip.tar.gz", b"this is not a gzip file\n" * 20)
    save("inner-garbage.tar.gz", gzip.compress(b"garbage!" * 200))
    bad_sum = bytearray(raw_tar)
    bad_sum[0] ^= 1
    save("checksum.tar.gz", gzip.compress(bytes(bad_sum)))
    # A pax header that says it holds 8 GiB.
    info = tarfile.TarInfo("././@PaxHeader")
    info.type = tarfile.XHDTYPE
    info.size = 1 << 33
    save("pax-bomb.tar.gz", gzip.compress(info.tobuf(tarfile.GNU_FORMAT) + b"\0" * 4096))
    zeros = io.BytesIO()
    with tarfile.open(fileobj=zeros, mode="w", format=tarfile.PAX_FORMAT) as tf:
        info = tarfile.TarInfo("demo-1.0/zeros.bin")
        info.size = 64 << 20
        tf.addfile(info, io.BytesIO(b"\0" * info.size))
    save("bomb.tar.gz", gzip.compress(zeros.getvalue()))
    save("duplicate.tar.gz", gzip.compress(tar_bytes([("demo-1.0/a.py", b"1\n", 0o644), ("demo-1.0/a.py", b"2\n", 0o644)])))
    save("device.tar.gz", gzip.compress(device_tar()))


def small_wheel(files, method):
    """A wheel of `files` ((name, bytes)) and a true RECORD, RECORD last."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as zf:
        for name, data in files:
            zf.writestr(name, data)
        zf.writestr(f"{DIST_INFO}/RECORD", record_text([(n, d, 0o644) for n, d in files]))
    return buffer.getvalue()


def device_tar():
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tf:
        info = tarfile.TarInfo("demo-1.0/fifo")
        info.type = tarfile.FIFOTYPE
        tf.addfile(info)
    return buffer.getvalue()


def check_record(zf):
    """What is wrong with a wheel's RECORD, as an installer checks it."""
    names = [i.filename for i in zf.infolist() if not i.is_dir()]
    record_name = next(n for n in names if n.endswith(".dist-info/RECORD") and n.count("/") == 1)
    rows = list(csv.reader(io.StringIO(zf.read(record_name).decode())))
    listed = {row[0]: row for row in rows}
    errors = []
    for name in names:
        row = listed.get(name)
        if row is None:
            errors.append(f"{name}: not in RECORD")
        elif name != record_name:
            data = zf.read(name)
            if row[1] != record_hash(data) or row[2] != str(len(data)):
                errors.append(f"{name}: hash or size differs")
    errors += [f"{name}: listed, not held" for name in listed if name not in names]
    return errors


def inspect_wheel(path):
    with zipfile.ZipFile(path) as zf:
        bad = zf.testzip()
        entries = [
            {
                "name": i.filename,
                "date_time": list(i.date_time),
                "mode": i.external_attr >> 16,
                "create_system": i.create_system,
                "compress_type": i.compress_type,
                "extra": i.extra.hex(),
                "comment": i.comment.hex(),
                "sha256": hashlib.sha256(zf.read(i)).hexdigest(),
            }
            for i in zf.infolist()
        ]
        print(json.dumps({"entries": entries, "comment": zf.comment.hex(), "bad": bad, "record_errors": check_record(zf)}))


def inspect_sdist(path):
    raw = open(path, "rb").read()
    flags = raw[3]
    with tarfile.open(path, "r:gz") as tf:
        members = []
        for m in tf.getmembers():
            data = tf.extractfile(m).read() if m.isfile() else b""
            members.append({
                "name": m.name, "type": m.type.decode(), "mode": m.mode, "uid": m.uid, "gid": m.gid,
                "uname": m.uname, "gname": m.gname, "mtime": m.mtime, "linkname": m.linkname,
                "pax": m.pax_headers, "sha256": hashlib.sha256(data).hexdigest(),
            })
        with tempfile.TemporaryDirectory() as tmp:
            tf.extractall(tmp, filter="data")
            extracted = sorted(
                os.path.relpath(os.path.join(root, f), tmp)
                for root, dirs, files in os.walk(tmp) for f in files
            )
    print(json.dumps({
        "gzip": {"mtime": struct.unpack("<I", raw[4:8])[0], "os": raw[9], "fname": bool(flags & 8), "flags": flags},
        "members": members,
        "extracted": extracted,
    }))


if __name__ == "__main__":
    command, target = sys.argv[1], sys.argv[2]
    {
        "wheels": make_wheels,
        "sdists": make_sdists,
        "hostile": make_hostile,
        "inspect-wheel": inspect_wheel,
        "inspect-sdist": inspect_sdist,
    }[command](target)
