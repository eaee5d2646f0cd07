#!/usr/bin/env python3
"""Prints the soname of LIBDIR/NAME.so (the name dlopen must use), read
from its dynamic section with readelf; failing that, guessed from the file
the link points to (libxml2.so -> libxml2.so.2.9.14 gives libxml2.so.2).

    soname.py LIBDIR NAME
"""
import os
import re
import subprocess
import sys


def main():
    libdir, name = sys.argv[1], sys.argv[2]
    path = os.path.join(libdir, name + ".so")
    try:
        out = subprocess.run(["readelf", "-d", path], capture_output=True, text=True, check=True).stdout
        m = re.search(r"\(SONAME\)\s+Library soname: \[([^\]]+)\]", out)
        if m:
            print(m.group(1))
            return
    except (OSError, subprocess.CalledProcessError):
        pass
    m = re.match(r"(.*\.so\.\d+)", os.path.basename(os.path.realpath(path)))
    if not m:
        sys.exit("soname.py: cannot tell the soname of %s" % path)
    print(m.group(1))


if __name__ == "__main__":
    main()
