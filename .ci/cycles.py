#!/usr/bin/env python3
"""List import cycles between module files of a Rust crate (run in the repo).

Each .rs file under src/ is a module (lib.rs is the crate root; main.rs is
the binary crate and is skipped). For each file, every path it names
(`use crate::...`, `use super::...`, inline `crate::a::b`, `super::x`,
`self::x`, and a declared child `child::x`) is resolved to the module file
that defines the named item, following `pub use` re-exports. `#[cfg(test)]`
blocks are left out. `pub use` lines are not counted as uses (they only
re-export), but they are followed when resolving.

Prints every strongly connected component of more than one file, and for
each edge inside it the paths that create it.

  python3 .ci/cycles.py [--edges MODULE]  (--edges lists what a module imports)
  python3 .ci/cycles.py --depth 1          (cycles between top-level modules)
  python3 .ci/cycles.py --depth 1 --graph  (every edge between top-level modules)
"""
import os
import re
import sys
from collections import defaultdict

SRC = "src"
EXTERNAL = ["<external>"]


def module_of(path):
    rel = os.path.relpath(path, SRC)[:-3].split(os.sep)
    if rel == ["lib"]:
        return ()
    if rel[-1] == "mod":
        rel = rel[:-1]
    return tuple(rel)


def strip_code(text):
    # Drop comments, strings and chars, keep newlines.
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    if text[i] == "\n":
                        out.append("\n")
                    i += 1
        elif c == "r" and re.match(r'r#*"', text[i:i + 10]) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'r(#*)"', text[i:])
            end = '"' + m.group(1)
            j = text.find(end, i + len(m.group(0)))
            j = n if j < 0 else j + len(end)
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j + 1
        elif c == "'" and re.match(r"'(\\.[^']*|[^\\'])'", text[i:i + 12]):
            m = re.match(r"'(\\.[^']*|[^\\'])'", text[i:])
            out.append("' '")
            i += len(m.group(0))
        else:
            out.append(c)
            i += 1
    return "".join(out)


def drop_tests(code):
    # Remove `#[cfg(test)] mod x { ... }` blocks and `#[cfg(test)]` items.
    while True:
        m = re.search(r"#\[cfg\(test\)\]\s*(pub(\(\w+\))?\s+)?mod\s+\w+\s*\{", code)
        if not m:
            break
        i, depth = m.end(), 1
        while i < len(code) and depth:
            depth += {"{": 1, "}": -1}.get(code[i], 0)
            i += 1
        code = code[:m.start()] + "\n" * code.count("\n", m.start(), i) + code[i:]
    return code


def expand_use(tree):
    """`a::{b, c::{d, e}}` -> [a::b, a::c::d, a::c::e]"""
    # keep `x as y` apart, fold other white space
    tree = re.sub(r"\s+as\s+", " as ", tree)
    tree = re.sub(r"\s*([{},:])\s*", r"\1", tree.strip())
    out = []

    def rec(prefix, s):
        # split s at top-level commas
        parts, depth, cur = [], 0, ""
        for ch in s:
            if ch == "," and depth == 0:
                parts.append(cur)
                cur = ""
                continue
            depth += {"{": 1, "}": -1}.get(ch, 0)
            cur += ch
        if cur:
            parts.append(cur)
        for p in parts:
            if not p:
                continue
            k = p.find("{")
            if k >= 0:
                rec(prefix + p[:k], p[k + 1:p.rfind("}")])
            else:
                out.append(prefix + p)

    rec("", tree)
    return out


def main():
    files = {}
    for root, _, names in os.walk(SRC):
        for f in names:
            if f.endswith(".rs") and not (root == SRC and f == "main.rs"):
                p = os.path.join(root, f)
                files[module_of(p)] = p
    modules = set(files)
    code = {m: drop_tests(strip_code(open(p).read())) for m, p in files.items()}
    children = {m: {c[-1] for c in modules if len(c) == len(m) + 1 and c[:len(m)] == m} for m in modules}

    # pub use re-exports: module -> name -> absolute path
    reexports = defaultdict(dict)
    globs = defaultdict(list)

    def absolute(mod, segs):
        if not segs:
            return None
        if segs[0] == "crate":
            return list(segs[1:])
        if segs[0] == "self":
            return list(mod) + list(segs[1:])
        if segs[0] == "super":
            base = list(mod)
            while segs and segs[0] == "super":
                base = base[:-1]
                segs = segs[1:]
            return base + list(segs)
        if segs[0] in children[mod]:
            return list(mod) + list(segs)
        return None

    uses = defaultdict(list)  # module -> [(abs path, text)]
    for m, c in code.items():
        for um in re.finditer(r"\b(pub(\([\w: ]+\))?\s+)?use\s+([^;]+);", c):
            is_pub = bool(um.group(1)) and um.group(2) is None
            for path in expand_use(um.group(3)):
                alias = None
                if " as " in path:
                    path, alias = path.split(" as ")
                segs = path.split("::")
                a = absolute(m, segs)
                if a is None:
                    if is_pub and segs[-1] != "*":
                        # a re-export of another crate's item (`pub use chiron::x`)
                        reexports[m][alias or segs[-1]] = EXTERNAL
                    continue
                if segs[-1] == "*":
                    if is_pub:
                        globs[m].append(a[:-1])
                    else:
                        uses[m].append((a[:-1] + ["*"], "use " + path))
                    continue
                if a[-1] == "self":
                    a = a[:-1]
                if is_pub:
                    reexports[m][alias or a[-1]] = a
                else:
                    uses[m].append((a, "use " + path))
        body = re.sub(r"\b(pub(\([\w: ]+\))?\s+)?use\s+[^;]+;", "", c)
        for pm in re.finditer(r"(?<![\w:])((?:crate|super|self|[a-z_][a-z0-9_]*)(?:::\w+)+)", body):
            segs = pm.group(1).split("::")
            if segs[0] not in ("crate", "super", "self") and segs[0] not in children[m]:
                continue
            a = absolute(m, segs)
            if a is not None:
                uses[m].append((a, pm.group(1)))

    def resolve(a, depth=0):
        """Absolute path -> module file that defines it."""
        # longest module prefix
        for k in range(len(a), -1, -1):
            if tuple(a[:k]) in modules:
                mod, rest = tuple(a[:k]), a[k:]
                break
        if depth < 10 and rest:
            name = rest[0]
            if reexports[mod].get(name) is EXTERNAL:
                return ()
            if name in reexports[mod]:
                return resolve(reexports[mod][name] + rest[1:], depth + 1)
            for g in globs[mod]:
                r = resolve(g + rest, depth + 1)
                if r != tuple(g[:len(r)]) or True:
                    # a glob re-export: accept if the target module defines the name
                    if r and re.search(r"\b(fn|struct|enum|trait|type|const|static|mod)\s+" + re.escape(name) + r"\b", code.get(r, "")):
                        return r
        return mod

    depth = None
    if len(sys.argv) > 2 and sys.argv[1] == "--depth":
        depth = int(sys.argv[2])
    cut = (lambda m: m[:depth]) if depth else (lambda m: m)
    edges = defaultdict(lambda: defaultdict(set))
    for m, lst in uses.items():
        for a, text in lst:
            t = resolve(a)
            if cut(t) != cut(m) and t != ():
                edges[cut(m)][cut(t)].add(text)
    if depth:
        modules = {cut(m) for m in modules}

    if "--graph" in sys.argv:
        for v in sorted(edges):
            print("::".join(v) or "crate", "->", " ".join(sorted("::".join(w) for w in edges[v])))
        return

    if len(sys.argv) > 2 and sys.argv[1] == "--edges":
        want = tuple(sys.argv[2].split("::"))
        for t, texts in sorted(edges[want].items()):
            print("::".join(t), sorted(texts)[:4])
        return

    # Tarjan SCC
    index, low, stack, on, sccs = {}, {}, [], set(), []
    counter = [0]
    sys.setrecursionlimit(10000)

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(comp)

    for v in sorted(modules):
        if v not in index:
            strong(v)
    name = lambda m: "::".join(m) or "crate"
    if not sccs:
        print("no cycles")
    for comp in sccs:
        print("cycle:", ", ".join(sorted(name(m) for m in comp)))
        cs = set(comp)
        for v in sorted(comp):
            for w in sorted(edges[v]):
                if w in cs:
                    print(f"  {name(v)} -> {name(w)}: {', '.join(sorted(edges[v][w])[:5])}")


main()
