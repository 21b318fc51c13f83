"""Issue 8, points 3 and 4 on the local scheduler: resubmit, submit --resume
(after Ctrl-C and after SIGKILL), skipping what completed before. The Slurm
cases are in test_slurm.py."""
import json
import os
import signal
import sqlite3
import subprocess
import time

from harness import JOBSUB, JobsubTestCase, clean_env

# Each run appends its job number to runs.log; jobs named in FAIL fail until
# the file `fixed` exists; while `slow` exists every job writes `sleeping` and
# sleeps (so a test can stop jobsub mid-sweep).
PROGRAM = """import os, pathlib, sys, time
exp = pathlib.Path(os.environ["EXP"])
job = int(os.environ["JOBSUB_TASK_ID"])
with open(exp / "runs.log", "a") as f:
    f.write(f"{job}\\n")
if (exp / "slow").exists() and job not in {int(j) for j in os.environ.get("FAST", "").split()}:
    pathlib.Path(os.environ["JOBSUB_JOB_DIR"], "sleeping").touch()
    pathlib.Path(os.environ["JOBSUB_JOB_DIR"], "pid").write_text(str(os.getpid()))
    time.sleep(120)
if str(job) in os.environ.get("FAIL", "").split() and not (exp / "fixed").exists():
    print(f"job {job} fails", file=sys.stderr)
    sys.exit(4)
print(sys.argv[1:])
"""

SPEC = "program: prog.py\ncommand: python3 {script} {args}\nhypers:\n  i: range(1, 7)\n"


class Lifecycle(JobsubTestCase):
    def setUp(self):
        super().setUp()
        self.exp = self.experiment(SPEC, program=PROGRAM)

    def env(self, **extra):
        return clean_env(EXP=str(self.exp), **extra)

    def run_jobsub(self, *args, **extra):
        return self.jobsub(*args, cwd=self.exp, env=self.env(**extra))

    def runs(self):
        """How many times each job ran."""
        counts = {}
        for line in (self.exp / "runs.log").read_text().split():
            counts[int(line)] = counts.get(int(line), 0) + 1
        return counts

    def status(self):
        return json.loads(self.run_jobsub("status", "--all", "--json").stdout)

    def start_and_stop(self, sig, started=2):
        """Starts the sweep with `slow` set (-j 2) and sends `sig` to jobsub once `started` jobs run."""
        (self.exp / "slow").touch()
        proc = subprocess.Popen([JOBSUB, "--yes", "-j", "2"], cwd=self.exp, env=self.env(FAST="1 2"),
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline and len(list(self.exp.glob("results/*/*/jobs/*/sleeping"))) < started:
            time.sleep(0.05)
        self.assertEqual(len(list(self.exp.glob("results/*/*/jobs/*/sleeping"))), started)
        time.sleep(0.2)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
        return proc.returncode, out, err

    def kill_orphans(self):
        for pid_file in self.exp.glob("results/*/*/jobs/*/pid"):
            try:
                os.kill(int(pid_file.read_text()), signal.SIGKILL)
            except ProcessLookupError:
                pass

    def test_resubmit_sends_exactly_the_failed_jobs_then_the_sweep_is_complete(self):
        first = self.run_jobsub("--yes", "-j", "2", FAIL="3 5")
        self.assertExit(first, 1)
        status = self.run_jobsub("status")
        self.assertExit(status, 1)
        self.assertRegex(status.stdout, r"\(local, 6 jobs\): 4 completed, 2 failed\n  job 3\s+failed\s+exit 4 ")
        dry = self.run_jobsub("resubmit", "--dry-run")
        self.assertExit(dry, 0)
        self.assertIn("2 jobs of 6 to resubmit: 3,5", dry.stdout)
        self.assertEqual(self.runs(), {1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 6: 1})  # the dry run ran nothing
        (self.exp / "fixed").touch()
        again = self.run_jobsub("resubmit", "--yes", FAIL="3 5")
        self.assertExit(again, 0)
        self.assertEqual(self.runs(), {1: 1, 2: 1, 3: 2, 4: 1, 5: 2, 6: 1})
        report = self.status()
        self.assertEqual(report["states"], {"completed": 6})
        results = self.only_results_dir(self.exp)
        # The first attempt's directory is kept beside the new one, and the store keeps its record.
        self.assertIn("job 3 fails", (results / "jobs/0003.attempt-1/stderr").read_text())
        self.assertEqual((results / "jobs/0003/stderr").read_text(), "")
        db = sqlite3.connect(self.exp / ".jobsub/state.db")
        self.assertEqual(db.execute("SELECT job, attempt, state, exit_code FROM attempts ORDER BY job").fetchall(),
                         [(3, 1, "failed", 4), (5, 1, "failed", 4)])
        self.assertEqual([(j["job"], j["attempt"]) for j in report["listed"] if j["attempt"] > 1], [(3, 2), (5, 2)])
        self.assertRegex(self.run_jobsub("status", "--all").stdout, r"\n  job 3\s+completed \(attempt 2\)\s+exit 0\s+\S+")
        nothing = self.run_jobsub("resubmit", "--yes")
        self.assertExit(nothing, 0)
        self.assertIn("nothing to resubmit", nothing.stdout)
        # --state chooses; a state that is not an ending is refused.
        bad = self.run_jobsub("resubmit", "--state", "completed")
        self.assertExit(bad, 2)
        self.assertIn("--state takes states of jobs that ended badly", bad.stderr)

    def test_resubmit_takes_the_spec_as_it_is_now_and_says_what_changed(self):
        # Issue 22, 2: more time for the failures, a fixed setup, a fixed program.
        program = PROGRAM.replace('print(sys.argv[1:])', 'print(os.environ.get("GREETING"))')
        self.exp = self.experiment(SPEC + "resources: {time: 1h}\ninit: [export GREETING=one]\n", program=program)
        self.assertExit(self.run_jobsub("--yes", "--resource", "partition=cpu", FAIL="2"), 1)
        (self.exp / "jobsub.yaml").write_text(SPEC + "resources: {time: 4h}\ninit: [export GREETING=two]\n")
        (self.exp / "prog.py").write_text(program.replace("sys.exit(4)", "sys.exit(5)"))
        again = self.run_jobsub("resubmit", "--yes", "--resource", "mem=2G", FAIL="2")
        self.assertExit(again, 1)  # still failing: the fix is not there yet
        self.assertRegex(again.stdout, r"jobsub: changed since the sweep was submitted: resources\.mem \(unset\) -> 2G "
                                       r"\(command line\); resources\.time 1h -> 4h \(\S*jobsub\.yaml:\d+\); init lines "
                                       r"\(\S*jobsub\.yaml:\d+\); program prog\.py \(sha256 [0-9a-f]{12} -> [0-9a-f]{12}\)\n")
        self.assertNotIn("partition", again.stdout.split("changed since")[1].splitlines()[0])  # kept, not changed
        results = self.only_results_dir(self.exp)
        submissions = [json.loads(line) for line in (results / "submissions.jsonl").read_text().splitlines()]
        submissions = [s for s in submissions if s["state"] == "submitting"]  # the line that has the script
        self.assertEqual(submissions[0]["resources"], {"partition": "cpu", "time": "1h"})
        self.assertEqual(submissions[-1]["resources"], {"mem": "2G", "partition": "cpu", "time": "4h"})
        self.assertIn("job 2 fails", (results / "jobs/0002/stderr").read_text())
        self.assertEqual((results / "jobs/0002/exit_code").read_text(), "5\n")  # the changed program ran
        (self.exp / "fixed").touch()
        self.assertExit(self.run_jobsub("resubmit", "--yes", FAIL="2"), 0)
        self.assertEqual((results / "jobs/0002/stdout").read_text(), "two\n")  # the new init line ran
        # A changed space is a new sweep, not a resubmit of this one.
        (self.exp / "jobsub.yaml").write_text(SPEC.replace("range(1, 7)", "range(1, 8)"))
        refused = self.run_jobsub("resubmit", "--yes")
        self.assertExit(refused, 3)
        self.assertIn("changed its hypers since this sweep was submitted", refused.stderr)
        self.assertIn("run the changed spec as a new sweep", refused.stderr)

    def test_ctrl_c_then_resume_runs_just_the_cancelled_and_the_not_started(self):
        code, out, err = self.start_and_stop(signal.SIGINT, started=2)
        self.assertEqual(code, 130, out + err)
        self.assertIn("jobsub submit --resume", out)
        report = self.status()
        # Jobs 1 and 2 (FAST) completed, two more were running, two never started.
        self.assertEqual(report["states"], {"completed": 2, "cancelled": 2, "not_submitted": 2})
        cancelled = [j["job"] for j in report["listed"] if j["state"] == "cancelled"]
        self.assertEqual({j["native_state"] for j in report["listed"] if j["state"] == "cancelled"}, {"interrupted"})
        (self.exp / "slow").unlink()
        resumed = self.run_jobsub("submit", "--resume", "--yes")
        self.assertExit(resumed, 0)
        self.assertIn("4 jobs of 6 to submit", resumed.stdout)
        self.assertEqual(self.status()["states"], {"completed": 6})
        runs = self.runs()
        self.assertEqual({job: runs[job] for job in cancelled}, {job: 2 for job in cancelled})
        self.assertEqual(sum(runs.values()), 8)  # 6 jobs, the 2 interrupted ones twice
        self.assertIn("nothing to resume", self.run_jobsub("--resume", "--yes").stdout)

    def test_sigkill_then_resume_submits_nothing_twice_and_nothing_is_missing(self):
        code, out, err = self.start_and_stop(signal.SIGKILL, started=2)
        self.kill_orphans()  # the two jobs jobsub ran when it was killed
        self.assertEqual(code, -signal.SIGKILL, out + err)
        status = self.run_jobsub("status")
        self.assertIn("was being submitted by jobsub pid", status.stdout)
        self.assertIn("jobsub submit --resume", status.stdout)
        (self.exp / "slow").unlink()
        resumed = self.run_jobsub("submit", "--resume", "--yes")
        self.assertIn("2 ended, 2 started and left no exit code (lost: `jobsub resubmit` runs them), "
                      "2 not submitted", resumed.stdout)
        self.assertIn("2 jobs of 6 to submit", resumed.stdout)
        self.assertEqual(self.status()["states"], {"completed": 4, "lost": 2})
        self.assertEqual(sorted(self.runs().values()), [1] * 6)  # every job ran once: none twice, none missing
        self.assertExit(self.run_jobsub("resubmit", "--yes"), 0)
        self.assertEqual(self.status()["states"], {"completed": 6})

    def test_resume_refuses_while_the_submitting_jobsub_still_runs(self):
        (self.exp / "slow").touch()
        proc = subprocess.Popen([JOBSUB, "--yes", "-j", "2"], cwd=self.exp, env=self.env(),
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.time() + 60
            while time.time() < deadline and len(list(self.exp.glob("results/*/*/jobs/*/sleeping"))) < 2:
                time.sleep(0.05)
            time.sleep(1.5)  # the running states reach the store within a second
            resumed = self.run_jobsub("--resume", "--yes")
            self.assertExit(resumed, 1)
            self.assertRegex(resumed.stderr, r"batch-1 of this sweep is being submitted by jobsub \(pid \d+\) right now")
            status = self.run_jobsub("status")
            self.assertIn(f"note: batch-1 is being submitted by jobsub pid {proc.pid}", status.stdout)
            self.assertRegex(status.stdout, r"2 running")  # the live run's states, not `lost`
        finally:
            proc.send_signal(signal.SIGINT)
            proc.communicate(timeout=60)

    def test_a_combination_that_completed_before_is_skipped(self):
        self.assertExit(self.run_jobsub("--yes", "i=1,2", FAIL="2"), 1)
        again = self.run_jobsub("--yes", "i=1,2,3")
        self.assertExit(again, 0)
        self.assertIn("1 of 3 jobs skipped: the same params and command completed in an earlier sweep", again.stdout)
        self.assertIn("2 of 3 jobs submitted", again.stdout)
        first, second = self.results_dirs(self.exp)
        report = self.status()
        self.assertEqual(report["states"], {"completed": 2, "skipped": 1})
        self.assertExit(self.run_jobsub("status"), 0)  # skipped is not a failure
        self.assertEqual(report["listed"][0]["native_state"], f"completed in {first} (job 1)")
        dry = self.run_jobsub("--dry-run", "i=1,2")
        self.assertIn(f"job 1: python3 {self.exp}/prog.py '--i=1'  # skipped: completed in {first} (job 1)", dry.stdout)
        self.assertIn(f"  # skipped: completed in {second} (job 2)", dry.stdout)  # i=2 completed the second time
        everything = self.run_jobsub("--yes", "i=1,2")
        self.assertExit(everything, 0)
        self.assertIn("nothing to submit: every job completed before", everything.stdout)
        self.assertEqual(len(self.results_dirs(self.exp)), 2)  # nothing kept for it
        self.assertExit(self.run_jobsub("--yes", "--rerun-completed", "i=1,2"), 0)
        # (job numbers within each sweep) first: 1, 2; second: 2, 3 (its job 1 skipped); --rerun-completed: 1, 2
        self.assertEqual(self.runs(), {1: 2, 2: 3, 3: 1})
        # An edited program is another program: everything runs again.
        (self.exp / "prog.py").write_text(PROGRAM + "# edited\n")
        edited = self.run_jobsub("--yes", "i=1,2")
        self.assertExit(edited, 0)
        self.assertIn("2 of 2 jobs submitted", edited.stdout)

    def test_a_job_is_skipped_only_where_it_completed_under_the_same_program(self):
        # Issue 22, 5: fix the program, resubmit the failure, restore the old program: the job
        # that completed only under the fix is not "completed before" for the old program.
        old = PROGRAM
        fixed = PROGRAM.replace("sys.exit(4)", "pass  # fixed")
        self.assertExit(self.run_jobsub("--yes", "i=1,2,3", FAIL="2"), 1)
        (self.exp / "prog.py").write_text(fixed)
        again = self.run_jobsub("resubmit", "--yes", FAIL="2")
        self.assertExit(again, 0)
        self.assertIn("program prog.py (sha256", again.stdout)
        results = self.only_results_dir(self.exp)
        lines = [json.loads(line) for line in (results / "submissions.jsonl").read_text().splitlines()]
        hashes = [line["program_sha256"] for line in lines if line["state"] == "submitting"]
        self.assertEqual(len(hashes), 2)
        self.assertNotEqual(hashes[0], hashes[1], "each batch records the program it ran")
        (self.exp / "prog.py").write_text(old)
        dry = self.run_jobsub("--dry-run", "i=1,2,3")
        self.assertIn("'--i=1'  # skipped", dry.stdout)
        self.assertIn("'--i=3'  # skipped", dry.stdout)
        self.assertNotIn("'--i=2'  # skipped", dry.stdout)  # it completed under the fixed program only
        (self.exp / "prog.py").write_text(fixed)
        dry = self.run_jobsub("--dry-run", "i=1,2,3")
        self.assertIn("'--i=2'  # skipped", dry.stdout)
        self.assertNotIn("'--i=1'  # skipped", dry.stdout)
        # Jobs that never ran before take the program they are resumed under too.
        self.assertExit(self.run_jobsub("--manual", "i=4,5"), 0)
        (self.exp / "prog.py").write_text(old)
        self.assertExit(self.run_jobsub("submit", "--resume", "--yes"), 0)
        (self.exp / "prog.py").write_text(fixed)
        self.assertNotIn("# skipped", self.run_jobsub("--dry-run", "i=4,5").stdout)
        (self.exp / "prog.py").write_text(old)
        self.assertEqual(self.run_jobsub("--dry-run", "i=4,5").stdout.count("# skipped"), 2)

    def test_resume_takes_no_settings_and_one_sweep(self):
        self.assertExit(self.run_jobsub("--yes", "i=1"), 0)
        for args, message in ((["--resume", "--name", "x"], "--name cannot go with --resume"),
                              (["--resume", "a=1"], "--resume takes one SWEEP"),
                              (["--resume", "nosuch"], "no sweep 'nosuch'")):
            result = self.run_jobsub(*args, "--yes")
            self.assertIn(result.returncode, (2, 3))
            self.assertIn(message, result.stderr)
