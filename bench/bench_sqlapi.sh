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
name=bench_sqlapi
command -v wrk >/dev/null || { echo "bench_sqlapi: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
# wrk's connections all come from 127.0.0.1, one client to serve's per-client
# cap (default 2 SQL requests at once, issue 17): let it run them all, as
# that many visitors would.
export CRYPTIC_BENCH_SQL_PER_CLIENT="$connections"
. bench/serve-ranked-copy.sh
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
