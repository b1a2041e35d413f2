#!/usr/bin/env python3
"""Acceptance of issue 8: `columba-bench --help` documents every option.

Usage: check_help.py COLUMBA_BENCH COLUMBA_BENCH_C
Reads the long options from the struct option table in columba-bench.c and checks that
--help prints each (as --name) and exits 0; exits 1 naming the undocumented ones."""
import re
import subprocess
import sys


def main():
    exe, src = sys.argv[1], sys.argv[2]
    table = open(src).read()
    names = re.findall(r'\{\s*"([a-z][a-z-]*)",\s*(?:required|no|optional)_argument', table)
    if len(names) < 10:
        sys.exit("check_help: found only %d options in %s" % (len(names), src))
    run = subprocess.run([exe, "--help"], capture_output=True, text=True, check=False)
    if run.returncode != 0:
        sys.exit("check_help: --help exited %d" % run.returncode)
    missing = [n for n in names if not re.search(r"--%s\b" % re.escape(n), run.stdout)]
    if missing:
        sys.exit("check_help: --help does not document " + ", ".join("--" + n for n in missing))
    print("check_help: %d options, all documented" % len(names))


if __name__ == "__main__":
    main()
