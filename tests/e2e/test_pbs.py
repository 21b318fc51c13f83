"""Issue 9, point 2: the pbs scheduler in its two dialects. No PBS (OpenPBS,
PBS Pro or Torque) can be installed on these machines, so these tests stand
in for one with fake_pbs.py: a qsub/qstat/qdel that keeps its queue in a
file, runs the scripts it accepts, and answers in each dialect's format (PBS
Pro's `qstat -f -F json`, Torque's `qstat -f` text). The scripts themselves
are checked against golden files (tests/unit/golden_test.cpp)."""
import json
import os
import pathlib
import signal
import subprocess
import time

from harness import JOBSUB, JobsubTestCase, clean_env

FAKE = pathlib.Path(__file__).resolve().parent / "fake_pbs.py"
PROGRAM = "import json, sys\nprint(json.dumps(sys.argv[1:]))\nsys.exit(4 if '--i=3' in sys.argv else 0)\n"
SPEC = "program: prog.py\ncommand: python3 {script} {args}\nresources: {cpus: 2, mem: 4G, time: 1h}\n" \
       "hypers:\n  i: range(1, 7)\n"


class Pbs(JobsubTestCase):
    def fake(self, dialect, **extra):
        """An environment whose qsub, qstat and qdel are the fake, in `dialect`."""
        bin_dir = self.tmp / "fakebin"
        if not bin_dir.exists():
            bin_dir.mkdir()
            for name in ("qsub", "qstat", "qdel"):
                (bin_dir / name).symlink_to(FAKE)
        return clean_env(PATH=f"{bin_dir}:{os.environ['PATH']}", FAKE_PBS_DIR=str(self.tmp / "pbs"),
                         FAKE_PBS_DIALECT=dialect, **extra)

    def submit(self, exp, env, *args):
        return self.jobsub("--scheduler=pbs", "--yes", "--wait", "--poll", "0.3", *args, cwd=exp, env=env,
                           timeout=300)

    def submissions(self, results):
        return [json.loads(line) for line in (results / "submissions.jsonl").read_text().splitlines()]

    def run_dialect(self, dialect, directive, array_flag):
        exp = self.experiment(SPEC, program=PROGRAM)
        env = self.fake(dialect)
        result = self.submit(exp, env, f"--pbs.dialect={dialect}")
        self.assertExit(result, 1)  # job 3 exits 4
        self.assertIn("5 completed, 1 failed", result.stdout)
        results = self.only_results_dir(exp)
        self.assertIn(f"#PBS -l {directive}\n", (results / "batch-1.sh").read_text())
        submit = self.submissions(results)[0]["submit"]
        self.assertEqual(submit[submit.index(array_flag) + 1], "1-6")
        rows = self.jobs_table(results)
        array = self.submissions(results)[-1]["native_id"]
        self.assertEqual(rows[2]["native_id"], array.replace("[]", "[3]"))
        self.assertEqual([r["state"] for r in rows], ["completed"] * 2 + ["failed"] + ["completed"] * 3)
        self.assertEqual(self.job_stdout_json(results, 6), ["--i=6"])
        status = self.jobsub("status", cwd=exp, env=env)
        self.assertExit(status, 1)
        self.assertIn("(pbs, 6 jobs): 5 completed, 1 failed", status.stdout)
        return exp, env

    def test_pbs_pro_select_and_J_arrays(self):
        self.run_dialect("pro", "select=1:ncpus=2:mem=4096mb", "-J")

    def test_torque_nodes_ppn_and_t_arrays(self):
        self.run_dialect("torque", "nodes=1:ppn=2", "-t")

    def test_the_dialect_is_told_by_qstat_version(self):
        exp = self.experiment(SPEC, program=PROGRAM)
        result = self.submit(exp, self.fake("torque"))
        self.assertIn("5 completed, 1 failed", result.stdout)
        self.assertIn("-t", self.submissions(self.only_results_dir(exp))[0]["submit"])

    def test_pbs_pro_a_single_job_is_not_an_array_and_a_throttle_is_an_error(self):
        exp, env = self.run_dialect("pro", "select=1:ncpus=2:mem=4096mb", "-J")
        # Resubmitting job 3 alone: PBS Pro's -J needs two indices, so a plain job.
        again = self.jobsub("resubmit", "--yes", "--wait", "--poll", "0.3", cwd=exp, env=env, timeout=300)
        self.assertExit(again, 1)  # it fails again, as it should
        results = self.only_results_dir(exp)
        last = self.submissions(results)[-2]
        self.assertNotIn("-J", last["submit"])
        self.assertIn("JOBSUB_OFFSET=3", " ".join(last["submit"]))
        # -j with an array: PBS Pro has no throttle, and jobsub does not drop it.
        throttled = self.jobsub("--scheduler=pbs", "--pbs.dialect=pro", "--dry-run", "-j", "2", cwd=exp, env=env)
        self.assertExit(throttled, 3)
        self.assertIn("PBS Pro cannot limit how many tasks of an array run at once (-j 2)", throttled.stderr)
        torque = self.jobsub("--scheduler=pbs", "--pbs.dialect=torque", "--dry-run", "-j", "2", cwd=exp, env=env)
        self.assertExit(torque, 0)
        self.assertIn("-t 1-6%2", torque.stdout)

    def test_finished_jobs_purged_from_qstat_are_settled_by_their_exit_code_files(self):
        exp = self.experiment(SPEC, program=PROGRAM)
        result = self.submit(exp, self.fake("pro", FAKE_PBS_PURGE="1"), "--pbs.dialect=pro")
        self.assertExit(result, 1)
        self.assertIn("5 completed, 1 failed", result.stdout)

    def test_a_failed_poll_is_retried(self):
        exp = self.experiment(SPEC, program=PROGRAM)
        result = self.submit(exp, self.fake("torque", FAKE_PBS_FAIL_POLLS="2"), "--pbs.dialect=torque")
        self.assertExit(result, 1)
        self.assertIn("query failed (qstat failed: Connection refused", result.stdout)
        self.assertIn("5 completed, 1 failed", result.stdout)

    def test_a_failed_job_is_retried_through_the_fake_qsub(self):
        # Issue 22, point 3, on the PBS stand-in (no PBS can be installed here): --wait
        # retries job 3, which fails each time, once, and says it has no retries left.
        exp = self.experiment(SPEC, program=PROGRAM)
        env = self.fake("pro")
        result = self.submit(exp, env, "--pbs.dialect=pro", "--retries", "1", "--retry-on", "failed")
        self.assertExit(result, 1)
        self.assertIn("job 3 ended failed: retrying as attempt 2 of 2", result.stdout)
        self.assertIn("5 completed, 1 failed, 0 cancelled; 1 retry sent", result.stdout)
        results = self.only_results_dir(exp)
        self.assertEqual([s["batch"] for s in self.submissions(results) if s["state"] == "submitting"],
                         ["batch-1", "batch-2"])
        self.assertTrue((results / "jobs/0003.attempt-1/exit_code").exists())
        status = self.jobsub("status", cwd=exp, env=env)
        self.assertExit(status, 1)
        self.assertRegex(status.stdout, r"job 3\s+failed \(attempt 2 of 2\)\s+exit 4 \(qstat\); no retries left")

    def test_cancel_with_one_qdel(self):
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers:\n  i: range(0, 3)\n",
                              program="import time\ntime.sleep(120)\n")
        env = self.fake("pro")
        self.assertExit(self.jobsub("--scheduler=pbs", "--pbs.dialect=pro", "--yes", cwd=exp, env=env), 0)
        cancelled = self.jobsub("cancel", cwd=exp, env=env)
        self.assertExit(cancelled, 0)
        self.assertIn("cancelled 3 of the 3 unfinished jobs", cancelled.stdout)
        report = json.loads(self.jobsub("status", "--json", cwd=exp, env=env).stdout)
        self.assertEqual(report["states"], {"cancelled": 3})

    def test_killed_after_qsub_before_the_record_then_resumed(self):
        exp = self.experiment(SPEC, program=PROGRAM)
        env = self.fake("torque", FAKE_PBS_SLOW_AFTER="60")
        proc = subprocess.Popen([JOBSUB, "--scheduler=pbs", "--pbs.dialect=torque", "--yes"], cwd=exp, env=env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline and not (self.tmp / "pbs/accepted").exists():
            time.sleep(0.05)
        self.assertTrue((self.tmp / "pbs/accepted").exists(), "the fake qsub was not reached")
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=60)
        env.pop("FAKE_PBS_SLOW_AFTER")
        resumed = self.jobsub("submit", "--resume", "--yes", "--wait", "--poll", "0.3", cwd=exp, env=env,
                              timeout=300)
        self.assertExit(resumed, 1)  # job 3 fails, as it always does
        self.assertRegex(resumed.stdout, r"Of its 6 jobs: 6 with the scheduler \(\d+\), 0 ended")
        self.assertIn("nothing to resume", resumed.stdout)
        state = json.loads((self.tmp / "pbs/state.json").read_text())
        self.assertEqual(len(state["jobs"]), 1, "the array was submitted once")
