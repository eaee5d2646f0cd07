#!/bin/sh
# The SQL endpoint under load: `serve` on a copy of the old database
# (upgraded and ranked), wrk posting one week's leaderboard query (the
# dashboard's main read, from the tables `rank` writes) to /v2/pipeline
# over loopback. Prints wrk's
# throughput and latency percentiles and the server's peak RSS.
# Usage: bench/bench_sqlapi.sh [SECONDS] [CONNECTIONS]   (needs wrk, ./build)
set -eu
seconds=${1:-10}
connections=${2:-16}
cd "$(dirname "$0")/.."
bin=./build/cryptic-bench
original=../shared/data/original-cryptic-bench.db
command -v wrk >/dev/null || { echo "bench_sqlapi: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
[ -x "$bin" ] || { echo "bench_sqlapi: build first (ninja -C build)" >&2; exit 1; }
[ -f "$original" ] || { echo "bench_sqlapi: $original is missing" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
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
[ -n "$port" ] || { echo "bench_sqlapi: serve did not start" >&2; exit 1; }
query="SELECT wr.rank, m.display_name, m.provider, wr.accuracy, wr.correct_count, wr.total_clues, wr.ci_low, wr.ci_high, wr.tenure_weeks, wr.previous_rank, wr.rank_change, wr.avg_latency_ms, wr.cost FROM weekly_rankings wr JOIN models m ON m.id = wr.model_id WHERE wr.week_id = '2026-W01' ORDER BY wr.rank"
cat >"$tmp/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [==[{"requests":[{"type":"execute","stmt":{"sql":"$query","args":[],"named_args":[],"want_rows":true}},{"type":"close"}]}]==]
LUA
# The answer must be a real leaderboard before it is timed.
curl -s -X POST -H 'Content-Type: application/json' --data-binary "@-" "http://127.0.0.1:$port/v2/pipeline" \
    <<JSON | grep -q '"type":"ok"' || { echo "bench_sqlapi: the query failed" >&2; exit 1; }
{"requests":[{"type":"execute","stmt":{"sql":"$query"}}]}
JSON
echo "bench_sqlapi: the 2026-W01 leaderboard query, $connections connections, ${seconds}s, serve --workers 2"
wrk -t2 -c"$connections" -d"${seconds}s" --latency -s "$tmp/post.lua" "http://127.0.0.1:$port/v2/pipeline" \
    >"$tmp/wrk.out" 2>&1
if grep -q 'Non-2xx' "$tmp/wrk.out" || ! grep -q 'Requests/sec' "$tmp/wrk.out"; then
    cat "$tmp/wrk.out" >&2
    echo "bench_sqlapi: failed requests under load" >&2
    exit 1
fi
grep -E 'Requests/sec|Latency|50%|90%|99%|requests in' "$tmp/wrk.out"
echo "  serve peak RSS: $(awk '/VmHWM/ {printf "%.1f MB", $2 / 1024}' "/proc/$pid/status")"
