"""Issue 2, points 5-7: the submit flow on the local scheduler and what it records."""
import hashlib
import json
import os
import pathlib
import signal
import subprocess
import time

from harness import JOBSUB, JobsubTestCase, Terminal, clean_env

# Each job notes that it started, waits until `want` jobs are running at once
# (or 20 s pass), and records the most it saw running together.
BARRIER_PROGRAM = """import os, sys, time, pathlib
want = int(sys.argv[1])
d = pathlib.Path(os.environ["BARRIER_DIR"])
me = d / ("running-" + os.environ["JOBSUB_TASK_ID"])
me.touch()
deadline = time.time() + 20
most = 0
while time.time() < deadline:
    most = max(most, len(list(d.glob("running-*"))))
    if most >= want:
        break
    time.sleep(0.05)
time.sleep(0.3)
most = max(most, len(list(d.glob("running-*"))))
me.unlink()
print(most)
"""


class LocalScheduler(JobsubTestCase):
    def test_records_of_a_sweep(self):
        exp = self.experiment(
            "formatter: sacred\nprogram: prog.py\ncommand: python3 {script} with {args}\n"
            "hypers:\n  lr: [0.001, 0.0001]\n  seed: [1, 2]\n  other_hyper: cat\n")
        result = self.jobsub("--yes", cwd=exp)
        self.assertExit(result, 0)
        self.assertIn("sweep 'exp': 4 jobs", result.stdout)
        results = self.only_results_dir(exp)
        self.assertRegex(results.name, r"^\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d$")
        self.assertIn(str(results), result.stdout)
        # The order of the reference script's itertools.product, as sacred sees it.
        commands = (results / "commands").read_text().splitlines()
        self.assertEqual(commands[0], f"python3 {exp}/prog.py with 'lr=0.001' 'seed=1' 'other_hyper=cat'")
        self.assertEqual(commands[3], f"python3 {exp}/prog.py with 'lr=0.0001' 'seed=2' 'other_hyper=cat'")
        for job in range(1, 5):
            d = results / "jobs" / f"{job:04d}"
            self.assertEqual((d / "exit_code").read_text(), "0\n")
            self.assertEqual((d / "stderr").read_text(), "")
            params = json.loads((d / "params.json").read_text())
            argv = json.loads((d / "argv.json").read_text())
            self.assertEqual(json.loads((d / "stdout").read_text()), ["with", *argv])
            self.assertEqual(list(params), ["lr", "seed", "other_hyper"])
        self.assertEqual(json.loads((results / "jobs/0003/params.json").read_text()),
                         {"lr": 0.0001, "seed": 1, "other_hyper": "cat"})
        self.assertEqual((results / "jobs/0003/params.json").read_text().strip(),
                         '{"lr":0.0001,"seed":1,"other_hyper":"cat"}')
        self.assertEqual([row["state"] for row in self.jobs_table(results)], ["completed"] * 4)
        self.assertTrue(os.access(results / "batch-1.sh", os.X_OK))
        sweep = json.loads((results / "sweep.json").read_text())
        self.assertEqual(sweep["job_count"], 4)
        self.assertEqual(sweep["settings"]["formatter"], {"value": "sacred", "origin": "jobsub.yaml:1", "source": "spec"})
        self.assertEqual(sweep["plugins"]["scheduler"]["name"], "local")
        for kind, plugin in sweep["plugins"].items():  # which build of each plugin made the sweep
            path = pathlib.Path(plugin["file"])
            self.assertTrue(path.is_absolute(), plugin)
            self.assertEqual(plugin["sha256"], hashlib.sha256(path.read_bytes()).hexdigest(), kind)
        for key in ("jobsub_version", "host", "user", "created", "git", "command_line"):
            self.assertIn(key, sweep)
        self.assertIsNone(sweep["git"])  # not a git repository
        self.assertEqual((results / "jobsub.yaml").read_text(), (exp / "jobsub.yaml").read_text())

    def test_provenance_records_git_commit_and_dirty_tree(self):
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers: {a: 1}\n")
        git = ["git", "-C", str(exp), "-c", "user.email=t@t", "-c", "user.name=t"]
        subprocess.run([*git, "init", "-q"], check=True)
        subprocess.run([*git, "add", "prog.py", "jobsub.yaml"], check=True)
        subprocess.run([*git, "commit", "-qm", "init"], check=True)
        head = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
        self.assertExit(self.jobsub("--yes", cwd=exp), 0)
        sweep = json.loads((self.only_results_dir(exp) / "sweep.json").read_text())
        self.assertEqual(sweep["git"], {"commit": head, "dirty": False})
        (exp / "prog.py").write_text((exp / "prog.py").read_text() + "# edited\n")
        self.assertExit(self.jobsub("--yes", cwd=exp), 0)
        sweep = json.loads((self.results_dirs(exp)[-1] / "sweep.json").read_text())
        self.assertEqual(sweep["git"], {"commit": head, "dirty": True})

    def test_two_sweeps_started_together_get_their_own_directories(self):
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers: {a: [1, 2]}\n")
        procs = [subprocess.Popen([JOBSUB, "--yes"], cwd=exp, env=clean_env(), stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(3)]
        for p in procs:
            self.assertEqual(p.wait(timeout=60), 0)
        dirs = self.results_dirs(exp)
        self.assertEqual(len(dirs), 3)
        for d in dirs:
            self.assertEqual([row["state"] for row in self.jobs_table(d)], ["completed"] * 2)

    def test_runs_at_most_j_jobs_at_a_time_and_reaches_j(self):
        for j in (1, 3):
            barrier = self.tmp / f"barrier{j}"
            barrier.mkdir()
            exp = self.experiment("program: prog.py\ncommand: python3 {script} %d {args}\nhypers: {i: [1, 2, 3, 4, 5, 6]}\n" % j,
                                  program=BARRIER_PROGRAM, name=f"exp{j}")
            result = self.jobsub("--yes", "-j", str(j), cwd=exp, env=clean_env(BARRIER_DIR=str(barrier)))
            self.assertExit(result, 0)
            results = self.results_dirs(exp)[-1]
            most = max(int((results / "jobs" / f"{i:04d}" / "stdout").read_text()) for i in range(1, 7))
            self.assertEqual(most, j, f"-j {j}: at most {most} jobs ran at once")

    def test_array_task_environment(self):
        program = "import os\nfor k in sorted(os.environ):\n    k.startswith(('JOBSUB_',)) and print(k + '=' + os.environ[k])\n"
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers: {i: [a, b, c]}\n", program=program)
        self.assertExit(self.jobsub("--yes", cwd=exp), 0)
        results = self.only_results_dir(exp)
        env = dict(line.split("=", 1) for line in (results / "jobs/0002/stdout").read_text().splitlines())
        self.assertEqual(env["JOBSUB_ARRAY_TASK_ID"], "2")
        self.assertEqual(env["JOBSUB_TASK_ID"], "2")
        self.assertEqual(env["JOBSUB_ARRAY_TASK_MIN"], "1")
        self.assertEqual(env["JOBSUB_ARRAY_TASK_MAX"], "3")
        self.assertEqual(env["JOBSUB_ARRAY_TASK_COUNT"], "3")
        self.assertEqual(env["JOBSUB_JOB_DIR"], str(results / "jobs/0002"))
        self.assertEqual(env["JOBSUB_RESULTS_DIR"], str(results))
        self.assertTrue(env["JOBSUB_ARRAY_JOB_ID"].startswith("local-"))

    def test_init_lines_run_before_each_job(self):
        exp = self.experiment("program: prog.py\ncommand: python3 {script} \"$GREETING\"\n"
                              "init: |\n  export GREETING='hello there'\nhypers: {a: 1}\n")
        self.assertExit(self.jobsub("--yes", cwd=exp), 0)
        self.assertEqual(self.job_stdout_json(self.only_results_dir(exp), 1), ["hello there"])

    def test_a_failing_init_line_fails_the_job_before_its_program(self):
        # Issue 22, 1: a virtualenv that is not there must not run the jobs with the system's Python.
        spec = ("program: prog.py\ncommand: python3 {script} {args}\nhypers: {a: [1, 2]}\ninit:\n"
                "  - export A=1\n  - if [ -n \"$A\" ]; then\n  -   source /opt/none/bin/activate ml3\n  - fi\n")
        exp = self.experiment(spec)
        result = self.jobsub("--yes", cwd=exp)
        self.assertExit(result, 1)
        self.assertIn("0 completed, 2 failed", result.stdout)
        results = self.only_results_dir(exp)
        self.assertEqual([(r["state"], r["exit_code"]) for r in self.jobs_table(results)], [("failed", "1")] * 2)
        for job in ("0001", "0002"):
            self.assertEqual((results / "jobs" / job / "stdout").read_text(), "", "the program did not run")
            self.assertIn("jobsub: init failed with exit status 1, so the program did not run: "
                          "if [ -n \"$A\" ]; then", (results / "jobs" / job / "stderr").read_text())
            self.assertEqual((results / "jobs" / job / "init_failed").read_text(), "1\nif [ -n \"$A\" ]; then\n")
        # init_check: false (here from the environment) runs the program all the same.
        unchecked = self.jobsub("--yes", cwd=exp, env=clean_env(JOBSUB_INIT_CHECK="false"))
        self.assertExit(unchecked, 0)
        self.assertIn("2 completed, 0 failed", unchecked.stdout)

    def test_init_lines_that_never_close_are_a_spec_error_before_anything_is_written(self):
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers: {a: [1, 2]}\n"
                              "init:\n  - export A=1\n  - for x in 1 2; do\n  -   echo $x\n")
        result = self.jobsub("--yes", cwd=exp)
        self.assertExit(result, 3)
        self.assertIn("from its line 2 on, the lines do not end as a whole shell command", result.stderr)
        self.assertIn("jobsub.yaml:", result.stderr)
        self.assertFalse((exp / "results").exists())

    def test_failed_jobs_are_recorded_and_exit_non_zero(self):
        program = "import sys\nprint('stderr text', file=sys.stderr)\nsys.exit(int(sys.argv[1][len('--code='):]))\n"
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nallow_duplicates: true\n"
                              "hypers: {code: [0, 3, 0]}\n",
                              program=program)
        result = self.jobsub("--yes", cwd=exp)
        self.assertExit(result, 1)
        results = self.only_results_dir(exp)
        self.assertEqual([(r["state"], r["exit_code"]) for r in self.jobs_table(results)],
                         [("completed", "0"), ("failed", "3"), ("completed", "0")])
        self.assertEqual((results / "jobs/0002/exit_code").read_text(), "3\n")
        self.assertEqual((results / "jobs/0002/stderr").read_text(), "stderr text\n")
        self.assertIn("job 2/3 failed (exit 3)", result.stdout)
        self.assertIn("2 completed, 1 failed", result.stdout)

    def test_cancel_from_another_terminal_stops_running_and_waiting_jobs(self):
        # Issue 22, 6: -j 2 keeps each worker two jobs deep: 1 and 2 run, 3 and 4 wait in
        # their input, 5 and 6 are not handed out. Cancel 1 (running), 4 (waiting) and 6.
        program = ("import os, pathlib, time\n"
                   "d = pathlib.Path(os.environ['JOBSUB_JOB_DIR'])\n"
                   "(d / 'began').touch()\n"
                   "go = pathlib.Path(os.environ['GO'])\n"
                   "deadline = time.time() + 60\n"
                   "while not go.exists() and time.time() < deadline:\n"
                   "    time.sleep(0.05)\n")
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers:\n  i: range(1, 7)\n",
                              program=program)
        go = self.tmp / "go"
        env = clean_env(GO=str(go))
        proc = subprocess.Popen([JOBSUB, "--yes", "-j", "2"], cwd=exp, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.time() + 60
            while time.time() < deadline and len(list(exp.glob("results/*/*/jobs/*/began"))) < 2:
                time.sleep(0.05)
            self.assertEqual(len(list(exp.glob("results/*/*/jobs/*/began"))), 2)
            cancel = self.jobsub("cancel", "1", "4", "6", cwd=exp, env=env, timeout=120)
            self.assertExit(cancel, 0)
            self.assertRegex(cancel.stdout, r"cancelled 3 of the 3 unfinished jobs of \S+ through jobsub pid \d+")
            go.touch()
            out, err = proc.communicate(timeout=120)
        finally:
            go.touch()
            if proc.poll() is None:
                proc.kill()
        self.assertEqual(proc.returncode, 1, out + err)  # cancelled jobs, as on a cluster
        results = self.only_results_dir(exp)
        self.assertEqual([r["state"] for r in self.jobs_table(results)],
                         ["cancelled", "completed", "completed", "cancelled", "completed", "cancelled"])
        began = sorted(int(p.parent.name) for p in results.glob("jobs/*/began"))
        self.assertEqual(began, [1, 2, 3, 5], "the waiting and the pending jobs never started")
        status = self.jobsub("status", cwd=exp, env=env)
        self.assertIn("3 completed, 3 cancelled", status.stdout.replace("3 cancelled, 3 completed", "3 completed, 3 cancelled"))
        report = json.loads(self.jobsub("status", "--json", cwd=exp, env=env).stdout)
        self.assertEqual({j["native_state"] for j in report["listed"]}, {"cancelled by jobsub cancel"})
        nothing = self.jobsub("cancel", cwd=exp, env=env)
        self.assertExit(nothing, 0)
        self.assertIn("nothing to cancel", nothing.stdout)

    def test_ctrl_c_stops_running_jobs_and_records_them_cancelled(self):
        program = "import os, time, pathlib\npathlib.Path(os.environ['JOBSUB_JOB_DIR'], 'pid').write_text(str(os.getpid()))\ntime.sleep(60)\n"
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers: {i: [1, 2, 3, 4]}\n", program=program)
        proc = subprocess.Popen([JOBSUB, "--yes", "-j", "2"], cwd=exp, env=clean_env(), stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 30
        pids = []
        while time.time() < deadline and len(pids) < 2:
            pids = list(exp.glob("results/*/*/jobs/*/pid"))
            time.sleep(0.05)
        self.assertEqual(len(pids), 2, "two jobs should be running")
        time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 130, out + err)
        results = self.only_results_dir(exp)
        # The two running jobs are cancelled; the two waiting in the workers' pipes never started.
        self.assertEqual(sorted(row["state"] for row in self.jobs_table(results)),
                         ["cancelled"] * 2 + ["not_submitted"] * 2)
        self.assertIn("jobsub submit --resume", out)
        self.assertNotIn("submitted as", out)  # nothing is left in a scheduler's hands
        for pid_file in pids:  # the job processes are gone, not orphaned
            pid = int(pid_file.read_text())
            self.assertFalse(pathlib.Path(f"/proc/{pid}").exists() and
                             "python3" in pathlib.Path(f"/proc/{pid}/cmdline").read_text(errors="replace"))
        self.assertIn("interrupted", out)

    # A job that ignores SIGTERM (a training script that checkpoints on it,
    # or `trap '' TERM`), and a job whose child ignores it while the job
    # itself dies. Each writes the pids to watch into its directory.
    IGNORES_TERM = ("import os, signal, time, pathlib\n"
                    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                    "pathlib.Path(os.environ['JOBSUB_JOB_DIR'], 'pids').write_text(str(os.getpid()))\n"
                    "time.sleep(120)\n")
    CHILD_IGNORES_TERM = ("import os, subprocess, time, pathlib\n"
                          "child = subprocess.Popen(['bash', '-c', \"trap '' TERM; sleep 120 & wait; sleep 120\"])\n"
                          "pathlib.Path(os.environ['JOBSUB_JOB_DIR'], 'pids').write_text(f'{os.getpid()} {child.pid}')\n"
                          "time.sleep(120)\n")

    def start_stubborn_sweep(self, program, *args):
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers: {i: [1, 2, 3]}\n", program=program)
        proc = subprocess.Popen([JOBSUB, "--yes", "-j", "2", *args], cwd=exp, env=clean_env(),
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 30
        while time.time() < deadline and len(list(exp.glob("results/*/*/jobs/*/pids"))) < 2:
            time.sleep(0.05)
        pid_files = list(exp.glob("results/*/*/jobs/*/pids"))
        self.assertEqual(len(pid_files), 2, "two jobs should be running")
        time.sleep(0.3)
        return exp, proc, [int(p) for f in pid_files for p in f.read_text().split()]

    @staticmethod
    def alive(pid):
        try:
            state = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return False
        return state not in ("Z", "X")

    def assert_stopped_after_grace(self, program):
        exp, proc, pids = self.start_stubborn_sweep(program, "--grace", "1.5")
        start = time.time()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        took = time.time() - start
        self.assertEqual(proc.returncode, 130, out + err)
        self.assertEqual([p for p in pids if self.alive(p)], [], "jobsub exited while job processes lived")
        self.assertGreaterEqual(took, 1.4, "the jobs were not given the grace period")
        self.assertIn("SIGKILL in 1.5 s", out)
        self.assertIn("still running after 1.5 s: SIGKILL", out)
        states = sorted(r["state"] for r in self.jobs_table(self.only_results_dir(exp)))
        self.assertEqual(states, ["cancelled"] * 2 + ["not_submitted"])  # two were running

    def test_ctrl_c_kills_a_job_that_ignores_sigterm_after_the_grace_period(self):
        self.assert_stopped_after_grace(self.IGNORES_TERM)

    def test_ctrl_c_kills_the_child_of_a_job_that_ignores_sigterm(self):
        self.assert_stopped_after_grace(self.CHILD_IGNORES_TERM)

    def test_second_ctrl_c_kills_at_once(self):
        exp, proc, pids = self.start_stubborn_sweep(self.IGNORES_TERM, "--grace", "60")
        start = time.time()
        proc.send_signal(signal.SIGINT)
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 130, out + err)
        self.assertLess(time.time() - start, 30, "the second Ctrl-C did not skip the 60 s grace period")
        self.assertIn("second interrupt: killing the jobs now", out)
        self.assertEqual([p for p in pids if self.alive(p)], [])

    def test_sigterm_to_jobsub_stops_the_jobs_like_ctrl_c(self):
        exp, proc, pids = self.start_stubborn_sweep(self.IGNORES_TERM, "--grace", "0.5")
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 130, out + err)
        self.assertEqual([p for p in pids if self.alive(p)], [])

    def test_command_lines_larger_than_a_pipe_arrive_whole_and_ctrl_c_still_works(self):
        # Each worker is handed its next job's command line while it runs the
        # current one: a 100 KB line must neither stall jobsub nor arrive cut.
        program = ("import json, os, pathlib, sys, time\n"
                   "pathlib.Path(os.environ['JOBSUB_JOB_DIR'], 'sleeping').touch()\n"
                   "print(json.dumps([len(sys.argv[1]), sys.argv[1][:4], sys.argv[1][-3:]]))\n"
                   "time.sleep({'2': 1, '4': 60}.get(os.environ['JOBSUB_TASK_ID'], 0))\n")
        big = "x" * 100_000  # more than a pipe holds (64 KB); less than one argument may be (128 KB)
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\n"
                              f"hypers: {{v: [a{big}z, b, c{big}w, d, e{big}v]}}\n", program=program)
        proc = subprocess.Popen([JOBSUB, "--yes", "-j", "1", "--grace", "1"], cwd=exp, env=clean_env(),
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 30
        while time.time() < deadline and not list(exp.glob("results/*/*/jobs/0004/sleeping")):
            time.sleep(0.05)
        time.sleep(0.3)
        start = time.time()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        self.assertLess(time.time() - start, 15, "Ctrl-C waited for the running job")
        self.assertEqual(proc.returncode, 130, out + err)
        results = self.only_results_dir(exp)
        self.assertEqual(self.job_stdout_json(results, 1), [100_006, "--v=", "xxz"])
        self.assertEqual(self.job_stdout_json(results, 3), [100_006, "--v=", "xxw"])
        states = [r["state"] for r in self.jobs_table(results)]
        self.assertEqual(states[:3], ["completed"] * 3)
        self.assertIn(sorted(states[3:]), (["cancelled", "not_submitted"], ["cancelled", "cancelled"]))

    def test_progress_on_a_terminal_plain_lines_otherwise(self):
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers: {i: [1, 2]}\n")
        term = Terminal(["--yes"], cwd=exp)
        self.assertEqual(term.wait(), 0)
        self.assertIn("[local] 2/2 done: 2 completed, 0 failed, 0 running", term.text)
        plain = self.jobsub("--yes", "--rerun-completed", cwd=exp)
        self.assertNotIn("\r", plain.stdout)
        self.assertIn("job 1/2 completed (exit 0)", plain.stdout)

    def test_colour_on_a_terminal_unless_no_color(self):
        program = "import sys\nsys.exit(int(sys.argv[1][len('--code='):]))\n"
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers: {code: [0, 3]}\n",
                              program=program)
        term = Terminal(["--yes"], cwd=exp, color=True)
        self.assertEqual(term.wait(), 1)
        self.assertIn("job 2/2 \x1b[31mfailed\x1b[0m (exit 3)", term.text)  # red
        self.assertIn("\x1b[1m[local] 2/2 done:\x1b[0m", term.text)  # the progress line in bold
        plain = Terminal(["--yes"], cwd=exp)  # NO_COLOR=1
        self.assertEqual(plain.wait(), 1)
        self.assertNotIn("\x1b[31m", plain.text)
        self.assertIn("job 2/2 failed (exit 3)", plain.text)
        piped = self.jobsub("--yes", "--spec", "nope.yaml", cwd=exp)  # not a terminal: no colour on errors
        self.assertExit(piped, 3)
        self.assertTrue(piped.stderr.startswith("jobsub: error: "), piped.stderr)

    def test_a_job_without_output_of_its_own_points_at_the_log_that_has_it(self):
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers: {a: [1]}\n")
        (self.tmp / "broken.mustache").write_text(
            "#!/bin/bash\nJOBSUB_TASK_ID=${JOBSUB_ARRAY_TASK_ID:-}\necho 'the template gave up' >&2\nexit 3\n"
            "{{{task_body}}}")
        result = self.jobsub("--yes", "--template", str(self.tmp / "broken.mustache"), cwd=exp)
        self.assertExit(result, 1)
        results = self.only_results_dir(exp)
        self.assertIn(f"job 1/1 failed (exit 3): it left no output of its own; see the scheduler's log in "
                      f"{results / 'logs'}", result.stdout)
        self.assertIn("the template gave up", (results / "logs" / "local-worker-1.log").read_text())

    def test_a_template_that_cannot_run_the_jobs_is_refused_before_anything_is_written(self):
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers: {a: [1]}\n")
        cases = {
            "no-body": ("#!/bin/bash\nJOBSUB_TASK_ID=$JOBSUB_ARRAY_TASK_ID\necho hi\n",
                        "the local batch template does not run the jobs: it must contain {{{task_body}}}"),
            "no-id": ("#!/bin/bash\n{{{task_body}}}",
                      "the local batch template does not set JOBSUB_TASK_ID before {{{task_body}}}"),
        }
        for name, (text, message) in cases.items():
            (self.tmp / f"{name}.mustache").write_text(text)
            result = self.jobsub("--yes", "--template", str(self.tmp / f"{name}.mustache"), cwd=exp)
            self.assertExit(result, 3)
            self.assertIn(message, result.stderr)
            self.assertFalse((exp / "results").exists(), name)

    def test_a_worker_that_exits_right_after_its_last_report_loses_no_job(self):
        # A worker's exit (SIGCHLD) can be seen before its last "<job> <code>"
        # line is read; the job still completed. Many short-lived workers make
        # that order likely (3 runs in 15 failed under ASan before the fix).
        exp = self.experiment('formatter: argparse\ncommand: "true {args}"\n', program=None)
        for _ in range(10):
            result = self.jobsub("--yes", "--rerun-completed", "-j", "8", "i=range(0,40)", cwd=exp)
            self.assertExit(result, 0)
            self.assertIn("40 completed, 0 failed", result.stdout)

    def test_processes_a_job_leaves_behind_are_stopped_before_its_slot_is_reused(self):
        # Job 1 starts a process in the background and exits; its worker's slot
        # goes to the next batch's job only once that process is gone.
        program = ("import subprocess, sys\n"
                   "if sys.argv[1] == '--i=1':\n"
                   "    subprocess.Popen(['sleep', '317'])\n")
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\n"
                              "hypers:\n  - hypers: {i: [1]}\n    resources: {time: 1h}\n"
                              "  - hypers: {i: [2]}\n    resources: {time: 2h}\n", program=program)
        result = self.jobsub("--yes", "-j", "1", "--local.grace", "1", cwd=exp)
        self.assertExit(result, 0)
        self.assertRegex(result.stdout, r"worker \d+ ended, but processes its jobs started are still running: "
                                        r"stopping them \(SIGTERM, SIGKILL 1 s later\)")
        self.assertIn("2 completed, 0 failed", result.stdout)
        left = subprocess.run(["pgrep", "-f", "^sleep 317$"], capture_output=True, text=True)
        self.assertEqual(left.stdout, "", "the background process outlived its jobsub")

    def test_version_anywhere_on_the_command_line(self):
        for args in (["--version"], ["--yes", "--version"], ["--scheduler=local", "--version", "a=1"]):
            result = self.jobsub(*args)
            self.assertExit(result, 0)
            self.assertRegex(result.stdout, r"^jobsub \d+\.\d+\.\d+\n$")

    def test_dry_run_prints_and_writes_nothing(self):
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers: {lr: [0.1, 0.01]}\n")
        result = self.jobsub("--dry-run", cwd=exp)
        self.assertExit(result, 0)
        self.assertIn(f"job 2: python3 {exp}/prog.py '--lr=0.01'", result.stdout)
        self.assertIn("JOBSUB_TASK_ID=", result.stdout)
        self.assertFalse((exp / "results").exists())

    def test_manual_writes_scripts_and_records_but_runs_nothing(self):
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers: {lr: [0.1, 0.01]}\n")
        result = self.jobsub("--manual", cwd=exp)
        self.assertExit(result, 0)
        results = self.only_results_dir(exp)
        self.assertTrue((results / "batch-1.sh").exists())
        self.assertEqual(len((results / "commands").read_text().splitlines()), 2)
        self.assertEqual([row["state"] for row in self.jobs_table(results)], ["not_submitted"] * 2)
        self.assertEqual(list((results / "jobs").iterdir()), [])
        self.assertIn("bash " + str(results / "batch-1.sh"), result.stdout)
        # The script runs a job by hand, as the message says.
        run = subprocess.run(["bash", str(results / "batch-1.sh")], env=clean_env(JOBSUB_ARRAY_TASK_ID="2"))
        self.assertEqual(run.returncode, 0)
        self.assertEqual(self.job_stdout_json(results, 2), ["--lr=0.01"])

    def test_no_terminal_and_no_yes_stops_with_advice(self):
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers: {lr: [0.1]}\n")
        result = self.jobsub(cwd=exp)
        self.assertExit(result, 2)
        self.assertIn("not a terminal", result.stderr)
        self.assertIn("--yes", result.stderr)
        self.assertFalse((exp / "results").exists())

    def test_user_template_from_the_experiment_or_the_command_line(self):
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nresources: {time: 5m}\n"
                              "hypers: {a: [1, 2]}\n")
        (exp / "templates").mkdir()
        (exp / "templates/local.sh.mustache").write_text(
            "#!/bin/bash\n# experiment template, time={{resources.time}} & <ok>\n"
            "JOBSUB_TASK_ID=$JOBSUB_ARRAY_TASK_ID\n{{{task_body}}}")
        self.assertExit(self.jobsub("--yes", cwd=exp), 0)
        results = self.results_dirs(exp)[-1]
        self.assertIn("# experiment template, time=5m & <ok>", (results / "batch-1.sh").read_text())
        self.assertEqual(self.job_stdout_json(results, 2), ["--a=2"])

        (self.tmp / "mine.mustache").write_text("#!/bin/bash\n# mine\nJOBSUB_TASK_ID=$JOBSUB_ARRAY_TASK_ID\n{{{task_body}}}")
        self.assertExit(self.jobsub("--yes", "--rerun-completed", "--template", str(self.tmp / "mine.mustache"),
                                    cwd=exp), 0)
        self.assertIn("# mine\n", (self.results_dirs(exp)[-1] / "batch-1.sh").read_text())

        (self.tmp / "broken.mustache").write_text("{{#open}}")
        broken = self.jobsub("--yes", "--template", str(self.tmp / "broken.mustache"), cwd=exp)
        self.assertExit(broken, 3)
        self.assertIn("broken.mustache:1: not valid Mustache: Unclosed section \"open\"", broken.stderr)
        self.assertEqual(len(self.results_dirs(exp)), 2)  # the failed run left nothing behind
