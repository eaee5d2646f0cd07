#!/usr/bin/env python3
"""Wall time of `cryptic-bench evaluate`: 11 models x 30 clues against the
fake chat-completions server (tests/fakes/llm.py) answering after 200 ms,
next to the pacing bound, and the evaluating process's peak RSS.

Each model asks its clues in order, request starts at least 500 ms apart
(the default pacing), all models in parallel; so the bound is
(clues - 1) x max(pacing, latency) + latency. The target is <= 1.10 x.

    python3 bench/bench_evaluate.py [--models 11] [--clues 30] [--latency-ms 200] [--pacing-ms 500] [--through-run]

With --through-run the week goes through `run --week` (the pipeline on the
durable workflow engine, one checkpointed step per call) instead of the
`evaluate` command; a fake Fifteensquared with an empty feed answers the
scrape.
"""
import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", type=int, default=11)
    ap.add_argument("--clues", type=int, default=30)
    ap.add_argument("--latency-ms", type=int, default=200)
    ap.add_argument("--pacing-ms", type=int, default=500)
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "cryptic-bench"))
    ap.add_argument("--through-run", action="store_true")
    a = ap.parse_args()
    if not os.path.exists(a.bin):
        sys.exit("bench_evaluate: %s not found (ninja -C build first)" % a.bin)
    with tempfile.TemporaryDirectory() as work:
        db = os.path.join(work, "bench.db")
        models = {"defaults": {"max_tokens": 500, "min_interval_ms": a.pacing_ms},
                  "models": [{"id": "bench/model-%02d" % i, "provider": "bench", "display_name": "M%d" % i}
                             for i in range(a.models)]}
        with open(os.path.join(work, "models.json"), "w") as f:
            json.dump(models, f)
        subprocess.run([a.bin, "--db", db, "init-db", "--models", os.path.join(work, "models.json")],
                       check=True, stdout=subprocess.DEVNULL)
        con = sqlite3.connect(db)
        con.execute("INSERT INTO puzzles (guardian_id, setter, publication_date, week_id, series) "
                    "VALUES (1, 'Bench', '2026-04-01', '2026-W14', 'guardian-cryptic')")
        solutions = {}
        for i in range(a.clues):
            text = "Bench clue number %d" % i
            con.execute("INSERT INTO clues (puzzle_id, clue_number, direction, clue_text, answer, letter_count) "
                        "VALUES (1, ?, 'across', ?, 'PIRATE', '(6)')", (str(i + 1), text))
            solutions[text] = "PIRATE"
        con.commit()
        con.close()
        config = os.path.join(work, "llm.json")
        with open(config, "w") as f:
            json.dump({"latency_ms": a.latency_ms, "solutions": solutions}, f)
        fake = subprocess.Popen([sys.executable, os.path.join(ROOT, "tests", "fakes", "llm.py"), config],
                                stdout=subprocess.PIPE, text=True)
        port = int(fake.stdout.readline().split()[1])
        env = dict(os.environ, OPENROUTER_BASE_URL="http://127.0.0.1:%d/api/v1" % port,
                   OPENROUTER_API_KEY="bench-key", TURSO_DATABASE_URL="", DATABASE_PATH="")
        blog = None
        command = [a.bin, "-q", "--db", db, "evaluate", "--week", "2026-W14"]
        if a.through_run:
            feed = os.path.join(work, "fs.json")
            with open(feed, "w") as f:
                json.dump({"posts": []}, f)
            blog = subprocess.Popen([sys.executable, os.path.join(ROOT, "tests", "fakes", "fifteensquared.py"), feed],
                                    stdout=subprocess.PIPE, text=True)
            env["FIFTEENSQUARED_URL"] = "http://127.0.0.1:%d" % int(blog.stdout.readline().split()[1])
            env["CRYPTIC_BENCH_FLOW_POLL_MS"] = "20"
            command = [a.bin, "-q", "--db", db, "run", "--week", "2026-W14"]
        start = time.monotonic()
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - start
        fake.terminate()
        fake.wait()
        if blog:
            blog.terminate()
            blog.wait()
        if status != 0:
            sys.exit("bench_evaluate: evaluate failed (status %d)" % status)
        con = sqlite3.connect(db)
        done = con.execute("SELECT count(*) FROM evaluations WHERE outcome = 'correct'").fetchone()[0]
        con.close()
        step = max(a.pacing_ms, a.latency_ms) / 1000.0
        bound = (a.clues - 1) * step + a.latency_ms / 1000.0
        print("bench_evaluate%s: %d models x %d clues, fake latency %d ms, pacing %d ms: %d answers stored"
              % (" (through run, on the engine)" if a.through_run else "", a.models, a.clues, a.latency_ms,
                 a.pacing_ms, done))
        print("  wall %.2f s, pacing bound %.2f s, ratio %.3f (target <= 1.10), peak RSS %.1f MB"
              % (wall, bound, wall / bound, usage.ru_maxrss / 1024.0))


if __name__ == "__main__":
    main()
