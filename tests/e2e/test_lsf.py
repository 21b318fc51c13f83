"""Issue 18, point 9: the lsf scheduler, a dialect of the batch-scheduler base.
No LSF can be installed on these machines, so these tests stand in for one
with fake_lsf.py: a bsub/bjobs/bkill that keeps its queue in a file, runs the
scripts it accepts (honouring an array's %K throttle) and answers in the
formats of IBM's LSF 10.1 command reference. The script itself is checked
against a golden file (tests/unit/golden_test.cpp)."""
import json
import os
import pathlib
import signal
import subprocess
import time

from harness import JOBSUB, JobsubTestCase, clean_env

FAKE = pathlib.Path(__file__).resolve().parent / "fake_lsf.py"
PROGRAM = "import json, sys\nprint(json.dumps(sys.argv[1:]))\nsys.exit(4 if '--i=3' in sys.argv else 0)\n"
SPEC = "program: prog.py\ncommand: python3 {script} {args}\nresources: {cpus: 2, mem: 4G, time: 1h}\n" \
       "hypers:\n  i: range(1, 7)\n  s: [\"it's $HOME; `x`\"]\n"


class Lsf(JobsubTestCase):
    def fake(self, accounting=True, **extra):
        """The stand-in's clients first on PATH; without `accounting`, no bacct."""
        bin_dir = self.tmp / ("fakebin" if accounting else "fakebin-no-bacct")
        if not bin_dir.exists():
            bin_dir.mkdir()
            for name in ("bsub", "bjobs", "bkill") + (("bacct",) if accounting else ()):
                (bin_dir / name).symlink_to(FAKE)
        return clean_env(PATH=f"{bin_dir}:{os.environ['PATH']}", FAKE_LSF_DIR=str(self.tmp / "lsf"), **extra)

    def kill_during_bsub(self, exp, slow, marker):
        """Submits with bsub slowed by `slow`, SIGKILLs jobsub once the fake
        writes lsf/<marker>, and returns the environment for the resume."""
        env = self.fake(**{slow: "60"}, FAKE_LSF_CONSISTENT_EXIT="1")
        proc = subprocess.Popen([JOBSUB, "--scheduler=lsf", "--yes"], cwd=exp, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline and not (self.tmp / "lsf" / marker).exists():
            time.sleep(0.05)
        self.assertTrue((self.tmp / "lsf" / marker).exists(), "the fake bsub was not reached")
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=60)
        env.pop(slow)
        return env

    def submissions(self, results):
        return [json.loads(line) for line in (results / "submissions.jsonl").read_text().splitlines()]

    def test_an_array_runs_every_job_with_its_exact_arguments(self):
        exp = self.experiment(SPEC, program=PROGRAM)
        env = self.fake()
        result = self.jobsub("--scheduler=lsf", "--yes", "--wait", "--poll", "0.3", "-j", "2", cwd=exp, env=env,
                             timeout=300)
        self.assertExit(result, 1)  # job 3 exits 4
        self.assertIn("5 completed, 1 failed", result.stdout)
        results = self.only_results_dir(exp)
        script = (results / "batch-1.sh").read_text()
        for line in ("#BSUB -n 2\n", "#BSUB -M 4096MB\n", "#BSUB -W 1:00\n"):
            self.assertIn(line, script)
        submit = self.submissions(results)[0]["submit"]
        self.assertEqual(submit[:3], ["bsub", "-J", f"{exp.name}[1-6]%2"])
        rows = self.jobs_table(results)
        self.assertEqual([r["state"] for r in rows], ["completed"] * 2 + ["failed"] + ["completed"] * 3)
        array = self.submissions(results)[-1]["native_id"]
        self.assertEqual(rows[2]["native_id"], f"{array}[3]")
        self.assertEqual(self.job_stdout_json(results, 6), ["--i=6", "--s=it's $HOME; `x`"])
        status = self.jobsub("status", cwd=exp, env=env)
        self.assertExit(status, 1)
        self.assertIn("(lsf, 6 jobs): 5 completed, 1 failed", status.stdout)

    def test_the_plan_shows_the_script_on_standard_input(self):
        exp = self.experiment(SPEC, program=PROGRAM)
        result = self.jobsub("--scheduler=lsf", "--dry-run", cwd=exp, env=self.fake())
        self.assertExit(result, 0)
        self.assertRegex(result.stdout, r"bsub -J '?\w+\[1-6\]'? .*-env 'all,JOBSUB_OFFSET=0' .* < \S*batch-1\.sh")

    def test_killed_before_bsub_took_anything_then_resumed(self):
        # bjobs then answers "No job found" (exit 255 with LSB_BJOBS_CONSISTENT_EXIT_CODE=Y):
        # an empty answer, so the resume submits the whole batch, once.
        exp = self.experiment(SPEC, program=PROGRAM)
        env = self.kill_during_bsub(exp, "FAKE_LSF_SLOW_BEFORE", "entered")
        resumed = self.jobsub("submit", "--resume", "--yes", "--wait", "--poll", "0.3", cwd=exp, env=env,
                              timeout=300)
        self.assertExit(resumed, 1)  # job 3 fails, as it always does
        self.assertIn("5 completed, 1 failed", resumed.stdout)
        state = json.loads((self.tmp / "lsf/state.json").read_text())
        self.assertEqual(len(state["jobs"]), 1, "the array was submitted once")

    def test_cancel_with_one_bkill(self):
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers:\n  i: range(0, 3)\n",
                              program="import time\ntime.sleep(120)\n")
        env = self.fake()
        self.assertExit(self.jobsub("--scheduler=lsf", "--yes", cwd=exp, env=env), 0)
        cancelled = self.jobsub("cancel", cwd=exp, env=env)
        self.assertExit(cancelled, 0)
        self.assertIn("cancelled 3 of the 3 unfinished jobs", cancelled.stdout)
        report = json.loads(self.jobsub("status", "--json", cwd=exp, env=env).stdout)
        self.assertEqual(report["states"], {"cancelled": 3})

    def test_killed_after_bsub_before_the_record_then_resumed(self):
        exp = self.experiment(SPEC, program=PROGRAM)
        # As with LSB_BJOBS_CONSISTENT_EXIT_CODE=Y: bjobs exits 255 for "No job found".
        env = self.kill_during_bsub(exp, "FAKE_LSF_SLOW_AFTER", "accepted")
        resumed = self.jobsub("submit", "--resume", "--yes", "--wait", "--poll", "0.3", cwd=exp, env=env,
                              timeout=300)
        self.assertExit(resumed, 1)  # job 3 fails, as it always does
        self.assertRegex(resumed.stdout, r"Of its 6 jobs: 6 with the scheduler \(\d+\), 0 ended")
        self.assertIn("nothing to resume", resumed.stdout)
        state = json.loads((self.tmp / "lsf/state.json").read_text())
        self.assertEqual(len(state["jobs"]), 1, "the array was submitted once")

    def test_verdicts_after_bjobs_forgot_the_jobs_come_from_bacct_then_the_job_report(self):
        # Issue 19: a job that left bjobs (after LSF's CLEAN_PERIOD) gets its
        # verdict from bacct; where bacct cannot be run, from the job report
        # LSF wrote into its output file; never `lost` while either knows.
        # A minute of run limit lasts 10 s in the stand-in: job 3 sleeps past it.
        program = "import sys, time\nif '--i=2' in sys.argv: sys.exit(3)\nif '--i=3' in sys.argv: time.sleep(120)\n"
        spec = "program: prog.py\ncommand: python3 {script} {args}\nresources: {time: 1m}\nhypers:\n  i: [1, 2, 3]\n"
        timing = {"FAKE_LSF_MINUTE": "10", "FAKE_LSF_CLEAN_PERIOD": "1"}
        exps = {"bacct": self.experiment(spec, program=program, name="with-bacct"),
                "report": self.experiment(spec, program=program, name="without-bacct")}
        envs = {"bacct": self.fake(**timing), "report": self.fake(accounting=False, **timing)}
        for kind, exp in exps.items():
            self.assertExit(self.jobsub("--scheduler=lsf", "--yes", cwd=exp, env=envs[kind]), 0)
        deadline = time.time() + 180
        while time.time() < deadline and len(list((self.tmp / "lsf").glob("*.exit"))) < 6:
            time.sleep(0.5)
        self.assertEqual(len(list((self.tmp / "lsf").glob("*.exit"))), 6, "the six jobs did not end in 180 s")
        time.sleep(1.5)  # past the clean period: bjobs -a lists none of them now
        forgotten = subprocess.run(["bjobs", "-a", "-noheader", "-o", "jobid stat"], env=envs["bacct"],
                                   capture_output=True, text=True, timeout=60)
        self.assertEqual(forgotten.stdout, "")

        status = self.jobsub("status", cwd=exps["bacct"], env=envs["bacct"])
        self.assertExit(status, 1)
        self.assertIn("1 completed, 1 failed, 1 timeout", status.stdout)
        self.assertRegex(status.stdout, r"job 3\s+timeout\s+time limit \(bacct\)")
        report = json.loads(self.jobsub("status", "--json", cwd=exps["bacct"], env=envs["bacct"]).stdout)
        self.assertEqual({job["job"]: (job["state"], job["evidence"]) for job in report["listed"]},
                         {2: ("failed", "bacct"), 3: ("timeout", "bacct")})

        status = self.jobsub("status", cwd=exps["report"], env=envs["report"])
        self.assertExit(status, 1)
        self.assertRegex(status.stdout, r"job 3\s+timeout\s+time limit \(LSF log\)")
        self.assertNotIn("lost", status.stdout)
