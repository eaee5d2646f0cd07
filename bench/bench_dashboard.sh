#!/bin/sh
# The dashboard's first paint: `serve` on a copy of the old database
# (upgraded and ranked), then bench_dashboard.mjs loads it cold N times in
# headless chromium and prints the median time from navigation to the first
# leaderboard row, and the bytes transferred.
# Usage: bench/bench_dashboard.sh [LOADS]   (needs ./build, chromium, make check's test tools)
set -eu
loads=${1:-10}
cd "$(dirname "$0")/.."
bin=./build/cryptic-bench
original=../shared/data/original-cryptic-bench.db
[ -x "$bin" ] || { echo "bench_dashboard: build first (ninja -C build)" >&2; exit 1; }
[ -f "$original" ] || { echo "bench_dashboard: $original is missing" >&2; exit 1; }
[ -x /usr/bin/chromium ] || { echo "bench_dashboard: chromium is not installed (scripts/bootstrap)" >&2; exit 1; }
scripts/test-tools
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
cp "$original" "$tmp/bench.db"
export TURSO_DATABASE_URL=
"$bin" -q --db "$tmp/bench.db" init-db >/dev/null
"$bin" -q --db "$tmp/bench.db" rank --all >/dev/null
"$bin" -q --db "$tmp/bench.db" serve --listen 127.0.0.1:0 --no-cron --workers 2 >"$tmp/serve.out" 2>/dev/null &
pid=$!
port=
for _ in $(seq 100); do
    port=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/serve.out" | head -1)
    [ -n "$port" ] && break
    sleep 0.05
done
[ -n "$port" ] || { echo "bench_dashboard: serve did not start" >&2; exit 1; }
node bench/bench_dashboard.mjs "http://127.0.0.1:$port/" "$loads"
