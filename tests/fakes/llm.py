#!/usr/bin/env python3
"""A fake OpenAI-compatible chat-completions server for tests.

POST /api/v1/chat/completions (any prefix ending in /chat/completions).
Started with a JSON config; prints "PORT <n>" once listening on 127.0.0.1.

  {"latency_ms": 0,
   "solutions": {"<clue text>": "PIRANHA"},          # what a correct model answers
   "models": {"a/b": {"mode": "correct" | "wrong" | "reason" | "length" | "uncommitted",
                      "status": 404, "message": "...",  # after `after` good calls, always this
                      "after": 0}},
   "faults": [{"model": "a/b", "clue": "<clue text>",  # clue optional
               "status": 429, "retry_after": 0,        # an HTTP error, or
               "malformed": true, "empty": true,       # a broken 200
               "echo_key": true,                        # put the Authorization header in the message
               "times": 2}],                            # how many requests it hits
   "outage_seconds": 1.5,                               # every call fails with 500 for this long
                                                        # after the first request
   "fail_after": {"calls": 60, "status": 402, "message": "..."},  # every call after the first N
   "log": "/abs/requests.jsonl"}                        # one JSON line per request

GET .../credits answers {"data": config["credits"]} (e.g. {"total_credits": 5,
"total_usage": 4.9}, as OpenRouter does), or 404 when the config has none.
GET /stats answers {"requests": n, "in_flight": n, "abandoned": n}: the
requests received, those being answered right now, and those whose client
was gone (its connection closed) when the answer was ready: the calls a
killed process left in flight, which its successor asks again (the crash
test bounds its duplicates with it). An abandoned call gets no answer.

The clue is read from the user message ("...\\n\\n\\"<clue>\\" (5)\\n\\nAnswer:").
"""
import json
import re
import select
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CLUE = re.compile(r'\n\n"(.*)" \([^)]*\)\n\nAnswer:$', re.S)


class Fake:
    def __init__(self, config):
        self.config = config
        self.lock = threading.Lock()
        self.calls = {}
        self.faults = [dict(f) for f in config.get("faults", [])]
        self.total = 0
        self.in_flight = 0
        self.abandoned = 0
        self.first = None

    def log(self, entry):
        path = self.config.get("log")
        if path:
            with self.lock, open(path, "a", encoding="utf-8") as f:
                f.write(json.dumps(entry) + "\n")

    def take_fault(self, model, clue):
        with self.lock:
            for f in self.faults:
                if f.get("times", 0) > 0 and f.get("model") in (None, model) and f.get("clue") in (None, clue):
                    f["times"] -= 1
                    return f
        return None

    def count(self, model):
        with self.lock:
            n = self.calls.get(model, 0)
            self.calls[model] = n + 1
            return n


def reply_body(model, content, finish="stop", reasoning=None, reasoning_tokens=0):
    message = {"role": "assistant", "content": content}
    if reasoning:
        message["reasoning"] = reasoning
    return {"id": "gen-1", "object": "chat.completion", "model": model + "-20260101",
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": 50, "completion_tokens": 5 + reasoning_tokens,
                      "total_tokens": 55 + reasoning_tokens, "cost": 0.0001,
                      "completion_tokens_details": {"reasoning_tokens": reasoning_tokens}}}


class Handler(BaseHTTPRequestHandler):
    fake = None
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def peer_gone(self):
        """True when the client closed its end (a killed process's socket
        is closed by the kernel before its parent's waitpid returns). The
        client sends nothing while it waits for the answer, so a readable
        socket with no data is a closed one."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def send_json(self, status, obj, headers=None, raw=None):
        if self.command == "POST" and self.peer_gone():
            with self.fake.lock:
                self.fake.abandoned += 1
            self.close_connection = True
            return
        body = raw if raw is not None else json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        credits = self.fake.config.get("credits")
        if self.path.endswith("/credits"):
            if credits is None:
                return self.send_json(404, {"error": {"message": "Not Found", "code": 404}})
            return self.send_json(200, {"data": credits})
        with self.fake.lock:
            stats = {"requests": self.fake.total, "in_flight": self.fake.in_flight,
                     "abandoned": self.fake.abandoned}
        self.send_json(200, stats)

    def do_POST(self):
        fake = self.fake
        with fake.lock:
            fake.in_flight += 1
            fake.total += 1
            number = fake.total
            if fake.first is None:
                fake.first = time.time()
        try:
            self.answer(number)
        finally:
            with fake.lock:
                fake.in_flight -= 1

    def answer(self, number):
        fake = self.fake
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        try:
            req = json.loads(raw)
        except ValueError:
            return self.send_json(400, {"error": {"message": "bad JSON", "code": 400}})
        model = req.get("model", "")
        user = req.get("messages", [{}, {}])[-1].get("content", "")
        m = CLUE.search(user)
        clue = m.group(1) if m else ""
        fake.log({"time": time.time(), "path": self.path, "model": model, "clue": clue,
                  "authorization": self.headers.get("Authorization", ""),
                  "referer": self.headers.get("HTTP-Referer", ""), "title": self.headers.get("X-Title", ""),
                  "body": req})
        if not self.path.endswith("/chat/completions"):
            return self.send_json(404, {"error": {"message": "no route", "code": 404}})
        latency = fake.config.get("latency_ms", 0)
        if latency:
            time.sleep(latency / 1000.0)
        outage = fake.config.get("outage_seconds")
        if outage and time.time() - fake.first < outage:
            return self.send_json(500, {"error": {"message": "upstream outage", "code": 500}})
        after = fake.config.get("fail_after")
        if after and number > after["calls"]:
            return self.send_json(after.get("status", 402), {"error": {"message": after.get("message", "failed"),
                                                                        "code": after.get("status", 402)}})
        fault = fake.take_fault(model, clue)
        if fault:
            if fault.get("malformed"):
                return self.send_json(200, None, raw=b'{"id": "gen-1", "choices": [')
            if fault.get("empty"):
                return self.send_json(200, reply_body(model, "", "stop"))
            message = fault.get("message", "fault injected")
            if fault.get("echo_key"):
                message += " (key: %s)" % self.headers.get("Authorization", "")
            headers = {}
            if "retry_after" in fault:
                headers["Retry-After"] = str(fault["retry_after"])
            return self.send_json(fault["status"], {"error": {"message": message, "code": fault["status"]}}, headers)
        spec = fake.config.get("models", {}).get(model, {})
        n = fake.count(model)
        if "status" in spec and n >= spec.get("after", 0):
            return self.send_json(spec["status"], {"error": {"message": spec.get("message", "failed"),
                                                             "code": spec["status"]}})
        solution = fake.config.get("solutions", {}).get(clue, "UNKNOWN")
        mode = spec.get("mode", "correct")
        if mode == "correct":
            return self.send_json(200, reply_body(model, solution))
        if mode == "wrong":
            return self.send_json(200, reply_body(model, "WRONGANSWER"))
        if mode == "reason":
            content = ("Let me parse this clue.\n- the definition is at one end\n\nWait, let me reconsider.\n\n"
                       "The answer is: **%s**\n\n(that fits the enumeration)" % solution)
            return self.send_json(200, reply_body(model, content, "stop", "thinking about it", 20))
        if mode == "length":
            return self.send_json(200, reply_body(model, "", "length", "a long chain of thought", 400))
        if mode == "uncommitted":
            return self.send_json(200, reply_body(model, "Let me think about the wordplay here. The first part suggests",
                                                  "stop"))
        return self.send_json(500, {"error": {"message": "unknown mode", "code": 500}})


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        config = json.load(f)
    Handler.fake = Fake(config)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print("PORT %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
