#!/usr/bin/env python3
"""A fake Fifteensquared for tests: the RSS feed (paged) and post pages.

Started by a test with a JSON config; prints "PORT <n>" once listening on
127.0.0.1. The config:

  {"per_page": 3,
   "posts": [{"path": "/2026/02/19/guardian-29934-pangakupu/",
              "title": "Guardian 29,934 – Pangakupu",
              "date": "2026-02-19T00:01:00Z",          # pubDate, UTC
              "categories": ["Guardian"],
              "file": "/abs/page.html",                 # the page served, or
              "status": 500,                            # an error page instead
              "truncate": 4000,                         # serve only the first N bytes
              "size": 11000000}],                       # serve N bytes of filler
   "feed": {"status": 200, "body": "<html>...</html>"}, # replaces every feed page
   "faults": {"/path/": {"status": 503, "times": 2}},   # the first N requests fail
   "log": "/abs/requests.jsonl",                        # one line per request
   "ignore_paged": true,                                # a cache that drops the query:
                                                        #   every feed page is page 1
   "endless": {"title": "Times 29,%03d", "date": "2026-02-19T00:01:00Z"}}
                                                        # feed pages never run out: page N
                                                        #   holds per_page new items

Feed pages hold per_page posts each, newest first: /feed/, /feed/?paged=2, ...;
a page past the last answers 404 as WordPress does.
"""
import email.utils
import json
import sys
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape


class Fake:
    def __init__(self, config):
        self.config = config
        self.posts = sorted(config.get("posts", []), key=lambda p: p.get("date", ""), reverse=True)
        self.per_page = config.get("per_page", 10)
        self.faults = {k: dict(v) for k, v in config.get("faults", {}).items()}
        self.lock = threading.Lock()
        self.log_path = config.get("log")

    def log(self, handler):
        if not self.log_path:
            return
        entry = {"path": handler.path, "user_agent": handler.headers.get("User-Agent", ""),
                 "time": time.time()}
        with self.lock, open(self.log_path, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")

    def fault(self, path):
        with self.lock:
            f = self.faults.get(path)
            if f and f.get("times", 0) > 0:
                f["times"] -= 1
                return f["status"]
        return None

    def feed_page(self, base, page):
        start = (page - 1) * self.per_page
        items = self.posts[start:start + self.per_page]
        if page > 1 and not items:
            return None
        return self.render(base, items)

    def render(self, base, items):
        out = ['<?xml version="1.0" encoding="UTF-8"?>',
               '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">',
               "<channel><title>Fifteensquared</title><link>%s</link>" % escape(base)]
        for p in items:
            when = datetime.strptime(p["date"], "%Y-%m-%dT%H:%M:%SZ")
            out.append("<item><title>%s</title><link>%s%s</link><pubDate>%s</pubDate>" % (
                escape(p["title"]), escape(base), escape(p["path"]),
                email.utils.format_datetime(when.replace(tzinfo=None), usegmt=False)
                .replace("-0000", "+0000")))
            for c in p.get("categories", []):
                out.append("<category><![CDATA[%s]]></category>" % c)
            out.append("</item>")
        out.append("</channel></rss>")
        return "\n".join(out).encode("utf-8")


    def endless_page(self, base, page, spec):
        items = [{"title": spec["title"] % ((page - 1) * self.per_page + i),
                  "path": "/endless/%d/%d/" % (page, i), "date": spec["date"]} for i in range(self.per_page)]
        return self.render(base, items)


class Handler(BaseHTTPRequestHandler):
    fake = None

    def log_message(self, fmt, *args):
        pass

    def send(self, status, body, ctype="text/html; charset=UTF-8"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        fake = self.fake
        fake.log(self)
        url = urlsplit(self.path)
        status = fake.fault(url.path if not url.query else self.path)
        if status:
            return self.send(status, b"<html><body>error</body></html>")
        base = "http://%s" % self.headers.get("Host", "127.0.0.1")
        if url.path == "/feed/":
            override = fake.config.get("feed")
            if override:
                return self.send(override.get("status", 200), override.get("body", "").encode(),
                                 "application/rss+xml; charset=UTF-8")
            page = int(parse_qs(url.query).get("paged", ["1"])[0])
            if fake.config.get("ignore_paged"):
                page = 1
            endless = fake.config.get("endless")
            if endless:
                return self.send(200, fake.endless_page(base, page, endless), "application/rss+xml; charset=UTF-8")
            static = fake.config.get("feed_pages")
            if static:
                if page > len(static):
                    return self.send(404, b"<html><body>Page not found</body></html>")
                with open(static[page - 1], encoding="utf-8") as f:
                    body = f.read().replace("{{BASE}}", base).encode("utf-8")
                return self.send(200, body, "application/rss+xml; charset=UTF-8")
            body = fake.feed_page(base, page)
            if body is None:
                return self.send(404, b"<html><body>Page not found</body></html>")
            return self.send(200, body, "application/rss+xml; charset=UTF-8")
        for p in fake.posts:
            if p["path"] == url.path:
                if "status" in p:
                    return self.send(p["status"], b"<html><body>error page</body></html>")
                if "size" in p:
                    return self.send(200, b"<html><body>" + b"x" * p["size"] + b"</body></html>")
                with open(p["file"], "rb") as f:
                    body = f.read()
                if "truncate" in p:
                    body = body[:p["truncate"]]
                return self.send(200, body)
        self.send(404, b"<html><body>Page not found</body></html>")


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        config = json.load(f)
    Handler.fake = Fake(config)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print("PORT %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
