#!/usr/bin/env python3
"""Makes one module's include directory: OUTDIR/<module> -> SRC/<module> for
the module itself and every module below it (meson.build's `layers`).

A module's library is compiled with -I OUTDIR and nothing else from src/,
so `#include "pipeline/pipeline.h"` in store/ finds no such file and the
build fails: the layers of DESIGN §2 are enforced by the compiler.

usage: layer-includes.py OUTDIR SRC MODULE...
"""
import os
import sys


def main(outdir, src, modules):
    os.makedirs(outdir, exist_ok=True)
    for name in os.listdir(outdir):  # a reconfigure may have dropped a module
        path = os.path.join(outdir, name)
        if os.path.islink(path) and name not in modules:
            os.unlink(path)
    for m in modules:
        target = os.path.join(src, m)
        if not os.path.isdir(target):
            sys.exit(f"layer-includes: no module directory {target}")
        link = os.path.join(outdir, m)
        if os.path.islink(link):
            if os.readlink(link) == target:
                continue
            os.unlink(link)
        os.symlink(target, link)
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3:]))
