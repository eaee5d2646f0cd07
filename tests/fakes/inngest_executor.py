#!/usr/bin/env python3
"""A fake Inngest server and executor for tests: drives any Inngest serve
endpoint through the real wire protocol (docs/inngest.md).

Started as `python3 inngest_executor.py CONFIG.json`; binds 127.0.0.1:0 and
prints "PORT <n>" as its first stdout line once listening.

CONFIG:
  {"signing_key": "signkey-test-<hex>",   # signs every call; checks bearers
   "signing_key_fallback": "signkey-test-<hex>",   # optional
   "event_key": "...",                    # the only key /e/{key} accepts
   "sleep_cap_ms": 200,                   # a Sleep lasts min(duration, this)
   "wait_cap_ms": 2000,                   # WaitForEvent timeout cap (default sleep_cap_ms * 10)
   "retry_delay_ms": 50,                  # delay before a retry; Retry-After: N s
                                          # becomes N * retry_delay_ms
   "max_steps": 1000,                     # the per-run step limit
   "request_timeout_s": 30,               # per call to the serve endpoint
   "verbose": false}                      # one stderr line per call

Served:
  POST /fn/register          out-of-band sync (bearer = hashed signing key)
  POST /e/{event_key}        event API: one event or an array -> {ids, status}
  GET  /v0/runs/{id}/actions the run's memoised steps (for ctx.use_api)
  GET  /v0/runs/{id}/batch   the run's events (for ctx.use_api)
  POST /_test/run            {"serve_url", "suite": "protocol"|"pipeline",
                              "event" (pipeline), "timeout_s", "wait_cap_ms"?,
                              "sleep_cap_ms"?, "sync"? (pipeline, default true),
                              "allow_failed"? (pipeline)} -> a JSON report
                              {"ok", "suite", "elapsed_ms", "checks": [{"name",
                              "ok", "detail"}], "runs": [...], "register": {...},
                              "requests": N, "counts": {...}}
  GET  /_test/state          registrations, events, runs with their request and
                              opcode histories, API calls, concurrency slots

The run engine speaks the async protocol only: it never sends ctx.fn_id, which
would switch the JS SDK to checkpointing (notes §11.4). Request bodies are JCS
(RFC 8785; `jcs()` below) and signed over exactly the bytes sent.

Every run is a thread: discovery request (stepId=step), act on the reply,
repeat. A 206 with more than one op sets disable_immediate_execution for the
rest of the run; its ops run concurrently and are memoised in op order once
all are done. Memoised forms: StepRun {"data": X}, failed step {"error": E},
Sleep null, WaitForEvent the raw event or null, invoke {"data": X} / {"error": E}.

Proved against the official SDK (inngest 4.24.0) by tests/inngest/prove_ref.sh.
Where the SDK departed from the notes, or did something they don't cover, the
SDK won. This adds to notes §11:
  - event_key_hash in the signed introspection body is the whole sha256 hex of
    the event key. Only the signing-key hashes are cut to 12 characters (the
    notes say "the key hashes").
  - The status JS answers a sync PUT with is the JSON "status" of the register
    reply (default 200), not its HTTP status: a 401 without "status" gives a
    PUT answered 200. So this server puts "status" in every error reply.
  - ctx.max_attempts decides StepError vs StepFailed: JS sends StepFailed when
    ctx.attempt == ctx.max_attempts - 1 and never looks at its own `retries`.
    Without max_attempts every step error stays a StepError. So the engine
    sends max_attempts = retries + 1.
  - A call verified with the fallback key is answered with a reply signed with
    the fallback key.
  - A signed GET (introspection) is signed over the empty body: HMAC(key, "" + t).
  - With ctx.use_api, JS fetches /batch and /actions on every call, and still
    requires "event" in the body.
  - After a parallel plan (disable_immediate_execution), even a lone next step
    comes back as StepPlanned, which costs one more call.
  - StepRun replies carry no X-Inngest-No-Retry header; StepError has "false",
    StepFailed "true".
"""
import base64
import hashlib
import hmac
import http.client
import json
import re
import secrets
import sys
import threading
import time
import traceback
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

APP_FUNCTIONS = ["serial", "parallel", "sleepy", "waiter", "child", "parent",
                 "flaky", "doomed", "sender", "scheduled"]
TERMINAL = ("completed", "failed", "cancelled")


# ---------------------------------------------------------------------------
# JCS (RFC 8785): sorted keys by UTF-16 code units, no whitespace, ECMAScript
# number formatting, minimal string escaping. Raises ValueError on NaN/Inf.
# ---------------------------------------------------------------------------

def _jcs_number(x):
    if isinstance(x, int):
        return str(x)
    if x != x or x in (float("inf"), float("-inf")):
        raise ValueError("JCS: NaN and Infinity have no JSON form")
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    r = repr(abs(x))
    mant, exp = (r.split("e") + ["0"])[:2]
    ip, _, fp = mant.partition(".")
    digits = ip + fp
    n = len(ip) + int(exp)
    stripped = digits.lstrip("0")
    n -= len(digits) - len(stripped)
    digits = stripped.rstrip("0") or "0"
    k = len(digits)
    if k <= n <= 21:
        out = digits + "0" * (n - k)
    elif 0 < n <= 21:
        out = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        out = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        es = ("+" if e >= 0 else "-") + str(abs(e))
        out = (digits if k == 1 else digits[0] + "." + digits[1:]) + "e" + es
    return sign + out


def jcs(v):
    """Canonical JSON text of v (RFC 8785)."""
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, (int, float)):
        return _jcs_number(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(jcs(x) for x in v) + "]"
    if isinstance(v, dict):
        keys = sorted(v.keys(), key=lambda s: s.encode("utf-16-be"))
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + jcs(v[k]) for k in keys) + "}"
    raise TypeError("JCS: cannot encode %r" % type(v))


def jcs_bytes(v):
    return jcs(v).encode("utf-8")


# ---------------------------------------------------------------------------
# Keys, signatures, ids, durations.
# ---------------------------------------------------------------------------

KEY_PREFIX = re.compile(r"^signkey-[A-Za-z0-9_]+-")


def strip_key(key):
    return KEY_PREFIX.sub("", key, count=1)


def hash_key(key):
    """The bearer form: prefix kept, hex(sha256(hexdecode(rest)))."""
    m = KEY_PREFIX.match(key)
    rest = strip_key(key)
    try:
        raw = bytes.fromhex(rest)
    except ValueError:
        raw = rest.encode("ascii", "replace")
    return (m.group(0) if m else "") + hashlib.sha256(raw).hexdigest()


def mac(body, key, t):
    return hmac.new(strip_key(key).encode("ascii"), body + str(t).encode("ascii"),
                    hashlib.sha256).hexdigest()


def sign(body, key, t=None):
    t = int(time.time()) if t is None else t
    return "t=%d&s=%s" % (t, mac(body, key, t))


def verify(header, body, keys):
    """Which of `keys` signed `body` (header "t=..&s=.."), or None."""
    params = dict(parse_qsl(header or "", keep_blank_values=True))
    t, s = params.get("t"), params.get("s")
    if not t or not s:
        return None
    for k in keys:
        if k and hmac.compare_digest(mac(body, k, t), s):
            return k
    return None


CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def ulid(ms=None, entropy=None):
    ms = int(time.time() * 1000) if ms is None else ms
    entropy = secrets.randbits(80) if entropy is None else entropy % (1 << 80)
    n = ((ms & ((1 << 48) - 1)) << 80) | entropy
    return "".join(CROCKFORD[(n >> (5 * i)) & 31] for i in range(25, -1, -1))


def sha1(s):
    return hashlib.sha1(s.encode("utf-8")).hexdigest()


DUR_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d|w)")
DUR_MS = {"ns": 1e-6, "us": 1e-3, "µs": 1e-3, "ms": 1, "s": 1000, "m": 60000,
          "h": 3600000, "d": 86400000, "w": 604800000}


def parse_duration_ms(v):
    """Milliseconds from an Inngest time string ("2s", "1h30m", "500ms"), an
    ISO date (time until it, at least 0) or a number of ms; None if unreadable."""
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        return float(v)
    s = str(v).strip()
    if not s:
        return None
    pos, total = 0, 0.0
    for m in DUR_PART.finditer(s):
        if m.start() != pos:
            break
        total += float(m.group(1)) * DUR_MS[m.group(2)]
        pos = m.end()
    if pos == len(s):
        return total
    try:
        dt = datetime.fromisoformat(s.replace("Z", "+00:00"))
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=timezone.utc)
        return max(0.0, (dt - datetime.now(timezone.utc)).total_seconds() * 1000)
    except ValueError:
        return None


def parse_retry_after_s(v):
    """Seconds from a Retry-After value (integer seconds or an HTTP/ISO date),
    clamped to [1, 86400] like the server; None if absent or unreadable."""
    if not v:
        return None
    v = v.strip()
    secs = None
    if re.fullmatch(r"\d{1,7}", v):
        secs = int(v)
    else:
        try:
            secs = (parsedate_to_datetime(v) - datetime.now(timezone.utc)).total_seconds()
        except (TypeError, ValueError):
            ms = parse_duration_ms(v)
            secs = None if ms is None else ms / 1000
    if secs is None:
        return None
    return min(max(secs, 1), 86400)


# ---------------------------------------------------------------------------
# Expressions: the CEL subset used by triggers, cancel `if` and waitForEvent
# `if`: dotted paths rooted at event/async, string/number/bool/null literals,
# == != < <= > >=, !, && and ||, parentheses. A path that does not resolve is
# MISSING, and every comparison with MISSING is false (CEL would error).
# ---------------------------------------------------------------------------

class ExprError(Exception):
    pass


class _Missing:
    def __repr__(self):
        return "MISSING"


MISSING = _Missing()
EXPR_TOKEN = re.compile(r"""\s*(?:(?P<num>-?\d+(?:\.\d+)?)
    |(?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    |(?P<op>==|!=|>=|<=|&&|\|\||[<>()!])
    |(?P<id>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*))""", re.X)


def _tokens(text):
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = EXPR_TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ExprError("cannot read %r at %d" % (text, pos))
        pos = m.end()
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
    return out


def _truthy(v):
    return v is not MISSING and bool(v)


def _compare(a, op, b):
    if a is MISSING or b is MISSING:
        return False
    if isinstance(a, bool) != isinstance(b, bool):
        return op == "!="
    if op == "==":
        return a == b
    if op == "!=":
        return a != b
    nums = isinstance(a, (int, float)) and isinstance(b, (int, float))
    strs = isinstance(a, str) and isinstance(b, str)
    if not (nums or strs):
        return False
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


class _Expr:
    def __init__(self, text, env):
        self.toks = _tokens(text)
        self.i = 0
        self.env = env

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else (None, None)

    def take(self):
        t = self.peek()
        self.i += 1
        return t

    def run(self):
        v = self.or_()
        if self.i != len(self.toks):
            raise ExprError("unexpected %r" % (self.peek()[1],))
        return v

    def or_(self):
        v = self.and_()
        while self.peek() == ("op", "||"):
            self.take()
            r = self.and_()
            v = _truthy(v) or _truthy(r)
        return v

    def and_(self):
        v = self.cmp()
        while self.peek() == ("op", "&&"):
            self.take()
            r = self.cmp()
            v = _truthy(v) and _truthy(r)
        return v

    def cmp(self):
        v = self.unary()
        kind, op = self.peek()
        if kind == "op" and op in ("==", "!=", "<", "<=", ">", ">="):
            self.take()
            return _compare(v, op, self.unary())
        return v

    def unary(self):
        kind, val = self.take()
        if (kind, val) == ("op", "!"):
            return not _truthy(self.unary())
        if (kind, val) == ("op", "("):
            v = self.or_()
            if self.take() != ("op", ")"):
                raise ExprError("missing )")
            return v
        if kind == "num":
            return float(val) if "." in val else int(val)
        if kind == "str":
            return json.loads('"' + val[1:-1].replace('"', '\\"').replace("\\'", "'") + '"') \
                if val[0] == "'" else json.loads(val)
        if kind == "id":
            if val in ("true", "false", "null"):
                return {"true": True, "false": False, "null": None}[val]
            return lookup(self.env, val)
        raise ExprError("unexpected %r" % (val,))


def lookup(env, path):
    parts = path.split(".")
    cur = env.get(parts[0], MISSING)
    for p in parts[1:]:
        if isinstance(cur, dict) and p in cur:
            cur = cur[p]
        elif isinstance(cur, list) and p.isdigit() and int(p) < len(cur):
            cur = cur[int(p)]
        else:
            return MISSING
    return cur


def eval_expr(text, env):
    """Value of the expression; raises ExprError if it is outside the subset."""
    return _Expr(text, env).run()


# ---------------------------------------------------------------------------
# HTTP client for calls to the serve endpoint (and the suites' own calls).
# ---------------------------------------------------------------------------

def http_call(method, url, body=None, headers=None, timeout=30.0):
    """(status, lower-cased headers, body bytes); raises OSError on I/O failure."""
    u = urlsplit(url)
    cls = http.client.HTTPSConnection if u.scheme == "https" else http.client.HTTPConnection
    conn = cls(u.hostname, u.port or (443 if u.scheme == "https" else 80), timeout=timeout)
    path = (u.path or "/") + ("?" + u.query if u.query else "")
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    finally:
        conn.close()


def with_query(url, **params):
    """url with the given query parameters set (others kept, in order)."""
    u = urlsplit(url)
    q = [(k, v) for k, v in parse_qsl(u.query, keep_blank_values=True) if k not in params]
    q += list(params.items())
    return urlunsplit((u.scheme, u.netloc, u.path, urlencode(q), u.fragment))


def same_endpoint(a, b):
    ua, ub = urlsplit(a), urlsplit(b)
    return (ua.scheme, ua.hostname, ua.port, ua.path.rstrip("/")) == \
        (ub.scheme, ub.hostname, ub.port, ub.path.rstrip("/"))


def parse_json(data):
    try:
        return json.loads(data.decode("utf-8")) if data else None
    except (ValueError, UnicodeDecodeError):
        return None


# ---------------------------------------------------------------------------
# Runs.
# ---------------------------------------------------------------------------

class RunEnded(Exception):
    """The run was finished (or cancelled) while an op was being handled."""


class Run:
    def __init__(self, rid, fn, event, parent=None, use_api=False):
        self.id = rid
        self.fn = fn                      # the registered function config
        self.function_id = fn["id"]
        self.event = event
        self.events = [event]
        self.status = "running"
        self.output = None
        self.error = None
        self.steps = {}                   # hash -> memoised value
        self.stack = []                   # hashes in completion order
        self.history = []                 # one entry per call to the endpoint
        self.version = -1
        self.disable_immediate = False
        self.use_api = use_api
        self.parent_run_id = parent
        self.children = []
        self.started = time.time()
        self.ended = None
        self.waiting = None               # what the run is blocked on, if anything
        self.notes = []
        self.calls = 0
        self.empty_replies = 0


# ---------------------------------------------------------------------------
# The executor.
# ---------------------------------------------------------------------------

class Executor:
    def __init__(self, config):
        self.config = config
        self.signing_key = config.get("signing_key") or ""
        self.fallback_key = config.get("signing_key_fallback") or ""
        self.event_key = config.get("event_key")
        self.sleep_cap_ms = float(config.get("sleep_cap_ms", 200))
        self.wait_cap_ms = float(config.get("wait_cap_ms", self.sleep_cap_ms * 10))
        self.retry_delay_ms = float(config.get("retry_delay_ms", 50))
        self.max_steps = int(config.get("max_steps", 1000))
        self.request_timeout = float(config.get("request_timeout_s", 30))
        self.verbose = bool(config.get("verbose"))
        self.port = None
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self.suite_lock = threading.Lock()
        self.registrations = []
        self.functions = {}               # composite id -> config from the last sync
        self.fn_app = {}                  # composite id -> appName that synced it
        self.events = []
        self.event_runs = {}
        self.seen_event_keys = set()
        self.runs = {}
        self.waiters = []
        self.slots = {}
        self.api_calls = []
        self.requests = 0
        self.notes = []

    def log(self, msg):
        if self.verbose:
            sys.stderr.write("[executor] %s\n" % msg)
            sys.stderr.flush()

    def note(self, msg):
        with self.lock:
            self.notes.append({"at": time.time(), "note": msg})

    def bearer_ok(self, header):
        if not self.signing_key:
            return True
        ok = {"Bearer " + hash_key(self.signing_key), "Bearer " + self.signing_key}
        if self.fallback_key:
            ok |= {"Bearer " + hash_key(self.fallback_key), "Bearer " + self.fallback_key}
        return header in ok

    # -- registration -------------------------------------------------------

    def register(self, query, headers, payload, auth_ok):
        with self.lock:
            entry = {"at": time.time(), "query": query, "headers": headers,
                     "payload": payload, "auth_ok": auth_ok}
            self.registrations.append(entry)
            if auth_ok and isinstance(payload, dict):
                app = payload.get("appName")
                for fid in [f for f, a in self.fn_app.items() if a == app]:
                    self.functions.pop(fid, None)
                    self.fn_app.pop(fid, None)
                for fn in payload.get("functions") or []:
                    if isinstance(fn, dict) and fn.get("id"):
                        self.functions[fn["id"]] = fn
                        self.fn_app[fn["id"]] = app
            self.cond.notify_all()

    # -- events ---------------------------------------------------------------

    def ingest(self, events, key_ok=True, seed=None, source="api"):
        """Store events, resolve waits, cancel runs, start triggered runs.
        Returns the ids (ULIDs); raises ValueError on a malformed event."""
        ms, entropy = None, None
        if seed:
            try:
                a, b = seed.split(",", 1)
                ms, entropy = int(a), int.from_bytes(base64.b64decode(b), "big")
            except (ValueError, TypeError):
                ms, entropy = None, None
        stored = []
        for i, ev in enumerate(events):
            if not isinstance(ev, dict) or not isinstance(ev.get("name"), str) or not ev["name"]:
                raise ValueError("event %d has no name" % i)
            if "data" in ev and ev["data"] is not None and not isinstance(ev["data"], dict):
                raise ValueError("event %d: data must be an object" % i)
            internal_id = ulid(ms, None if entropy is None else entropy + i)
            e = dict(ev)
            e["data"] = e.get("data") or {}
            e.setdefault("ts", int(time.time() * 1000))
            e.setdefault("user", {})
            dedup = e.get("id") or internal_id
            if not e.get("id"):
                e["id"] = internal_id
            stored.append((internal_id, dedup, e))
        ids = []
        for internal_id, dedup, e in stored:
            with self.lock:
                duplicate = dedup in self.seen_event_keys
                self.seen_event_keys.add(dedup)
                self.events.append({"internal_id": internal_id, "event": e, "key_ok": key_ok,
                                    "source": source, "received_at": time.time(),
                                    "duplicate": duplicate})
            ids.append(internal_id)
            if not duplicate:
                self._deliver(internal_id, e)
        return ids

    def _deliver(self, internal_id, e):
        name = e["name"]
        with self.lock:
            for w in list(self.waiters):
                if w["event"] != name or w["result"] is not None:
                    continue
                if w.get("if"):
                    try:
                        hit = _truthy(eval_expr(w["if"], {"event": w["run"].event, "async": e}))
                    except ExprError as err:
                        self.note("waitForEvent if %r: %s; treated as no match" % (w["if"], err))
                        hit = False
                    if not hit:
                        continue
                w["result"] = {"event": e}
                self.waiters.remove(w)
            for run in list(self.runs.values()):
                if run.status != "running":
                    continue
                for c in run.fn.get("cancel") or []:
                    if not isinstance(c, dict) or c.get("event") != name:
                        continue
                    hit = True
                    if c.get("if"):
                        try:
                            hit = _truthy(eval_expr(c["if"], {"event": run.event, "async": e}))
                        except ExprError as err:
                            self.note("cancel if %r: %s; treated as no match" % (c["if"], err))
                            hit = False
                    if hit:
                        self._finish_locked(run, "cancelled", error={
                            "name": "FunctionCancelled",
                            "message": "cancelled by event %s (%s)" % (name, internal_id)})
                        break
            self.cond.notify_all()
            fns = list(self.functions.values())
        if name == "inngest/function.invoked":
            return
        started = []
        for fn in fns:
            for trig in fn.get("triggers") or []:
                if not isinstance(trig, dict) or not trig.get("event"):
                    continue
                pat = trig["event"]
                if not (pat == name or (pat.endswith("*") and name.startswith(pat[:-1]))):
                    continue
                if trig.get("expression"):
                    try:
                        if not _truthy(eval_expr(trig["expression"], {"event": e})):
                            continue
                    except ExprError as err:
                        self.note("trigger expression %r: %s; treated as a match" % (trig["expression"], err))
                started.append(self.start_run(fn, e).id)
                break
        with self.lock:
            self.event_runs[internal_id] = started

    # -- runs -----------------------------------------------------------------

    def start_run(self, fn, event, parent=None, use_api=False):
        run = Run(ulid(), fn, event, parent=parent, use_api=use_api)
        with self.lock:
            self.runs[run.id] = run
            if parent and parent in self.runs:
                self.runs[parent].children.append(run.id)
            self.cond.notify_all()
        threading.Thread(target=self._drive, args=(run,), daemon=True,
                         name="run-" + run.id).start()
        return run

    def _finish_locked(self, run, status, output=None, error=None):
        if run.status in TERMINAL:
            return False
        run.status = status
        run.output = output
        run.error = error
        run.ended = time.time()
        run.waiting = None
        self.waiters = [w for w in self.waiters if w["run"] is not run]
        self.cond.notify_all()
        return True

    def finish(self, run, status, output=None, error=None):
        with self.lock:
            changed = self._finish_locked(run, status, output, error)
        if changed:
            self.log("run %s %s %s" % (run.id, run.function_id, status))
        if changed and status == "failed" and run.event.get("name") != "inngest/function.failed":
            self.ingest([{"name": "inngest/function.failed",
                          "data": {"function_id": run.function_id, "run_id": run.id,
                                   "error": error, "event": run.event}}], source="internal")

    def running(self, run):
        with self.lock:
            return run.status == "running"

    def retries(self, fn):
        step = (fn.get("steps") or {}).get("step") or next(iter((fn.get("steps") or {}).values()), {})
        r = (step.get("retries") or {}).get("attempts")
        if not isinstance(r, int) or isinstance(r, bool):
            return 4
        return max(0, min(r, 20))

    def step_url(self, fn):
        steps = fn.get("steps") or {}
        step = steps.get("step") or next(iter(steps.values()), {})
        return ((step.get("runtime") or {}).get("url")) or ""

    def _drive(self, run):
        try:
            while self.running(run):
                rep = self.call_with_retries(run, "step")
                if rep is None:
                    return
                if rep["kind"] == "complete":
                    self.finish(run, "completed", output=rep["output"])
                    return
                if rep["kind"] == "failed":
                    self.finish(run, "failed", error=rep["error"])
                    return
                self.handle_ops(run, rep["ops"])
        except RunEnded:
            return
        except Exception as err:  # a bug here must not hang the suite
            self.finish(run, "failed", error={"name": "ExecutorError", "message": repr(err),
                                              "stack": traceback.format_exc()})

    def delay(self, run, ms):
        """Sleep ms unless the run ends first; raises RunEnded if it did."""
        deadline = time.time() + ms / 1000.0
        with self.lock:
            while run.status == "running":
                left = deadline - time.time()
                if left <= 0:
                    return
                self.cond.wait(left)
        raise RunEnded()

    def call_with_retries(self, run, step_id):
        """One edge: call the endpoint with stepId=step_id, retrying StepError
        and retriable function errors up to the function's retry count.
        Returns {"kind": "complete"|"failed"|"ops", ...}, or None if the run
        ended meanwhile."""
        retries = self.retries(run.fn)
        attempt = 0
        while True:
            if not self.running(run):
                return None
            if len(run.steps) >= self.max_steps:
                return {"kind": "failed", "error": {
                    "name": "InngestErrFunctionOverflowed",
                    "message": "run has %d steps; the limit is %d" % (len(run.steps), self.max_steps)}}
            rep = self.call_sdk(run, step_id, attempt)
            if rep is None:
                return None
            if rep["kind"] == "ops":
                if any(op.get("op") == "StepError" for op in rep["ops"]) and attempt < retries \
                        and not rep["no_retry"]:
                    self.delay(run, self.retry_delay(rep))
                    attempt += 1
                    continue
                return rep
            if rep["kind"] == "error":
                if rep["no_retry"] or attempt >= retries:
                    return {"kind": "failed", "error": rep["error"]}
                self.delay(run, self.retry_delay(rep))
                attempt += 1
                continue
            return rep

    def retry_delay(self, rep):
        secs = parse_retry_after_s(rep.get("retry_after"))
        return self.retry_delay_ms if secs is None else secs * self.retry_delay_ms

    def build_body(self, run, step_id, attempt):
        with self.lock:
            omit = run.use_api and bool(run.steps)
            ctx = {"run_id": run.id, "env": "test", "step_id": step_id, "attempt": attempt,
                   "max_attempts": self.retries(run.fn) + 1,
                   "stack": {"stack": list(run.stack), "current": len(run.stack)},
                   "qi_id": "%s:%d" % (run.id, run.calls), "request_id": ulid(),
                   "generation_id": run.calls, "job_id": "%s:%s" % (run.id, step_id),
                   "disable_immediate_execution": run.disable_immediate, "use_api": omit}
            body = {"event": run.event, "defers": {}, "version": run.version,
                    "use_api": omit, "ctx": ctx}
            if not omit:
                body["events"] = list(run.events)
                body["steps"] = dict(run.steps)
            return body

    def acquire(self, run):
        """Take a slot in every concurrency constraint of the run's function;
        returns the slot keys, or None if the run ended while waiting."""
        c = run.fn.get("concurrency")
        if isinstance(c, (int, float)) and not isinstance(c, bool):
            c = [{"limit": int(c)}]
        elif isinstance(c, dict):
            c = [c]
        keys = []
        for item in c or []:
            if not isinstance(item, dict) or not item.get("limit"):
                continue
            scope = item.get("scope") or "fn"
            value = None
            if item.get("key"):
                try:
                    value = eval_expr(item["key"], {"event": run.event})
                except ExprError:
                    value = None
                value = None if value is MISSING else value
            sk = "%s|%s|%s|%s" % (scope, run.function_id if scope == "fn" else "",
                                 item.get("key") or "", json.dumps(value, sort_keys=True))
            keys.append((sk, int(item["limit"])))
        with self.lock:
            while True:
                if run.status != "running":
                    return None
                if all(self.slots.get(k, {}).get("active", 0) < lim for k, lim in keys):
                    break
                self.cond.wait(0.5)
            for k, lim in keys:
                s = self.slots.setdefault(k, {"limit": lim, "active": 0, "peak": 0, "calls": 0})
                s["active"] += 1
                s["calls"] += 1
                s["peak"] = max(s["peak"], s["active"])
        return [k for k, _ in keys]

    def release(self, keys):
        with self.lock:
            for k in keys:
                self.slots[k]["active"] -= 1
            self.cond.notify_all()

    def call_sdk(self, run, step_id, attempt):
        """POST one signed call; record it in run.history; classify the reply."""
        body = self.build_body(run, step_id, attempt)
        raw = jcs_bytes(body)
        url = with_query(self.step_url(run.fn), stepId=step_id)
        headers = {"Content-Type": "application/json",
                   "X-Inngest-Step-ID": step_id, "X-Run-ID": run.id,
                   "x-request-id": body["ctx"]["request_id"],
                   "x-inngest-job-id": body["ctx"]["job_id"],
                   "x-inngest-generation-id": str(body["ctx"]["generation_id"]),
                   "x-inngest-req-version": str(run.version)}
        if run.disable_immediate:
            headers["X-Inngest-Force-Step-Plan"] = "true"
        if self.signing_key:
            headers["X-Inngest-Signature"] = sign(raw, self.signing_key)
        slots = self.acquire(run)
        if slots is None:
            return None
        with self.lock:
            run.calls += 1
            self.requests += 1
        t0 = time.time()
        try:
            status, rh, data = http_call("POST", url, raw, headers, self.request_timeout)
        except OSError as err:
            status, rh, data = 0, {}, repr(err).encode()
        finally:
            self.release(slots)
        elapsed = int((time.time() - t0) * 1000)
        if status == 201:  # streamed: keep-alive bytes, then {status, body, headers}
            inner = parse_json(data.strip()) or {}
            status = int(inner.get("status") or 500)
            rh = dict(rh, **{k.lower(): v for k, v in (inner.get("headers") or {}).items()})
            b = inner.get("body")
            data = (b if isinstance(b, str) else json.dumps(b)).encode("utf-8")
        parsed = parse_json(data)
        no_retry = (rh.get("x-inngest-no-retry") or "").lower() == "true"
        rep = {"status": status, "no_retry": no_retry, "retry_after": rh.get("retry-after")}
        sig = rh.get("x-inngest-signature")
        entry = {"n": len(run.history), "step_id": step_id, "attempt": attempt,
                 "steps_sent": None if "steps" not in body else list(body["steps"]),
                 "events_sent": None if "events" not in body else len(body["events"]),
                 "use_api": body["use_api"], "version_sent": body["version"],
                 "disable_immediate_execution": body["ctx"]["disable_immediate_execution"],
                 "status": status, "elapsed_ms": elapsed, "t": [round(t0, 3), round(t0 + elapsed / 1000.0, 3)],
                 "headers": {k: rh.get(k) for k in ("x-inngest-sdk", "x-inngest-req-version",
                                                    "x-inngest-no-retry", "retry-after",
                                                    "x-inngest-framework", "content-type")
                             if rh.get(k) is not None},
                 "response_signature": None if not sig else bool(
                     verify(sig, data, [self.signing_key, self.fallback_key]))}
        if 200 <= status < 300 and not rh.get("x-inngest-sdk"):
            rep.update(kind="error", error={"name": "ErrNotSDK",
                                            "message": "%d reply without X-Inngest-SDK" % status})
        elif status == 200:
            rep.update(kind="complete", output=parsed if parsed is not None or data.strip() == b"null"
                       else data.decode("utf-8", "replace"))
        elif status == 206:
            ops = parsed if isinstance(parsed, list) else [parsed] if isinstance(parsed, dict) else None
            if ops is None:
                rep.update(kind="error", error={"name": "ErrBadOps", "message": "206 body is not ops: %r"
                                                % data[:200]})
            elif len(ops) == 1 and isinstance(ops[0], dict) and ops[0].get("op") == "RunComplete":
                rep.update(kind="complete", output=ops[0].get("data"))
            else:
                rep.update(kind="ops", ops=[op for op in ops if isinstance(op, dict)])
        else:
            err = parsed if isinstance(parsed, dict) else {
                "name": "Error", "message": "status %d: %s" % (status, data[:300].decode("utf-8", "replace"))}
            rep.update(kind="error", error=err)
        if rep["kind"] == "ops":
            entry["ops"] = [{k: v for k, v in op.items() if k != "timing"} for op in rep["ops"]]
        else:
            entry["body"] = parsed if parsed is not None else data[:2000].decode("utf-8", "replace")
        with self.lock:
            run.history.append(entry)
            v = rh.get("x-inngest-req-version")
            if run.version == -1 and v and re.fullmatch(r"-?\d+", v) and int(v) > 0:
                run.version = int(v)
        self.log("call %s %s stepId=%s attempt=%d -> %d %s" % (
            run.id, run.function_id, step_id[:12], attempt, status,
            ",".join(op.get("op", "?") for op in rep.get("ops", [])) or rep["kind"]))
        return rep

    # -- ops ------------------------------------------------------------------

    def save(self, run, hash_, value):
        with self.lock:
            if run.status != "running":
                raise RunEnded()
            if hash_ in run.steps and run.steps[hash_] != value:
                run.notes.append("step %s memoised again with a different value" % hash_)
            run.steps[hash_] = value
            if hash_ not in run.stack:
                run.stack.append(hash_)
            self.cond.notify_all()

    def handle_ops(self, run, ops):
        if len(ops) > self.max_steps:
            self.finish(run, "failed", error={"name": "InngestErrFunctionOverflowed",
                                              "message": "one reply with %d ops" % len(ops)})
            raise RunEnded()
        real = [op for op in ops if op.get("op") not in (None, "None")]
        if not real:
            run.empty_replies += 1
            if run.empty_replies >= 3:
                self.finish(run, "failed", error={"name": "ErrNoProgress",
                                                  "message": "three 206 replies with no ops"})
                raise RunEnded()
            return
        if len(real) > 1:
            with self.lock:
                run.disable_immediate = True
        results = [None] * len(real)
        errors = []

        def work(i, op):
            try:
                results[i] = self.do_op(run, op)
            except RunEnded:
                results[i] = []
            except Exception as err:
                errors.append(err)
                results[i] = []
        if len(real) == 1:
            work(0, real[0])
        else:
            ts = [threading.Thread(target=work, args=(i, op), daemon=True) for i, op in enumerate(real)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
        if errors:
            raise errors[0]
        for memos in results:
            for h, v in memos:
                self.save(run, h, v)

    def do_op(self, run, op, depth=0):
        """Carry out one op; returns [(hash, memoised value)] to save."""
        kind, h = op.get("op"), op.get("id")
        if kind == "StepRun":
            return [(h, {"data": op.get("data")})]
        if kind in ("StepError", "StepFailed"):
            err = op.get("error") if op.get("error") is not None else op.get("data")
            return [(h, {"error": err})]
        if kind == "RunComplete":
            self.finish(run, "completed", output=op.get("data"))
            raise RunEnded()
        if kind == "StepPlanned":
            if depth > 3:
                self.finish(run, "failed", error={"name": "ErrPlanLoop",
                                                  "message": "step %s planned again" % h})
                raise RunEnded()
            rep = self.call_with_retries(run, h)
            if rep is None:
                raise RunEnded()
            if rep["kind"] == "complete":
                self.finish(run, "completed", output=rep["output"])
                raise RunEnded()
            if rep["kind"] == "failed":
                self.finish(run, "failed", error=rep["error"])
                raise RunEnded()
            out = []
            for sub in rep["ops"]:
                if sub.get("op") in (None, "None"):
                    continue
                out += self.do_op(run, sub, depth + 1)
            return out
        if kind == "Sleep":
            opts = op.get("opts") or {}
            ms = parse_duration_ms(opts.get("duration") or op.get("name"))
            if ms is None:
                self.finish(run, "failed", error={"name": "ErrBadSleep",
                                                  "message": "cannot read sleep %r" % (op,)})
                raise RunEnded()
            with self.lock:
                run.waiting = {"op": "Sleep", "id": h}
            self.delay(run, min(ms, self.sleep_cap_ms))
            with self.lock:
                run.waiting = None
            return [(h, None)]
        if kind == "WaitForEvent":
            return [(h, self.wait_for_event(run, op))]
        if kind == "InvokeFunction":
            return [(h, self.invoke(run, op))]
        self.finish(run, "failed", error={"name": "ErrUnsupportedOpcode",
                                          "message": "opcode %r is not supported by this executor" % kind})
        raise RunEnded()

    def wait_for_event(self, run, op):
        opts = op.get("opts") or {}
        ms = parse_duration_ms(opts.get("timeout"))
        ms = self.wait_cap_ms if ms is None else min(ms, self.wait_cap_ms)
        w = {"run": run, "id": op.get("id"), "event": opts.get("event") or op.get("name"),
             "if": opts.get("if"), "result": None}
        deadline = time.time() + ms / 1000.0
        with self.lock:
            if run.status != "running":
                raise RunEnded()
            self.waiters.append(w)
            run.waiting = {"op": "WaitForEvent", "id": w["id"], "event": w["event"], "if": w["if"]}
            self.cond.notify_all()
            while w["result"] is None and run.status == "running":
                left = deadline - time.time()
                if left <= 0:
                    break
                self.cond.wait(left)
            if w in self.waiters:
                self.waiters.remove(w)
            run.waiting = None
            if run.status != "running":
                raise RunEnded()
            return w["result"]["event"] if w["result"] else None

    def invoke(self, run, op):
        opts = op.get("opts") or {}
        fid = opts.get("function_id")
        payload = opts.get("payload") or {}
        with self.lock:
            fn = self.functions.get(fid)
        if not fn:
            return {"error": {"name": "Error", "message": "invoked function %r is not registered" % fid}}
        ev = {"name": "inngest/function.invoked", "data": payload.get("data") or {},
              "id": ulid(), "ts": int(time.time() * 1000), "user": payload.get("user") or {}}
        if payload.get("v") is not None:
            ev["v"] = payload["v"]
        with self.lock:
            self.events.append({"internal_id": ev["id"], "event": ev, "key_ok": True,
                                "source": "invoke", "received_at": time.time(), "duplicate": False})
        child = self.start_run(fn, ev, parent=run.id)
        ms = parse_duration_ms(opts.get("timeout"))
        deadline = None if ms is None else time.time() + ms / 1000.0
        with self.lock:
            run.waiting = {"op": "InvokeFunction", "id": op.get("id"), "child": child.id}
            while child.status == "running" and run.status == "running":
                left = None if deadline is None else deadline - time.time()
                if left is not None and left <= 0:
                    break
                self.cond.wait(left if left is not None else 1.0)
            run.waiting = None
            if run.status != "running":
                raise RunEnded()
            if child.status == "completed":
                return {"data": child.output}
            if child.status == "running":
                return {"error": {"name": "InngestInvokeTimeoutError", "message": "invoke timed out"}}
            err = child.error if isinstance(child.error, dict) else {"message": str(child.error)}
            # The child's serialized error as the SDK wrote it: fields of its
            # own (cryptic-bench's "class" and "status") come through as data.
            extra = {k: err[k] for k in ("class", "status") if k in err}
            return {"error": {"name": err.get("name") or "Error",
                              "message": err.get("message") or child.status,
                              **({"stack": err["stack"]} if err.get("stack") else {}),
                              **extra}}

    # -- views ----------------------------------------------------------------

    def run_view(self, run, history=True):
        with self.lock:
            steps = {}
            for e in run.history:
                for op in e.get("ops", []):
                    s = steps.setdefault(op.get("id"), {"name": (op.get("userland") or {}).get("id")
                                                        or op.get("displayName") or op.get("name"),
                                                        "ops": []})
                    s["ops"].append({"op": op.get("op"), "request": e["n"], "attempt": e["attempt"]})
            for h, v in run.steps.items():
                steps.setdefault(h, {"name": None, "ops": []})["memo"] = v
            out = {"id": run.id, "function_id": run.function_id, "status": run.status,
                   "output": run.output, "error": run.error, "event": run.event,
                   "parent_run_id": run.parent_run_id, "children": list(run.children),
                   "use_api": run.use_api, "requests": len(run.history),
                   "started": run.started, "ended": run.ended,
                   "elapsed_ms": None if run.ended is None else int((run.ended - run.started) * 1000),
                   "steps": steps, "stack": list(run.stack), "waiting": run.waiting,
                   "notes": list(run.notes)}
            if history:
                out["history"] = json.loads(json.dumps(run.history))
            return out

    def state(self):
        with self.lock:
            return {"port": self.port,
                    "registrations": json.loads(json.dumps(self.registrations)),
                    "functions": sorted(self.functions),
                    "events": json.loads(json.dumps(self.events)),
                    "event_runs": dict(self.event_runs),
                    "runs": [self.run_view(r) for r in self.runs.values()],
                    "api_calls": list(self.api_calls),
                    "slots": json.loads(json.dumps(self.slots)),
                    "requests": self.requests, "notes": list(self.notes)}

    # -- waiting helpers for the suites --------------------------------------------

    def wait_until(self, pred, timeout):
        deadline = time.time() + timeout
        with self.lock:
            while not pred():
                left = deadline - time.time()
                if left <= 0:
                    return False
                self.cond.wait(min(left, 0.5))
            return True


# ---------------------------------------------------------------------------
# Suites.
# ---------------------------------------------------------------------------

class Suite:
    def __init__(self, ex, req):
        self.ex = ex
        self.req = req
        self.serve_url = req.get("serve_url") or ""
        self.timeout = float(req.get("timeout_s") or 60)
        self.t0 = time.time()
        self.deadline = self.t0 + self.timeout
        self.checks = []
        self.run_ids = []
        self.requests0 = ex.requests
        self.register = None
        self.extra_replies = []   # (what, status, headers) of the suite's own calls
        self.app = None

    def check(self, name, ok, detail=None):
        self.checks.append({"name": name, "ok": bool(ok), "detail": detail})
        return ok

    def left(self, cap=None):
        left = max(0.1, self.deadline - time.time())
        return min(left, cap) if cap else left

    def base(self):
        return "http://127.0.0.1:%d" % self.ex.port

    # the suite's own calls to the endpoint are counted as requests too
    def sdk(self, method, url, body=b"", headers=None):
        with self.ex.lock:
            self.ex.requests += 1
        try:
            st, hd, data = http_call(method, url, body or None, headers or {}, self.ex.request_timeout)
        except OSError as err:
            st, hd, data = 0, {}, repr(err).encode()
        return st, hd, data

    def send(self, events):
        """Through the event API, like any client; returns the ids."""
        body = json.dumps(events).encode()
        st, _, data = http_call("POST", "%s/e/%s" % (self.base(), quote(self.ex.event_key or "none", safe="")),
                                body, {"Content-Type": "application/json"}, 10)
        reply = parse_json(data) or {}
        if st != 200:
            raise RuntimeError("event API answered %d: %s" % (st, data[:200]))
        return reply.get("ids") or []

    def runs_of(self, event_id, fn_id=None, timeout=60.0):
        # A generous cap for a loaded machine: it returns as soon as the runs exist.
        ok = self.ex.wait_until(lambda: event_id in self.ex.event_runs, self.left(timeout))
        if not ok:
            return []
        with self.ex.lock:
            ids = [r for r in self.ex.event_runs[event_id]
                   if fn_id is None or self.ex.runs[r].function_id == fn_id]
        self.run_ids += [r for r in ids if r not in self.run_ids]
        return [self.ex.runs[r] for r in ids]

    def wait_done(self, run, timeout=None):
        self.ex.wait_until(lambda: run.status in TERMINAL, self.left(timeout))
        return run

    def trigger(self, name, data, fn):
        """Send one event, return the finished run of `fn` it started."""
        ids = self.send([{"name": name, "data": data}])
        runs = self.runs_of(ids[0], self.fid(fn))
        if not runs:
            raise RuntimeError("event %s started no run of %s" % (name, self.fid(fn)))
        return self.wait_done(runs[0], 20)

    def fid(self, name):
        return "%s-%s" % (self.app, name)

    def track(self, run):
        if run.id not in self.run_ids:
            self.run_ids.append(run.id)
        return run

    def all_run_ids(self):
        """Every run started since the suite began (suites run one at a time),
        so runs started by events the app sent, and invoked children, count."""
        with self.ex.lock:
            return [r.id for r in self.ex.runs.values() if r.started >= self.t0]

    def report(self, suite, extra=None):
        runs = [self.ex.run_view(self.ex.runs[r]) for r in self.all_run_ids()]
        counts = {}
        for r in runs:
            counts[r["status"]] = counts.get(r["status"], 0) + 1
        counts["runs"] = len(runs)
        out = {"ok": all(c["ok"] for c in self.checks) and bool(self.checks), "suite": suite,
               "elapsed_ms": int((time.time() - self.t0) * 1000), "checks": self.checks,
               "runs": runs, "register": self.register, "requests": self.ex.requests - self.requests0,
               "counts": counts}
        if extra:
            out.update(extra)
        return out

    # -- sync -------------------------------------------------------------------

    def sync(self, deploy_id=None):
        """PUT the endpoint (signed, server kind cloud) and wait for the
        out-of-band register call. Returns (put status, headers, body, registration)."""
        ex = self.ex
        with ex.lock:
            n0 = len(ex.registrations)
        url = with_query(self.serve_url, deployId=deploy_id) if deploy_id else self.serve_url
        body = jcs_bytes({"url": self.serve_url})
        headers = {"Content-Type": "application/json", "X-Inngest-Server-Kind": "cloud"}
        if ex.signing_key:
            headers["X-Inngest-Signature"] = sign(body, ex.signing_key)
        st, hd, data = self.sdk("PUT", url, body, headers)
        self.extra_replies.append(("sync PUT", st, hd))
        ex.wait_until(lambda: len(ex.registrations) > n0, self.left(5))
        with ex.lock:
            reg = ex.registrations[-1] if len(ex.registrations) > n0 else None
        if reg:
            self.register = reg
            p = reg["payload"] if isinstance(reg["payload"], dict) else {}
            self.app = p.get("appName")
        return st, hd, data, reg

    # -- protocol -----------------------------------------------------------------

    def protocol(self):
        ex = self.ex
        scenarios = [
            ("introspection", self.p_introspection), ("sync", self.p_sync),
            ("serial", self.p_serial), ("parallel", self.p_parallel), ("sleepy", self.p_sleepy),
            ("waiter.match", self.p_waiter_match), ("waiter.timeout", self.p_waiter_timeout),
            ("waiter.cancel", self.p_waiter_cancel), ("invoke", self.p_invoke),
            ("flaky", self.p_flaky), ("doomed", self.p_doomed), ("sender", self.p_sender),
            ("scheduled", self.p_scheduled), ("concurrency", self.p_concurrency),
            ("use_api", self.p_use_api), ("signatures", self.p_signatures),
        ]
        for name, fn in scenarios:
            if time.time() > self.deadline:
                self.check(name, False, "suite timeout (%ss) passed before it ran" % self.timeout)
                continue
            if name not in ("introspection", "sync") and not self.app:
                self.check(name, False, "skipped: no registration")
                continue
            try:
                fn()
            except Exception as err:
                self.check(name, False, "exception: %r\n%s" % (err, traceback.format_exc()))
        self.p_headers()
        return self.report("protocol", {"app": self.app})

    def p_introspection(self):
        ex = self.ex
        st, hd, data = self.sdk("GET", self.serve_url)
        body = parse_json(data)
        if st == 200:
            missing = [k for k in ("schema_version", "function_count", "mode")
                       if not isinstance(body, dict) or k not in body]
            self.check("introspection.unsigned", not missing,
                       {"status": 200, "body": body, "missing": missing})
        else:
            self.check("introspection.unsigned", st == 401,
                       {"status": st, "body": body,
                        "note": "401 is what JS v4 answers in cloud mode (notes §1)"})
        t = int(time.time())
        st, hd, data = self.sdk("GET", self.serve_url, b"",
                                {"X-Inngest-Signature": sign(b"", ex.signing_key, t)})
        self.extra_replies.append(("introspection GET", st, hd))
        body = parse_json(data) if st == 200 else None
        if not isinstance(body, dict):
            self.check("introspection.signed", False, {"status": st, "body": data[:300].decode("utf-8", "replace")})
            return
        want = ["authentication_succeeded", "function_count", "has_event_key", "has_signing_key",
                "has_signing_key_fallback", "mode", "schema_version", "api_origin", "app_id", "env",
                "event_api_origin", "event_key_hash", "framework", "sdk_language", "sdk_version",
                "serve_origin", "serve_path", "signing_key_hash", "signing_key_fallback_hash"]
        missing = [k for k in want if k not in body]
        required = [k for k in ("schema_version", "function_count", "mode") if k not in body]
        hashed = strip_key(hash_key(ex.signing_key))
        skh = body.get("signing_key_hash")
        skh_ok = isinstance(skh, str) and len(skh) >= 12 and hashed.startswith(strip_key(skh))
        fbh = body.get("signing_key_fallback_hash")
        fb_ok = True
        if ex.fallback_key and fbh is not None:
            fb_ok = isinstance(fbh, str) and strip_key(hash_key(ex.fallback_key)).startswith(strip_key(fbh))
        ekh = body.get("event_key_hash")
        ek_ok = ekh is None or not ex.event_key or \
            hashlib.sha256(ex.event_key.encode()).hexdigest().startswith(str(ekh))
        self.check("introspection.signed",
                   not required and body.get("authentication_succeeded") is True and skh_ok and fb_ok,
                   {"status": st, "missing_keys": missing, "missing_required": required,
                    "signing_key_hash": skh, "expected_prefix_of": hashed,
                    "signing_key_fallback_hash_ok": fb_ok, "event_key_hash_ok": ek_ok,
                    "mode": body.get("mode"), "function_count": body.get("function_count"),
                    "extra_keys": sorted(set(body) - set(want) - {"extra", "capabilities"}),
                    "body": body})

    def p_sync(self):
        ex = self.ex
        deploy = "deploy-" + secrets.token_hex(4)
        st, hd, data, reg = self.sync(deploy)
        body = parse_json(data)
        self.check("sync.put", st == 200 and isinstance(body, dict)
                   and ("message" in body or "modified" in body),
                   {"status": st, "body": body, "sync_kind": hd.get("x-inngest-sync-kind")})
        if not reg:
            self.check("sync.register", False, "no POST /fn/register arrived")
            return
        p = reg["payload"] if isinstance(reg["payload"], dict) else {}
        h = reg["headers"]
        fns = {f.get("id"): f for f in p.get("functions") or [] if isinstance(f, dict)}
        self.check("sync.register", reg["auth_ok"] and bool(p.get("appName")) and bool(h.get("x-inngest-sdk"))
                   and h.get("x-inngest-sync-kind") == "out_of_band"
                   and h.get("x-inngest-expected-server-kind") == "cloud"
                   and same_endpoint(p.get("url") or "", self.serve_url),
                   {"auth_ok": reg["auth_ok"], "authorization": h.get("authorization"),
                    "appName": p.get("appName"), "url": p.get("url"), "sdk": p.get("sdk"),
                    "x-inngest-sdk": h.get("x-inngest-sdk"), "sync_kind": h.get("x-inngest-sync-kind"),
                    "expected_server_kind": h.get("x-inngest-expected-server-kind"),
                    "v": p.get("v"), "deployType": p.get("deployType"),
                    "capabilities": p.get("capabilities"),
                    "top_level_keys": sorted(p)})
        self.check("sync.deploy_id", reg["query"].get("deployId") == deploy,
                   {"sent": deploy, "register_query": reg["query"], "payload_deployId": p.get("deployId"),
                    "payload_url": p.get("url"),
                    "note": "JS also keeps ?deployId in url and the step urls (notes §11.1)"})
        want = ["%s-%s" % (self.app, n) for n in APP_FUNCTIONS]
        self.check("sync.functions", sorted(fns) == sorted(want),
                   {"got": sorted(fns), "want": sorted(want)})
        triggers = {"serial": {"event": "test/serial"}, "parallel": {"event": "test/parallel"},
                    "sleepy": {"event": "test/sleepy"}, "waiter": {"event": "test/wait"},
                    "child": {"event": "test/child"}, "parent": {"event": "test/parent"},
                    "flaky": {"event": "test/flaky"}, "doomed": {"event": "test/doomed"},
                    "sender": {"event": "test/send"}, "scheduled": {"cron": "TZ=Europe/Paris 0 12 * * 5"}}
        bad = {}
        for n, t in triggers.items():
            got = [{k: v for k, v in x.items() if v is not None} for x in fns.get(self.fid(n), {}).get("triggers") or []]
            if not any(all(g.get(k) == v for k, v in t.items()) for g in got):
                bad[n] = got
        self.check("sync.triggers", not bad, {"mismatched": bad} if bad else "all ten as expected")
        bad = {}
        for fid, f in fns.items():
            step = (f.get("steps") or {}).get("step") or {}
            rt = step.get("runtime") or {}
            q = dict(parse_qsl(urlsplit(rt.get("url") or "").query))
            if not (rt.get("type") == "http" and same_endpoint(rt.get("url") or "", self.serve_url)
                    and q.get("fnId") == fid and q.get("stepId") == "step" and step.get("id") == "step"):
                bad[fid] = step
        self.check("sync.step_urls", not bad and bool(fns),
                   {"bad": bad} if bad else {"example": (fns.get(self.fid("serial")) or {}).get("steps")})
        got = {n: ((fns.get(self.fid(n), {}).get("steps") or {}).get("step") or {}).get("retries")
               for n in APP_FUNCTIONS}
        self.check("sync.retries", (got["serial"] or {}).get("attempts") == 2
                   and (got["flaky"] or {}).get("attempts") == 3
                   and (got["doomed"] or {}).get("attempts") == 1, got)
        c = fns.get(self.fid("serial"), {}).get("concurrency")
        cl = c if isinstance(c, list) else [c] if isinstance(c, dict) else []
        self.check("sync.concurrency", any(isinstance(x, dict) and x.get("limit") == 1
                                           and x.get("key") == "event.data.key" for x in cl), c)
        cancel = fns.get(self.fid("waiter"), {}).get("cancel")
        self.check("sync.cancel", isinstance(cancel, list) and any(
            isinstance(x, dict) and x.get("event") == "test/cancel" for x in cancel), cancel)

    def ops_of(self, run):
        """[(history entry, op)] in order."""
        return [(e, op) for e in run.history for op in e.get("ops", [])]

    def p_serial(self):
        x = 4
        run = self.trigger("test/serial", {"x": x, "key": "k-serial"}, "serial")
        want = {"a": x + 1, "b": 2 * (x + 1), "loops": [0, 1, 2]}
        self.check("serial.output", run.status == "completed" and run.output == want,
                   {"status": run.status, "output": run.output, "error": run.error, "want": want})
        ran = [op.get("id") for _, op in self.ops_of(run) if op.get("op") == "StepRun"]
        ids = [sha1(s) for s in ("add-one", "double", "loop", "loop:1", "loop:2")]
        self.check("serial.step_ids", ran == ids,
                   {"got": ran, "want": ids, "names": ["add-one", "double", "loop", "loop:1", "loop:2"]})
        problems = []
        for i, e in enumerate(run.history):
            if e["steps_sent"] is None or len(e["steps_sent"]) != i:
                problems.append("request %d carried %r memoised steps, want %d" % (i, e["steps_sent"], i))
            for op in e.get("ops", []):
                if op.get("id") in (e["steps_sent"] or []):
                    problems.append("request %d re-ran memoised step %s" % (i, op.get("id")))
            if i < 5 and [op.get("op") for op in e.get("ops", [])] != ["StepRun"]:
                problems.append("request %d: want one StepRun, got %d %r" % (
                    i, e["status"], [op.get("op") for op in e.get("ops", [])]))
        if len(run.history) != 6:
            problems.append("%d requests, want 6 (5 steps + the final 200)" % len(run.history))
        elif run.history[-1]["status"] != 200:
            problems.append("last reply %d, want 200" % run.history[-1]["status"])
        self.check("serial.replay", not problems,
                   problems or "6 requests; request i carried i memoised steps; each ran only its new step")

    def p_parallel(self):
        run = self.trigger("test/parallel", {}, "parallel")
        ids = [sha1(s) for s in ("p1", "p2", "p3")]
        first = run.history[0] if run.history else {}
        plan = [(op.get("op"), op.get("id")) for op in first.get("ops", [])]
        self.check("parallel.plan", first.get("status") == 206 and plan == [("StepPlanned", i) for i in ids],
                   {"status": first.get("status"), "ops": first.get("ops") or first.get("body")})
        per = {}
        for e in run.history:
            if e["step_id"] in ids:
                per.setdefault(e["step_id"], []).append(e)
        problems = []
        for i, want in zip(ids, ("one", "two", "three")):
            es = per.get(i, [])
            if len(es) != 1:
                problems.append("%s: %d requests" % (i, len(es)))
                continue
            ops = es[0].get("ops", [])
            if [(o.get("op"), o.get("id"), o.get("data")) for o in ops] != [("StepRun", i, want)]:
                problems.append("%s: reply %r" % (i, ops))
            if not es[0]["disable_immediate_execution"]:
                problems.append("%s: sent without disable_immediate_execution" % i)
        self.check("parallel.planned_requests", not problems,
                   problems or "each StepPlanned ran in its own request with stepId=<hash>")
        want = {"joined": "one+two+three"}
        self.check("parallel.output", run.status == "completed" and run.output == want,
                   {"status": run.status, "output": run.output, "error": run.error,
                    "requests": [(e["step_id"][:12], e["status"], [o.get("op") for o in e.get("ops", [])])
                                 for e in run.history]})

    def p_sleepy(self):
        run = self.trigger("test/sleepy", {}, "sleepy")
        sleeps = [op for _, op in self.ops_of(run) if op.get("op") == "Sleep"]
        ok_op = len(sleeps) == 1 and sleeps[0].get("id") == sha1("nap") and \
            ((sleeps[0].get("opts") or {}).get("duration") or sleeps[0].get("name")) == "2s"
        self.check("sleepy", ok_op and run.status == "completed" and run.output == {"done": True},
                   {"sleep_ops": sleeps, "status": run.status, "output": run.output,
                    "memo": run.steps.get(sha1("nap"), "absent")})

    def start_waiter(self, wid):
        ids = self.send([{"name": "test/wait", "data": {"id": wid}}])
        runs = self.runs_of(ids[0], self.fid("waiter"))
        if not runs:
            raise RuntimeError("test/wait started no waiter run")
        run = runs[0]
        self.ex.wait_until(lambda: (run.waiting or {}).get("op") == "WaitForEvent" or run.status in TERMINAL,
                           self.left(10))
        return run

    def p_waiter_match(self):
        wid = "w-" + secrets.token_hex(4)
        run = self.start_waiter(wid)
        waiting = dict(run.waiting or {})
        self.send([{"name": "test/approved", "data": {"id": "other-" + wid, "by": "mallory"}}])
        still = run.status == "running"
        self.send([{"name": "test/approved", "data": {"id": wid, "by": "alice"}}])
        self.wait_done(run, 10)
        ops = [op for _, op in self.ops_of(run) if op.get("op") == "WaitForEvent"]
        op = ops[0] if ops else {}
        opts = op.get("opts") or {}
        shape = (op.get("id") == sha1("approval") and (opts.get("event") or op.get("name")) == "test/approved"
                 and opts.get("timeout") == "1h" and "async.data.id" in (opts.get("if") or ""))
        self.check("waiter.match", shape and still and run.status == "completed"
                   and run.output == {"approved_by": "alice"},
                   {"op": op, "waiting_seen": waiting, "ignored_non_matching": still,
                    "status": run.status, "output": run.output, "error": run.error})

    def p_waiter_timeout(self):
        run = self.start_waiter("t-" + secrets.token_hex(4))
        self.wait_done(run, self.ex.wait_cap_ms / 1000 + 10)
        self.check("waiter.timeout", run.status == "completed" and run.output == {"approved_by": None}
                   and sha1("approval") in run.steps and run.steps[sha1("approval")] is None,
                   {"status": run.status, "output": run.output, "error": run.error,
                    "wait_cap_ms": self.ex.wait_cap_ms})

    def p_waiter_cancel(self):
        wid = "c-" + secrets.token_hex(4)
        run = self.start_waiter(wid)
        self.send([{"name": "test/cancel", "data": {"id": "other-" + wid}}])
        still = run.status == "running"
        self.send([{"name": "test/cancel", "data": {"id": wid}}])
        self.wait_done(run, 5)
        self.check("waiter.cancel", still and run.status == "cancelled",
                   {"ignored_non_matching": still, "status": run.status, "error": run.error,
                    "requests": len(run.history)})

    def p_invoke(self):
        run = self.trigger("test/parent", {"n": 21}, "parent")
        ops = [op for _, op in self.ops_of(run) if op.get("op") == "InvokeFunction"]
        op = ops[0] if ops else {}
        opts = op.get("opts") or {}
        with self.ex.lock:
            kids = [self.ex.runs[c] for c in run.children]
        kid = kids[0] if kids else None
        self.check("invoke", run.status == "completed" and run.output == {"child": {"doubled": 42}}
                   and op.get("id") == sha1("call-child") and opts.get("function_id") == self.fid("child")
                   and (opts.get("payload") or {}).get("data") == {"n": 21}
                   and kid is not None and kid.function_id == self.fid("child")
                   and kid.event.get("name") == "inngest/function.invoked" and kid.status == "completed",
                   {"op": op, "status": run.status, "output": run.output, "error": run.error,
                    "child": kid and {"id": kid.id, "function_id": kid.function_id, "status": kid.status,
                                      "output": kid.output, "event": kid.event},
                    "memo": run.steps.get(sha1("call-child"), "absent")})

    def p_flaky(self):
        run = self.trigger("test/flaky", {}, "flaky")
        seq = [(e["attempt"], e["status"], e["headers"].get("x-inngest-no-retry"),
                [o.get("op") for o in e.get("ops", [])]) for e in run.history]
        errs = [s for s in seq if s[3] == ["StepError"]]
        ok = (len(errs) == 2 and all(s[1] == 206 and s[2] == "false" for s in errs)
              and [s[0] for s in errs] == [0, 1]
              and any(s[3] == ["StepRun"] and s[0] == 2 for s in seq)
              and run.status == "completed" and run.output == {"result": "ok after 3"})
        errors = [o.get("error") for _, o in self.ops_of(run) if o.get("op") == "StepError"]
        self.check("flaky", ok, {"requests": seq, "errors": errors, "status": run.status,
                                 "output": run.output, "error": run.error})

    def p_doomed(self):
        run = self.trigger("test/doomed", {}, "doomed")
        seq = [(e["attempt"], e["status"], e["headers"].get("x-inngest-no-retry"),
                [o.get("op") for o in e.get("ops", [])]) for e in run.history]
        last = run.history[-1] if run.history else {}
        ok = (len(seq) == 3 and seq[0] == (0, 206, "false", ["StepError"])
              and seq[1] == (1, 206, "true", ["StepFailed"])
              and 400 <= last.get("status", 0) < 600 and seq[2][2] == "true" and seq[2][0] == 0
              and sha1("explode") in (last.get("steps_sent") or [])
              and run.status == "failed")
        failed_op = [o for _, o in self.ops_of(run) if o.get("op") == "StepFailed"]
        self.check("doomed", ok, {"requests": seq, "step_failed_op": failed_op[:1],
                                  "final_body": last.get("body"), "status": run.status,
                                  "memo": run.steps.get(sha1("explode"), "absent")})

    def p_sender(self):
        with self.ex.lock:
            n0 = len(self.ex.events)
        run = self.trigger("test/send", {}, "sender")
        with self.ex.lock:
            emitted = [e for e in self.ex.events[n0:] if e["event"]["name"] == "test/emitted"]
        ops = [op for _, op in self.ops_of(run) if op.get("op") == "StepRun"]
        self.check("sender", run.status == "completed" and run.output == {"sent": 1}
                   and len(emitted) == 1 and emitted[0]["key_ok"]
                   and emitted[0]["event"].get("data") == {"from": "sender"},
                   {"status": run.status, "output": run.output, "error": run.error,
                    "emitted": emitted, "step_op": ops[:1]})

    def p_scheduled(self):
        with self.ex.lock:
            fn = self.ex.functions.get(self.fid("scheduled"))
        cron = next((t.get("cron") for t in fn.get("triggers") or [] if t.get("cron")), None) if fn else None
        if not fn:
            self.check("scheduled", False, "function not registered")
            return
        ev = {"name": "inngest/scheduled.timer", "id": ulid(), "ts": int(time.time() * 1000), "user": {},
              "data": {"cron": cron, "scheduledAt": datetime.now(timezone.utc).isoformat()}}
        run = self.wait_done(self.track(self.ex.start_run(fn, ev)), 10)
        self.check("scheduled", run.status == "completed" and run.output == "tick",
                   {"cron": cron, "status": run.status, "output": run.output, "error": run.error,
                    "note": "started directly with an inngest/scheduled.timer event"})

    def p_concurrency(self):
        """Two runs share key "kc" (limit 1), a third has "kd": the requests of
        the kc runs must never overlap in time (measured from the history)."""
        ids = self.send([{"name": "test/serial", "data": {"x": 10, "key": "kc"}},
                         {"name": "test/serial", "data": {"x": 20, "key": "kc"}},
                         {"name": "test/serial", "data": {"x": 30, "key": "kd"}}])
        runs = [r for i in ids for r in self.runs_of(i, self.fid("serial"))]
        for r in runs:
            self.wait_done(r, 20)

        def spans(rs):
            return sorted((tuple(e["t"]), r.id) for r in rs for e in r.history)

        def overlaps(sp):
            return [(a, b) for a, b in zip(sp, sp[1:]) if b[0][0] < a[0][1] - 0.0005 and a[1] != b[1]]
        kc = [r for r in runs if r.event["data"].get("key") == "kc"]
        same = overlaps(spans(kc))
        across = overlaps(spans(runs))
        with self.ex.lock:
            slots = {k: dict(v) for k, v in self.ex.slots.items() if self.fid("serial") in k}
        outs = [r.output for r in runs]
        want = [{"a": x + 1, "b": 2 * (x + 1), "loops": [0, 1, 2]} for x in (10, 20, 30)]
        self.check("concurrency", len(runs) == 3 and outs == want and not same,
                   {"kc_overlaps": same, "kc_and_kd_overlapped": bool(across), "slots": slots,
                    "outputs": outs})

    def p_use_api(self):
        ex = self.ex
        with ex.lock:
            fn = ex.functions.get(self.fid("serial"))
            n0 = len(ex.api_calls)
        ev = {"name": "test/serial", "data": {"x": 7, "key": "k-api"}, "id": ulid(),
              "ts": int(time.time() * 1000), "user": {}}
        run = self.wait_done(self.track(ex.start_run(fn, ev, use_api=True)), 20)
        with ex.lock:
            calls = [c for c in ex.api_calls[n0:] if c["run_id"] == run.id]
        kinds = {c["what"] for c in calls if c["auth_ok"] and c["status"] == 200}
        omitted = all(e["steps_sent"] is None and e["events_sent"] is None and e["use_api"]
                      for e in run.history[1:])
        want = {"a": 8, "b": 16, "loops": [0, 1, 2]}
        self.check("use_api", run.status == "completed" and run.output == want and omitted
                   and kinds == {"actions", "batch"} and len(run.history) == 6,
                   {"status": run.status, "output": run.output, "error": run.error,
                    "api_calls": calls, "bodies_after_first_omit_steps_and_events": omitted,
                    "requests": len(run.history)})

    def p_signatures(self):
        ex = self.ex
        fid = self.fid("serial")
        with ex.lock:
            fn = ex.functions.get(fid)
        url = with_query(ex.step_url(fn), stepId="step")
        now = int(time.time())

        def body():
            rid = ulid()
            ev = {"name": "test/serial", "data": {"x": 1, "key": "sig"}, "id": ulid(), "ts": now * 1000,
                  "user": {}}
            return jcs_bytes({"event": ev, "events": [ev], "steps": {}, "defers": {}, "version": -1,
                              "use_api": False,
                              "ctx": {"run_id": rid, "env": "test", "step_id": "step", "attempt": 0,
                                      "max_attempts": 3, "stack": {"stack": [], "current": 0},
                                      "disable_immediate_execution": False, "use_api": False}})
        other = "signkey-test-" + secrets.token_hex(32)
        cases = [("missing", None, None), ("malformed", "not-a-signature", None),
                 ("wrong_key", other, now), ("stale", ex.signing_key, now - 400),
                 ("future", ex.signing_key, now + 400)]
        results = {}
        bad = []
        for name, key, t in cases:
            b = body()
            h = {"Content-Type": "application/json", "X-Run-ID": "sig-" + name}
            if key and t is not None:
                h["X-Inngest-Signature"] = sign(b, key, t)
            elif key:
                h["X-Inngest-Signature"] = key
            st, hd, data = self.sdk("POST", url, b, h)
            parsed = parse_json(data)
            ran = isinstance(parsed, list) and any(isinstance(o, dict) and o.get("op") for o in parsed)
            results[name] = {"status": st, "body": parsed if parsed is not None else data[:200].decode("utf-8", "replace")}
            if 200 <= st < 300 or ran or st == 0:
                bad.append(name)
        b = body()
        st, hd, data = self.sdk("POST", url, b, {"Content-Type": "application/json",
                                                 "X-Inngest-Signature": sign(b, ex.signing_key, now)})
        parsed = parse_json(data)
        results["primary"] = {"status": st, "ops": [o.get("op") for o in parsed] if isinstance(parsed, list) else parsed}
        if st != 206:
            bad.append("primary")
        if ex.fallback_key:
            b = body()
            st, hd, data = self.sdk("POST", url, b, {"Content-Type": "application/json",
                                                     "X-Inngest-Signature": sign(b, ex.fallback_key, now)})
            parsed = parse_json(data)
            sig = hd.get("x-inngest-signature")
            results["fallback"] = {"status": st,
                                   "ops": [o.get("op") for o in parsed] if isinstance(parsed, list) else parsed,
                                   "response_signed_with": None if not sig else (
                                       "fallback" if verify(sig, data, [ex.fallback_key]) else
                                       "primary" if verify(sig, data, [ex.signing_key]) else "invalid")}
            if st != 206:
                bad.append("fallback")
        else:
            results["fallback"] = "not tested: no signing_key_fallback in the config"
        self.check("signatures", not bad, {"results": results, "failed": bad})

    def p_headers(self):
        """Every accepted reply carries X-Inngest-SDK and X-Inngest-Req-Version;
        response signatures, where present, verify."""
        missing, total, signed, invalid = [], 0, 0, []
        with self.ex.lock:
            runs = [self.ex.runs[r] for r in self.all_run_ids()]
        for r in runs:
            for e in r.history:
                total += 1
                if not e["headers"].get("x-inngest-sdk") or not e["headers"].get("x-inngest-req-version"):
                    missing.append("%s request %d (%d)" % (r.function_id, e["n"], e["status"]))
                if e["response_signature"] is not None:
                    signed += 1
                    if not e["response_signature"]:
                        invalid.append("%s request %d" % (r.function_id, e["n"]))
        for what, st, hd in self.extra_replies:
            total += 1
            if not hd.get("x-inngest-sdk") or not hd.get("x-inngest-req-version"):
                missing.append("%s (%d)" % (what, st))
        self.check("headers", not missing and total > 0,
                   {"replies": total, "missing": missing,
                    "sdk": sorted({e["headers"].get("x-inngest-sdk") for r in runs for e in r.history} - {None})})
        self.check("response_signatures", not invalid,
                   {"signed": signed, "of": sum(len(r.history) for r in runs), "invalid": invalid,
                    "note": "optional (notes §2); checked only where present"})

    # -- pipeline --------------------------------------------------------------------

    def pipeline(self):
        ex = self.ex
        if self.req.get("sync", True):
            st, hd, data, reg = self.sync()
            self.check("sync", st == 200 and reg is not None and reg["auth_ok"],
                       {"status": st, "body": parse_json(data),
                        "functions": sorted(f.get("id") for f in (reg or {}).get("payload", {}).get("functions") or [])
                        if reg and isinstance(reg.get("payload"), dict) else None})
        event = self.req.get("event")
        if not isinstance(event, (dict, list)):
            self.check("event", False, "the pipeline suite needs an \"event\"")
            return self.report("pipeline")
        try:
            ids = self.send(event if isinstance(event, list) else [event])
        except Exception as err:
            self.check("event", False, repr(err))
            return self.report("pipeline")
        self.check("event", bool(ids), {"ids": ids})
        for i in ids:
            self.runs_of(i, None)

        def settled():
            active = [r for r in self.all_run_ids() if ex.runs[r].status not in TERMINAL]
            return not active
        done = ex.wait_until(settled, self.left())
        ids_all = self.all_run_ids()
        self.check("runs.started", bool(ids_all), {"runs": len(ids_all)})
        self.check("runs.settled", done, "every run finished" if done else
                   {"active": [r for r in ids_all if ex.runs[r].status not in TERMINAL],
                    "timeout_s": self.timeout})
        if not self.req.get("allow_failed"):
            bad = [{"id": r, "function_id": ex.runs[r].function_id, "status": ex.runs[r].status,
                    "error": ex.runs[r].error} for r in ids_all if ex.runs[r].status in ("failed", "cancelled")]
            self.check("runs.none_failed", not bad, bad or "none")
        return self.report("pipeline")


# ---------------------------------------------------------------------------
# HTTP server.
# ---------------------------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-inngest/1"

    def log_message(self, fmt, *args):
        pass

    @property
    def ex(self):
        return self.server.ex

    def reply(self, status, obj, headers=None):
        data = json.dumps(obj).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def do_GET(self):
        u = urlsplit(self.path)
        m = re.fullmatch(r"/v0/runs/([^/]+)/(actions|batch)", u.path)
        if m:
            return self.run_api(m.group(1), m.group(2))
        if u.path == "/_test/state":
            return self.reply(200, self.ex.state())
        self.ex.note("unknown GET %s" % self.path)
        self.reply(404, {"error": "not found", "status": 404})

    def do_POST(self):
        u = urlsplit(self.path)
        raw = self.body()
        if u.path == "/fn/register":
            return self.fn_register(u, raw)
        m = re.fullmatch(r"/e/([^/]*)", u.path)
        if m:
            return self.event_api(m.group(1), raw)
        if u.path == "/_test/run":
            return self.test_run(raw)
        self.ex.note("unknown POST %s (%d bytes)" % (self.path, len(raw)))
        self.reply(404, {"error": "not found: %s" % u.path, "status": 404})

    def fn_register(self, u, raw):
        ex = self.ex
        auth = self.headers.get("Authorization") or ""
        auth_ok = ex.bearer_ok(auth)
        payload = parse_json(raw)
        headers = {k.lower(): v for k, v in self.headers.items()}
        ex.register(dict(parse_qsl(u.query)), headers, payload if payload is not None else raw.decode("utf-8", "replace"),
                    auth_ok)
        if not auth_ok:
            return self.reply(401, {"error": "bad Authorization bearer", "status": 401})
        if not isinstance(payload, dict) or not isinstance(payload.get("functions"), list):
            return self.reply(400, {"error": "payload has no functions list", "status": 400})
        self.reply(200, {"ok": True, "modified": True})

    def event_api(self, key, raw):
        ex = self.ex
        key = unquote(key)
        if ex.event_key and key != ex.event_key:
            return self.reply(401, {"ids": [], "status": 401, "error": "event key not found"})
        body = parse_json(raw)
        events = body if isinstance(body, list) else [body] if isinstance(body, dict) else None
        if events is None:
            return self.reply(400, {"ids": [], "status": 400, "error": "body is not an event or a list"})
        if len(events) > 5000:
            return self.reply(400, {"ids": [], "status": 400, "error": "more than 5000 events"})
        try:
            ids = ex.ingest(events, key_ok=True, seed=self.headers.get("x-inngest-event-id-seed"))
        except ValueError as err:
            return self.reply(400, {"ids": [], "status": 400, "error": str(err)})
        self.reply(200, {"ids": ids, "status": 200})

    def run_api(self, run_id, what):
        ex = self.ex
        auth_ok = ex.bearer_ok(self.headers.get("Authorization") or "")
        with ex.lock:
            run = ex.runs.get(run_id)
            status = 401 if not auth_ok else 404 if run is None else 200
            ex.api_calls.append({"at": time.time(), "run_id": run_id, "what": what,
                                 "auth_ok": auth_ok, "status": status})
            if status == 200:
                obj = dict(run.steps) if what == "actions" else list(run.events)
        if status == 401:
            return self.reply(401, {"error": "bad Authorization bearer", "status": 401})
        if status == 404:
            return self.reply(404, {"error": "run %s not found" % run_id, "status": 404})
        self.reply(200, obj)

    def test_run(self, raw):
        ex = self.ex
        req = parse_json(raw)
        if not isinstance(req, dict) or not req.get("serve_url"):
            return self.reply(400, {"ok": False, "error": "want {\"serve_url\", \"suite\", ...}"})
        suite = req.get("suite") or "protocol"
        if suite not in ("protocol", "pipeline"):
            return self.reply(400, {"ok": False, "error": "unknown suite %r" % suite})
        with ex.suite_lock:
            saved = (ex.sleep_cap_ms, ex.wait_cap_ms)
            if req.get("sleep_cap_ms") is not None:
                ex.sleep_cap_ms = float(req["sleep_cap_ms"])
            if req.get("wait_cap_ms") is not None:
                ex.wait_cap_ms = float(req["wait_cap_ms"])
            try:
                s = Suite(ex, req)
                out = s.protocol() if suite == "protocol" else s.pipeline()
            except Exception as err:
                out = {"ok": False, "suite": suite, "error": repr(err), "trace": traceback.format_exc(),
                       "checks": [], "runs": [], "register": None, "requests": 0}
            finally:
                ex.sleep_cap_ms, ex.wait_cap_ms = saved
        self.reply(200, out)


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: inngest_executor.py CONFIG.json\n")
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        config = json.load(f)
    ex = Executor(config)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.ex = ex
    ex.port = server.server_address[1]
    sys.stdout.write("PORT %d\n" % ex.port)
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
