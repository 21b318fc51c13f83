#!/usr/bin/env python3
"""jobsub benchmarks. Usage: python3 bench/run.py [path/to/jobsub] > bench/RESULTS.md

Measures, on this machine:
  1. expanding a sweep and writing its records (`--manual`): wall time and peak RSS
  2. the local scheduler against xargs and GNU parallel on the same 2,000 jobs
  3. one array task finding its line in a large sweep's files (constant time)
  4. start-up with every bundled plugin loaded (`jobsub --help`)
  5. `jobsub list` over 100 sweeps
  6. with SLURM_CONF set (a running Slurm, e.g. tests/integration/start-slurm.sh):
     submitting a 10,000-job sweep to Slurm (then cancelled)
  7. with SLURM_CONF: `jobsub status` of the 10,000-job sweep against a bare squeue
  8. submitting section 1's 1,000,000-job sweep through the slurm plugin to an `sbatch`
     stand-in (no Slurm takes 10^6 jobs here), against writing the same commands file
     with a Python loop and calling the stand-in once
`python3 bench/run.py --local` runs only section 2. Each time is the median of several runs; peak memory comes from one extra run
in a fresh wrapper process. Nothing here is a pass/fail test.
"""
import os
import pathlib
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
JOBSUB = ARGS[0] if ARGS else str(ROOT / "build/bin/jobsub")


# Runs a command and prints its children's peak RSS: a fresh process per run,
# since RUSAGE_CHILDREN's maximum is cumulative within one process.
RSS_WRAPPER = ("import resource, subprocess, sys\n"
               "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)\n"
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")


def timed(cmd, cwd, env=None, runs=3):
    """Median wall time over `runs` direct runs, and the peak RSS in MiB of
    one more run under the wrapper."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    done = subprocess.run([sys.executable, "-c", RSS_WRAPPER, *cmd], cwd=cwd, env=env, check=True,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)
    return statistics.median(times), int(done.stdout.strip()) / 1024


def experiment(tmp, name, hypers):
    d = tmp / name
    d.mkdir()
    (d / "jobsub.yaml").write_text(
        "scheduler: local\nformatter: sacred\ncommand: \"true {args}\"\nhypers:\n" +
        "".join(f"  {k}: [{', '.join(v)}]\n" for k, v in hypers.items()))
    return d


JOB_PROGRAM = "#!/bin/bash\necho \"job $1\"\n"


def body(run):
    return f'd=out-{run}/$1; mkdir -p "$d"; ./job.sh "$1" > "$d/stdout" 2> "$d/stderr"; echo $? > "$d/exit_code"'


def local_vs_peers(tmp, env, p, jobs=2000, rounds=3):
    """The local scheduler against what a user would otherwise run, in one run,
    rounds interleaved: every runner gives each job its own directory with its
    stdout, stderr and exit code, except the bare-spawn floor."""
    d = tmp / "peers"
    d.mkdir()
    (d / "job.sh").write_text(JOB_PROGRAM)
    (d / "job.sh").chmod(0o755)
    (d / "jobsub.yaml").write_text(f"scheduler: local\nformatter: argparse\nprogram: job.sh\ncommand: \"{{script}} {{args}}\"\n"
                                   f"hypers:\n  i: range(0,{jobs})\n")
    (d / "ids").write_text("".join(f"{i}\n" for i in range(jobs)))
    # Nothing is deleted between rounds: ext4 makes every new file skip the
    # inodes deleted in the last minutes (recently_deleted()), which would
    # charge one runner for another's clean-up. Each round writes afresh.
    runners = {
        # --rerun-completed: every round runs the same sweep again.
        "jobsub `--scheduler=local -j 2`": lambda r: f"{JOBSUB} --yes --rerun-completed -j 2 'i=range(0,{jobs})'",
        "`xargs -P2` with the same per-job body (sh)": lambda r: f"xargs -P2 -n1 sh -c '{body(r)}' _ < ids",
        "GNU parallel `-j2 --joblog` (same body)":
            lambda r: f"parallel -j2 --joblog joblog-{r} '{body(r).replace('$1', '{}')}' < ids",
        "`xargs -P2 -n1 ./job.sh` (bare spawn, the floor)": lambda r: "xargs -P2 -n1 ./job.sh < ids > /dev/null",
    }
    if shutil.which("parallel") is None:
        del runners["GNU parallel `-j2 --joblog` (same body)"]
    times = {name: [] for name in runners}
    for r in range(rounds):
        for i, (name, cmd) in enumerate(runners.items()):
            start = time.perf_counter()
            subprocess.run(["bash", "-c", cmd(f"{r}-{i}")], cwd=d, env=env, check=True, stdout=subprocess.DEVNULL,
                           stdin=subprocess.DEVNULL)
            times[name].append(time.perf_counter() - start)
    ours = statistics.median(times["jobsub `--scheduler=local -j 2`"])
    p(f"## 2. The local scheduler against xargs and GNU parallel ({jobs:,} jobs of a tiny bash program, 2 at a time)\n")
    p(f"Each job has its own directory with its stdout, stderr and exit code (jobsub also writes its params and "
      f"argv). Median of {rounds} interleaved rounds; the ratio is the runner's time over jobsub's. Each round "
      f"writes into fresh directories and nothing is deleted in between: on ext4 a file created within minutes "
      f"of a large delete is several times slower to create, which would charge one runner for another's "
      f"clean-up.\n")
    p("| runner | median | ratio to jobsub |")
    p("|---|---:|---:|")
    for name, values in times.items():
        median = statistics.median(values)
        p(f"| {name} | {median:.2f} s | {median / ours:.2f} |")
    if shutil.which("parallel") is None:
        p("\nGNU parallel is not installed here (`apt-get install parallel`).")
    p("")


def status_after_the_queue_forgot(tmp, env, p, jobs=10_000, runs=5):
    """Section 9: `jobsub status` of a sweep whose jobs all ran and left
    Slurm's queue (after MinJobAge), so that every verdict comes from
    accounting, against a bare `sacct` over the same jobs. Each timed run
    starts from the store as it was before the first status (copied back), so
    every run settles all the jobs; the copy is in both commands."""
    d = experiment(tmp, "accounting", {"a": [str(i) for i in range(100)], "b": [str(i) for i in range(jobs // 100)]})
    (d / "jobsub.yaml").write_text((d / "jobsub.yaml").read_text().replace("scheduler: local\n", ""))
    subprocess.run([JOBSUB, "--scheduler=slurm", "--yes"], cwd=d, env=env, check=True, stdout=subprocess.DEVNULL,
                   stdin=subprocess.DEVNULL)
    results = sorted((d / "results").glob("*/*"))[-1]
    ids = __import__("json").loads((results / "submissions.jsonl").read_text().splitlines()[-1])["native_id"]
    deadline = time.time() + 1800
    while time.time() < deadline and len(list(results.glob("jobs/*/exit_code"))) < jobs:
        time.sleep(5)
    ran = len(list(results.glob("jobs/*/exit_code")))
    while time.time() < deadline and subprocess.run(
            ["squeue", "--noheader", "--states=all", f"--jobs={ids}"], env=env, capture_output=True,
            text=True).stdout.strip():
        time.sleep(2)
    time.sleep(5)  # slurmdbd has the last records
    shutil.copy(d / ".jobsub/state.db", tmp / "state.db.saved")
    restore = f"cp {tmp / 'state.db.saved'} .jobsub/state.db && "
    sacct = (f"sacct --noheader --parsable2 --allocations --format=JobID,State,ExitCode --starttime=now-1day "
             f"--jobs={ids} > /dev/null")
    ours, peer = [], []
    for _ in range(runs):  # interleaved: the machine's drift falls on both
        ours.append(timed(["sh", "-c", restore + f"{JOBSUB} status > /dev/null; true"], d, env, runs=1)[0])
        peer.append(timed(["sh", "-c", restore + sacct], d, env, runs=1)[0])
    report = __import__("json").loads(subprocess.run([JOBSUB, "status", "--json"], cwd=d, env=env,
                                                     capture_output=True, text=True).stdout)
    ours_m, peer_m = statistics.median(ours), statistics.median(peer)
    p(f"## 9. `jobsub status` of a {jobs:,}-job sweep that left Slurm's queue, against a bare `sacct`\n")
    p(f"{ran:,} jobs ran and Slurm forgot them (MinJobAge); `jobsub status` (one squeue that finds none of them, "
      f"one sacct for all, {jobs:,} verdicts recorded in the store and jobs.tsv; states after: {report['states']}): "
      f"{ours_m:.3f} s; the same `sacct` alone: {peer_m:.3f} s; ratio {ours_m / peer_m:.2f} "
      f"(medians of {runs} interleaved pairs; both restore the store first).\n")


def main():
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOBSUB_")}
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="jobsub-bench-"))
    if "--accounting" in sys.argv:
        out = []
        status_after_the_queue_forgot(tmp, env, out.append)
        print("\n".join(out))
        shutil.rmtree(tmp, ignore_errors=True)
        return
    if "--local" in sys.argv:
        out = []
        local_vs_peers(tmp, env, out.append)
        print("\n".join(out))
        return
    out = []
    p = out.append
    p("# jobsub benchmark results\n")
    p(f"Command: `python3 bench/run.py` ({time.strftime('%Y-%m-%d')}, {platform.machine()}, "
      f"{os.cpu_count()} cores, jobsub at `{JOBSUB}`). Medians of 3 runs unless noted.\n")

    p("## 1. Expanding a sweep and writing its records (`jobsub --manual`)\n")
    p("| jobs | wall time | jobs/s | peak RSS | commands file |")
    p("|---:|---:|---:|---:|---:|")
    sizes = {10_000: (100, 100), 100_000: (100, 100, 10), 1_000_000: (100, 100, 100)}
    big = None
    for jobs, dims in sizes.items():
        hypers = {f"h{i}": [str(x / 1000) for x in range(n)] for i, n in enumerate(dims)}
        d = experiment(tmp, f"e{jobs}", hypers)
        wall, rss = timed([JOBSUB, "--manual"], d, env, runs=3 if jobs < 1_000_000 else 1)
        results = sorted((d / "results").glob("*/*"))[-1]
        size = (results / "commands").stat().st_size / 2**20
        p(f"| {jobs:,} | {wall:.2f} s | {jobs / wall:,.0f} | {rss:.0f} MiB | {size:.0f} MiB |")
        big = results
    p("")

    local_vs_peers(tmp, env, p)

    p("## 3. One array task finding its line (the first and the last job of the 1,000,000-job sweep)\n")
    script = big / "batch-1.sh"
    task_env = dict(env, JOBSUB_ARRAY_TASK_ID="1000000")
    first_env = dict(env, JOBSUB_ARRAY_TASK_ID="1")
    last, _ = timed(["bash", str(script)], big, task_env, runs=5)
    first, _ = timed(["bash", str(script)], big, first_env, runs=5)
    p(f"job 1: {first * 1000:.1f} ms; job 1,000,000: {last * 1000:.1f} ms; ratio {last / first:.2f} "
      "(the whole task: tasks.idx gives the byte offsets of the job's lines, dd reads them).\n")

    p("## 4. Start-up with every bundled plugin loaded (`jobsub --help`)\n")
    wall, rss = timed([JOBSUB, "--help"], tmp, env, runs=10)
    p(f"{wall * 1000:.1f} ms, peak RSS {rss:.0f} MiB.\n")

    p("## 5. `jobsub list` over 100 sweeps of one experiment (from the state store)\n")
    d = experiment(tmp, "many", {"a": [str(i) for i in range(10)]})
    for n in range(100):
        subprocess.run([JOBSUB, "--manual", "--name", f"s{n:03d}"], cwd=d, env=env, check=True,
                       stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    listed, _ = timed([JOBSUB, "list"], d, env, runs=10)
    peer, _ = timed(["sh", "-c", "ls -d results/*/* > /dev/null"], d, env, runs=10)
    p(f"`jobsub list`: {listed * 1000:.1f} ms; `ls -d results/*/*` (names only, no counts): "
      f"{peer * 1000:.1f} ms; ratio {listed / peer:.1f}.\n")

    if os.environ.get("SLURM_CONF"):
        p("## 6. Submitting a 10,000-job sweep to Slurm (`--scheduler=slurm --yes`, no wait)\n")
        d = experiment(tmp, "slurm", {"a": [str(i) for i in range(100)], "b": [str(i) for i in range(100)]})
        start = time.perf_counter()
        subprocess.run([JOBSUB, "--scheduler=slurm", "--yes"], cwd=d, env=env, check=True, stdout=subprocess.DEVNULL,
                       stdin=subprocess.DEVNULL)
        wall = time.perf_counter() - start
        results = sorted((d / "results").glob("*/*"))[-1]
        last = (results / "submissions.jsonl").read_text().splitlines()[-1]
        ids = __import__("json").loads(last)["native_id"].split(",")
        scripts = len(list(results.glob("*.sh")))
        p(f"{wall:.2f} s for 10,000 jobs: {len(ids)} sbatch call(s), {scripts} script(s) written "
          f"(single-node test Slurm, MaxArraySize 100001).\n")
        p("## 7. `jobsub status` of that 10,000-job Slurm sweep, against a bare `squeue`\n")
        status, _ = timed([JOBSUB, "status"], d, env, runs=5)
        squeue, _ = timed(["squeue", "--noheader", "--array", "--states=all", "--format=%i|%T",
                           f"--jobs={','.join(ids)}"], d, env, runs=5)
        p(f"`jobsub status` (one squeue, 10,000 jobs settled, store and jobs.tsv updated): {status:.3f} s; "
          f"the same `squeue` alone: {squeue:.3f} s; ratio {status / squeue:.1f}.\n")
        subprocess.run(["scancel", *ids], env=env, check=False)

    p("## 8. Submitting the 1,000,000-job sweep (`--scheduler=slurm --yes`, an `sbatch` stand-in)\n")
    stub = tmp / "stub"
    stub.mkdir()
    (stub / "sbatch").write_text("#!/bin/sh\necho 4242\n")
    (stub / "sbatch").chmod(0o755)
    stub_env = dict(env, PATH=f"{stub}:{env['PATH']}")
    stub_env.pop("SLURM_CONF", None)
    d = experiment(tmp, "million", {f"h{i}": [str(x / 1000) for x in range(100)] for i in range(3)})
    wall, rss = timed([JOBSUB, "--scheduler=slurm", "--yes", "--max-array-size", "1000001"], d, stub_env, runs=3)
    by_hand = ("import subprocess\n"
               "with open('commands', 'w') as f:\n"
               "    for a in range(100):\n"
               "        for b in range(100):\n"
               "            for c in range(100):\n"
               "                f.write(f\"true with 'h0={a / 1000}' 'h1={b / 1000}' 'h2={c / 1000}'\\n\")\n"
               "subprocess.run(['sbatch', '--array=1-1000000', 'job.sh'], check=True, stdout=subprocess.DEVNULL)\n")
    peer, _ = timed([sys.executable, "-c", by_hand], d, stub_env, runs=3)
    store = (d / ".jobsub/state.db").stat().st_size / 2**20
    p(f"jobsub: {wall:.2f} s, peak RSS {rss:.0f} MiB (script, commands, params, argv, tasks.idx, jobs.tsv, and the "
      f"state store: the sweep, its job hashes and one array record; {store:.0f} MiB after {3 + 1} submits). "
      f"A Python loop writing only the commands file, then one sbatch: {peer:.2f} s; ratio {wall / peer:.1f}.\n")

    shutil.rmtree(tmp, ignore_errors=True)
    print("\n".join(out))


if __name__ == "__main__":
    main()
