"""Helpers for end-to-end tests: run the built jobsub binary as a user would."""
import json
import os
import pathlib
import pty
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

JOBSUB = os.environ.get("JOBSUB") or str(pathlib.Path(__file__).resolve().parents[2] / "build/bin/jobsub")
SOURCE_DIR = pathlib.Path(os.environ.get("JOBSUB_SOURCE_DIR") or pathlib.Path(__file__).resolve().parents[2])
BUILD_DIR = pathlib.Path(os.environ.get("JOBSUB_BUILD_DIR") or SOURCE_DIR / "build")
TEST_PLUGINS = pathlib.Path(os.environ.get("JOBSUB_TEST_PLUGINS") or BUILD_DIR / "tests/plugins")

# A program that prints its argv (after the program name) as JSON: the
# end-to-end tests compare what it received with what was asked for.
ARGV_PROGRAM = """import json, os, sys
print(json.dumps(sys.argv[1:]))
"""


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOBSUB_") or k == "JOBSUB_PLUGIN_PATH"}
    env.pop("JOBSUB_PLUGIN_PATH", None)
    env["JOBSUB_SITES"] = ""  # no site profile of this machine's (~/.config, /etc) reaches a test
    # The test machine has Slurm and Grid Engine installed: without a choice,
    # jobsub would refuse to guess between them. Tests choose local unless they say.
    env["JOBSUB_SCHEDULER"] = "local"
    env.update(extra)
    return env


class JobsubTestCase(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="jobsub-e2e-"))
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)

    def experiment(self, spec, program=ARGV_PROGRAM, name="exp", program_name="prog.py"):
        """A plain-layout experiment directory holding jobsub.yaml and a program."""
        d = self.tmp / name
        d.mkdir(parents=True, exist_ok=True)
        if spec is not None:
            (d / "jobsub.yaml").write_text(spec)
        if program is not None:
            (d / program_name).write_text(program)
        return d

    def jobsub(self, *args, cwd=None, env=None, timeout=120, input=None):
        return subprocess.run([JOBSUB, *args], cwd=cwd or self.tmp, env=env or clean_env(), text=True,
                              capture_output=True, timeout=timeout, input=input,
                              stdin=None if input is not None else subprocess.DEVNULL)

    def assertExit(self, result, code):
        self.assertEqual(result.returncode, code,
                         f"exit {result.returncode}, expected {code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}")

    @staticmethod
    def results_dirs(experiment):
        root = pathlib.Path(experiment) / "results"
        return sorted(p for p in root.glob("*/*") if p.is_dir()) if root.exists() else []

    def only_results_dir(self, experiment):
        dirs = self.results_dirs(experiment)
        self.assertEqual(len(dirs), 1, f"expected one results directory, found {dirs}")
        return dirs[0]

    @staticmethod
    def jobs_table(results_dir):
        lines = (pathlib.Path(results_dir) / "jobs.tsv").read_text().splitlines()
        header = lines[0].split("\t")
        return [dict(zip(header, line.split("\t"))) for line in lines[1:]]

    @staticmethod
    def job_stdout_json(results_dir, job):
        return json.loads((pathlib.Path(results_dir) / "jobs" / f"{job:04d}" / "stdout").read_text())


class Terminal:
    """jobsub on a pseudo-terminal, as a person at a keyboard runs it."""

    def __init__(self, args, cwd, env=None, color=False):
        """Plain text unless `color`: NO_COLOR is set, as many users do."""
        env = dict(env or clean_env())
        if not color:
            env["NO_COLOR"] = "1"
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.chdir(cwd)
            os.execve(JOBSUB, [JOBSUB, *args], env)
        self.output = b""

    def read_until(self, text, timeout=60):
        deadline = time.time() + timeout
        while text.encode() not in self.output:
            remaining = deadline - time.time()
            if remaining <= 0:
                raise AssertionError(f"timed out waiting for {text!r}; screen so far:\n{self.output.decode(errors='replace')}")
            ready, _, _ = select.select([self.fd], [], [], remaining)
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:
                    chunk = b""
                if not chunk:
                    raise AssertionError(f"jobsub ended before {text!r}:\n{self.output.decode(errors='replace')}")
                self.output += chunk
        return self.output.decode(errors="replace")

    def send(self, line):
        os.write(self.fd, (line + "\n").encode())

    def interrupt(self):
        os.kill(self.pid, signal.SIGINT)

    def wait(self, timeout=60):
        deadline = time.time() + timeout
        while True:
            try:
                ready, _, _ = select.select([self.fd], [], [], 0.1)
                if ready:
                    chunk = os.read(self.fd, 4096)
                    self.output += chunk
            except OSError:
                pass
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid == self.pid:
                try:
                    while True:
                        chunk = os.read(self.fd, 4096)
                        if not chunk:
                            break
                        self.output += chunk
                except OSError:
                    pass
                os.close(self.fd)
                return os.waitstatus_to_exitcode(status)
            if time.time() > deadline:
                os.kill(self.pid, signal.SIGKILL)
                raise AssertionError("jobsub did not finish:\n" + self.output.decode(errors="replace"))

    @property
    def text(self):
        return self.output.decode(errors="replace")
