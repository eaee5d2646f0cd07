# serve-ranked-copy.sh - sourced by the benchmarks that need `serve` on the
# old database: copies ../shared/data/original-cryptic-bench.db into a
# temporary directory, upgrades and ranks it, and starts
# `serve --workers 2` on a free loopback port.
# With SCALE_WEEKS set, the copy is grown to that many weeks first.
# Needs $name (for messages); sets $tmp, $pid and $port, and an EXIT trap
# that stops the server and removes $tmp.
bin=./build/cryptic-bench
original=../shared/data/original-cryptic-bench.db
[ -x "$bin" ] || { echo "$name: build first (ninja -C build)" >&2; exit 1; }
[ -f "$original" ] || { echo "$name: $original is missing" >&2; exit 1; }
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
cp "$original" "$tmp/bench.db"
export TURSO_DATABASE_URL=
"$bin" -q --db "$tmp/bench.db" init-db >/dev/null
if [ -n "${SCALE_WEEKS:-}" ]; then
    python3 bench/bench_scale.py --grow "$tmp/bench.db" --weeks "$SCALE_WEEKS" >/dev/null
fi
"$bin" -q --db "$tmp/bench.db" rank --all >/dev/null
"$bin" -q --db "$tmp/bench.db" serve --listen 127.0.0.1:0 --no-cron --workers 2 >"$tmp/serve.out" 2>/dev/null &
pid=$!
port=
for _ in $(seq 100); do
    port=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/serve.out" | head -1)
    [ -n "$port" ] && break
    sleep 0.05
done
[ -n "$port" ] || { echo "$name: serve did not start" >&2; exit 1; }
