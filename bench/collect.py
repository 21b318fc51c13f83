#!/usr/bin/env python3
"""`jobsub collect` against the pandas script a researcher would write.

Usage: python3 bench/collect.py [--jobs 10000,100000] [--rounds 3] [--run-jobs] [--keep DIR] [path/to/jobsub]

For each size, one sweep of that many jobs (lr and seed as params; 10 seeds,
so the grouped table has jobs/10 rows), each job with two JSON lines in its
metrics.jsonl. With --run-jobs the sweep runs on the local scheduler (`-j 2`;
100,000 jobs take about 27 minutes here). By default it is recorded with
`jobsub --manual` and its job directories are then written by this script as
the task body writes them (params.json, argv.json, started, stdout, stderr,
metrics.jsonl, exit_code), and the store told the jobs completed: what
`collect` reads is the same, in a fraction of the time. Then, interleaved
for --rounds rounds:
  - pandas: a script reading every job's params.json and metrics.jsonl (the
    last value of each key), grouping over the seed with mean, std, min, max
    and count, sorted, written as CSV (Debian's python3-pandas, /usr/bin/python3);
  - collect, cold: `jobsub collect --format csv` right after the store's
    metric rows were deleted, so every job's files are read (and kept);
  - collect, warm: the same from the store.
The files are in the page cache in every run (the sweep was just written), so
"cold" means "not yet in jobsub's store", not "not yet read from disk".

Then, for the 10,000-job sweep (or the smallest size given), `jobsub report`:
the time to write it against pandas writing the same rows as an HTML table
(`DataFrame.to_html`, no plot: the nearest offline peer packaged for Debian),
its size, and the time headless Chromium takes until the page's script has
drawn everything (its `data-ready-ms`, read from the DOM Chromium dumps).
Prints a markdown table: medians and each ratio to pandas' time. Nothing here
is a pass/fail test.
"""
import json
import os
import pathlib
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
VALUED = {"--jobs", "--rounds", "--keep"}
ARGS = [a for i, a in enumerate(sys.argv[1:], 1) if not a.startswith("--") and sys.argv[i - 1] not in VALUED]
JOBSUB = ARGS[0] if ARGS else str(ROOT / "build/bin/jobsub")
PANDAS_PYTHON = "/usr/bin/python3"


def option(name, default):
    if name in sys.argv:
        return sys.argv[sys.argv.index(name) + 1]
    return default


JOB = """#!/bin/bash
# --lr=X --seed=S (argparse's --key=value): two steps of metrics, the second the summary
lr=${1#--lr=}
seed=${2#--seed=}
printf '{"step": 1, "acc": 0.%s%s, "loss": 1.5}\\n{"step": 2, "acc": 0.%s%s, "loss": 0.%s}\\n' \\
  "$lr" "$seed" "$seed" "$lr" "$seed" > "$JOBSUB_METRICS"
"""


# The peer's reading of the jobs: every job's params.json and metrics.jsonl (the last value of each key).
PANDAS_READ = r"""
import json, os, sys
import pandas as pd
jobs = os.path.join(sys.argv[1], "jobs")
rows = []
for entry in sorted(os.scandir(jobs), key=lambda e: e.name):
    if not entry.is_dir() or "." in entry.name:
        continue
    with open(os.path.join(entry.path, "params.json")) as f:
        row = json.load(f)
    try:
        with open(os.path.join(entry.path, "metrics.jsonl")) as f:
            for line in f:
                if line.strip():
                    row.update(json.loads(line))
    except FileNotFoundError:
        pass
    rows.append(row)
df = pd.DataFrame(rows)
"""
PANDAS = PANDAS_READ + r"""
metrics = [c for c in df.columns if c not in ("lr", "seed")]
table = df.groupby("lr")[metrics].agg(["mean", "std", "min", "max", "count"])
table = table.sort_values(("acc", "mean"), ascending=False)
table.to_csv(sys.stdout)
"""


PANDAS_HTML = PANDAS_READ + r"""
with open(sys.argv[2], "w") as out:
    out.write(df.to_html())
"""


def chromium_ready_ms(page):
    import re
    run = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
                          "--virtual-time-budget=10000", page.as_uri()], capture_output=True, text=True, timeout=300)
    found = re.search(r'data-ready-ms="(\d+)"', run.stdout)
    return int(found.group(1)) if found else None


def report_figures(exp, results, env, rounds):
    (exp / "peer_html.py").write_text(PANDAS_HTML)
    peer, ours, ready = [], [], []
    for k in range(rounds):
        peer.append(run([PANDAS_PYTHON, "peer_html.py", str(results), str(exp / f"peer{k}.html")], exp))
        ours.append(run([JOBSUB, "report", "-o", str(exp / f"report{k}.html")], exp, env))
        ready.append(chromium_ready_ms(exp / f"report{k}.html"))
    size = (exp / "report0.html").stat().st_size
    p, o = statistics.median(peer), statistics.median(ours)
    ready = [r for r in ready if r is not None]
    print(f"\n`jobsub report` of the {len(list((results / 'jobs').iterdir())):,}-job sweep: written in {o:.2f} s "
          f"(pandas `to_html` of the same rows, no plot: {p:.2f} s; ratio {p / o:.1f}); {size / 1e6:.1f} MB; "
          f"drawn by headless Chromium {statistics.median(ready) if ready else 'n/a'} ms after it started loading "
          f"(median of {len(ready)}).")


def write_jobs_as_the_task_body_would(exp, results, n):
    """The files a completed job leaves, for each of the sweep's n jobs, and
    its state in the store: `completed`, exit code 0."""
    width = max(4, len(str(n)))
    now = time.time()
    params = (results / "params.jsonl").read_text().splitlines()
    argv = (results / "argv.jsonl").read_text().splitlines()
    for job in range(1, n + 1):
        d = results / "jobs" / f"{job:0{width}d}"
        d.mkdir(parents=True)
        p = json.loads(params[job - 1])
        (d / "params.json").write_text(params[job - 1] + "\n")
        (d / "argv.json").write_text(argv[job - 1] + "\n")
        (d / "started").write_text(f"{now - 2:.6f}\n")
        (d / "stdout").write_text("")
        (d / "stderr").write_text("")
        (d / "metrics.jsonl").write_text(
            json.dumps({"step": 1, "acc": float(f"0.{p['lr']}{p['seed']}"), "loss": 1.5}) + "\n" +
            json.dumps({"step": 2, "acc": float(f"0.{p['seed']}{p['lr']}"), "loss": float(f"0.{p['seed']}")}) + "\n")
        (d / "exit_code").write_text("0\n")
    db = sqlite3.connect(exp / ".jobsub" / "state.db")
    sweep = db.execute("SELECT id FROM sweeps").fetchone()[0]
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    db.executemany("INSERT OR REPLACE INTO jobs(sweep_id, job, hash, state, native_state, native_id, exit_code, "
                   "updated) VALUES(?, ?, 0, 'completed', 'completed', ?, 0, ?)",
                   [(sweep, job, f"bench-{job}", stamp) for job in range(1, n + 1)])
    db.commit()
    db.close()


def run(cmd, cwd, env=None):
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    return time.perf_counter() - start


def forget_metrics(experiment):
    db = sqlite3.connect(experiment / ".jobsub" / "state.db")
    db.execute("DELETE FROM metrics")
    db.execute("DELETE FROM metric_reads")
    db.commit()
    db.close()


def main():
    sizes = [int(n) for n in option("--jobs", "10000,100000").split(",")]
    rounds = int(option("--rounds", "3"))
    env = dict(os.environ, JOBSUB_SCHEDULER="local", JOBSUB_SITES="")
    print(f"`python3 bench/collect.py` ({time.strftime('%Y-%m-%d')}, {platform.machine()}, {os.cpu_count()} cores, "
          f"jobsub at `{JOBSUB}`). Medians of {rounds} interleaved rounds.\n")
    print("| jobs | pandas script | collect, cold | collect, warm | pandas / cold | pandas / warm |")
    print("|---:|---:|---:|---:|---:|---:|")
    keep = option("--keep", None)  # a directory to build the sweeps in and leave (for profiling)
    with tempfile.TemporaryDirectory(prefix="jobsub-bench-collect-") as scratch:
        tmp = keep or scratch
        pathlib.Path(tmp).mkdir(parents=True, exist_ok=True)
        for n in sizes:
            exp = pathlib.Path(tmp) / f"exp{n}"
            exp.mkdir()
            (exp / "job.sh").write_text(JOB)
            (exp / "job.sh").chmod(0o755)
            (exp / "jobsub.yaml").write_text(
                "scheduler: local\nformatter: argparse\nprogram: job.sh\ncommand: \"{script} {args}\"\n"
                f"objective: acc\nhypers:\n  lr: range(0,{n // 10})\n  seed: range(0,10)\n")
            (exp / "peer.py").write_text(PANDAS)
            started = time.perf_counter()
            if "--run-jobs" in sys.argv:
                subprocess.run([JOBSUB, "--yes", "-j", "2"], cwd=exp, env=env, check=True,
                               stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
                results = next((exp / "results").glob("*/*"))
            else:
                subprocess.run([JOBSUB, "--manual"], cwd=exp, env=env, check=True, stdout=subprocess.DEVNULL,
                               stdin=subprocess.DEVNULL)
                results = next((exp / "results").glob("*/*"))
                write_jobs_as_the_task_body_would(exp, results, n)
            sys.stderr.write(f"{n} jobs ready in {time.perf_counter() - started:.0f} s\n")
            peer, cold, warm = [], [], []
            for _ in range(rounds):
                peer.append(run([PANDAS_PYTHON, "peer.py", str(results)], exp))
                forget_metrics(exp)
                cold.append(run([JOBSUB, "collect", "--format", "csv"], exp, env))
                warm.append(run([JOBSUB, "collect", "--format", "csv"], exp, env))
            p, c, w = (statistics.median(x) for x in (peer, cold, warm))
            print(f"| {n:,} | {p:.2f} s | {c:.2f} s | {w:.2f} s | {p / c:.1f} | {p / w:.1f} |")
            sys.stdout.flush()
            if n == min(sizes):
                report_at = (exp, results)
        report_figures(*report_at, env, rounds)


if __name__ == "__main__":
    main()
