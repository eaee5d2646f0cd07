#!/bin/sh
# Proves the fake Inngest executor (tests/fakes/inngest_executor.py) against
# the official SDK: starts the executor with fresh keys (a random signing key,
# a fallback key and an event key), starts ref_app.mjs (inngest 4.24.0, cloud
# mode) pointed at it, runs the `protocol` suite through POST /_test/run,
# prints one line per check, stops both, and exits 0 only if every check
# passed.
#
#   sh tests/inngest/prove_ref.sh [REPORT.json]
#
# The full JSON report (every run with its request and opcode history) goes to
# REPORT.json if given. Logs of both processes stay in a temporary directory
# that is removed on success and kept (and named) on failure.
set -u

here=$(cd "$(dirname "$0")" && pwd)
tests=$(dirname "$here")
report_out=${1:-}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/prove_ref.XXXXXX")
exec_pid=
app_pid=
status=1

cleanup() {
	[ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null && wait "$app_pid" 2>/dev/null
	[ -n "$exec_pid" ] && kill "$exec_pid" 2>/dev/null && wait "$exec_pid" 2>/dev/null
	if [ "$status" -eq 0 ]; then
		rm -rf "$tmp"
	else
		echo "prove_ref: logs kept in $tmp" >&2
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# wait_port FILE: the n of the first "PORT <n>" line, within 15 s
wait_port() {
	i=0
	while [ $i -lt 150 ]; do
		p=$(sed -n 's/^PORT \([0-9][0-9]*\)$/\1/p' "$1" 2>/dev/null | head -n 1)
		if [ -n "$p" ]; then
			echo "$p"
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

hex() { python3 -c 'import secrets,sys; print(secrets.token_hex(int(sys.argv[1])))' "$1"; }
signing_key="signkey-test-$(hex 32)"
fallback_key="signkey-test-$(hex 32)"
event_key="evt-$(hex 16)"

cat >"$tmp/config.json" <<EOF
{"signing_key": "$signing_key", "signing_key_fallback": "$fallback_key",
 "event_key": "$event_key", "sleep_cap_ms": 200, "retry_delay_ms": 50}
EOF

python3 "$tests/fakes/inngest_executor.py" "$tmp/config.json" >"$tmp/executor.out" 2>"$tmp/executor.err" &
exec_pid=$!
exec_port=$(wait_port "$tmp/executor.out") || { echo "prove_ref: the executor printed no PORT line" >&2; exit 1; }

cd "$tests" || exit 1
env -u INNGEST_DEV \
	INNGEST_SIGNING_KEY="$signing_key" \
	INNGEST_SIGNING_KEY_FALLBACK="$fallback_key" \
	INNGEST_EVENT_KEY="$event_key" \
	INNGEST_BASE_URL="http://127.0.0.1:$exec_port" \
	node inngest/ref_app.mjs >"$tmp/app.out" 2>"$tmp/app.err" &
app_pid=$!
app_port=$(wait_port "$tmp/app.out") || { echo "prove_ref: ref_app.mjs printed no PORT line" >&2; exit 1; }

python3 - "$exec_port" "$app_port" "$tmp/report.json" <<'EOF'
import json, sys, urllib.request
exec_port, app_port, out = sys.argv[1:4]
req = {"serve_url": "http://127.0.0.1:%s/api/inngest" % app_port, "suite": "protocol", "timeout_s": 60}
r = urllib.request.Request("http://127.0.0.1:%s/_test/run" % exec_port, data=json.dumps(req).encode(),
                           headers={"Content-Type": "application/json"}, method="POST")
with urllib.request.urlopen(r, timeout=120) as resp:
    report = json.load(resp)
with open(out, "w") as f:
    json.dump(report, f, indent=1)
print("fake Inngest executor vs %s (app %s)" % (req["serve_url"], report.get("app")))
for c in report.get("checks", []):
    d = c.get("detail")
    line = d if isinstance(d, str) else json.dumps(d)
    if c["ok"] and len(line) > 110:
        line = line[:107] + "..."
    print("  %-4s %-26s %s" % ("ok" if c["ok"] else "FAIL", c["name"], line))
if report.get("error"):
    print("  error: %s" % report["error"])
n = len(report.get("checks", []))
bad = sum(not c["ok"] for c in report.get("checks", []))
print("%s: %d checks, %d failed; %d runs %s; %d requests to the app; %.1f s"
      % ("PASS" if report.get("ok") else "FAIL", n, bad, report.get("counts", {}).get("runs", 0),
         {k: v for k, v in report.get("counts", {}).items() if k != "runs"},
         report.get("requests", 0), report.get("elapsed_ms", 0) / 1000))
sys.exit(0 if report.get("ok") else 1)
EOF
status=$?
[ -n "$report_out" ] && cp "$tmp/report.json" "$report_out" 2>/dev/null
exit $status
