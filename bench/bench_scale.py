#!/usr/bin/env python3
"""The dashboard's reads and `rank --all` as the benchmark ages.

Grows a copy of the old database (../shared/data/original-cryptic-bench.db,
upgraded by `init-db`) to each size in turn, 50, 100, 200 and 500 weeks by
default: every added week, going back from 2025-W52, is a copy of one of the
old database's seven puzzles (the next in turn) with its clues and every
model's evaluations of them, so the data stays real. At each size it times
`rank --all`, then starts `serve` on the file and times every query of the
dashboard (taken from src/web/dashboard/app.js, so it measures what the page
sends) through the SQL endpoint over loopback: the median of REPEAT
requests, each one pipeline request on a kept-alive connection, the queries
taken in turn.

Targets: every dashboard query at most 5 ms at 500 weeks; `rank --all`
linear in weeks (its time per week about flat).

    python3 bench/bench_scale.py [--weeks 50,100,200,500] [--repeat 21]
    python3 bench/bench_scale.py --grow FILE --weeks 500   (only grow an upgraded copy)
"""
import argparse
import datetime
import http.client
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ORIGINAL = os.path.join(ROOT, "..", "shared", "data", "original-cryptic-bench.db")
TARGET_MS = 5.0


def dashboard_queries():
    """The Q table of app.js, with ${WEEK} expanded as the page does."""
    src = open(os.path.join(ROOT, "src", "web", "dashboard", "app.js"), encoding="utf-8").read()
    week = re.search(r'const WEEK = "([^"]*)";', src).group(1)
    table = src[src.index("const Q = {"):]
    table = table[:table.index("\n};")]
    queries = {}
    for name, sql in re.findall(r"^  (\w+): `([^`]*)`", table, re.M):
        queries[name] = " ".join(sql.replace("${WEEK}", week).split())
    if "board" not in queries:
        sys.exit("bench_scale: cannot find the dashboard's queries in app.js")
    return queries


def args_for(name, sql, week, model):
    """Arguments as the page binds them: the week (NULL: the newest ranked),
    a model's id for the model page, a run id for the runs pages."""
    n = sql.count("?")
    if name == "weeks":
        return [53]  # RECENT_WEEKS: what the first view asks for
    if name == "results":
        return [week, model]
    if name == "unranked":
        return [model, 53]
    if name in ("model", "history", "quality", "qualityAllTime"):
        return [model] * n
    if name in ("run", "steps", "children"):
        return ["none"] * n
    return [None] * n


def iso_week(d):
    y, w, _ = d.isocalendar()
    return "%d-W%02d" % (y, w)


def grow(path, weeks):
    """Adds copies of the original weeks until the file has `weeks` weeks."""
    db = sqlite3.connect(path)
    have = db.execute("SELECT count(DISTINCT week_id) FROM puzzles").fetchone()[0]
    templates = [r[0] for r in db.execute("SELECT id FROM puzzles WHERE id <= 7 ORDER BY id")]
    cols = {t: [r[1] for r in db.execute("PRAGMA table_info(%s)" % t)] for t in ("puzzles", "clues", "evaluations")}
    pcols = [c for c in cols["puzzles"] if c not in ("id", "guardian_id", "week_id", "publication_date")]
    ccols = [c for c in cols["clues"] if c not in ("id", "puzzle_id")]
    ecols = [c for c in cols["evaluations"] if c not in ("id", "clue_id", "week_id")]
    first = datetime.date.fromisocalendar(2025, 52, 1)
    for k in range(have - 7, weeks - 7):
        t = templates[k % len(templates)]
        monday = first - datetime.timedelta(weeks=k)
        week = iso_week(monday)
        (pub,) = db.execute("SELECT publication_date FROM puzzles WHERE id = ?", (t,)).fetchone()
        weekday = datetime.date.fromisoformat(pub[:10]).isoweekday()
        date = (monday + datetime.timedelta(days=weekday - 1)).isoformat()
        cur = db.execute("INSERT INTO puzzles (guardian_id, week_id, publication_date, %s) SELECT ?, ?, ?, %s "
                         "FROM puzzles WHERE id = ?" % (", ".join(pcols), ", ".join(pcols)),
                         (1000000 + k, week, date, t))
        pid = cur.lastrowid
        db.execute("INSERT INTO clues (puzzle_id, %s) SELECT ?, %s FROM clues WHERE puzzle_id = ? ORDER BY id"
                   % (", ".join(ccols), ", ".join(ccols)), (pid, t))
        db.execute("INSERT INTO evaluations (clue_id, week_id, %s) SELECT n.id, ?, %s FROM evaluations e "
                   "JOIN clues o ON o.id = e.clue_id JOIN clues n ON n.puzzle_id = ? "
                   "AND n.clue_number = o.clue_number AND n.direction = o.direction WHERE o.puzzle_id = ?"
                   % (", ".join(ecols), ", ".join("e." + c for c in ecols)), (week, pid, t))
    db.commit()
    counts = db.execute("SELECT (SELECT count(DISTINCT week_id) FROM puzzles), (SELECT count(*) FROM puzzles), "
                        "(SELECT count(*) FROM evaluations)").fetchone()
    db.close()
    return counts


class Server:
    def __init__(self, binary, path, work):
        self.out = open(os.path.join(work, "serve.out"), "w+")
        self.proc = subprocess.Popen([binary, "-q", "--db", path, "serve", "--listen", "127.0.0.1:0",
                                      "--no-cron", "--workers", "1"], stdout=self.out,
                                     stderr=subprocess.DEVNULL)
        self.port = None
        for _ in range(200):
            self.out.seek(0)
            m = re.search(r"127\.0\.0\.1:(\d+)", self.out.read())
            if m:
                self.port = int(m.group(1))
                break
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        if not self.port:
            self.stop()
            sys.exit("bench_scale: serve did not start")
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def query(self, sql, args):
        vals = [{"type": "null"} if a is None else {"type": "integer", "value": str(a)} if isinstance(a, int)
                else {"type": "text", "value": a} for a in args]
        body = json.dumps({"requests": [{"type": "execute", "stmt": {"sql": sql, "args": vals}}]})
        start = time.perf_counter()
        self.conn.request("POST", "/v2/pipeline", body, {"Content-Type": "application/json"})
        reply = self.conn.getresponse().read()
        elapsed = time.perf_counter() - start
        result = json.loads(reply)["results"][0]
        if result.get("type") != "ok":
            sys.exit("bench_scale: query failed: %s" % json.dumps(result)[:300])
        return elapsed, len(result["response"]["result"]["rows"])

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        self.out.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weeks", default="50,100,200,500")
    ap.add_argument("--repeat", type=int, default=21)
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "cryptic-bench"))
    ap.add_argument("--grow", metavar="FILE", help="grow this (upgraded) database to --weeks weeks and stop")
    a = ap.parse_args()
    if a.grow:
        print("weeks %d, puzzles %d, evaluations %d" % grow(a.grow, int(a.weeks)))
        return 0
    sizes = sorted(int(w) for w in a.weeks.split(","))
    if not os.path.exists(a.bin):
        sys.exit("bench_scale: %s not found (ninja -C build first)" % a.bin)
    if not os.path.exists(ORIGINAL):
        sys.exit("bench_scale: %s is missing" % ORIGINAL)
    queries = dashboard_queries()
    env = dict(os.environ, TURSO_DATABASE_URL="")
    table = {}
    rank_rows = []
    with tempfile.TemporaryDirectory() as work:
        path = os.path.join(work, "scale.db")
        shutil.copy(ORIGINAL, path)
        subprocess.run([a.bin, "-q", "--db", path, "init-db"], check=True, stdout=subprocess.DEVNULL, env=env)
        for weeks in sizes:
            nweeks, npuzzles, nevals = grow(path, weeks)
            start = time.perf_counter()
            subprocess.run([a.bin, "-q", "--db", path, "rank", "--all"], check=True, stdout=subprocess.DEVNULL,
                           env=env)
            rank_s = time.perf_counter() - start
            rank_rows.append((nweeks, npuzzles, nevals, rank_s))
            db = sqlite3.connect(path)
            week, model = db.execute("SELECT r.week_id, m.openrouter_id FROM weekly_rankings r JOIN models m "
                                     "ON m.id = r.model_id ORDER BY r.week_id DESC, r.rank LIMIT 1").fetchone()
            db.close()
            server = Server(a.bin, path, work)
            try:
                # Round robin over the queries, so that a burst of load on a
                # shared machine hits them all alike rather than one of them.
                times = {name: [] for name in queries}
                for _ in range(a.repeat):
                    for name, sql in queries.items():
                        times[name].append(server.query(sql, args_for(name, sql, week, model))[0])
                for name, ts in times.items():
                    ts.sort()
                    table.setdefault(name, {})[weeks] = ts[len(ts) // 2] * 1000
            finally:
                server.stop()
    print("bench_scale: the old database grown to %s weeks; dashboard queries through the SQL endpoint "
          "(median of %d, ms, HTTP round trip included)" % (", ".join(map(str, sizes)), a.repeat))
    print("  %-16s" % "query" + "".join("%10s" % ("%d wk" % w) for w in sizes))
    worst = (0.0, "")
    for name, by in table.items():
        print("  %-16s" % name + "".join("%10.2f" % by[w] for w in sizes))
        if by[sizes[-1]] > worst[0]:
            worst = (by[sizes[-1]], name)
    print("  slowest at %d weeks: %s %.2f ms (target: at most %.0f ms)" % (sizes[-1], worst[1], worst[0], TARGET_MS))
    print("  rank --all:")
    for nweeks, npuzzles, nevals, secs in rank_rows:
        print("    %4d weeks, %4d puzzles, %6d evaluations: %7.2f s, %.2f ms per week"
              % (nweeks, npuzzles, nevals, secs, secs * 1000 / nweeks))
    ok = worst[0] <= TARGET_MS
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
