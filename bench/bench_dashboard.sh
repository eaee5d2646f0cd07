#!/bin/sh
# The dashboard's first paint: `serve` on a copy of the old database
# (upgraded and ranked), then bench_dashboard.mjs loads it cold N times in
# headless chromium and prints the median time from navigation to the first
# leaderboard row, and the bytes transferred.
# Usage: bench/bench_dashboard.sh [LOADS]   (needs ./build, chromium, make check's test tools)
set -eu
loads=${1:-10}
cd "$(dirname "$0")/.."
name=bench_dashboard
[ -x /usr/bin/chromium ] || { echo "bench_dashboard: chromium is not installed (scripts/bootstrap)" >&2; exit 1; }
scripts/test-tools
. bench/serve-ranked-copy.sh
node bench/bench_dashboard.mjs "http://127.0.0.1:$port/" "$loads"
