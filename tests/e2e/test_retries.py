"""Issue 22, point 3: automatic retries on the local scheduler (`failed` ones;
a timed-out job retried with more time is in test_local_resources.py, and on
the real Slurm in test_slurm_retries.py). Each job's program counts
its runs in a file of its own, so a test reads how often each job really ran."""
import json
import signal
import subprocess
import time
import unittest

from harness import JOBSUB, JobsubTestCase, clean_env

# Fails (exit 3) while it has run fewer than FAIL_TIMES[x] times; x=9 never ends on its own.
PROGRAM = """import argparse, os, sys, time
p = argparse.ArgumentParser(); p.add_argument("--x", type=int); a = p.parse_args()
runs = os.path.join(os.environ["RUNS_DIR"], f"x{a.x}")
n = (int(open(runs).read()) if os.path.exists(runs) else 0) + 1
open(runs, "w").write(str(n))
print(f"run {n} of x={a.x}")
fail_times = {1: 0, 2: 1, 3: 99}.get(a.x, 0)
if a.x == 9:
    time.sleep(60)
if n <= fail_times:
    print(f"x={a.x} fails on run {n}", file=sys.stderr)
    sys.exit(3)
"""


class LocalRetries(JobsubTestCase):
    def setUp(self):
        super().setUp()
        self.runs = self.tmp / "runs"
        self.runs.mkdir()

    def env(self):
        return clean_env(RUNS_DIR=str(self.runs))

    def runs_of(self, x):
        f = self.runs / f"x{x}"
        return int(f.read_text()) if f.exists() else 0

    def sweep(self, xs):
        return self.experiment(f"program: prog.py\ncommand: python3 {{script}} {{args}}\nformatter: argparse\n"
                               f"hypers: {{x: {xs}}}\n", program=PROGRAM)

    def test_failed_jobs_are_retried_until_they_pass_or_their_retries_are_used(self):
        exp = self.sweep("[1, 2, 3]")
        result = self.jobsub("--yes", "--retries", "2", "--retry-on", "failed", cwd=exp, env=self.env())
        self.assertExit(result, 1)  # job 3 fails every time
        self.assertIn("jobs 2-3 ended failed: retrying as attempt 2 of 3", result.stdout)
        self.assertIn("job 3 ended failed: retrying as attempt 3 of 3", result.stdout)
        self.assertIn("jobsub: 3 of 3 jobs submitted; 2 completed, 1 failed, 0 cancelled; 3 retries sent", result.stdout)
        self.assertEqual([self.runs_of(x) for x in (1, 2, 3)], [1, 2, 3])
        results = self.only_results_dir(exp)
        # Each ended attempt keeps its directory; the job's own is its last attempt's.
        self.assertEqual(sorted(p.name for p in (results / "jobs").iterdir()),
                         ["0001", "0002", "0002.attempt-1", "0003", "0003.attempt-1", "0003.attempt-2"])
        self.assertIn("x=3 fails on run 1", (results / "jobs/0003.attempt-1/stderr").read_text())
        self.assertIn("x=3 fails on run 3", (results / "jobs/0003/stderr").read_text())
        self.assertEqual(json.loads((results / "sweep.json").read_text())["retry"],
                         {"retries": 2, "on": ["failed"], "scale": {}, "max_total": None})

        status = self.jobsub("status", "--all", cwd=exp, env=self.env())
        self.assertExit(status, 1)
        self.assertRegex(status.stdout, r"job 2\s+completed \(attempt 2 of 3\)\s+exit 0")
        self.assertRegex(status.stdout, r"job 3\s+failed \(attempt 3 of 3\)\s+exit 3; no retries left\s+\S+\s+x=3"
                                        r"\s+x=3 fails on run 3")
        self.assertIn("note: automatic retries: up to 2 retries a job on failed; 3 sent (jobs 2-3)\n", status.stdout)
        self.assertEqual([self.runs_of(x) for x in (1, 2, 3)], [1, 2, 3])  # status sent nothing more
        first = self.jobsub("logs", "3", "--attempt", "1", "--stderr", cwd=exp, env=self.env())
        self.assertExit(first, 0)
        self.assertIn("jobs/0003.attempt-1/stderr <==\nx=3 fails on run 1\n", first.stdout)
        latest = self.jobsub("logs", "3", cwd=exp, env=self.env())
        self.assertIn("x=3 fails on run 3", latest.stdout)
        self.assertIn("this is attempt 3 of job 3; --attempt 1 to 2 shows an earlier one", latest.stderr)
        self.assertExit(self.jobsub("logs", "3", "--attempt", "4", cwd=exp, env=self.env()), 2)
        report = json.loads(self.jobsub("status", "--json", cwd=exp, env=self.env()).stdout)
        self.assertEqual(report["retry"]["sent"], 3)
        self.assertEqual([(j["job"], j["attempt"], j["retries_left"]) for j in report["listed"]], [(3, 3, 0)])

        # A resubmit by hand is an attempt, not an automatic retry: the job has used its retries,
        # so its failure is not retried again (and a resubmit without --wait sends no retries).
        again = self.jobsub("resubmit", "--yes", cwd=exp, env=self.env())
        self.assertExit(again, 1)
        self.assertNotIn("retrying", again.stdout)
        self.assertEqual(self.runs_of(3), 4)
        status = self.jobsub("status", cwd=exp, env=self.env())
        self.assertRegex(status.stdout, r"job 3\s+failed \(attempt 4 of 4\)\s+exit 3; no retries left")
        self.assertEqual(self.runs_of(3), 4)

    def test_the_sweep_wide_cap_stops_the_retries(self):
        exp = self.sweep("[3, 4, 5]")
        (self.tmp / "exp/prog.py").write_text(PROGRAM.replace("{1: 0, 2: 1, 3: 99}", "{3: 99, 4: 99, 5: 99}"))
        result = self.jobsub("--yes", "--retries", "3", "--retry-on", "failed", "--max-retries", "2",
                             "--retry-scale", "mem=2", cwd=exp, env=self.env())
        self.assertIn("note: --retry-scale mem: the sweep sets no mem, so a retry asks for the scheduler's default "
                      "again (set resources.mem to scale it)", result.stdout)
        self.assertExit(result, 1)
        self.assertIn("jobs 1-2 ended failed: retrying as attempt 2 of 4", result.stdout)
        self.assertIn("job 3 not retried: the sweep's --max-retries 2 is reached", result.stdout)
        self.assertEqual([self.runs_of(x) for x in (3, 4, 5)], [2, 2, 1])
        status = self.jobsub("status", cwd=exp, env=self.env())
        self.assertIn("2 sent (jobs 1-2)", status.stdout)
        self.assertRegex(status.stdout, r"job 3\s+failed \(attempt 1 of 1\)\s+exit 3; no retries left \(the sweep's "
                                        r"--max-retries 2 is reached\)")
        self.assertNotIn("not retried", status.stdout + status.stderr)  # said once, by the run that reached it
        self.assertEqual([self.runs_of(x) for x in (3, 4, 5)], [2, 2, 1])

    def test_status_sends_the_retries_a_stopped_submit_left_and_two_at_once_send_them_once(self):
        # Job 1 fails at once; job 2 runs until the submit is stopped (Ctrl-C):
        # the stopped jobsub sends no retry, the next status does, exactly once.
        exp = self.sweep("[2, 9]")
        proc = subprocess.Popen([JOBSUB, "--yes", "-j", "2", "--retries", "1", "--retry-on", "failed"], cwd=exp,
                                env=self.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                stdin=subprocess.DEVNULL)
        try:
            deadline = time.time() + 60
            while time.time() < deadline and not list((exp / "results").glob("*/*/jobs/0001/exit_code")):
                time.sleep(0.1)
            self.assertTrue(list((exp / "results").glob("*/*/jobs/0001/exit_code")), "job 1 did not end")
            time.sleep(0.5)
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
        self.assertEqual(proc.returncode, 130, out + err)
        self.assertNotIn("retrying", out)
        self.assertEqual(self.runs_of(2), 1)

        both = [subprocess.Popen([JOBSUB, "status"], cwd=exp, env=self.env(), stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL) for _ in range(2)]
        outs = [p.communicate(timeout=120) for p in both]
        said = "".join(o + e for o, e in outs)
        self.assertEqual(said.count("job 1 ended failed: retrying as attempt 2 of 2"), 1, said)
        self.assertEqual(self.runs_of(2), 2)  # sent once, by one of them
        status = self.jobsub("status", "--all", cwd=exp, env=self.env())
        self.assertRegex(status.stdout, r"job 1\s+completed \(attempt 2 of 2\)")
        self.assertEqual(self.runs_of(2), 2)

    def test_bad_retry_options_are_usage_errors(self):
        exp = self.sweep("[1]")
        for args, message in [
            (["--retry-on", "failed"], "--retry-on goes with --retries N"),
            (["--retries", "1", "--retry-on", "cancelled"], "a cancelled job was stopped on purpose"),
            (["--retries", "1", "--retry-on", "oops"], "--retry-on: 'oops' is not a state a job can be retried"),
            (["--retries", "1", "--retry-scale", "gpus=2"], "is not RESOURCE=FACTOR with time or mem"),
            (["--retries", "two"], "--retries"),
        ]:
            result = self.jobsub("--yes", *args, cwd=exp, env=self.env())
            self.assertExit(result, 2)
            self.assertIn(message, result.stderr)
        self.assertFalse((exp / "results").exists())
        resumed = self.jobsub("submit", "--resume", "--retries", "1", "--yes", cwd=exp, env=self.env())
        self.assertExit(resumed, 2)
        self.assertIn("--retries cannot go with --resume", resumed.stderr)


if __name__ == "__main__":
    unittest.main()
