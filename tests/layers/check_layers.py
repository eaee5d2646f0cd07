#!/usr/bin/env python3
"""The layers of DESIGN §2, proved on the build's real compile commands.

For every module M and every module N, compiles a probe file holding only
`#include "N/<header>"` with exactly the flags ninja uses for M's sources
(compile_commands.json): it must compile when N is M or below M, and fail
saying that header is not found when N is above or beside M. So an
upward include put into any file of M fails `ninja`, and the table below,
not meson.build, is the specification (a new edge in meson.build that the
design does not have fails this test).

Then, end to end, one real source file of store/ is
copied with `#include "pipeline/functions.h"` (above it) and then with
`#include "rank/rank.h"` (beside it) added, and compiled with its own
command: both must fail.

Prints cmocka-style "[  PASSED  ] N test(s)." / "[  FAILED  ] ..." lines
(scripts/test-summary.py counts them). usage: check_layers.py BUILD SRC
"""
import json
import os
import shlex
import subprocess
import sys
import tempfile

# What each module may include besides itself (transitively closed): the
# design's order, core < db < store; scrape, eval, rank on core (store/
# and rank/ know nothing of each other: pipeline/ adapts the rows); flow on
# store; pipeline on flow, scrape, eval, rank, store; web on flow, db,
# store; cli on everything.
BELOW = {
    "core": set(),
    "db": {"core"},
    "scrape": {"core"},
    "eval": {"core"},
    "rank": {"core"},
    "store": {"db", "core"},
    "flow": {"store", "db", "core"},
    "pipeline": {"flow", "scrape", "eval", "rank", "store", "db", "core"},
    "web": {"flow", "store", "db", "core"},
    "cli": {"pipeline", "web", "flow", "store", "db", "scrape", "eval", "rank", "core"},
}

# One public header per module, to include.
HEADER = {
    "core": "core/err.h",
    "db": "db/db.h",
    "store": "store/store.h",
    "scrape": "scrape/post.h",
    "eval": "eval/client.h",
    "rank": "rank/rank.h",
    "flow": "flow/flow.h",
    "pipeline": "pipeline/functions.h",
    "web": "web/server.h",
    "cli": "cli/cli.h",
}


def module_commands(build, src):
    """{module: (directory, argv, source)} for one source file of each module."""
    with open(os.path.join(build, "compile_commands.json"), encoding="utf-8") as f:
        entries = json.load(f)
    found = {}
    for e in entries:
        path = os.path.normpath(os.path.join(e["directory"], e["file"]))
        rel = os.path.relpath(path, src)
        parts = rel.split(os.sep)
        if len(parts) != 2 or parts[0] not in BELOW or not rel.endswith(".c"):
            continue
        argv = e["arguments"] if "arguments" in e else shlex.split(e["command"])
        found.setdefault(parts[0], (e["directory"], argv, path))
    return found


def probe_argv(argv, probe):
    """argv compiling probe instead, syntax only: drop -o/-c/-M* and the source."""
    out = []
    skip = False
    for i, a in enumerate(argv):
        if skip:
            skip = False
            continue
        if a in ("-o", "-MQ", "-MF", "-MT"):
            skip = True
            continue
        if a in ("-c", "-MD", "-MMD") or (i == len(argv) - 1):
            continue
        out.append(a)
    return out + ["-fsyntax-only", probe]


def not_found(err, header):
    """Whether the compiler said header is missing (gcc: "h: No such file",
    clang: "'h' file not found")."""
    return f"{header}: No such file" in err or f"'{header}' file not found" in err


def compile_probe(directory, argv, text, tmp, name):
    probe = os.path.join(tmp, name)
    with open(probe, "w", encoding="utf-8") as f:
        f.write(text)
    r = subprocess.run(probe_argv(argv, probe), cwd=directory, capture_output=True, text=True)
    return r.returncode, r.stderr


def main(build, src):
    src = os.path.normpath(src)
    cmds = module_commands(build, src)
    missing = sorted(set(BELOW) - set(cmds))
    passed, failed = 0, []
    if missing:
        failed.append(f"no compile command for module(s) {', '.join(missing)}")
    with tempfile.TemporaryDirectory() as tmp:
        for m in sorted(cmds):
            directory, argv, _ = cmds[m]
            for n, header in sorted(HEADER.items()):
                allowed = n == m or n in BELOW[m]
                rc, err = compile_probe(directory, argv, f'#include "{header}"\n', tmp, f"probe_{m}_{n}.c")
                if allowed and rc == 0:
                    passed += 1
                elif not allowed and rc != 0 and not_found(err, header):
                    passed += 1
                elif allowed:
                    failed.append(f"{m} may include {header} but it does not compile:\n{err}")
                else:
                    failed.append(f"{m} must not reach {header} ({n} is not below {m}); "
                                  f"the compiler said (exit {rc}):\n{err or '(nothing)'}")
        # End to end: a real file of store/ with an upward include, and with
        # one beside it (rank/: pipeline/ adapts store/'s rows for it).
        if "store" in cmds:
            directory, argv, source = cmds["store"]
            with open(source, encoding="utf-8") as f:
                text = f.read()
            for header in ("pipeline/functions.h", "rank/rank.h"):
                rc, err = compile_probe(directory, argv, f'#include "{header}"\n' + text, tmp,
                                        os.path.basename(source))
                if rc != 0 and not_found(err, header):
                    passed += 1
                else:
                    failed.append(f"{os.path.basename(source)} including {header}: exit {rc}, "
                                  f"expected the include not to be found:\n{err}")
    for f in failed:
        print(f"[  FAILED  ] {f}")
    print(f"[  PASSED  ] {passed} test(s).")
    if failed:
        print(f"[  FAILED  ] {len(failed)} test(s), listed below:")
        for f in failed:
            print(f"[  FAILED  ] {f.splitlines()[0]}")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
