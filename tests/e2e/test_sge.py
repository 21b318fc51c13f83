"""Issue 9, point 1: the sge scheduler against a real Grid Engine (started by
ctest's `sge` fixture, tests/integration/start-sge.sh): the cases the Slurm
suite runs, on Grid Engine."""
import itertools
import json
import os
import signal
import subprocess
import time
import unittest

from harness import JOBSUB, JobsubTestCase, clean_env
from test_exact_argv import NASTY
from test_slurm import APPEND_PROGRAM, REFERENCE_HYPERS, REFERENCE_SPEC
from test_typed_values import TypedValuesCase

SGE_CELL = os.environ.get("SGE_CELL")
SGE_ENV = {"SGE_ROOT": os.environ.get("SGE_ROOT", ""), "SGE_CELL": SGE_CELL or ""}


@unittest.skipUnless(SGE_CELL, "needs the ctest fixture that starts Grid Engine (SGE_ROOT, SGE_CELL)")
class GridEngine(JobsubTestCase):
    def env(self, **extra):
        return clean_env(**SGE_ENV, **extra)

    def submit(self, exp, *args, env=None, timeout=600):
        return self.jobsub("--scheduler=sge", "--yes", "--wait", "--poll", "0.5", *args, cwd=exp,
                           env=env or self.env(), timeout=timeout)

    def submissions(self, results):
        return [json.loads(line) for line in (results / "submissions.jsonl").read_text().splitlines()]

    def test_reference_sweep_of_144_jobs_on_the_skeleton_layout(self):
        project = self.tmp / "my proj 'tvo'"  # a path with a space and a quote
        (project / "data").mkdir(parents=True)
        (project / "main.py").write_text("import json, sys\nprint(json.dumps(sys.argv[1:]))\n")
        exp = project / "experiments" / "log_vs_random"
        exp.mkdir(parents=True)
        (exp / "jobsub.yaml").write_text(
            "layout: skeleton\nformatter: sacred\nscheduler: sge\ncommand: python3 {script} with {args}\n"
            "resources: {time: 10m, mem: 100M}\n" + REFERENCE_SPEC)
        result = self.submit(exp)
        self.assertExit(result, 0)
        self.assertIn("144 completed, 0 failed", result.stdout)
        results = self.only_results_dir(exp)
        script = (results / "batch-1.sh").read_text()
        self.assertIn("#$ -l h_rt=00:10:00\n", script)
        self.assertIn("#$ -l h_vmem=100M\n", script)
        self.assertIn("#$ -V\n", script)  # the submitting environment, as Slurm's default
        subs = self.submissions(results)
        # On the command line: in a #$ line qsub would drop the quote in the path.
        self.assertEqual(subs[0]["submit"][2:6], ["-o", f"{results}/logs/", "-e", f"{results}/logs/"])
        self.assertEqual([s["state"] for s in subs], ["submitting", "submitted"])
        self.assertNotIn(",", subs[1]["native_id"])  # one qsub for the whole sweep
        self.assertEqual(subs[0]["submit"][-4:-2], ["-t", "1-144"])
        rows = self.jobs_table(results)
        self.assertEqual({r["state"] for r in rows}, {"completed"})
        self.assertEqual(rows[143]["native_id"], f"{subs[1]['native_id']}.144")
        keys = list(REFERENCE_HYPERS)
        for i, combo in enumerate(itertools.product(*REFERENCE_HYPERS.values()), start=1):
            expected = ["with"] + [f"{k}={v}" for k, v in zip(keys, combo)]
            self.assertEqual(self.job_stdout_json(results, i), expected, f"job {i}")

    def test_exact_argv_through_grid_engine(self):
        exp = self.experiment("formatter: argparse\nprogram: prog.py\ncommand: python3 {script} {args}\n"
                              "hypers: " + json.dumps({"v": NASTY}, ensure_ascii=False) + "\n")
        self.assertExit(self.submit(exp), 0)
        results = self.only_results_dir(exp)
        self.assertEqual([self.job_stdout_json(results, i + 1) for i in range(len(NASTY))],
                         [["--v=" + v] for v in NASTY])
        self.assertEqual([p.name for p in self.tmp.rglob("PWNED*")], [])

    def test_arrays_chunked_to_max_aj_tasks_throttled_and_every_job_run_once(self):
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers:\n  i: range(0, 12)\n",
                              program=APPEND_PROGRAM)
        ran = self.tmp / "ran.txt"
        result = self.submit(exp, "--max-array-tasks", "5", "-j", "2", env=self.env(RAN_FILE=str(ran)))
        self.assertExit(result, 0)
        results = self.only_results_dir(exp)
        subs = self.submissions(results)
        self.assertEqual(len(subs[-1]["native_id"].split(",")), 3)  # 5 + 5 + 2
        self.assertIn("-tc", subs[0]["submit"])
        self.assertEqual(sorted(int(x) for x in ran.read_text().split()), list(range(1, 13)))
        self.assertEqual(self.job_stdout_json(results, 12), ["--i=11"])

    def test_cpus_through_the_parallel_environment_and_no_array(self):
        program = "import os, sys\nprint(os.environ.get('NSLOTS'), sys.argv[1:])\n"
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nresources: {cpus: 2}\n"
                              "hypers: {a: [1, 2]}\n", program=program)
        self.assertExit(self.submit(exp, "--no-array"), 0)
        results = self.only_results_dir(exp)
        self.assertIn("#$ -pe smp 2\n", (results / "batch-1.sh").read_text())
        self.assertEqual((results / "jobs/0002/stdout").read_text(), "2 ['--a=2']\n")
        self.assertEqual(len(self.submissions(results)[-1]["native_id"].split(",")), 2)  # one qsub per job

    def test_failed_job_then_status_then_resubmit_then_complete(self):
        program = ("import os, sys\nif sys.argv[1] == '--i=2' and not os.path.exists(os.environ['FIXED']):\n"
                   "    sys.exit(5)\n")
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers:\n  i: range(1, 4)\n",
                              program=program)
        env = self.env(FIXED=str(self.tmp / "fixed"))
        first = self.submit(exp, env=env)
        self.assertExit(first, 1)
        self.assertIn("job 2/3 failed (exit 5)", first.stdout)
        status = self.jobsub("status", cwd=exp, env=env)
        self.assertExit(status, 1)
        self.assertIn("(sge, 3 jobs): 2 completed, 1 failed", status.stdout)
        (self.tmp / "fixed").touch()
        again = self.jobsub("resubmit", "--yes", "--wait", "--poll", "0.5", cwd=exp, env=env, timeout=300)
        self.assertExit(again, 0)
        self.assertIn("1 job of 3 to resubmit: 2", again.stdout)
        report = json.loads(self.jobsub("status", "--json", "--all", cwd=exp, env=env).stdout)
        self.assertEqual(report["states"], {"completed": 3})
        self.assertEqual(report["listed"][1]["attempt"], 2)

    def test_canary_detach_holds_the_rest_until_the_canarys_script_releases_or_cancels_it(self):
        # qsub -h, then the canary, whose script runs qrls (or qdel when it fails). Grid Engine keeps
        # no accounting of a job deleted before it ran: the canary's decision says `cancelled`.
        for case, program, states in [
                ("completes", "import sys, time\ntime.sleep(6 if sys.argv[1] == '--x=1' else 0)\n",
                 ["completed"] * 3),
                ("fails", "import sys, time\ntime.sleep(6 if sys.argv[1] == '--x=1' else 0)\n"
                          "sys.exit('no GPU found' if sys.argv[1] == '--x=1' else 0)\n",
                 ["failed", "cancelled", "cancelled"])]:
            with self.subTest(case):
                exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers: {x: [1, 2, 3]}\n",
                                      program=program, name=f"exp-{case}")
                result = self.jobsub("--scheduler=sge", "--yes", "--canary", "--detach", cwd=exp, env=self.env())
                self.assertExit(result, 0)
                self.assertRegex(result.stdout, r"jobsub: jobs 2-3 submitted held as \d+\n")
                now = json.loads(self.jobsub("status", "--json", cwd=exp, env=self.env()).stdout)
                self.assertEqual({j["job"]: j["state"] for j in now["listed"] if j["job"] > 1}, {2: "held", 3: "held"})
                watched = self.jobsub("status", "--watch", "--poll", "0.5", cwd=exp, env=self.env(), timeout=300)
                self.assertExit(watched, 0 if case == "completes" else 1)
                results = self.only_results_dir(exp)
                after = json.loads(self.jobsub("status", "--all", "--json", cwd=exp, env=self.env()).stdout)
                self.assertEqual([j["state"] for j in after["listed"]], states)
                decision = (results / "jobs" / "0001" / "canary_decision").read_text()
                self.assertEqual(decision, "released\n" if case == "completes" else "cancelled\n")
                if case == "fails":
                    self.assertEqual({j["evidence"] for j in after["listed"][1:]}, {"canary's script"})
                    self.assertIn("note: jobs 2-3 were cancelled by the canary's script: job 1 ended failed",
                                  watched.stdout)

    def test_a_time_limit_is_a_timeout_from_accounting(self):
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nresources: {time: 2s}\n"
                              "hypers: {a: 1}\n", program="import time\ntime.sleep(60)\n")
        result = self.submit(exp, timeout=300)
        self.assertExit(result, 1)
        report = json.loads(self.jobsub("status", "--json", cwd=exp, env=self.env()).stdout)
        self.assertEqual(report["listed"][0]["state"], "timeout", report)
        self.assertIn("failed=37", report["listed"][0]["native_state"])
        self.assertEqual(report["listed"][0]["evidence"], "qacct")  # one bulk qacct for the sweep

    def test_a_timed_out_job_is_retried_with_more_time_by_wait(self):
        # Issue 22, point 3. Grid Engine enforces limits of seconds: the first run outlives
        # its 3 s, the retry gets 9 s (--retry-scale time=3) and needs 1.
        program = ("import os, time\nruns = os.environ['RUNS']\n"
                   "n = (int(open(runs).read()) if os.path.exists(runs) else 0) + 1\nopen(runs, 'w').write(str(n))\n"
                   "time.sleep(60 if n == 1 else 1)\n")
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nresources: {time: 3s}\n"
                              "hypers: {a: 1}\n", program=program)
        env = self.env(RUNS=str(self.tmp / "runs"))
        result = self.submit(exp, "--retries", "2", "--retry-scale", "time=3", env=env, timeout=300)
        self.assertExit(result, 0)
        self.assertIn("job 1 ended timeout: retrying as attempt 2 of 3", result.stdout)
        self.assertIn("job 1: time 00:00:03 -> 00:00:09", result.stdout)
        self.assertEqual((self.tmp / "runs").read_text(), "2")
        results = self.only_results_dir(exp)
        self.assertIn("#$ -l h_rt=00:00:09", (results / "batch-2.sh").read_text())
        report = json.loads(self.jobsub("status", "--json", "--all", cwd=exp, env=env).stdout)
        self.assertEqual([(j["state"], j["attempt"], j["retries_left"]) for j in report["listed"]],
                         [("completed", 2, 1)])

    def test_cancel_with_one_qdel_and_status_agrees(self):
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers:\n  i: range(0,4)\n",
                              program="import time\ntime.sleep(120)\n")
        self.assertExit(self.jobsub("--scheduler=sge", "--yes", cwd=exp, env=self.env()), 0)
        d = self.tmp / "shim"
        d.mkdir()
        (d / "qdel").write_text('#!/bin/bash\necho "$@" >> "$SHIM_DIR/calls"\nexec /usr/bin/qdel "$@"\n')
        (d / "qdel").chmod(0o755)
        env = self.env(PATH=f"{d}:{os.environ['PATH']}", SHIM_DIR=str(d))
        cancelled = self.jobsub("cancel", cwd=exp, env=env)
        self.assertExit(cancelled, 0)
        self.assertIn("cancelled 4 of the 4 unfinished jobs", cancelled.stdout)
        calls = (d / "calls").read_text().splitlines()
        self.assertEqual(len(calls), 1, calls)
        self.assertEqual(len(calls[0].split()), 4, "one qdel for the four tasks")
        report = json.loads(self.jobsub("status", "--json", cwd=exp, env=self.env()).stdout)
        self.assertEqual(report["states"], {"cancelled": 4})
        job = report["listed"][0]["native_id"].split(".")[0]
        deadline = time.time() + 60
        while time.time() < deadline:
            if subprocess.run(["qstat", "-j", job], env=self.env(), capture_output=True).returncode != 0:
                break
            time.sleep(0.5)
        self.assertNotEqual(subprocess.run(["qstat", "-j", job], env=self.env(), capture_output=True).returncode, 0,
                            "the tasks are still in Grid Engine's queue")

    def test_an_array_taken_although_qsub_failed_runs_once_and_is_the_one_recorded(self):
        # Issue 19, 1: qmaster took the array and qsub's answer was lost. The
        # shim in front of the real qsub submits, then fails as a broken
        # connection would; `forwarded` counts what reached Grid Engine.
        d = self.tmp / "shim"
        d.mkdir()
        (d / "qsub").write_text('#!/bin/bash\necho x >> "$SHIM_DIR/forwarded"\n/usr/bin/qsub "$@" >/dev/null\n'
                                'echo \'error: commlib error: got read error (closing "vm/qmaster/1")\' >&2\n'
                                'exit 1\n')
        (d / "qsub").chmod(0o755)
        ran = self.tmp / "ran"
        # The jobs outlive the look-up (Grid Engine's waits 8 s: qstat can lag under load),
        # as real jobs do: qstat forgets a finished job.
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers: {seed: [1, 2, 3]}\n",
                              program="import time\ntime.sleep(12)\n" + APPEND_PROGRAM)
        result = self.submit(exp, "--submit-retry-delay", "0.5",
                             env=self.env(PATH=f"{d}:{os.environ['PATH']}", SHIM_DIR=str(d), RAN_FILE=str(ran)))
        self.assertExit(result, 0)
        self.assertIn("taken once, not sent again", result.stdout)
        self.assertIn("3 completed", result.stdout)
        self.assertEqual(len((d / "forwarded").read_text().split()), 1, "one qsub reached Grid Engine")
        self.assertEqual(sorted(int(x) for x in ran.read_text().split()), [1, 2, 3])  # each job once
        results = self.only_results_dir(exp)
        array = self.submissions(results)[-1]["native_id"]
        self.assertEqual([r["native_id"] for r in self.jobs_table(results)], [f"{array}.{t}" for t in (1, 2, 3)])

    def test_killed_after_qsub_before_the_record_then_resumed(self):
        # A shim in front of the real qsub only chooses the moment: it submits,
        # then sleeps, so jobsub is killed after Grid Engine took the array and
        # before jobsub recorded its id.
        d = self.tmp / "shim"
        d.mkdir()
        (d / "qsub").write_text('#!/bin/bash\n/usr/bin/qsub "$@"; code=$?\ntouch "$SHIM_DIR/entered"\nsleep 60\n'
                                'exit $code\n')
        (d / "qsub").chmod(0o755)
        # Each job runs 8 s, so that they are still with Grid Engine (qstat forgets a finished job)
        # when the resume looks, even on a busy machine.
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers:\n  i: range(1, 7)\n",
                              program="import time\ntime.sleep(8)\n")
        proc = subprocess.Popen([JOBSUB, "--scheduler=sge", "--yes"], cwd=exp,
                                env=self.env(PATH=f"{d}:{os.environ['PATH']}", SHIM_DIR=str(d)),
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline and not (d / "entered").exists():
            time.sleep(0.05)
        self.assertTrue((d / "entered").exists(), "the shim was not reached")
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=60)
        resumed = self.jobsub("submit", "--resume", "--yes", "--wait", "--poll", "0.5", cwd=exp, env=self.env(),
                              timeout=300)
        self.assertExit(resumed, 0)
        self.assertRegex(resumed.stdout, r"Of its 6 jobs: 6 with the scheduler \(\d+\), 0 ended")
        self.assertIn("nothing to resume", resumed.stdout)
        self.assertIn("6 of 6 jobs submitted; 6 completed", resumed.stdout)
        report = json.loads(self.jobsub("status", "--all", "--json", cwd=exp, env=self.env()).stdout)
        self.assertEqual(report["states"], {"completed": 6})
        self.assertEqual(len({j["native_id"] for j in report["listed"]}), 6)
        self.assertEqual(len({j["native_id"].split(".")[0] for j in report["listed"]}), 1)  # one array, once


@unittest.skipUnless(SGE_CELL, "needs the ctest fixture that starts Grid Engine (SGE_ROOT, SGE_CELL)")
class TypedValuesThroughGridEngine(TypedValuesCase):
    """Issue 11's table, read back by each framework's rule in a Grid Engine job."""
    scheduler_args = ("--scheduler=sge", "--wait", "--poll", "0.5")
    env = clean_env(**SGE_ENV) if SGE_CELL else None

    def test_sacred(self):
        self.run_probe("sacred", False)

    def test_argparse(self):
        self.run_probe("argparse", True)

    def test_hydra(self):
        self.run_probe("hydra", False)
