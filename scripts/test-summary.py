#!/usr/bin/env python3
"""Totals the cmocka test cases in a meson testlog.json.

Prints "N passed, N failed" (", N skipped" when any were) as the last line. A test program that failed
without printing a cmocka summary (a crash, a sanitizer abort) counts as one
failed case; any sanitizer report anywhere in the output fails the run.
Exit status 0 only when nothing failed and at least one case ran.
"""
import json
import re
import sys

PASSED = re.compile(r"^\[  PASSED  \] (\d+) test\(s\)\.", re.M)
FAILED = re.compile(r"^\[  FAILED  \] (\d+) test\(s\), listed below:", re.M)
SKIPPED = re.compile(r"^\[  SKIPPED \] (\d+) test\(s\), listed below:", re.M)
SANITIZER = re.compile(r"(ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|"
                       r"SUMMARY: UndefinedBehaviorSanitizer)")


def main(path):
    passed = failed = skipped = 0
    sanitizer_reports = []
    with open(path, encoding="utf-8", errors="replace") as log:
        for line in log:
            entry = json.loads(line)
            out = (entry.get("stdout") or "") + (entry.get("stderr") or "")
            p = sum(int(n) for n in PASSED.findall(out))
            f = sum(int(n) for n in FAILED.findall(out))
            if entry.get("result") not in ("OK", "SKIP") and f == 0:
                f = 1  # died without reporting its own failures
            skipped += sum(int(n) for n in SKIPPED.findall(out))
            passed += p
            failed += f
            if SANITIZER.search(out):
                sanitizer_reports.append(entry.get("name"))
    for name in sanitizer_reports:
        print(f"sanitizer report in test {name}", file=sys.stderr)
    if sanitizer_reports and failed == 0:
        failed = len(sanitizer_reports)
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "build-check/meson-logs/testlog.json"))
