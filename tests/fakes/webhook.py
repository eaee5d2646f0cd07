#!/usr/bin/env python3
"""A webhook receiver for alert tests: appends every POSTed body (parsed as
JSON) as one line to LOG and answers 200 (500 under a path starting with
/fail, a webhook that keeps failing); prints "PORT <n>" once listening.

Usage: webhook.py LOG
"""
import http.server
import json
import sys
import threading

LOCK = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            entry = {"path": self.path, "content_type": self.headers.get("Content-Type"), "body": json.loads(body)}
        except ValueError:
            entry = {"path": self.path, "content_type": self.headers.get("Content-Type"), "raw": body.decode("utf-8", "replace")}
        with LOCK, open(sys.argv[1], "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")
        self.send_response(500 if self.path.startswith("/fail") else 200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
