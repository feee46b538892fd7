"""Writes hostile variants of a chiron bundle, the way an attacker would,
with Python's own tarfile and gzip, and extracts archives for comparison.

  hostile_tar.py make GOOD OUTDIR   -> one OUTDIR/<variant>.tar.gz each
  hostile_tar.py tree ARCHIVE DEST  -> extracts with tarfile (as `tar` would)
  hostile_tar.py mutate GOOD OUTDIR N SEED -> N randomly corrupted copies
"""
import gzip
import io
import os
import random
import sys
import tarfile

BLOCK = 512


def members(raw):
    """(header bytes, data bytes) of each entry of an uncompressed tar."""
    out, pos = [], 0
    while pos + BLOCK <= len(raw):
        header = raw[pos:pos + BLOCK]
        if header == b"\0" * BLOCK:
            break
        size = int(header[124:136].split(b"\0")[0].strip() or b"0", 8)
        padded = (size + BLOCK - 1) // BLOCK * BLOCK
        out.append((header, raw[pos + BLOCK:pos + BLOCK + size]))
        pos += BLOCK + padded
    return out


def pad(data):
    return data + b"\0" * ((BLOCK - len(data) % BLOCK) % BLOCK)


def header(name, size, kind=tarfile.REGTYPE, mode=0o644, fmt=tarfile.USTAR_FORMAT, linkname="", **owner):
    info = tarfile.TarInfo(name)
    for key, value in owner.items():
        setattr(info, key, value)
    info.size = size
    info.type = kind
    info.mode = mode
    info.linkname = linkname
    return info.tobuf(fmt, "utf-8", "surrogateescape")


def pax(records, kind=tarfile.XHDTYPE):
    """A pax header of `records` (a dict, or a list of pairs to repeat a key)."""
    body = b""
    pairs = records.items() if isinstance(records, dict) else records
    for key, value in pairs:
        line = (" %s=%s\n" % (key, value)).encode("utf-8", "surrogateescape")
        n = p = 0
        while True:
            n = len(line) + len(str(p))
            if n == p:
                break
            p = n
        body += str(n).encode() + line
    return header("././@PaxHeader", len(body), kind) + pad(body)


def entry(name, data, **kw):
    return header(name, len(data), **kw) + pad(data)


def rebuild(parts):
    return gzip.compress(b"".join(parts) + b"\0" * (2 * BLOCK), mtime=0)


def make(good, outdir):
    raw = gzip.decompress(open(good, "rb").read())
    entries = members(raw)
    plain = [h + pad(d) for h, d in entries]
    names = [h[:100].split(b"\0")[0].decode() for h, _ in entries]
    evil = b"#!/bin/sh\necho pwned > pwned.txt\n"
    variants = {}

    # A second gzip member: tar and tarfile read on into it.
    second = gzip.compress(entry("install.sh", evil, mode=0o755) + b"\0" * 1024, mtime=0)
    variants["second_member"] = open(good, "rb").read() + second
    # Bytes after the gzip stream that are not a gzip member.
    variants["trailing_bytes"] = open(good, "rb").read() + b"garbage"
    # Data after the end-of-archive marker, inside the one member.
    variants["after_marker"] = gzip.compress(raw + entry("install.sh", evil, mode=0o755), mtime=0)

    # A pax size larger than the ustar size: tar follows the pax size.
    parts = []
    for (h, d), name in zip(entries, names):
        if name == "pylock.toml":
            extra = d + b'\n[[packages]]\nname = "evil"\nversion = "6.6.6"\n'
            parts.append(pax({"size": len(extra)}))
            parts.append(h + pad(extra))
        else:
            parts.append(h + pad(d))
    variants["pax_size"] = rebuild(parts)
    # A pax path is read only as chiron writes it: one `path` record
    # before a regular file. Anything else is refused.
    first = names.index("install.sh")
    before, after = plain[:first], plain[first + 1:]
    install = entries[first][0] + pad(entries[first][1])

    def renamed(records):
        return rebuild(before + [pax(records), install] + after)

    variants["pax_two_paths"] = renamed([("path", "install.sh"), ("path", "evil.sh")])
    variants["pax_path_and_mtime"] = renamed({"path": "install.sh", "mtime": "1"})
    variants["pax_dotdot"] = renamed({"path": "../install.sh"})
    variants["pax_linkpath"] = renamed({"linkpath": "/etc/passwd"})
    variants["pax_not_utf8"] = renamed({"path": "install\udcff.sh"})
    link = header("link", 0, kind=tarfile.SYMTYPE, linkname="/etc/passwd")
    variants["pax_before_link"] = rebuild(plain + [pax({"path": "innocent.txt"}), link])
    variants["pax_before_folder"] = rebuild(plain + [pax({"path": "x"}), header("x/", 0, kind=tarfile.DIRTYPE, mode=0o755)])
    variants["pax_at_end"] = rebuild(plain + [pax({"path": "x"})])
    variants["pax_global"] = rebuild([pax({"path": "x"}, kind=tarfile.XGLTYPE)] + plain)
    body = b"99 path=install.sh\n"
    variants["pax_bad_length"] = rebuild(before + [header("././@PaxHeader", len(body), tarfile.XHDTYPE) + pad(body), install] + after)
    # A pax header claiming 1 TiB.
    variants["pax_bomb"] = rebuild([pax({"size": 1 << 40}), header("big.bin", 0)])
    # A GNU long name renaming the next entry.
    long_name = b"install.sh\0"
    gnu_l = header("././@LongLink", len(long_name), kind=tarfile.GNUTYPE_LONGNAME, fmt=tarfile.GNU_FORMAT)
    variants["gnu_longname"] = rebuild(plain + [gnu_l + pad(long_name), entry("notes.txt", evil)])
    # A base-256 size of 1 TiB (GNU's form for huge files).
    h = bytearray(header("big.bin", 0, fmt=tarfile.GNU_FORMAT))
    h[124:136] = b"\x80" + (1 << 40).to_bytes(11, "big")
    h[148:156] = b"        "
    h[148:156] = ("%06o\0 " % sum(h)).encode()
    variants["base256_bomb"] = rebuild(plain[:1] + [bytes(h)])
    # A GNU header with bytes where ustar keeps a prefix (tarfile reads it).
    h = bytearray(header("install.sh", len(evil), mode=0o755, fmt=tarfile.GNU_FORMAT))
    h[345:349] = b"evil"
    h[148:156] = b"        "
    h[148:156] = ("%06o\0 " % sum(h)).encode()
    variants["gnu_prefix"] = rebuild(plain + [bytes(h) + pad(evil)])
    # Links, set-user-id, a file named like a folder, the same path twice.
    variants["hardlink"] = rebuild(plain + [header("install2.sh", 0, kind=tarfile.LNKTYPE, linkname="install.sh")])
    variants["symlink"] = rebuild(plain + [header("link", 0, kind=tarfile.SYMTYPE, linkname="/etc/passwd")])
    variants["setuid"] = rebuild(plain + [entry("helper.sh", evil, mode=0o4755)])
    # Owners that tar, run as root, restores (by number, or by name first).
    variants["owner_uid"] = rebuild(plain + [entry("helper.sh", evil, uid=1000)])
    variants["owner_name"] = rebuild(plain + [entry("helper.sh", evil, uname="alice")])
    variants["owner_dot"] = rebuild([header("./", 0, kind=tarfile.DIRTYPE, mode=0o775, uid=1000, gid=1000)] + plain)
    variants["file_with_slash"] = rebuild(plain + [entry("x/", b"", kind=tarfile.AREGTYPE)])
    variants["duplicate_manifest"] = rebuild(plain + [entry("manifest.json", b"{}")])
    variants["file_then_folder"] = rebuild(plain + [entry("a", b"1"), entry("a/b", b"2")])
    variants["backslash"] = rebuild(plain + [entry("..\\..\\x", b"1")])
    variants["control_char"] = rebuild(plain + [entry("a\x1b[2Jb", b"1")])
    # A corrupt header checksum.
    h = bytearray(entry("notes.txt", b"1"))
    h[0] ^= 0x20
    variants["bad_checksum"] = rebuild(plain + [bytes(h)])
    # One tar split over two gzip members (bgzip, `cat a.gz b.gz`).
    half = len(raw) // 2
    variants["split_members"] = gzip.compress(raw[:half], mtime=0) + gzip.compress(raw[half:], mtime=0)
    # The archive stops short.
    variants["truncated"] = gzip.compress(raw[: len(raw) // 2], mtime=0)

    # Harmless: extra zero padding (tar pads to 10240-byte records), and a
    # recompression with another level and a file name in the gzip header.
    variants["ok_padding"] = gzip.compress(raw + b"\0" * 10240, mtime=0)
    buf = io.BytesIO()
    with gzip.GzipFile("bundle.tar", "wb", 9, buf, mtime=0) as g:
        g.write(raw)
    variants["ok_recompressed"] = buf.getvalue()
    # A pax path naming install.sh as it is: read as GNU tar and tarfile read it.
    variants["ok_pax_path"] = renamed({"path": "install.sh"})

    for name, data in variants.items():
        with open(os.path.join(outdir, name + ".tar.gz"), "wb") as f:
            f.write(data)


def mutate(good, outdir, n, seed):
    """Corrupts a header byte (or a size digit) of the uncompressed tar."""
    rng = random.Random(seed)
    raw = bytearray(gzip.decompress(open(good, "rb").read()))
    starts, pos = [], 0
    for h, d in members(bytes(raw)):
        starts.append(pos)
        pos += BLOCK + (len(d) + BLOCK - 1) // BLOCK * BLOCK
    for i in range(n):
        data = bytearray(raw)
        for _ in range(rng.randint(1, 3)):
            start = rng.choice(starts)
            offset = rng.choice([rng.randrange(0, 100), rng.randrange(124, 136), 156, rng.randrange(257, 265), rng.randrange(345, 500), rng.randrange(100, 108)])
            data[start + offset] = rng.choice([0, 0x20, ord("0"), ord("7"), ord("/"), ord("."), ord("x"), rng.randrange(256)])
            # Keep the checksum right, so that the change is a real test.
            block = data[start:start + BLOCK]
            block[148:156] = b"        "
            data[start + 148:start + 156] = ("%06o\0 " % sum(block)).encode()
        with open(os.path.join(outdir, "m%03d.tar.gz" % i), "wb") as f:
            f.write(gzip.compress(bytes(data), mtime=0))


def tree(archive, dest):
    """Extracts as Python does (all gzip members, pax honoured)."""
    os.makedirs(dest, exist_ok=True)
    with tarfile.open(archive, "r:gz") as t:
        t.extractall(dest, filter="tar")


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "make":
        make(sys.argv[2], sys.argv[3])
    elif cmd == "mutate":
        mutate(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    elif cmd == "tree":
        tree(sys.argv[2], sys.argv[3])
