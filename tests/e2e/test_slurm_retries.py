"""Issue 22, point 3: automatic retries on the suite's real Slurm (ctest's
`slurm` fixture). Partition `short` has MaxTime=2 and MaxMemPerNode=300
(start-slurm.sh): a retry's scaled resources stop there. A file of its own,
so that ctest runs its minute-long time-limit sweep beside the other tests."""
import json
import os
import subprocess
import time
import unittest

from harness import JobsubTestCase, clean_env

SLURM_CONF = os.environ.get("SLURM_CONF")

# The first run of a job fails (FIRST=fail) or outlives its time limit
# (FIRST=sleep); every later run passes. Runs are counted in RUNS_DIR.
PROGRAM = """import argparse, os, sys, time
p = argparse.ArgumentParser(); p.add_argument("--x", type=int); a = p.parse_args()
runs = os.path.join(os.environ["RUNS_DIR"], f"x{a.x}")
n = (int(open(runs).read()) if os.path.exists(runs) else 0) + 1
open(runs, "w").write(str(n))
print(f"run {n}")
if n == 1 and os.environ["FIRST"] == "fail":
    sys.exit(3)
if n == 1 and os.environ["FIRST"] == "sleep":
    time.sleep(600)
"""


@unittest.skipUnless(SLURM_CONF, "needs the ctest fixture that starts Slurm (SLURM_CONF)")
class SlurmRetries(JobsubTestCase):
    def setUp(self):
        super().setUp()
        self.runs = self.tmp / "runs"
        self.runs.mkdir()

    def env(self, first):
        return clean_env(SLURM_CONF=SLURM_CONF, RUNS_DIR=str(self.runs), FIRST=first)

    def runs_of(self, x):
        f = self.runs / f"x{x}"
        return int(f.read_text()) if f.exists() else 0

    def sweep(self, resources):
        return self.experiment(f"program: prog.py\ncommand: python3 {{script}} {{args}}\nformatter: argparse\n"
                               f"resources: {resources}\nhypers: {{x: [1]}}\n", program=PROGRAM)

    def sacct(self, native_id, fields, env):
        return subprocess.run(["sacct", "--noheader", "--parsable2", "--allocations", f"--format={fields}",
                               "--starttime=now-1hour", f"--jobs={native_id}"],
                              env=env, capture_output=True, text=True).stdout.strip()

    def test_wait_retries_a_failed_job_with_more_time_and_memory_capped_by_the_partition(self):
        env = self.env("fail")
        exp = self.sweep("{time: 1m, mem: 200M, partition: short}")
        result = self.jobsub("--scheduler=slurm", "--yes", "--wait", "--poll", "1", "--retries", "1",
                             "--retry-on", "failed", "--retry-scale", "time=3,mem=2", cwd=exp, env=env, timeout=300)
        self.assertExit(result, 0)
        self.assertIn("job 1 ended failed: retrying as attempt 2 of 2", result.stdout)
        self.assertIn("job 1: mem 200M -> 300M (capped at partition short's MaxMemPerNode), "
                      "time 00:01:00 -> 00:02:00 (capped at partition short's MaxTime)", result.stdout)
        self.assertEqual(self.runs_of(1), 2)
        results = self.only_results_dir(exp)
        script = (results / "batch-2.sh").read_text()
        self.assertIn("#SBATCH --time=00:02:00", script)
        self.assertIn("#SBATCH --mem=300M", script)
        batches = [json.loads(line) for line in (results / "submissions.jsonl").read_text().splitlines()]
        sent = [b for b in batches if b.get("state") == "submitting"]
        self.assertEqual([(b["batch"], b["resources"]["time"], b["resources"]["mem"]) for b in sent],
                         [("batch-1", "1m", "200M"), ("batch-2", "00:02:00", "300M")])
        # What Slurm itself gave the retried job (slurmdbd may record it a moment late).
        retried = self.jobs_table(results)[0]["native_id"]
        deadline = time.time() + 60
        while time.time() < deadline and not self.sacct(retried, "Timelimit,ReqMem", env).startswith("00:02:00"):
            time.sleep(1)
        self.assertEqual(self.sacct(retried, "Timelimit,ReqMem", env), "00:02:00|300M")
        status = self.jobsub("status", "--all", cwd=exp, env=env)
        self.assertExit(status, 0)
        self.assertRegex(status.stdout, r"job 1\s+completed \(attempt 2 of 2\)")

    def test_status_retries_a_timed_out_job_after_the_submit_has_exited(self):
        env = self.env("sleep")
        exp = self.sweep("{time: 1m, partition: short}")
        submitted = self.jobsub("--scheduler=slurm", "--yes", "--retries", "1", "--retry-scale", "time=2",
                                cwd=exp, env=env)
        self.assertExit(submitted, 0)
        first = self.jobs_table(self.only_results_dir(exp))[0]["native_id"]
        said = ""
        try:
            deadline = time.time() + 300  # a minute's limit, Slurm's kill, its accounting
            while time.time() < deadline and "retrying" not in said:
                time.sleep(5)
                said = self.jobsub("status", cwd=exp, env=env).stdout
        finally:
            subprocess.run(["scancel", first], env=env)
        self.assertIn("job 1 ended timeout: retrying as attempt 2 of 2", said)
        self.assertIn("job 1: time 00:01:00 -> 00:02:00", said)
        deadline = time.time() + 120
        status = None
        while time.time() < deadline:
            status = self.jobsub("status", "--all", cwd=exp, env=env)
            if status.returncode == 0 and "1 completed" in status.stdout:
                break
            time.sleep(2)
        self.assertExit(status, 0)
        self.assertRegex(status.stdout, r"job 1\s+completed \(attempt 2 of 2\)")
        self.assertIn("note: automatic retries: up to 1 retry a job on timeout, preempted, node_fail; "
                      "time x2 per attempt; 1 sent (job 1)", status.stdout)
        self.assertEqual(self.runs_of(1), 2)
        earlier = self.only_results_dir(exp) / "jobs/0001.attempt-1/stdout"
        self.assertEqual(earlier.read_text(), "run 1\n")


if __name__ == "__main__":
    unittest.main()
