"""Issue 8, point 1 (first part): the experiment's state store and `jobsub list`."""
import json
import signal
import subprocess
import time

from harness import JOBSUB, JobsubTestCase, clean_env

SPEC = "program: prog.py\ncommand: python3 {script} {args}\nhypers: {code: [0, 3]}\n"
EXIT_WITH = "import sys\nsys.exit(int(sys.argv[1].split('=')[1]))\n"


class Records(JobsubTestCase):
    def list_json(self, exp):
        result = self.jobsub("list", "--json", cwd=exp)
        self.assertExit(result, 0)
        return json.loads(result.stdout)

    def test_list_shows_each_sweep_with_its_jobs_by_state(self):
        exp = self.experiment(SPEC, program=EXIT_WITH)
        empty = self.jobsub("list", cwd=exp)
        self.assertExit(empty, 0)
        self.assertIn(f"no sweeps recorded in {exp} yet", empty.stdout)
        self.assertExit(self.jobsub("--yes", cwd=exp), 1)  # job 2 exits 3
        self.assertExit(self.jobsub("--manual", cwd=exp), 0)
        sweeps = self.list_json(exp)
        # Job 1 completed in the first sweep: the second skips it.
        self.assertEqual([s["states"] for s in sweeps],
                         [{"completed": 1, "failed": 1}, {"skipped": 1, "not_submitted": 1}])
        self.assertEqual([s["dir"] for s in sweeps], [str(d) for d in self.results_dirs(exp)])
        table = self.jobsub("list", cwd=exp).stdout.splitlines()
        self.assertRegex(table[1], r"^results/exp/\S+\s+local\s+2\s+1 completed, 1 failed$")
        self.assertRegex(table[2], r"^results/exp/\S+\s+local\s+2\s+1 not_submitted, 1 skipped$")
        # --spec before the command names the experiment as after it does.
        elsewhere = self.jobsub("--spec", str(exp / "jobsub.yaml"), "list", "--json", cwd=self.tmp)
        self.assertExit(elsewhere, 0)
        self.assertEqual(json.loads(elsewhere.stdout), sweeps)

    def test_nothing_submitted_records_nothing(self):
        exp = self.experiment(SPEC, program=EXIT_WITH)
        self.assertExit(self.jobsub("--dry-run", cwd=exp), 0)
        self.assertExit(self.jobsub("--yes", "--template", str(self.tmp), cwd=exp), 3)
        self.assertFalse((exp / ".jobsub").exists())

    def test_two_processes_at_once_lose_nothing(self):
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers:\n  i: range(0,150)\n",
                              program="")
        procs = [subprocess.Popen([JOBSUB, "--yes", "-j", "2", "--name", f"s{n}"], cwd=exp, env=clean_env(),
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                  text=True) for n in range(2)]
        for proc in procs:
            _, err = proc.communicate(timeout=300)
            self.assertEqual(proc.returncode, 0, err)
        sweeps = self.list_json(exp)
        self.assertEqual(sorted(s["name"] for s in sweeps), ["s0", "s1"])
        self.assertEqual([s["states"] for s in sweeps], [{"completed": 150}] * 2)

    def test_status_of_local_sweeps_finished_and_interrupted(self):
        exp = self.experiment(SPEC, program=EXIT_WITH)
        self.assertExit(self.jobsub("--yes", cwd=exp), 1)
        status = self.jobsub("status", cwd=exp)
        self.assertExit(status, 1)  # a job failed
        self.assertRegex(status.stdout, r"^sweep results/exp/\S+ \(local, 2 jobs\): 1 completed, 1 failed\n"
                                        r"  job 2\s+failed\s+exit 3 ")
        self.assertNotIn("job 1 ", status.stdout)  # completed jobs only with --all
        self.assertIn("  job 1 ", self.jobsub("status", "--all", cwd=exp).stdout)
        # Ctrl-C: the running jobs are cancelled, the ones not started not submitted, and status says so.
        program = ("import os, pathlib, time\n"
                   "pathlib.Path(os.environ['JOBSUB_JOB_DIR'], 'sleeping').touch()\ntime.sleep(60)\n")
        stopped = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers:\n  i: range(0,4)\n",
                                  program=program, name="stopped")
        proc = subprocess.Popen([JOBSUB, "--yes", "-j", "2"], cwd=stopped, env=clean_env(), stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while time.time() < deadline and len(list(stopped.glob("results/*/*/jobs/*/sleeping"))) < 2:
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        self.assertEqual(proc.wait(timeout=60), 130)
        report = json.loads(self.jobsub("status", "--json", cwd=stopped).stdout)
        self.assertEqual(report["states"], {"cancelled": 2, "not_submitted": 2})
        started = sorted(int(p.parent.name) for p in stopped.glob("results/*/*/jobs/*/sleeping"))
        self.assertEqual([j["job"] for j in report["listed"] if j["state"] == "cancelled"], started)
        self.assertEqual({j["native_state"] for j in report["listed"] if j["state"] == "cancelled"}, {"interrupted"})

    def test_status_names_a_sweep_by_prefix_or_says_which(self):
        exp = self.experiment(SPEC, program=EXIT_WITH)
        self.assertExit(self.jobsub("--manual", "--name", "alpha", cwd=exp), 0)
        self.assertExit(self.jobsub("--manual", "--name", "beta", cwd=exp), 0)
        self.assertIn("(local, 2 jobs): 2 not_submitted", self.jobsub("status", "alpha", cwd=exp).stdout)
        latest = self.jobsub("status", cwd=exp).stdout
        self.assertRegex(latest, r"^sweep results/beta/")
        unknown = self.jobsub("status", "gamma", cwd=exp)
        self.assertExit(unknown, 3)
        self.assertIn("no sweep 'gamma'", unknown.stderr)
        nothing = self.jobsub("status", cwd=self.tmp)
        self.assertExit(nothing, 3)
        self.assertIn("no sweeps recorded", nothing.stderr)

    def test_cancel_of_a_finished_sweep_has_nothing_to_do(self):
        exp = self.experiment(SPEC, program=EXIT_WITH)
        self.assertExit(self.jobsub("--yes", cwd=exp), 1)
        result = self.jobsub("cancel", cwd=exp)
        self.assertExit(result, 0)
        self.assertIn("nothing to cancel in results/exp/", result.stdout)
        self.assertExit(self.jobsub("cancel", "x", "y", cwd=exp), 2)
        self.assertExit(self.jobsub("cancel", "nosuch", cwd=exp), 3)

    def test_logs_prints_a_job_and_follows_a_running_one(self):
        program = ("import sys, time\nprint('first', flush=True)\nsys.stderr.write('warn\\n')\n"
                   "time.sleep(1.5)\nprint('last', flush=True)\n")
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers: {a: [1, 2]}\n",
                              program=program)
        proc = subprocess.Popen([JOBSUB, "--yes", "-j", "1"], cwd=exp, env=clean_env(), stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while time.time() < deadline and not list(exp.glob("results/*/*/jobs/0001/stdout")):
            time.sleep(0.05)
        followed = self.jobsub("logs", "1", "-f", cwd=exp, timeout=60)  # returns when job 1 has ended
        self.assertExit(followed, 0)
        self.assertEqual(followed.stdout, "first\nlast\n")
        self.assertEqual(proc.wait(timeout=60), 0)
        both = self.jobsub("logs", "2", cwd=exp)
        self.assertExit(both, 0)
        self.assertRegex(both.stdout, r"^==> \S+/jobs/0002/stdout <==\nfirst\nlast\n==> \S+/jobs/0002/stderr <==\nwarn\n$")
        self.assertEqual(self.jobsub("logs", "2", "--stderr", cwd=exp).stdout.splitlines()[1:], ["warn"])
        self.assertExit(self.jobsub("logs", "3", cwd=exp), 3)
        self.assertExit(self.jobsub("logs", "x", cwd=exp), 2)
