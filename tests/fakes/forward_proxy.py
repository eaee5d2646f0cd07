#!/usr/bin/env python3
"""A reverse HTTP proxy on loopback, as nginx or Caddy would sit in front of
`serve`: every request is passed to the upstream with X-Forwarded-For
added and Host kept as the client sent it, so the upstream sees a
loopback peer whatever the client is. Prints "PORT <n>" once listening.

Usage: forward_proxy.py UPSTREAM_PORT
"""
import http.client
import http.server
import sys

UPSTREAM = int(sys.argv[1])
HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade", "te"}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        prior = self.headers.get("X-Forwarded-For")
        headers["X-Forwarded-For"] = (prior + ", " if prior else "") + "203.0.113.7"
        conn = http.client.HTTPConnection("127.0.0.1", UPSTREAM, timeout=60)
        try:
            conn.request(self.command, self.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        except OSError as e:
            self.send_error(502, str(e))
            return
        finally:
            conn.close()
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in HOP and k.lower() != "content-length":
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_HEAD = do_OPTIONS = do_DELETE = forward

    def log_message(self, *args):
        pass


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
