#!/bin/sh
# The dashboard's first paint: `serve` on a copy of the old database
# (upgraded and ranked), then bench_dashboard.mjs loads it cold N times in
# headless chromium and prints the median time from navigation to the first
# leaderboard row, against a static page holding just that row, and the
# bytes transferred.
# With WEEKS, the copy is first grown to that many weeks of the same data
# (bench/bench_scale.py --grow), to see the first view at that age.
# Usage: bench/bench_dashboard.sh [LOADS] [WEEKS]   (needs ./build, chromium, make check's test tools)
set -eu
loads=${1:-10}
SCALE_WEEKS=${2:-}
cd "$(dirname "$0")/.."
name=bench_dashboard
[ -x /usr/bin/chromium ] || { echo "bench_dashboard: chromium is not installed (scripts/bootstrap)" >&2; exit 1; }
scripts/test-tools
. bench/serve-ranked-copy.sh
node bench/bench_dashboard.mjs "http://127.0.0.1:$port/" "$loads"
