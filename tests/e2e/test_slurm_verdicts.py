"""Issue 19, point 2: the cluster's own verdict on jobs that left Slurm's queue
before anyone looked, on the suite's real Slurm (ctest's `slurm` fixture:
accounting through slurmdbd, MinJobAge=10, memory enforced through cgroups
where the machine allows it). A file of its own, so that ctest runs its
minute-long time-limit sweep beside the other tests."""
import json
import os
import pathlib
import subprocess
import time
import unittest

from harness import JobsubTestCase, clean_env

SLURM_CONF = os.environ.get("SLURM_CONF")

# `sacct` on a cluster without accounting, as Slurm 22.05 answers
# (tests/data/schedulers/slurm/sacct-disabled.*): one real cluster, with
# accounting, serves both paths.
SACCT_DISABLED = """#!/bin/sh
echo 'Slurm accounting storage is disabled' >&2
exit 1
"""


def memory_enforcement():
    """What start-slurm.sh wrote: the mechanism, or `none: <why>`."""
    f = pathlib.Path(SLURM_CONF or "/nonexistent").parent / "memory-enforcement"
    return f.read_text().strip() if f.exists() else "none: start-slurm.sh did not say"


@unittest.skipUnless(SLURM_CONF, "needs the ctest fixture that starts Slurm (SLURM_CONF)")
class Verdicts(JobsubTestCase):
    def env(self, **extra):
        return clean_env(SLURM_CONF=SLURM_CONF, **extra)

    def squeue_knows(self, native_id):
        out = subprocess.run(["squeue", "--noheader", "--states=all", "--format=%i", f"--jobs={native_id}"],
                             env=self.env(), capture_output=True, text=True).stdout
        return native_id in out.split()

    def wait_until(self, what, predicate, seconds):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if predicate():
                return
            time.sleep(1)
        self.fail(f"{what} within {seconds} s")

    def test_a_time_limit_seen_only_after_the_queue_forgot_the_job(self):
        # Two sweeps of one job each, a minute's limit, a ten-minute sleep;
        # nobody looks until Slurm has forgotten them. One is asked with
        # accounting, the other with a sacct that says accounting is disabled.
        spec = ("program: prog.py\ncommand: python3 {script} {args}\nresources: {time: 1m}\n"
                "hypers: {seed: [1]}\n")
        exps = {}
        for case in ("accounting", "no accounting"):
            exp = self.experiment(spec, program="import time\ntime.sleep(600)\n", name=case.replace(" ", "-"))
            self.assertExit(self.jobsub("--scheduler=slurm", "--yes", cwd=exp, env=self.env()), 0)
            exps[case] = exp
        ids = {case: self.jobs_table(self.only_results_dir(exp))[0]["native_id"] for case, exp in exps.items()}
        logs = logs_of = {case: self.only_results_dir(exp) / "logs" / f"slurm-{ids[case]}.out"
                          for case, exp in exps.items()}
        try:
            self.wait_until("Slurm ended the jobs at their time limit",
                            lambda: all(p.exists() and "DUE TO TIME LIMIT" in p.read_text() for p in logs.values()),
                            300)
            self.wait_until("Slurm forgot the jobs", lambda: not any(self.squeue_knows(i) for i in ids.values()), 120)
        finally:
            subprocess.run(["scancel", *ids.values()], env=self.env())

        status = self.jobsub("status", cwd=exps["accounting"], env=self.env())
        self.assertExit(status, 1)
        self.assertIn("1 timeout", status.stdout)
        self.assertRegex(status.stdout, r"job 1\s+timeout\s+time limit \(sacct\)\s+\d+")
        # `logs` shows Slurm's own log, where it said so, under a header of its own.
        logs = self.jobsub("logs", "1", cwd=exps["accounting"], env=self.env())
        self.assertExit(logs, 0)
        self.assertIn(f"==> {logs_of['accounting']} (slurm's log of {ids['accounting']}) <==", logs.stdout)
        self.assertIn("DUE TO TIME LIMIT", logs.stdout.split("(slurm's log of")[1])
        report = json.loads(self.jobsub("status", "--json", cwd=exps["accounting"], env=self.env()).stdout)
        self.assertEqual(report["states"], {"timeout": 1})
        self.assertEqual(report["listed"][0]["evidence"], "sacct")

        shim = self.tmp / "no-sacct"
        shim.mkdir()
        (shim / "sacct").write_text(SACCT_DISABLED)
        (shim / "sacct").chmod(0o755)
        env = self.env(PATH=f"{shim}:{os.environ['PATH']}")
        status = self.jobsub("status", cwd=exps["no accounting"], env=env)
        self.assertExit(status, 1)
        self.assertRegex(status.stdout, r"job 1\s+timeout\s+time limit \(Slurm log\)")
        self.assertNotIn("lost", status.stdout)

    def test_a_memory_kill_is_out_of_memory_although_the_program_exited_0(self):
        enforcement = memory_enforcement()
        if enforcement.startswith("none"):
            self.skipTest(f"this test cluster does not enforce memory ({enforcement})")
        # The program's child is killed for memory; the program itself exits 0.
        program = ("import subprocess, sys\n"
                   "subprocess.run([sys.executable, '-c', 'x = bytearray(400 * 2**20); import time; "
                   "time.sleep(2)'])\n")
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nresources: {mem: 80M}\n"
                              "hypers: {seed: [1, 2]}\n", program=program)
        result = self.jobsub("--scheduler=slurm", "--yes", "--wait", "--poll", "1", cwd=exp, env=self.env(),
                             timeout=300)
        self.assertExit(result, 1)
        results = self.only_results_dir(exp)
        self.assertEqual([r["state"] for r in self.jobs_table(results)], ["out_of_memory"] * 2)
        self.assertEqual((results / "jobs" / "0001" / "exit_code").read_text().strip(), "0")
        report = json.loads(self.jobsub("status", "--json", cwd=exp, env=self.env()).stdout)
        self.assertEqual(report["states"], {"out_of_memory": 2})
        self.assertIn(report["listed"][0]["evidence"], ("squeue", "sacct"))

    def test_a_lost_verdict_is_revised_when_accounting_answers(self):
        # A job that ended (exit 3) and that Slurm forgot, asked while the
        # program's record is not there (its exit-code file removed) and
        # accounting is down: lost. Once accounting answers: failed (sacct).
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers: {seed: [1]}\n",
                              program="import sys\nsys.exit(3)\n")
        self.assertExit(self.jobsub("--scheduler=slurm", "--yes", cwd=exp, env=self.env()), 0)
        results = self.only_results_dir(exp)
        native = self.jobs_table(results)[0]["native_id"]
        code = results / "jobs" / "0001" / "exit_code"
        self.wait_until("the job ended", code.exists, 120)
        self.wait_until("Slurm forgot the job", lambda: not self.squeue_knows(native), 120)
        code.unlink()
        shim = self.tmp / "no-sacct"
        shim.mkdir()
        (shim / "sacct").write_text(SACCT_DISABLED)
        (shim / "sacct").chmod(0o755)
        lost = self.jobsub("status", cwd=exp, env=self.env(PATH=f"{shim}:{os.environ['PATH']}"))
        self.assertExit(lost, 1)
        self.assertIn("1 lost", lost.stdout)
        revised = self.jobsub("status", cwd=exp, env=self.env())
        self.assertExit(revised, 1)
        self.assertRegex(revised.stdout, r"job 1\s+failed\s+no exit code \(sacct\)")
        self.assertEqual([r["state"] for r in self.jobs_table(results)], ["failed"])


if __name__ == "__main__":
    unittest.main()
