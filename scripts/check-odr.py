#!/usr/bin/env python3
"""check-odr.py BUILD_DIR: finds functions and variables that two translation
units of one binary define differently under one name (a One Definition Rule
violation the linker cannot see).

The case it catches: a name defined `inline` in a header (a weak symbol in
every object that uses it) and defined again, not inline, in a .cpp (a strong
symbol). The linker keeps the strong one, so the objects that did not inline
the header's version call the other function: which one runs then depends on
the optimizer. (It happened: the space ledger's `pending_oid` and the blob
store's wrote to each other's object in release builds only.)

Reads every object file of the build's targets (`*.p/*.o`) with `nm`; exits 1
naming each such symbol and its objects, 0 when there is none.
"""
import collections
import pathlib
import subprocess
import sys

STRONG = set("TDBR")  # defined, global, not weak
WEAK = set("WV")      # defined, weak: inline functions, template instances


def defined_symbols(obj):
    out = subprocess.run(["nm", "--defined-only", "-P", str(obj)], check=True, capture_output=True, text=True)
    for line in out.stdout.splitlines():
        fields = line.split()
        if len(fields) >= 2:
            yield fields[0], fields[1]


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    build = pathlib.Path(sys.argv[1])
    # Per target (its objects directory): objects of different binaries may
    # define one name each their own way (two programs, each with its own).
    problems = []
    targets = sorted(p for p in build.rglob("*.p") if p.is_dir())
    if not targets:
        print(f"check-odr: no object directories (*.p) under {build}: build it first", file=sys.stderr)
        return 2
    for target in targets:
        kinds = collections.defaultdict(lambda: collections.defaultdict(list))  # symbol -> kind -> objects
        for obj in sorted(target.rglob("*.o")):
            for name, kind in defined_symbols(obj):
                if kind in STRONG or kind in WEAK:
                    kinds[name]["strong" if kind in STRONG else "weak"].append(obj.name)
        for name, by_kind in sorted(kinds.items()):
            if by_kind["strong"] and by_kind["weak"]:
                problems.append((target.name, name, by_kind))
    for target, name, by_kind in problems:
        demangled = subprocess.run(["c++filt", name], capture_output=True, text=True).stdout.strip()
        print(f"check-odr: {target}: {demangled} is defined inline in {', '.join(by_kind['weak'])} "
              f"and out of line in {', '.join(by_kind['strong'])}: rename one", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
