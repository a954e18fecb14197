#!/usr/bin/env python3
"""Check that every option a profile requested landed in .config after olddefconfig.

merge_config.sh and olddefconfig silently drop options whose dependencies are not met, so this
compares the requested values with the resolved .config and, for each mismatch, reads the symbol's
`depends on` from the source tree's Kconfig files (following `source`, `if`, `menu` and `choice`
blocks) and shows which dependency is unmet, recursively a few levels down.

usage: verify-config.py --requested FILE --config .config --srctree DIR [--arch x86] [--json OUT]
exit: 0 all landed, 1 some option did not land (report on stderr and in --json), 2 usage error.
"""
import argparse
import json
import os
import re
import sys

LINE_SET = re.compile(r"^(CONFIG_[A-Za-z0-9_]+)=(.*)$")
LINE_UNSET = re.compile(r"^# (CONFIG_[A-Za-z0-9_]+) is not set$")


def read_config(path, keep_order=False):
    """Values by symbol (without CONFIG_); '# X is not set' is 'n'. Later lines win."""
    values, origin = {}, {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for n, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            src = None
            m = LINE_SET.match(line)
            if m:
                name, val = m.group(1), m.group(2)
            else:
                m = LINE_UNSET.match(line)
                if not m:
                    continue
                name, val = m.group(1), "n"
            # Fragments are concatenated with "#@ file" markers so a problem can name its origin.
            values[name[len("CONFIG_"):]] = val
            origin[name[len("CONFIG_"):]] = n
    return (values, origin) if keep_order else values


def read_origins(path):
    """Map symbol -> 'fragment:line' using '#@ FILE' markers written by build.sh."""
    out, current, line_in = {}, os.path.basename(path), 0
    with open(path, encoding="utf-8", errors="replace") as f:
        for raw in f:
            line = raw.rstrip("\n")
            if line.startswith("#@ "):
                current, line_in = line[3:].strip(), 0
                continue
            line_in += 1
            m = LINE_SET.match(line) or LINE_UNSET.match(line)
            if m:
                out[m.group(1)[len("CONFIG_"):]] = f"{current}:{line_in}"
    return out


class Kconfig:
    """Just enough of the Kconfig language to know where a symbol is defined and what it depends on."""

    def __init__(self, srctree, arch):
        self.srctree, self.arch = srctree, arch
        self.defs = {}  # symbol -> list of {"file", "line", "depends": [expr], "type"}
        self.seen_files = set()
        self.parse("Kconfig", [])

    def expand(self, path):
        return path.replace("$(SRCARCH)", self.arch).replace("$SRCARCH", self.arch).replace("$(HEADER_ARCH)", self.arch)

    def parse(self, rel, conds):
        rel = self.expand(rel)
        full = os.path.join(self.srctree, rel)
        if rel in self.seen_files or not os.path.isfile(full):
            return
        self.seen_files.add(rel)
        with open(full, encoding="utf-8", errors="replace") as f:
            lines = f.read().split("\n")
        # Join continuation lines, keep the first line number.
        joined, i = [], 0
        while i < len(lines):
            start, text = i + 1, lines[i]
            while text.endswith("\\") and i + 1 < len(lines):
                i += 1
                text = text[:-1] + " " + lines[i]
            joined.append((start, text))
            i += 1
        stack = list(conds)  # enclosing conditions (if / menu depends / choice depends)
        blocks = []  # kinds pushed onto the stack: "if", "menu", "choice"
        entry = None
        pending_block = None  # a menu/choice whose own 'depends on' lines come next
        for lineno, text in joined:
            s = text.strip()
            if not s or s.startswith("#"):
                continue
            word = s.split(None, 1)[0]
            rest = s[len(word):].strip()
            if word in ("config", "menuconfig"):
                entry = {"file": rel, "line": lineno, "depends": list(stack), "type": None}
                self.defs.setdefault(rest, []).append(entry)
                pending_block = None
            elif word in ("menu", "choice"):
                entry = None
                blocks.append(word)
                stack.append(None)  # placeholder until its depends on lines are read
                pending_block = len(stack) - 1
            elif word in ("endmenu", "endchoice", "endif"):
                entry, pending_block = None, None
                if blocks:
                    blocks.pop()
                    stack.pop()
            elif word == "if":
                entry, pending_block = None, None
                blocks.append("if")
                stack.append(rest)
            elif word in ("source", "osource", "rsource", "orsource"):
                entry, pending_block = None, None
                target = rest.strip('"')
                if word.startswith("r") or word.startswith("or"):
                    target = os.path.join(os.path.dirname(rel), target)
                self.parse(target, [c for c in stack if c])
            elif word == "depends" and rest.startswith("on "):
                expr = rest[3:].strip()
                if entry is not None:
                    entry["depends"].append(expr)
                elif pending_block is not None:
                    cur = stack[pending_block]
                    stack[pending_block] = expr if cur is None else f"({cur}) && ({expr})"
            elif word in ("bool", "tristate", "string", "int", "hex", "def_bool", "def_tristate") and entry is not None:
                entry["type"] = word.replace("def_", "")
            elif word in ("comment", "mainmenu"):
                entry = None

    def depends(self, sym):
        out = []
        for d in self.defs.get(sym, []):
            for e in d["depends"]:
                if e and e not in out:
                    out.append(e)
        return out


TOKEN = re.compile(r"\s*(\|\||&&|!=|=|!|\(|\)|<=|>=|<|>|\"[^\"]*\"|[A-Za-z0-9_]+)")
TRI = {"n": 0, "m": 1, "y": 2}


def tokenize(expr):
    pos, out = 0, []
    while pos < len(expr):
        m = TOKEN.match(expr, pos)
        if not m:
            break
        out.append(m.group(1))
        pos = m.end()
    return out


def symbols_in(expr):
    return [t for t in tokenize(expr) if re.match(r"^[A-Z_][A-Z0-9_]*$", t) and t not in ("y", "m", "n")]


def evaluate(expr, values):
    """Tristate value of a Kconfig expression (0, 1, 2); unknown constructs count as 2 (met)."""
    toks = tokenize(expr)
    pos = [0]

    def peek():
        return toks[pos[0]] if pos[0] < len(toks) else None

    def take():
        t = peek()
        pos[0] += 1
        return t

    def val_of(t):
        if t in TRI:
            return t
        if t.startswith('"'):
            return t.strip('"')
        return values.get(t, "n")

    def primary():
        t = take()
        if t == "!":
            return 2 - primary()
        if t == "(":
            v = disj()
            take()
            return v
        if t is None:
            return 2
        if peek() in ("=", "!=", "<", ">", "<=", ">="):
            op, rhs = take(), take() or ""
            a, b = val_of(t), val_of(rhs)
            if op == "=":
                return 2 if a == b else 0
            if op == "!=":
                return 0 if a == b else 2
            return 2
        v = val_of(t)
        return TRI.get(v, 2 if v not in ("", "n") else 0)

    def conj():
        v = primary()
        while peek() == "&&":
            take()
            v = min(v, primary())
        return v

    def disj():
        v = conj()
        while peek() == "||":
            take()
            v = max(v, conj())
        return v

    try:
        return disj()
    except Exception:  # a construct this small evaluator does not know: do not claim it is unmet
        return 2


def explain(kc, sym, values, depth=0, seen=None):
    """Unmet `depends on` of sym, recursively: list of strings."""
    seen = seen if seen is not None else set()
    if sym in seen or depth > 3:
        return []
    seen.add(sym)
    lines = []
    for expr in kc.depends(sym):
        if evaluate(expr, values) == 2:
            continue
        shown = ", ".join(f"{s}={values.get(s, 'n')}" for s in symbols_in(expr))
        lines.append(f"{'  ' * depth}{sym} depends on: {expr}  [{shown}]")
        for s in symbols_in(expr):
            if values.get(s, "n") == "n" and s in kc.defs:
                lines.extend(explain(kc, s, values, depth + 1, seen))
    return lines


def compare(requested, actual):
    """Each requested symbol whose value did not land: (symbol, requested, actual, kind)."""
    problems, notes = [], []
    for sym, want in requested.items():
        got = actual.get(sym, "n")
        if got == want:
            continue
        if want == "m" and got == "y":
            notes.append((sym, want, got, "built in (selected or forced =y)"))
            continue
        problems.append((sym, want, got, "dropped" if got == "n" else "changed"))
    return problems, notes


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requested", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--srctree", required=True)
    ap.add_argument("--arch", default="x86")
    ap.add_argument("--json")
    a = ap.parse_args()
    requested = read_config(a.requested)
    origins = read_origins(a.requested)
    actual = read_config(a.config)
    problems, notes = compare(requested, actual)
    report = {"requested": len(requested), "landed": len(requested) - len(problems), "problems": [], "notes": []}
    kc = Kconfig(a.srctree, a.arch) if problems else None
    for sym, want, got, kind in problems:
        known = sym in kc.defs
        why = explain(kc, sym, actual) if known else []
        if not known:
            why = [f"{sym} is not defined in any Kconfig of this source tree"]
        report["problems"].append({"option": f"CONFIG_{sym}", "requested": want, "actual": got, "kind": kind,
                                   "from": origins.get(sym, ""), "unmet": why})
    for sym, want, got, kind in notes:
        report["notes"].append({"option": f"CONFIG_{sym}", "requested": want, "actual": got, "kind": kind})
    if a.json:
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=2, sort_keys=True)
            f.write("\n")
    for n in report["notes"]:
        print(f"note: {n['option']} requested {n['requested']}, is {n['actual']}: {n['kind']}", file=sys.stderr)
    if not problems:
        print(f"verify-config: all {len(requested)} requested options landed", file=sys.stderr)
        return 0
    print(f"verify-config: {len(problems)} of {len(requested)} requested options did not land:", file=sys.stderr)
    for p in report["problems"]:
        print(f"  {p['option']}: requested {p['requested']}, got {p['actual']} ({p['kind']}; from {p['from']})", file=sys.stderr)
        for w in p["unmet"]:
            print(f"      {w}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
