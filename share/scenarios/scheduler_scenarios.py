#!/usr/bin/env python3
"""The scenarios every jobsub scheduler plugin passes: submit and wait, status,
cancel, kill-and-resume (jobsub killed before its submit client took the batch,
and after it took it but before jobsub recorded the answer), a client that took
the batch and then failed (jobsub finds the batch by its token and does not send
it again), and resubmit. The
bundled LSF and PBS schedulers pass them against stand-in clients; a plugin
author runs them against a plugin and a stand-in (or a real) client:

  python3 scheduler_scenarios.py --jobsub /opt/jobsub/bin/jobsub --scheduler mysched \\
      --submit-program msub --plugin-dir build --path /path/to/stand-in/bin \\
      --env 'FAKE_DIR={tmp}/queue'

or, from CMake, jobsub_add_scheduler_scenarios() (cmake/JobsubPlugin.cmake).

`--submit-program` is the scheduler's submit client. The kill scenarios put a
wrapper of that name first on PATH, which pauses before or after the real
client so that jobsub can be killed at that point; the wrapper also counts the
real client's runs, so "submitted once" is checked without asking the queue.
`{tmp}` in an --env value is a fresh directory for each scenario (under
--tmp-dir: on a real cluster, give one its nodes see). Every wait is bounded. Exit status: 0 when every scenario passed (unittest's own output says
which failed)."""
import argparse
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

PROGRAM = ("import json, sys\nprint(json.dumps(sys.argv[1:]))\n"
           "sys.exit(4 if '--i=3' in sys.argv else 0)\n")
SPEC = ("program: prog.py\ncommand: python3 {script} {args}\n"
        "hypers:\n  i: range(1, 7)\n  s: [\"it's $HOME; `x`\"]\n")
SLEEPER_SPEC = "program: prog.py\ncommand: python3 {script} {args}\nhypers:\n  i: range(0, 3)\n"
SLEEPER = "import time\ntime.sleep(300)\n"

ARGS = None  # the command line, parsed in main()


class SchedulerScenarios(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        # On a real cluster the jobs' nodes must see it: --tmp-dir on shared storage.
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix=f"jobsub-scenario-{ARGS.scheduler}-", dir=ARGS.tmp_dir))
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("JOBSUB_")}
        self.env["JOBSUB_SITES"] = ""  # no site profile of this machine's
        self.env["PATH"] = os.pathsep.join([*ARGS.path, os.environ.get("PATH", "")])
        for item in ARGS.env:
            name, _, value = item.partition("=")
            self.env[name] = value.replace("{tmp}", str(self.tmp))
        self.real_client = shutil.which(ARGS.submit_program, path=self.env["PATH"])
        self.assertIsNotNone(self.real_client, f"{ARGS.submit_program} is not on PATH ({self.env['PATH']})")
        self.calls = self.tmp / "client-runs"
        self.wrap_client("")  # counts the client's runs in every scenario

    # ------------------------------------------------------------ helpers

    def wrap_client(self, pause):
        """A `submit-program` first on PATH: `before` waits before running the
        real client, `after` runs it and waits before passing on its answer,
        `lose` runs it and then fails as if its answer had been lost."""
        bin_dir = self.tmp / "wrapper"
        bin_dir.mkdir(exist_ok=True)
        mark = self.tmp / "paused"
        real = self.real_client
        lines = ["#!/bin/sh"]
        if pause == "before":
            lines += [f"echo $$ > '{mark}'", "sleep 300"]
        lines += [f"echo run >> '{self.calls}'"]
        if pause == "lose":  # the client takes the batch, then its answer is lost
            lines += [f"'{real}' \"$@\" >/dev/null 2>&1",
                      f"echo '{ARGS.submit_program}: connection to the server lost' >&2", "exit 1"]
        elif pause == "after":
            lines += [f"out=$('{real}' \"$@\"); rc=$?", f"echo $$ > '{mark}'", "sleep 300",
                      "printf '%s\\n' \"$out\"", "exit $rc"]
        else:
            lines += [f"exec '{real}' \"$@\""]
        wrapper = bin_dir / ARGS.submit_program
        wrapper.write_text("\n".join(lines) + "\n")
        wrapper.chmod(0o755)
        if not self.env["PATH"].startswith(str(bin_dir)):
            self.env["PATH"] = f"{bin_dir}{os.pathsep}{self.env['PATH']}"
        return mark

    def client_runs(self):
        return len(self.calls.read_text().splitlines()) if self.calls.exists() else 0

    def experiment(self, spec, program):
        exp = self.tmp / "exp"
        exp.mkdir()
        (exp / "jobsub.yaml").write_text(spec)
        (exp / "prog.py").write_text(program)
        return exp

    def jobsub(self, *args, cwd, timeout=600):
        command = [ARGS.jobsub, *(f"--plugin-dir={d}" for d in ARGS.plugin_dir), *args]
        return subprocess.run(command, cwd=cwd, env=self.env, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)

    def submit(self, exp, *extra):
        return self.jobsub(f"--scheduler={ARGS.scheduler}", "--yes", *ARGS.jobsub_arg, *extra, cwd=exp)

    def assertExit(self, result, code):
        self.assertEqual(result.returncode, code,
                         f"exit {result.returncode}, expected {code}\nstdout:\n{result.stdout}\n"
                         f"stderr:\n{result.stderr}")

    def results(self, exp):
        dirs = [p for p in (exp / "results").glob("*/*") if p.is_dir()]
        self.assertEqual(len(dirs), 1, f"one results directory, found {dirs}")
        return dirs[0]

    def states(self, results):
        rows = (results / "jobs.tsv").read_text().splitlines()[1:]
        return [row.split("\t")[1] for row in rows]

    def kill_at_pause(self, exp, pause):
        """Starts a submit, kills jobsub (its whole process group) when the
        wrapper pauses, and returns once it is gone."""
        mark = self.wrap_client(pause)
        command = [ARGS.jobsub, *(f"--plugin-dir={d}" for d in ARGS.plugin_dir), f"--scheduler={ARGS.scheduler}",
                   "--yes", *ARGS.jobsub_arg]
        proc = subprocess.Popen(command, cwd=exp, env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
        deadline = time.time() + 120
        while time.time() < deadline and not (mark.exists() and mark.read_text().strip()) and proc.poll() is None:
            time.sleep(0.05)
        reached = mark.exists() and mark.read_text().strip()
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:  # it had ended
            pass
        out, err = proc.communicate(timeout=60)
        if not reached:
            self.fail(f"jobsub never reached {ARGS.submit_program}:\n{out}\n{err}")
        # jobsub runs its clients in a process group of their own: the paused
        # wrapper (and its sleep) goes too.
        try:
            os.killpg(os.getpgid(int(mark.read_text())), signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.wrap_client("")  # the resume's client answers at once

    # ------------------------------------------------------------ scenarios

    def test_submit_and_wait_runs_every_job_with_its_exact_arguments(self):
        exp = self.experiment(SPEC, PROGRAM)
        result = self.submit(exp, "--wait", "--poll", "0.5")
        self.assertExit(result, 1)  # job 3 exits 4
        self.assertIn("5 completed, 1 failed", result.stdout)
        results = self.results(exp)
        self.assertEqual(self.states(results), ["completed"] * 2 + ["failed"] + ["completed"] * 3)
        for job in range(1, 7):
            stdout = (results / "jobs" / f"{job:04d}" / "stdout").read_text()
            self.assertEqual(json.loads(stdout), [f"--i={job}", "--s=it's $HOME; `x`"])
        self.assertEqual((results / "jobs" / "0003" / "exit_code").read_text().strip(), "4")
        status = self.jobsub("status", cwd=exp)
        self.assertExit(status, 1)
        self.assertIn(f"({ARGS.scheduler}, 6 jobs): 5 completed, 1 failed", status.stdout)

    def test_cancel_cancels_every_unfinished_job(self):
        exp = self.experiment(SLEEPER_SPEC, SLEEPER)
        self.addCleanup(self.jobsub, "cancel", cwd=exp)  # whatever happens below, no job is left sleeping
        self.assertExit(self.submit(exp), 0)
        cancelled = self.jobsub("cancel", cwd=exp)
        self.assertExit(cancelled, 0)
        self.assertIn("cancelled 3 of the 3 unfinished jobs", cancelled.stdout)
        report = json.loads(self.jobsub("status", "--json", cwd=exp).stdout)
        self.assertEqual(report["states"], {"cancelled": 3})

    def test_killed_before_the_client_took_the_batch_then_resumed(self):
        exp = self.experiment(SPEC, PROGRAM)
        self.kill_at_pause(exp, "before")
        resumed = self.jobsub("submit", "--resume", "--yes", "--wait", "--poll", "0.5", cwd=exp)
        self.assertExit(resumed, 1)  # job 3 fails, as it always does
        self.assertIn("5 completed, 1 failed", resumed.stdout)
        self.assertEqual(self.client_runs(), 1, "the batch was submitted once")

    def test_killed_after_the_client_took_the_batch_then_resumed(self):
        exp = self.experiment(SPEC, PROGRAM)
        self.kill_at_pause(exp, "after")
        resumed = self.jobsub("submit", "--resume", "--yes", "--wait", "--poll", "0.5", cwd=exp)
        self.assertExit(resumed, 1)
        self.assertIn("nothing to resume", resumed.stdout)
        self.assertEqual(self.client_runs(), 1, "the batch was submitted once: the resume found it")
        self.assertEqual(self.states(self.results(exp)), ["completed"] * 2 + ["failed"] + ["completed"] * 3)

    def test_a_batch_taken_although_the_client_failed_is_adopted_not_sent_again(self):
        exp = self.experiment(SPEC, PROGRAM)
        self.wrap_client("lose")
        result = self.submit(exp, "--wait", "--poll", "0.5")
        self.assertExit(result, 1)  # job 3 exits 4
        self.assertIn("taken once, not sent again", result.stdout)
        self.assertIn("5 completed, 1 failed", result.stdout)
        self.assertEqual(self.client_runs(), 1, "the batch was submitted once")
        self.assertEqual(self.states(self.results(exp)), ["completed"] * 2 + ["failed"] + ["completed"] * 3)

    def test_resubmit_runs_the_failed_job_again_as_a_new_attempt(self):
        exp = self.experiment(SPEC, PROGRAM)
        self.assertExit(self.submit(exp, "--wait", "--poll", "0.5"), 1)
        again = self.jobsub("resubmit", "--yes", "--wait", "--poll", "0.5", cwd=exp)
        self.assertExit(again, 1)  # it fails again: the program always fails job 3
        results = self.results(exp)
        self.assertTrue((results / "jobs" / "0003.attempt-1").is_dir(), "the first attempt is kept")
        report = json.loads(self.jobsub("status", "--json", "--all", cwd=exp).stdout)
        self.assertEqual([j["attempt"] for j in report["listed"]], [1, 1, 2, 1, 1, 1])
        self.assertEqual(self.client_runs(), 2)


def main():
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobsub", required=True, help="the jobsub binary")
    parser.add_argument("--scheduler", required=True, help="the scheduler plugin's name (--scheduler=NAME)")
    parser.add_argument("--submit-program", required=True, help="its submit client, e.g. sbatch, qsub, bsub")
    parser.add_argument("--plugin-dir", action="append", default=[], help="where the plugin is (repeatable)")
    parser.add_argument("--path", action="append", default=[], help="put DIR first on PATH (repeatable)")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for jobsub and the clients; "
                        "{tmp} is the scenario's own directory (repeatable)")
    parser.add_argument("--tmp-dir", default=None, help="where each scenario's experiment goes (default: "
                        "the system's temporary directory; with a real cluster, a directory its nodes see)")
    parser.add_argument("--jobsub-arg", action="append", default=[],
                        help="an extra argument for each submit, e.g. --jobsub-arg=--resource=time=10m")
    ARGS, unittest_args = parser.parse_known_args()  # the rest goes to unittest (-k PATTERN, ...)
    ARGS.jobsub = str(pathlib.Path(ARGS.jobsub).resolve())
    ARGS.plugin_dir = [str(pathlib.Path(d).resolve()) for d in ARGS.plugin_dir]
    ARGS.path = [str(pathlib.Path(d).resolve()) for d in ARGS.path]
    unittest.main(module=__name__, argv=[sys.argv[0], "-v", *unittest_args])


if __name__ == "__main__":
    main()
