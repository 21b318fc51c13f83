"""Issue 3: the slurm scheduler against a real Slurm (started by ctest's
`slurm` fixture, tests/integration/start-slurm.sh)."""
import itertools
import json
import shlex
import signal
import os
import subprocess
import time
import unittest

from harness import JOBSUB, JobsubTestCase, Terminal, clean_env
from test_local_scheduler import BARRIER_PROGRAM
from test_exact_argv import NASTY
from test_typed_values import TypedValuesCase

SLURM_CONF = os.environ.get("SLURM_CONF")

# The reference script's sweep: 3*4*1*2*1*3*2*1 = 144 jobs.
REFERENCE_HYPERS = {
    "S": ["5", "10", "50"],
    "learning_task": ["lin_reg", "log_reg", "gmm", "gmm_amortized"],
    "loss": ["tvo"],
    "schedule": ["log", "random_uniform"],
    "lr": ["0.01"],
    "K": ["3", "10", "50"],
    "seed": ["0", "1"],
    "valid_S": ["5000"],
}

# As the issue writes it: plain YAML scalars, so 5 is a number and 0.01 stays 0.01.
REFERENCE_SPEC = """hypers:
  S: [5, 10, 50]
  learning_task: [lin_reg, log_reg, gmm, gmm_amortized]
  loss: [tvo]
  schedule: [log, random_uniform]
  lr: [0.01]
  K: [3, 10, 50]
  seed: [0, 1]
  valid_S: 5000
"""

APPEND_PROGRAM = """import json, os, sys
with open(os.environ["RAN_FILE"], "a") as f:
    f.write(os.environ["JOBSUB_TASK_ID"] + "\\n")
print(json.dumps(sys.argv[1:]))
"""

# sbatch's transient failures cannot be produced on demand by a healthy Slurm:
# this shim stands in front of the real sbatch and fails the calls listed in
# FAIL_CALLS (1-based) with FAIL_MESSAGE, handing every other call to Slurm.
# The calls in LOSE_CALLS go to Slurm, which takes the job, and then fail with
# FAIL_MESSAGE as if the answer had been lost on the way back; the calls in
# HANG_CALLS go to Slurm and then never answer. Slurm's own runs are counted
# in `forwarded`.
SBATCH_SHIM = """#!/bin/bash
count_file="$SHIM_DIR/calls"
n=$(( $(cat "$count_file" 2>/dev/null || echo 0) + 1 ))
echo $n > "$count_file"
for f in $FAIL_CALLS; do
  if [ "$f" = "$n" ]; then echo "sbatch: error: $FAIL_MESSAGE" >&2; exit 1; fi
done
echo $n >> "$SHIM_DIR/forwarded"
for f in $LOSE_CALLS; do
  if [ "$f" = "$n" ]; then /usr/bin/sbatch "$@" >/dev/null; echo "sbatch: error: $FAIL_MESSAGE" >&2; exit 1; fi
done
for f in $HANG_CALLS; do
  if [ "$f" = "$n" ]; then /usr/bin/sbatch "$@" >/dev/null; exec sleep 300; fi
done
exec /usr/bin/sbatch "$@"
"""


@unittest.skipUnless(SLURM_CONF, "needs the ctest fixture that starts Slurm (SLURM_CONF)")
class Slurm(JobsubTestCase):
    def env(self, **extra):
        return clean_env(SLURM_CONF=SLURM_CONF, **extra)

    def submit(self, exp, *args, env=None, timeout=600):
        return self.jobsub("--scheduler=slurm", "--yes", "--wait", "--poll", "0.5", *args, cwd=exp,
                           env=env or self.env(), timeout=timeout)

    def shim(self, fail_calls, message, lose_calls="", hang_calls="", name="shim", **extra):
        d = self.tmp / name
        d.mkdir()
        (d / "sbatch").write_text(SBATCH_SHIM)
        (d / "sbatch").chmod(0o755)
        return d, self.env(PATH=f"{d}:{os.environ['PATH']}", SHIM_DIR=str(d), FAIL_CALLS=fail_calls,
                           FAIL_MESSAGE=message, LOSE_CALLS=lose_calls, HANG_CALLS=hang_calls, **extra)

    def slurm_jobs_named(self, name, expected):
        """The ids of the jobs Slurm holds or has run under the job name
        `name`: squeue's, and accounting's for those squeue forgot (MinJobAge
        is 10 s on the test cluster). Waits (bounded) for them to be
        `expected`: slurmdbd may record the last ones a moment late."""
        deadline = time.time() + 60
        while True:
            queue = subprocess.run(["squeue", "--noheader", "--array", "--states=all", "--format=%i", f"--name={name}"],
                                   env=self.env(), capture_output=True, text=True, check=True).stdout.split()
            accounted = subprocess.run(["sacct", "--noheader", "--parsable2", "--allocations", "--format=JobID",
                                        "--starttime=now-1hour", f"--name={name}"],
                                       env=self.env(), capture_output=True, text=True).stdout.split()
            ids = sorted(set(queue) | {i for i in accounted if "[" not in i})
            if ids == sorted(expected) or time.time() > deadline:
                return ids
            time.sleep(0.5)

    def forwarded(self, shim):
        """How many sbatch calls reached Slurm."""
        return len((shim / "forwarded").read_text().split()) if (shim / "forwarded").exists() else 0

    def submissions(self, results):
        return [json.loads(line) for line in (results / "submissions.jsonl").read_text().splitlines()]

    def test_reference_sweep_of_144_jobs_on_the_skeleton_layout(self):
        project = self.tmp / "my proj 'tvo'"  # a path with a space and a quote
        (project / "data").mkdir(parents=True)
        (project / "main.py").write_text("import json, sys\nprint(json.dumps(sys.argv[1:]))\n")
        exp = project / "experiments" / "log_vs_random"
        exp.mkdir(parents=True)
        (exp / "jobsub.yaml").write_text(
            "layout: skeleton\nformatter: sacred\nscheduler: slurm\ncommand: python3 {script} with {args}\n"
            "resources: {time: 10m, mem: 100M}\n" + REFERENCE_SPEC)
        result = self.submit(exp)
        self.assertExit(result, 0)
        self.assertIn("144 jobs", result.stdout)
        self.assertIn("144 completed, 0 failed", result.stdout)
        results = self.only_results_dir(exp)
        script = (results / "batch-1.sh").read_text()
        self.assertIn("#SBATCH --mem=100M\n", script)
        self.assertIn("#SBATCH --time=00:10:00\n", script)
        subs = self.submissions(results)
        self.assertEqual([s["state"] for s in subs], ["submitting", "submitted"])
        self.assertNotIn(",", subs[1]["native_id"])  # one sbatch call for the whole sweep
        rows = self.jobs_table(results)
        self.assertEqual({r["state"] for r in rows}, {"completed"})
        self.assertEqual({r["native_id"].split("_")[0] for r in rows}, {subs[1]["native_id"]})
        keys = list(REFERENCE_HYPERS)
        for i, combo in enumerate(itertools.product(*REFERENCE_HYPERS.values()), start=1):
            expected = ["with"] + [f"{k}={v}" for k, v in zip(keys, combo)]
            self.assertEqual(self.job_stdout_json(results, i), expected, f"job {i}")

    def test_exact_argv_through_slurm(self):
        exp = self.experiment("formatter: argparse\nprogram: prog.py\ncommand: python3 {script} {args}\n"
                              "hypers: " + json.dumps({"v": NASTY}, ensure_ascii=False) + "\n")
        self.assertExit(self.submit(exp), 0)
        results = self.only_results_dir(exp)
        self.assertEqual([self.job_stdout_json(results, i + 1) for i in range(len(NASTY))],
                         [["--v=" + v] for v in NASTY])
        self.assertEqual([p.name for p in self.tmp.rglob("PWNED*")], [])

    def test_tasks_get_the_submitting_environment_without_a_login_shell(self):
        # A variable list in --export makes slurmd run `su - user` before
        # every task (SLURM_GET_USER_ENV): seconds per task, and an
        # environment from login files instead of the submitting shell.
        program = "import json, os\nprint(json.dumps({k: os.environ.get(k) for k in ('SLURM_GET_USER_ENV', 'FROM_SHELL')}))\n"
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers: {a: [1, 2]}\n", program=program)
        self.assertExit(self.submit(exp, env=self.env(FROM_SHELL="yes")), 0)
        results = self.only_results_dir(exp)
        for job in (1, 2):
            self.assertEqual(self.job_stdout_json(results, job), {"SLURM_GET_USER_ENV": None, "FROM_SHELL": "yes"})
        self.assertFalse(any(a.startswith("--export") for a in self.submissions(results)[0]["submit"]))

    def test_sweep_larger_than_max_array_size_is_split_and_every_job_runs_once(self):
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\n"
                              "hypers: {i: " + json.dumps(list(range(120))) + "}\n", program=APPEND_PROGRAM)
        ran = self.tmp / "ran.txt"
        result = self.submit(exp, "--max-array-size", "50", env=self.env(RAN_FILE=str(ran)))
        self.assertExit(result, 0)
        results = self.only_results_dir(exp)
        array_ids = self.submissions(results)[-1]["native_id"].split(",")
        self.assertEqual(len(array_ids), 3)  # 49 + 49 + 22
        rows = self.jobs_table(results)
        self.assertEqual(sorted({r["native_id"].split("_")[0] for r in rows}), sorted(array_ids))
        self.assertEqual(rows[49]["native_id"], f"{array_ids[1]}_1")  # job 50 is task 1 of the second array
        self.assertEqual(sorted(int(x) for x in ran.read_text().split()), list(range(1, 121)))
        self.assertEqual(self.job_stdout_json(results, 120), ["--i=119"])

    @staticmethod
    def sbatch_commands(output):
        """The sbatch commands a --dry-run or --manual printed, as argvs."""
        return [shlex.split(line) for line in output.splitlines() if line.startswith("  sbatch ")]

    def test_dry_run_manual_and_submit_make_the_same_plan(self):
        # The test Slurm's MaxArraySize is 100001: read from scontrol by all three.
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\n"
                              "hypers: {i: %s}\n" % json.dumps(list(range(1500))))
        dry = self.jobsub("--scheduler=slurm", "--dry-run", cwd=exp, env=self.env())
        self.assertExit(dry, 0)
        self.assertEqual([c[2:] for c in self.sbatch_commands(dry.stdout)],
                         [["--array=1-1500", str(self.planned_script(dry.stdout)), "0"]])
        self.assertNotIn("could not read MaxArraySize", dry.stdout + dry.stderr)
        manual = self.jobsub("--scheduler=slurm", "--manual", cwd=exp, env=self.env())
        self.assertExit(manual, 0)
        self.assertEqual([c[2] for c in self.sbatch_commands(manual.stdout)], ["--array=1-1500"])
        # With a smaller limit, every chunk's command is printed; each runs its own jobs.
        manual = self.jobsub("--scheduler=slurm", "--manual", "--max-array-size", "1001", cwd=exp, env=self.env())
        commands = self.sbatch_commands(manual.stdout)
        self.assertEqual([(c[2], c[-1]) for c in commands], [("--array=1-1000", "0"), ("--array=1-500", "1000")])
        self.assertIn("jobs 1-1500 go in 2 arrays of at most 1000 (MaxArraySize 1001)", manual.stdout)

    @staticmethod
    def planned_script(output):
        return next(line.split("--- ")[1].split(" ---")[0] for line in output.splitlines()
                    if line.startswith("--- ") and line.endswith(".sh ---"))

    def test_a_plan_without_a_readable_max_array_size_says_what_it_assumed(self):
        d = self.tmp / "shim"
        d.mkdir()
        (d / "scontrol").write_text("#!/bin/bash\necho 'scontrol: error: not today' >&2\nexit 1\n")
        (d / "scontrol").chmod(0o755)
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers: {a: [1, 2]}\n")
        dry = self.jobsub("--scheduler=slurm", "--dry-run", cwd=exp,
                          env=self.env(PATH=f"{d}:{os.environ['PATH']}"))
        self.assertExit(dry, 0)
        self.assertIn("could not read MaxArraySize from `scontrol show config` (scontrol: error: not today); "
                      "planning with Slurm's default 1001", dry.stdout)

    def test_failed_job_is_seen_through_its_exit_code_file(self):
        program = "import sys\nsys.exit(int(sys.argv[1][len('--code='):]))\n"
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers: {code: [0, 3]}\n",
                              program=program)
        result = self.submit(exp)
        self.assertExit(result, 1)
        results = self.only_results_dir(exp)
        self.assertEqual([(r["state"], r["exit_code"]) for r in self.jobs_table(results)],
                         [("completed", "0"), ("failed", "3")])
        self.assertIn("job 2/2 failed (exit 3)", result.stdout)

    def test_a_failing_init_line_fails_the_job_before_its_program(self):
        # Issue 22, 1, on a cluster: a module system this node does not have.
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers: {a: [1, 2]}\n"
                              "init:\n  - module load cuda/12.1\n")
        result = self.submit(exp)
        self.assertExit(result, 1)
        self.assertIn("0 completed, 2 failed", result.stdout)
        results = self.only_results_dir(exp)
        self.assertEqual([(r["state"], r["exit_code"]) for r in self.jobs_table(results)], [("failed", "127")] * 2)
        self.assertEqual((results / "jobs/0001/stdout").read_text(), "", "the program did not run")
        self.assertEqual((results / "jobs/0002/init_failed").read_text(), "127\nmodule load cuda/12.1\n")

    def test_a_grid_with_resources_of_its_own_runs_with_them(self):
        # Issue 20, point 3: each job asks Slurm for its own time limit.
        program = ("import os, subprocess\n"
                   "print(subprocess.run(['squeue', '--noheader', '--jobs', os.environ['SLURM_JOB_ID'],"
                   " '--format=%l'], capture_output=True, text=True).stdout.split()[0])\n")
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nresources: {time: 1h}\n"
                              "hypers:\n  - {model: [small, base]}\n"
                              "  - hypers: {model: [large]}\n    resources: {time: 4h}\n", program=program)
        self.assertExit(self.submit(exp), 0)
        results = self.only_results_dir(exp)
        limits = [(results / "jobs" / f"{job:04d}" / "stdout").read_text().strip() for job in (1, 2, 3)]
        self.assertEqual(limits, ["1:00:00", "1:00:00", "4:00:00"])
        self.assertEqual(len({s["native_id"] for s in self.submissions(results) if s["state"] == "submitted"}), 2)

    def test_metrics_reach_collect_from_slurm_jobs_as_from_local_ones(self):
        # Issue 21: the metric contract is the task body's, the same on every scheduler.
        program = ("import json, os, sys\n"
                   "a = float(sys.argv[1].split('=')[1])\n"
                   "open(os.environ['JOBSUB_METRICS'], 'w').write(json.dumps({'acc': a / 10}) + '\\n')\n")
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers: {a: [1, 2]}\n",
                              program=program)
        self.assertExit(self.submit(exp), 0)
        rows = json.loads(self.jobsub("collect", "--format", "json", "--sort", "a", cwd=exp, env=self.env()).stdout)
        self.assertEqual([(r["a"], r["state"], r["acc"]) for r in rows], [(1, "completed", 0.1), (2, "completed", 0.2)])
        self.assertGreaterEqual(rows[0]["runtime"], 0)

    def test_no_array_submits_one_job_per_combination(self):
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers: {a: [1, 2, 3]}\n")
        self.assertExit(self.submit(exp, "--no-array"), 0)
        results = self.only_results_dir(exp)
        ids = self.submissions(results)[-1]["native_id"].split(",")
        self.assertEqual(len(ids), 3)
        self.assertEqual([r["native_id"] for r in self.jobs_table(results)], ids)
        self.assertEqual(self.job_stdout_json(results, 3), ["--a=3"])

    def test_test_job_first_then_all_as_one_array(self):
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers: {a: [1, 2, 3, 4]}\n")
        term = Terminal(["--scheduler=slurm", "--wait", "--poll", "0.5"], cwd=exp, env=self.env())
        term.read_until("Submit (1/4): '--a=1'? (y/n/all/exit)")
        term.send("y")
        # The test job is followed to its end on Slurm too, its result shown before the next question.
        screen = term.read_until("Submit (2/4)", timeout=300)
        self.assertIn("jobsub: waiting for job 1 to end before the next question", screen)
        self.assertLess(screen.index("job 1/4 completed"), screen.index("Submit (2/4)"))
        term.send("all")
        self.assertEqual(term.wait(timeout=300), 0, term.text)
        results = self.only_results_dir(exp)
        subs = [s for s in self.submissions(results) if s["state"] == "submitted"]
        self.assertEqual([s["jobs"] for s in subs], ["1", "2-4"])
        # The user is told the Slurm ids, and where the test job's output goes.
        self.assertIn(f"job 1 submitted as {subs[0]['native_id']}; output will be in {results}/jobs/0001", term.text)
        self.assertIn(f"jobs 2-4 submitted as {subs[1]['native_id']}", term.text)
        self.assertNotIn(",", subs[1]["native_id"])
        self.assertEqual([r["state"] for r in self.jobs_table(results)], ["completed"] * 4)

    def test_a_failing_test_job_shows_its_stderr_and_ctrl_c_while_waiting_returns_to_the_question(self):
        program = ("import sys, time\nx = int(sys.argv[1].split('=')[1])\n"
                   "if x == 1: print('bad input file', file=sys.stderr); sys.exit(4)\n"
                   "time.sleep(60)\n")
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers: {x: [1, 2, 3]}\n",
                              program=program)
        term = Terminal(["--scheduler=slurm", "--poll", "0.5"], cwd=exp, env=self.env())
        term.read_until("Submit (1/3): '--x=1'? (y/n/all/exit)")
        term.send("y")
        screen = term.read_until("Submit (2/3)", timeout=300)
        self.assertRegex(screen, r"job 1/3 failed \(exit 4\): see .*/jobs/0001/stderr")
        self.assertLess(screen.index("bad input file"), screen.index("Submit (2/3)"))
        term.send("y")
        term.read_until("jobsub: waiting for job 2 to end", timeout=120)
        time.sleep(1)
        term.interrupt()  # stops the waiting, not the job
        screen = term.read_until("Submit (3/3)", timeout=60)
        self.assertIn("jobsub: stopped waiting for job 2; it goes on", screen)
        term.send("exit")
        term.wait(timeout=120)
        results = self.only_results_dir(exp)
        job2 = self.jobs_table(results)[1]
        self.assertIn(job2["state"], ("queued", "pending", "running"))
        # Still in Slurm's queue: Ctrl-C left it there.
        queue = subprocess.run(["squeue", "-h", "-j", job2["native_id"].split("_")[0], "-o", "%i %T"],
                               env=self.env(), capture_output=True, text=True)
        self.assertIn(job2["native_id"].split("_")[0], queue.stdout)
        subprocess.run(["scancel", job2["native_id"].split("_")[0]], env=self.env())

    def test_canary_duration_sends_the_rest_while_the_canary_still_runs(self):
        program = "import sys, time\ntime.sleep(25 if sys.argv[1] == '--x=1' else 0)\n"
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers: {x: [1, 2, 3]}\n",
                              program=program)
        result = self.jobsub("--scheduler=slurm", "--yes", "--canary=2s", "--poll", "0.5", cwd=exp, env=self.env(),
                             timeout=300)  # no --wait: jobsub returns once the rest is sent
        self.assertExit(result, 0)
        self.assertIn("jobsub: canary: job 1 first; the rest once it completed or ran 2s without failing",
                      result.stdout)
        self.assertRegex(result.stdout, r"canary ok after \d+s: submitting the other 2")
        results = self.only_results_dir(exp)
        subs = [s for s in self.submissions(results) if s["state"] == "submitted"]
        self.assertEqual([s["jobs"] for s in subs], ["1", "2-3"])
        # The canary was still running when the rest went: Slurm says so now.
        self.assertEqual(self.jobs_table(results)[0]["state"], "running")
        subprocess.run(["scancel", subs[0]["native_id"]], env=self.env())

    def test_a_failing_canary_on_slurm_submits_nothing_else(self):
        program = "import sys\nsys.exit('no GPU found' if sys.argv[1] == '--x=1' else 0)\n"
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers: {x: [1, 2, 3]}\n",
                              program=program)
        result = self.submit(exp, "--canary")
        self.assertExit(result, 1)
        self.assertIn("no GPU found", result.stdout)
        self.assertIn("the canary, job 1, ended failed: the other 2 jobs were not submitted", result.stderr)
        results = self.only_results_dir(exp)
        self.assertEqual([r["state"] for r in self.jobs_table(results)], ["failed", "not_submitted", "not_submitted"])
        self.assertEqual([s["jobs"] for s in self.submissions(results) if s["state"] == "submitted"], ["1"])

    def test_canary_detach_holds_the_rest_until_the_canarys_script_releases_it(self):
        program = "import sys, time\ntime.sleep(8 if sys.argv[1] == '--x=1' else 0)\n"
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers: {x: [1, 2, 3]}\n",
                              program=program)
        result = self.jobsub("--scheduler=slurm", "--yes", "--canary", "--detach", cwd=exp, env=self.env())
        self.assertExit(result, 0)
        self.assertIn("jobsub: canary: job 1 first; jobs 2-3 held until it completed", result.stdout)
        self.assertRegex(result.stdout, r"jobsub: jobs 2-3 submitted held as \d+\n")
        results = self.only_results_dir(exp)
        subs = self.submissions(results)
        held = [s for s in subs if s["state"] == "submitting" and s.get("held")]
        self.assertEqual([s["jobs"] for s in held], ["2-3"])
        # Slurm holds them while the canary sleeps (JobHeldUser): status says what squeue says.
        now = json.loads(self.jobsub("status", "--json", cwd=exp, env=self.env()).stdout)
        self.assertEqual({j["job"]: j["state"] for j in now["listed"] if j["job"] > 1}, {2: "held", 3: "held"})
        watched = self.jobsub("status", "--watch", "--poll", "0.5", cwd=exp, env=self.env(), timeout=300)
        self.assertExit(watched, 0)
        self.assertEqual([r["state"] for r in self.jobs_table(results)], ["completed"] * 3)
        canary_id = [s for s in subs if s["state"] == "submitted" and s["jobs"] == "1"][0]["native_id"]
        log = (results / "logs" / f"slurm-{canary_id}_1.out").read_text()
        self.assertIn("jobsub: the canary completed: releasing jobs 2-3", log)

    def test_a_detached_canary_that_fails_or_is_cancelled_cancels_the_held_rest(self):
        for case, program in [("fails", "import sys\nsys.exit('no GPU found' if sys.argv[1] == '--x=1' else 0)\n"),
                              ("cancelled", "import sys, time\ntime.sleep(120 if sys.argv[1] == '--x=1' else 0)\n")]:
            with self.subTest(case):
                exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers: {x: [1, 2, 3]}\n",
                                      program=program, name=f"exp-{case}")
                result = self.jobsub("--scheduler=slurm", "--yes", "--canary", "--detach", cwd=exp, env=self.env())
                self.assertExit(result, 0)
                results = self.only_results_dir(exp)
                if case == "cancelled":  # scancel sends SIGTERM to the batch script alone: it passes it on
                    deadline = time.time() + 120
                    while (results / "jobs" / "0001" / "started").exists() is False and time.time() < deadline:
                        time.sleep(0.2)
                    self.assertExit(self.jobsub("cancel", "1", cwd=exp, env=self.env()), 0)
                watched = self.jobsub("status", "--watch", "--poll", "0.5", cwd=exp, env=self.env(), timeout=300)
                self.assertExit(watched, 1)
                states = [r["state"] for r in self.jobs_table(results)]
                self.assertEqual(states, ["failed" if case == "fails" else "cancelled", "cancelled", "cancelled"])
                canary_id = [s for s in self.submissions(results)
                             if s["state"] == "submitted" and s["jobs"] == "1"][0]["native_id"]
                log = (results / "logs" / f"slurm-{canary_id}_1.out").read_text()
                self.assertRegex(log, r"jobsub: the canary ended with exit status \d+.*: cancelling jobs 2-3")
                self.assertEqual((results / "jobs" / "0001" / "canary_decision").read_text(), "cancelled\n")
                self.assertIn(f"note: jobs 2-3 were cancelled by the canary's script: job 1 ended {states[0]}. Once "
                              f"the cause is fixed, `jobsub resubmit {results.relative_to(exp)}` sends them and the "
                              f"canary (as ordinary jobs)", watched.stdout)

    def test_held_jobs_a_canary_never_decided_for_are_named_by_status_with_what_to_do(self):
        # The canary's node has no working `scontrol release` (a shim on the PATH Slurm passes on).
        d = self.tmp / "shim"
        d.mkdir()
        (d / "scontrol").write_text('#!/bin/bash\n[ "$1" = release ] && { echo "scontrol: error: simulated" >&2; '
                                    'exit 1; }\nexec /usr/bin/scontrol "$@"\n')
        (d / "scontrol").chmod(0o755)
        env = self.env(PATH=f"{d}:{os.environ['PATH']}")
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers: {x: [1, 2, 3]}\n")
        self.assertExit(self.jobsub("--scheduler=slurm", "--yes", "--canary", "--detach", cwd=exp, env=env), 0)
        results = self.only_results_dir(exp)
        deadline = time.time() + 120
        while time.time() < deadline:
            status = self.jobsub("status", cwd=exp, env=self.env())
            if "held for the canary" in status.stdout:
                break
            time.sleep(0.5)
        held = [s for s in self.submissions(results) if s["state"] == "submitted" and s["jobs"] == "2-3"][0]
        self.assertIn(f"note: jobs 2-3 are held for the canary, job 1, which ended completed without its script "
                      f"releasing or cancelling them (its log says why): `jobsub cancel {results.relative_to(exp)} "
                      f"2-3` ends them; `scontrol release {held['native_id']}` sends them", status.stdout)
        canary_id = [s for s in self.submissions(results) if s["state"] == "submitted" and s["jobs"] == "1"][0]
        log = (results / "logs" / f"slurm-{canary_id['native_id']}_1.out").read_text()
        self.assertIn("scontrol: error: simulated", log)
        self.assertIn("jobsub: could not release jobs 2-3", log)
        self.assertExit(self.jobsub("cancel", str(results.relative_to(exp)), "2-3", cwd=exp, env=self.env()), 0)
        after = json.loads(self.jobsub("status", "--all", "--json", cwd=exp, env=self.env()).stdout)
        self.assertEqual([j["state"] for j in after["listed"]], ["completed", "cancelled", "cancelled"])

    def test_a_detached_canary_slurm_refuses_leaves_no_held_jobs_behind(self):
        # The held rest is the first sbatch call; Slurm refuses the second, the canary's.
        shim, env = self.shim("2", "Batch job submission failed: Invalid qos specification")
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers: {x: [1, 2, 3]}\n")
        result = self.jobsub("--scheduler=slurm", "--yes", "--canary", "--detach", cwd=exp, env=env)
        self.assertExit(result, 1)
        self.assertIn("Invalid qos specification", result.stderr)
        self.assertIn("jobs 2-3, held as ", result.stderr)
        self.assertIn("for a canary, were cancelled instead, as no canary will release them", result.stderr)
        results = self.only_results_dir(exp)
        held_id = [s for s in self.submissions(results) if s["state"] == "submitted"][0]["native_id"]
        queue = subprocess.run(["squeue", "--noheader", "--array", "--states=all", "--format=%i|%T", f"--jobs={held_id}"],
                               env=self.env(), capture_output=True, text=True)
        self.assertNotIn("PENDING", queue.stdout)  # nothing left waiting for a release that cannot come
        self.assertEqual([r["state"] for r in self.jobs_table(results)], ["not_submitted", "cancelled", "cancelled"])

    def test_permanent_failure_stops_with_slurms_message_and_a_record(self):
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers: {a: [1, 2]}\n")
        result = self.submit(exp, "--resource", "partition=nope")
        self.assertExit(result, 1)
        self.assertIn("invalid partition", result.stderr.lower())
        results = self.only_results_dir(exp)
        self.assertEqual([r["state"] for r in self.jobs_table(results)], ["not_submitted"] * 2)
        self.assertEqual(self.submissions(results)[-1]["state"], "failed")

    def test_failure_midway_says_what_was_taken_and_resume_sends_the_rest(self):
        # Issue 19, 5: a submit limit refuses the second of three arrays.
        ran = self.tmp / "ran"
        shim, env = self.shim("2", "Batch job submission failed: Job violates accounting/QOS policy (job submit "
                              "limit, user's size and/or time limits) QOSMaxSubmitJobPerUserLimit",
                              RAN_FILE=str(ran))
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers:\n  a: range(1, 8)\n",
                              program=APPEND_PROGRAM)
        result = self.jobsub("--scheduler=slurm", "--yes", "--max-array-size", "4", cwd=exp, env=env)
        self.assertExit(result, 1)
        self.assertIn("QOSMaxSubmitJobPerUserLimit", result.stderr)
        self.assertIn("could not submit jobs 4-7 of batch-1", result.stderr)
        self.assertRegex(result.stderr, r"jobs 1-3 were submitted as \d+ and go on")
        self.assertIn("`jobsub submit --resume ", result.stderr)
        results = self.only_results_dir(exp)
        states = [r["state"] for r in self.jobs_table(results)]
        self.assertEqual(states[3:], ["not_submitted"] * 4)
        self.assertTrue(all(s in ("queued", "running", "completed") for s in states[:3]), states)
        self.assertIn("jobs.tsv", result.stderr)
        status = self.jobsub("status", cwd=exp, env=env)
        self.assertIn("note: jobs 4-7 were not submitted: `jobsub submit --resume ", status.stdout)
        resumed = self.jobsub("submit", "--resume", "--yes", "--wait", "--poll", "0.5", cwd=exp, env=env)
        self.assertExit(resumed, 0)
        self.assertEqual(sorted(int(x) for x in ran.read_text().split()), list(range(1, 8)))  # each once

    def test_transient_failures_are_retried_and_nothing_is_submitted_twice(self):
        shim, env = self.shim("1 2", "Batch job submission failed: Socket timed out on send/recv operation")
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers: {a: [1, 2]}\n")
        result = self.submit(exp, "--submit-retry-delay", "0.1", env=env)
        self.assertExit(result, 0)
        self.assertIn("before trying again (1/5)", result.stdout)
        self.assertEqual((shim / "calls").read_text().strip(), "3")
        results = self.only_results_dir(exp)
        self.assertEqual([r["state"] for r in self.jobs_table(results)], ["completed"] * 2)
        self.assertEqual(len(self.submissions(results)[-1]["native_id"].split(",")), 1)

    def test_an_array_taken_although_sbatch_failed_runs_once_and_is_the_one_recorded(self):
        # Issue 19, 1: the controller took the array and sbatch's answer was
        # lost (first call), or sbatch never answered (--client-timeout).
        for case, shim_args in (("lost", {"lose_calls": "1"}), ("hung", {"hang_calls": "1"})):
            with self.subTest(case):
                ran = self.tmp / f"ran-{case}"
                shim, env = self.shim("", "Batch job submission failed: Socket timed out on send/recv operation",
                                      RAN_FILE=str(ran), name=f"shim-{case}", **shim_args)
                # (The harness's environment chooses local: the command line chooses slurm.)
                exp = self.experiment("scheduler: slurm\nprogram: prog.py\ncommand: python3 {script} {args}\n"
                                      "hypers: {seed: [1, 2, 3]}\n", program=APPEND_PROGRAM, name=f"exp-{case}")
                result = self.jobsub("--scheduler=slurm", "--yes", "--wait", "--poll", "1", "--submit-retry-delay", "0.5",
                                     "--client-timeout", "5", cwd=exp, env=env, timeout=300)
                self.assertExit(result, 0)
                self.assertIn("3 completed", result.stdout)
                self.assertIn("taken once, not sent again", result.stdout)
                self.assertEqual(self.forwarded(shim), 1, "one array reached Slurm")
                self.assertEqual(sorted(int(x) for x in ran.read_text().split()), [1, 2, 3])  # each job once
                results = self.only_results_dir(exp)
                array = self.submissions(results)[-1]["native_id"]
                self.assertEqual([r["native_id"] for r in self.jobs_table(results)],
                                 [f"{array}_{t}" for t in (1, 2, 3)])

    # Call 1 is refused; call 2 reaches Slurm, and then both clients lose
    # their answers until the test brings them back (removes `down`).
    LOST_TWICE_SBATCH = """#!/bin/bash
n=$(( $(cat "$SHIM_DIR/calls" 2>/dev/null || echo 0) + 1 )); echo $n > "$SHIM_DIR/calls"
if [ $n = 1 ]; then echo "sbatch: error: Batch job submission failed: Invalid qos specification" >&2; exit 1; fi
if [ $n = 2 ]; then
  /usr/bin/sbatch "$@" >/dev/null; touch "$SHIM_DIR/down"
  echo "sbatch: error: Batch job submission failed: Socket timed out on send/recv operation" >&2; exit 1
fi
exec /usr/bin/sbatch "$@"
"""
    DOWN_SQUEUE = """#!/bin/bash
if [ -e "$SHIM_DIR/down" ]; then echo "squeue: error: slurm_receive_msg: Socket timed out" >&2; exit 1; fi
exec /usr/bin/squeue "$@"
"""

    def test_a_job_sent_by_two_failed_batches_is_the_later_ones(self):
        # CI, seed 546976 of test_slurm_faults: batch-1 was refused, its
        # resume's batch-2 was taken while neither sbatch nor squeue answered,
        # and the job ran. The next resume credited the run to batch-1 (the
        # first failed batch naming the job) and recorded it with no id.
        d = self.tmp / "shim"
        d.mkdir()
        for name, text in (("sbatch", self.LOST_TWICE_SBATCH), ("squeue", self.DOWN_SQUEUE)):
            (d / name).write_text(text)
            (d / name).chmod(0o755)
        ran = self.tmp / "ran"
        env = self.env(PATH=f"{d}:{os.environ['PATH']}", SHIM_DIR=str(d), RAN_FILE=str(ran))
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers: {a: [1, 2, 3]}\n",
                              program=APPEND_PROGRAM)
        name = f"twice-{os.getpid()}"
        first = self.jobsub("--scheduler=slurm", "--yes", "--submit-retry-delay", "0.1", "--name", name, cwd=exp, env=env)
        self.assertExit(first, 1)
        self.assertIn("Invalid qos specification", first.stderr)
        lost = self.jobsub("submit", "--resume", "--yes", cwd=exp, env=env)
        self.assertExit(lost, 1)
        self.assertIn("could not be asked", lost.stderr)
        deadline = time.time() + 120
        while time.time() < deadline and len(ran.read_text().split() if ran.exists() else []) < 3:
            time.sleep(0.5)
        self.assertEqual(sorted(ran.read_text().split()), ["1", "2", "3"], "batch-2's array ran")
        (d / "down").unlink()
        settled = self.jobsub("submit", "--resume", "--yes", "--wait", "--poll", "0.5", cwd=exp, env=env)
        self.assertExit(settled, 0)
        self.assertIn("batch-2 failed, and the scheduler had taken some of it all the same", settled.stdout)
        self.assertNotIn("batch-1 failed", settled.stdout)
        self.assertEqual((d / "calls").read_text().strip(), "2", "nothing sent again")
        rows = self.jobs_table(self.only_results_dir(exp))
        self.assertEqual([r["state"] for r in rows], ["completed"] * 3)
        ids = [r["native_id"] for r in rows]
        self.assertRegex(ids[0], r"^\d+_1$")
        array = ids[0].split("_")[0]
        self.assertEqual(ids, [f"{array}_{t}" for t in (1, 2, 3)])
        self.assertEqual(self.slurm_jobs_named(name, ids), ids, "the ids are the ones Slurm ran")
        self.assertEqual(sorted(ran.read_text().split()), ["1", "2", "3"], "each job ran once")

    def test_ctrl_c_while_submitting_stops_and_records_exactly_what_was_submitted(self):
        # A slow sbatch (a shim in front of the real one) keeps jobsub in its
        # submit loop long enough to be interrupted there.
        d = self.tmp / "slow"
        d.mkdir()
        (d / "sbatch").write_text('#!/bin/bash\necho x >> "$SHIM_DIR/calls"\nsleep 0.3\nexec /usr/bin/sbatch "$@"\n')
        (d / "sbatch").chmod(0o755)
        env = self.env(PATH=f"{d}:{os.environ['PATH']}", SHIM_DIR=str(d))
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers: {a: %s}\n"
                              % json.dumps(list(range(40))), program="import time\ntime.sleep(120)\n")
        name = f"interrupted-{os.getpid()}-{int(time.time())}"
        proc = subprocess.Popen([JOBSUB, "--scheduler=slurm", "--yes", "--no-array", "--name", name], cwd=exp,
                                env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        try:
            deadline = time.time() + 60
            calls = d / "calls"
            while time.time() < deadline and (not calls.exists() or len(calls.read_text().split()) < 3):
                time.sleep(0.05)
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=60)
            self.assertEqual(proc.returncode, 130, out + err)
            self.assertIn("interrupted while submitting batch-1", err)
            table = self.jobs_table(self.only_results_dir(exp))
            submitted = [r for r in table if r["native_id"]]
            self.assertTrue(3 <= len(submitted) < 40, f"{len(submitted)} submitted")
            self.assertEqual({r["state"] for r in table if not r["native_id"]}, {"not_submitted"})
            expected = [r["native_id"] for r in submitted]
            self.assertEqual(self.slurm_jobs_named(name, expected), sorted(expected),
                             "the record and Slurm must agree")
        finally:
            proc.kill()
            subprocess.run(["scancel", f"--name={name}"], env=self.env())

    def test_failed_jobs_resubmitted_in_one_array_then_the_sweep_is_complete(self):
        program = ("import os, sys\nif sys.argv[1] in ('--i=2', '--i=4') and not os.path.exists(os.environ['FIXED']):\n"
                   "    sys.exit(5)\n")
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers:\n  i: range(1, 6)\n",
                              program=program)
        env = self.env(FIXED=str(self.tmp / "fixed"))
        self.assertExit(self.submit(exp, env=env), 1)
        status = self.jobsub("status", cwd=exp, env=env)
        self.assertExit(status, 1)
        self.assertIn("(slurm, 5 jobs): 3 completed, 2 failed", status.stdout)
        (self.tmp / "fixed").touch()
        # Issue 22, 2: the failures get more time than the first attempt had.
        again = self.jobsub("resubmit", "--yes", "--wait", "--poll", "0.5", "--resource", "time=7m", cwd=exp,
                            env=env, timeout=600)
        self.assertExit(again, 0)
        self.assertIn("2 jobs of 5 to resubmit: 2,4", again.stdout)
        self.assertIn("changed since the sweep was submitted: resources.time (unset) -> 7m (command line)",
                      again.stdout)
        results = self.only_results_dir(exp)
        subs = self.submissions(results)
        self.assertEqual([s["resources"] for s in subs if s["state"] == "submitting"], [{}, {"time": "7m"}])
        # slurmdbd may record an array's limit a moment after its tasks (bounded wait, busy machines).
        deadline = time.time() + 60
        while True:
            limits = subprocess.run(["sacct", "--noheader", "--parsable2", "--allocations",
                                     "--format=JobID,Timelimit", "-j", subs[-1]["native_id"]],
                                    env=self.env(), capture_output=True, text=True).stdout
            given = {line.split("|")[1] for line in limits.split() if line.split("|")[1:2] != [""]}
            if given or time.time() > deadline:
                break
            time.sleep(1)
        self.assertEqual(given, {"00:07:00"}, f"Slurm gave the new attempt 7 minutes: {limits}")
        self.assertEqual(subs[-1]["jobs"], "2,4")  # one sbatch, one array of the two
        self.assertNotIn(",", subs[-1]["native_id"])
        self.assertEqual((subs[-2]["submit"][2], subs[-2]["submit"][-1]), ("--array=1,3", "1"))  # tasks 1, 3 + 1
        rows = self.jobs_table(results)
        self.assertEqual({r["state"] for r in rows}, {"completed"})
        self.assertEqual({rows[1]["native_id"], rows[3]["native_id"]},
                         {f"{subs[-1]['native_id']}_1", f"{subs[-1]['native_id']}_3"})
        self.assertTrue((results / "jobs/0002.attempt-1/exit_code").exists())
        report = json.loads(self.jobsub("status", "--json", cwd=exp, env=env).stdout)
        self.assertEqual(report["states"], {"completed": 5})

    # A submit killed at three points, then resumed. A shim in front of the
    # real sbatch only chooses the moment: it writes `entered` when called,
    # and sleeps (so the test can kill jobsub) before or after handing the
    # call to Slurm, on the call numbered SLOW_CALL.
    KILL_SHIM = """#!/bin/bash
n=$(( $(cat "$SHIM_DIR/calls" 2>/dev/null || echo 0) + 1 ))
echo $n > "$SHIM_DIR/calls"
if [ "$n" = "$SLOW_CALL" ] && [ "$WHEN" = before ]; then touch "$SHIM_DIR/entered"; sleep 60; fi
/usr/bin/sbatch "$@"; code=$?
if [ "$n" = "$SLOW_CALL" ] && [ "$WHEN" = after ]; then touch "$SHIM_DIR/entered"; sleep 60; fi
exit $code
"""

    def kill_then_resume(self, slow_call, when, extra=()):
        d = self.tmp / "shim"
        d.mkdir()
        (d / "sbatch").write_text(self.KILL_SHIM)
        (d / "sbatch").chmod(0o755)
        env = self.env(PATH=f"{d}:{os.environ['PATH']}", SHIM_DIR=str(d), SLOW_CALL=str(slow_call), WHEN=when)
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers:\n  i: range(1, 13)\n",
                              program="import time\ntime.sleep(1)\n")
        name = f"killed-{os.getpid()}-{int(time.time() * 1000)}"
        proc = subprocess.Popen([JOBSUB, "--scheduler=slurm", "--yes", "--name", name, *extra], cwd=exp, env=env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, start_new_session=True)
        try:
            deadline = time.time() + 60
            while time.time() < deadline and not (d / "entered").exists():
                time.sleep(0.05)
            self.assertTrue((d / "entered").exists(), "the shim was not reached")
            os.killpg(proc.pid, signal.SIGKILL)  # jobsub and its sbatch, as a killed terminal would
            proc.communicate(timeout=60)
            results = self.only_results_dir(exp)
            status = self.jobsub("status", cwd=exp, env=self.env())
            self.assertIn("was being submitted by jobsub pid", status.stdout)
            resumed = self.jobsub("submit", "--resume", "--yes", "--wait", "--poll", "0.5", cwd=exp, env=self.env(),
                                  timeout=600)
            self.assertExit(resumed, 0)
            self.assertIn("12 of 12 jobs submitted; 12 completed", resumed.stdout)
            # Nothing twice, nothing missing: in the store...
            report = json.loads(self.jobsub("status", "--all", "--json", cwd=exp, env=self.env()).stdout)
            self.assertEqual(report["states"], {"completed": 12})
            ids = [j["native_id"] for j in report["listed"]]
            self.assertEqual(len(set(ids)), 12, ids)
            # ... and in Slurm (its queue, and accounting for what the queue forgot):
            # every task of the sweep, by the job it ran.
            self.assertEqual(self.slurm_jobs_named(name, ids), sorted(ids))
            return resumed, results
        finally:
            subprocess.run(["scancel", f"--name={name}"], env=self.env())

    def test_killed_before_the_first_sbatch_returns_then_resumed(self):
        resumed, _ = self.kill_then_resume(1, "before")
        self.assertIn("batch-1 was being submitted when its jobsub", resumed.stdout)
        self.assertIn("0 with the scheduler", resumed.stdout)
        self.assertIn("12 jobs of 12 to submit", resumed.stdout)

    def test_killed_between_arrays_then_resumed(self):
        # MaxArraySize 5: arrays of 4; the third sbatch is the slow one.
        resumed, results = self.kill_then_resume(3, "before", ("--max-array-size", "5"))
        self.assertRegex(resumed.stdout, r"Of its 12 jobs: 8 with the scheduler \(\d+,\d+\)")
        self.assertIn("4 jobs of 12 to submit: 9-12", resumed.stdout)

    def test_killed_after_sbatch_before_the_record_then_resumed(self):
        resumed, results = self.kill_then_resume(1, "after")
        self.assertRegex(resumed.stdout, r"Of its 12 jobs: 12 with the scheduler \(\d+\)")
        self.assertIn("nothing to resume", resumed.stdout)

    def test_list_and_resubmit_settle_the_jobs_first(self):
        # Issue 19, 3: no `status` between the submit and the commands that read states.
        program = "import sys\nsys.exit(3 if sys.argv[1] in ('--i=2', '--i=5') else 0)\n"
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers:\n  i: range(1, 7)\n",
                              program=program)
        self.assertExit(self.jobsub("--scheduler=slurm", "--yes", cwd=exp, env=self.env()), 0)
        results = self.only_results_dir(exp)
        deadline = time.time() + 240
        while time.time() < deadline and len(list(results.glob("jobs/*/exit_code"))) < 6:
            time.sleep(0.5)
        self.assertEqual(len(list(results.glob("jobs/*/exit_code"))), 6, "the jobs ended")
        listing = self.jobsub("list", cwd=exp, env=self.env())
        self.assertExit(listing, 0)
        self.assertIn("4 completed, 2 failed", listing.stdout)
        self.assertEqual([r["state"] for r in self.jobs_table(results)].count("failed"), 2)
        dry = self.jobsub("resubmit", "--dry-run", cwd=exp, env=self.env())
        self.assertExit(dry, 0)
        self.assertIn("2 jobs of 6 to resubmit: 2,5", dry.stdout)

    def test_status_follows_a_sweep_with_one_squeue_per_look(self):
        program = "import sys, time\ntime.sleep(2)\nsys.exit(int(sys.argv[1].split('=')[1]))\n"
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nallow_duplicates: true\n"
                              "hypers: {code: [0, 3, 0]}\n",
                              program=program)
        submitted = self.jobsub("--scheduler=slurm", "--yes", cwd=exp, env=self.env())
        self.assertExit(submitted, 0)
        # A shim counts the squeue calls and hands each to the real one.
        d = self.tmp / "shim"
        d.mkdir()
        (d / "squeue").write_text('#!/bin/bash\necho x >> "$SHIM_DIR/calls"\nexec /usr/bin/squeue "$@"\n')
        (d / "squeue").chmod(0o755)
        env = self.env(PATH=f"{d}:{os.environ['PATH']}", SHIM_DIR=str(d))
        first = self.jobsub("status", cwd=exp, env=env)
        self.assertIn(first.returncode, (0, 1), first.stderr)
        self.assertEqual(len((d / "calls").read_text().split()), 1, "one squeue call for all the jobs")
        self.assertRegex(first.stdout, r"^sweep results/exp/\S+ \(slurm, 3 jobs\): ")
        watched = self.jobsub("status", "--watch", "--poll", "0.5", cwd=exp, env=env, timeout=300)
        self.assertExit(watched, 1)  # job 2 exits 3
        self.assertIn("(slurm, 3 jobs): 2 completed, 1 failed", watched.stdout)
        self.assertRegex(watched.stdout, r"\n  job 2\s+failed\s+exit 3 \((?:squeue|sacct)\)\s+\d+_2 ")
        results = self.only_results_dir(exp)
        self.assertEqual([r["state"] for r in self.jobs_table(results)], ["completed", "failed", "completed"])
        listed = json.loads(self.jobsub("list", "--json", cwd=exp).stdout)
        self.assertEqual(listed[-1]["states"], {"completed": 2, "failed": 1})
        # Nothing open any more: status asks Slurm nothing.
        calls = len((d / "calls").read_text().split())
        self.assertExit(self.jobsub("status", cwd=exp, env=env), 1)
        self.assertEqual(len((d / "calls").read_text().split()), calls)

    def test_cancel_with_one_scancel_and_status_agrees(self):
        program = "import time\ntime.sleep(120)\n"
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers:\n  i: range(0,4)\n",
                              program=program)
        self.assertExit(self.jobsub("--scheduler=slurm", "--yes", cwd=exp, env=self.env()), 0)
        d = self.tmp / "shim"
        d.mkdir()
        (d / "scancel").write_text('#!/bin/bash\necho "$@" >> "$SHIM_DIR/calls"\nexec /usr/bin/scancel "$@"\n')
        (d / "scancel").chmod(0o755)
        env = self.env(PATH=f"{d}:{os.environ['PATH']}", SHIM_DIR=str(d))
        one = self.jobsub("cancel", "2", cwd=exp, env=env)  # job 2 alone first
        self.assertExit(one, 0)
        self.assertIn("cancelled 1 of the 1 unfinished jobs", one.stdout)
        rest = self.jobsub("cancel", cwd=exp, env=env)
        self.assertExit(rest, 0)
        self.assertIn("cancelled 3 of the 3 unfinished jobs", rest.stdout)
        calls = (d / "calls").read_text().splitlines()
        self.assertEqual(len(calls), 2, calls)
        self.assertEqual(len(calls[1].split()), 3, "one scancel for the three jobs")
        report = json.loads(self.jobsub("status", "--json", cwd=exp, env=self.env()).stdout)
        self.assertEqual(report["states"], {"cancelled": 4})
        array = report["listed"][0]["native_id"].split("_")[0]
        deadline = time.time() + 60
        while time.time() < deadline:
            queue = subprocess.run(["squeue", "--noheader", "--array", "--format=%i|%T", f"--jobs={array}"],
                                   env=self.env(), capture_output=True, text=True)
            if "RUNNING" not in queue.stdout and "PENDING" not in queue.stdout:
                break
            time.sleep(0.5)
        self.assertNotIn("RUNNING", queue.stdout)
        self.assertNotIn("PENDING", queue.stdout)
        self.assertIn("nothing to cancel", self.jobsub("cancel", cwd=exp, env=env).stdout)

    def test_max_running_becomes_the_array_throttle(self):
        barrier = self.tmp / "barrier"
        barrier.mkdir()
        exp = self.experiment("program: prog.py\ncommand: python3 {script} 2 {args}\nhypers: {i: [1, 2, 3, 4, 5, 6]}\n",
                              program=BARRIER_PROGRAM)
        result = self.submit(exp, "-j", "2", env=self.env(BARRIER_DIR=str(barrier)))
        self.assertExit(result, 0)
        results = self.only_results_dir(exp)
        self.assertIn("%2", " ".join(self.submissions(results)[0]["submit"]))
        most = max(int((results / "jobs" / f"{i:04d}" / "stdout").read_text()) for i in range(1, 7))
        self.assertEqual(most, 2, "Slurm ran more than -j 2 tasks at once, or never two")

    def test_max_running_holds_across_arrays_and_without_arrays(self):
        # Issue 19, 4: -j 1 means one job at a time for the whole sweep, however
        # many sbatch calls it takes. Each job records when it ran.
        program = ("import os, sys, time\nstart = time.time()\ntime.sleep(2)\n"
                   "with open(os.environ['SPANS'], 'a') as f:\n    f.write(f'{start} {time.time()}\\n')\n")
        for case, args, jobs in (("arrays", ("--max-array-size", "3"), 6), ("no array", ("--no-array",), 4)):
            with self.subTest(case):
                spans = self.tmp / f"spans-{case.replace(' ', '-')}"
                exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\n"
                                      f"hypers:\n  i: range(0, {jobs})\n", program=program,
                                      name=case.replace(" ", "-"))
                result = self.submit(exp, "-j", "1", *args, env=self.env(SPANS=str(spans)))
                self.assertExit(result, 0)
                runs = sorted(tuple(map(float, line.split())) for line in spans.read_text().splitlines())
                self.assertEqual(len(runs), jobs)
                for (_, end), (start, _) in zip(runs, runs[1:]):
                    self.assertLessEqual(end, start + 0.05, f"two jobs ran at once: {runs}")

    def test_parsable_output_with_a_cluster_name(self):
        d = self.tmp / "shim"
        d.mkdir()
        (d / "sbatch").write_text('#!/bin/bash\nout=$(/usr/bin/sbatch "$@") || exit $?\necho "$out;jobsubtest"\n')
        (d / "sbatch").chmod(0o755)
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers: {a: [1, 2]}\n")
        result = self.submit(exp, env=self.env(PATH=f"{d}:{os.environ['PATH']}"))
        self.assertExit(result, 0)
        results = self.only_results_dir(exp)
        array_id = self.submissions(results)[-1]["native_id"]
        self.assertRegex(array_id, r"^[0-9]+$")
        self.assertEqual([r["native_id"] for r in self.jobs_table(results)], [f"{array_id}_1", f"{array_id}_2"])

    def wait_with_sleeping_jobs(self, jobs):
        """Starts `jobsub --wait` on `jobs` jobs that sleep, and returns once
        every one of them is running on Slurm: (experiment, process)."""
        program = ("import os, pathlib, time\n"
                   "pathlib.Path(os.environ['JOBSUB_JOB_DIR'], 'sleeping').touch()\ntime.sleep(120)\n")
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers: {a: %s}\n"
                              % json.dumps(list(range(jobs))), program=program)
        proc = subprocess.Popen([JOBSUB, "--scheduler=slurm", "--yes", "--wait", "--poll", "0.5"], cwd=exp,
                                env=self.env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 60
        while time.time() < deadline and len(list(exp.glob("results/*/*/jobs/*/sleeping"))) < jobs:
            time.sleep(0.2)
        self.assertEqual(len(list(exp.glob("results/*/*/jobs/*/sleeping"))), jobs, "the jobs did not start")
        return exp, proc

    def test_job_cancelled_outside_jobsub_is_recorded_cancelled(self):
        exp, proc = self.wait_with_sleeping_jobs(2)
        results = self.only_results_dir(exp)
        array_id = json.loads((results / "submissions.jsonl").read_text().splitlines()[-1])["native_id"]
        subprocess.run(["scancel", array_id], env=self.env(), check=True)
        out, err = proc.communicate(timeout=120)
        self.assertEqual(proc.returncode, 1, out + err)  # `jobsub --wait && next_step` must not go on
        self.assertEqual([r["state"] for r in self.jobs_table(results)], ["cancelled"] * 2)

    def test_job_gone_without_an_exit_code_is_lost_not_completed(self):
        # The job removes its own directory, so its script cannot leave an
        # exit-code file; Slurm still reports the script itself as COMPLETED.
        program = "import os, shutil\nshutil.rmtree(os.environ['JOBSUB_JOB_DIR'])\n"
        exp = self.experiment("program: prog.py\ncommand: python3 {script}\nhypers: {a: [1]}\n", program=program)
        result = self.submit(exp)
        self.assertExit(result, 1)
        self.assertIn("lost", result.stdout)
        self.assertEqual([r["state"] for r in self.jobs_table(self.only_results_dir(exp))], ["lost"])

    def test_ctrl_c_while_waiting_stops_the_waiting_not_the_jobs(self):
        exp, proc = self.wait_with_sleeping_jobs(1)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 130, out + err)
        self.assertIn("stopped waiting; the jobs go on", out)
        results = self.only_results_dir(exp)
        native_id = self.jobs_table(results)[0]["native_id"]
        queue = subprocess.run(["squeue", "--noheader", "--array", "--format=%i|%T", f"--jobs={native_id.split('_')[0]}"],
                               env=self.env(), capture_output=True, text=True)
        self.assertIn(f"{native_id}|RUNNING", queue.stdout)
        subprocess.run(["scancel", native_id.split("_")[0]], env=self.env())


@unittest.skipUnless(SLURM_CONF, "needs the ctest fixture that starts Slurm (SLURM_CONF)")
class TypedValuesThroughSlurm(TypedValuesCase):
    """Issue 11's table, read back by each framework's rule in a Slurm job."""
    scheduler_args = ("--scheduler=slurm", "--wait", "--poll", "0.5")
    env = clean_env(SLURM_CONF=SLURM_CONF) if SLURM_CONF else None

    def test_sacred(self):
        self.run_probe("sacred", False)

    def test_argparse(self):
        self.run_probe("argparse", True)

    def test_hydra(self):
        self.run_probe("hydra", False)
