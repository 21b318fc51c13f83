"""Issue 19, fault injection: wrappers around sbatch and squeue that fail at
random, before or after handing the call to the real Slurm (the suite's
cluster, ctest's `slurm` fixture), over 20 sweeps. Whatever jobsub reports
along the way, once each sweep is finished (`submit --resume` where a submit
gave up), every combination ran exactly once (a ledger the jobs append to)
and the records match what Slurm ran."""
import json
import os
import random
import subprocess
import time
import unittest

from harness import JobsubTestCase, clean_env

SLURM_CONF = os.environ.get("SLURM_CONF")

# FAULT_SEED and the call's number choose its fate, so a failing run can be
# repeated: `before` fails without calling Slurm, `after` calls Slurm and then
# fails as if the answer was lost, anything else hands the call over.
WRAPPER = """#!/usr/bin/env python3
import os, random, subprocess, sys
name = os.path.basename(sys.argv[0])
counter = os.path.join(os.environ["FAULT_DIR"], name + ".calls")
with open(counter, "a+") as f:
    f.seek(0)
    n = len(f.read().split()) + 1
    f.write("x\\n")
fate = random.Random(f"{os.environ['FAULT_SEED']}:{name}:{n}").random()
rates = {"sbatch": (0.25, 0.25), "squeue": (0.1, 0.0)}[name]
message = {"sbatch": "sbatch: error: Batch job submission failed: Socket timed out on send/recv operation",
           "squeue": "squeue: error: slurm_receive_msg: Socket timed out on send/recv operation"}[name]
if fate < rates[0]:
    print(message, file=sys.stderr)
    sys.exit(1)
answer = subprocess.run(["/usr/bin/" + name, *sys.argv[1:]], capture_output=True, text=True)
if fate < rates[0] + rates[1]:
    print(message, file=sys.stderr)
    sys.exit(1)
sys.stdout.write(answer.stdout)
sys.stderr.write(answer.stderr)
sys.exit(answer.returncode)
"""

PROGRAM = """import os, sys
with open(os.environ["LEDGER"], "a") as f:
    f.write(os.environ["SWEEP_TAG"] + " " + " ".join(sys.argv[1:]) + "\\n")
"""


@unittest.skipUnless(SLURM_CONF, "needs the ctest fixture that starts Slurm (SLURM_CONF)")
class RandomFaults(JobsubTestCase):
    SWEEPS = 20

    def test_every_combination_runs_exactly_once_whatever_the_clients_do(self):
        seed = os.environ.get("JOBSUB_FAULT_SEED") or str(random.randrange(10**6))
        faults = self.tmp / "faults"
        faults.mkdir()
        for client in ("sbatch", "squeue"):
            (faults / client).write_text(WRAPPER)
            (faults / client).chmod(0o755)
        ledger = self.tmp / "ledger"
        for i in range(self.SWEEPS):
            with self.subTest(sweep=i, seed=seed):
                tag = f"faults-{os.getpid()}-{i}"
                env = clean_env(SLURM_CONF=SLURM_CONF, PATH=f"{faults}:{os.environ['PATH']}", FAULT_DIR=str(faults),
                                FAULT_SEED=f"{seed}:{i}", LEDGER=str(ledger), SWEEP_TAG=tag)
                exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\n"
                                      "hypers: {a: [1, 2, 3, 4, 5]}\n", program=PROGRAM, name=tag)
                run = self.jobsub("--scheduler=slurm", "--yes", "--wait", "--poll", "0.5", "--name", tag,
                                  "--max-array-size", "3", "--retry-delay", "0.2", "--submit-retries", "6",  # the names before 0.2
                                  cwd=exp, env=env, timeout=300)
                history = [run]
                # A submit that gave up (the clients kept failing) is finished by --resume.
                while run.returncode != 0 and len(history) < 8:
                    run = self.jobsub("submit", "--resume", "--yes", "--wait", "--poll", "0.5", cwd=exp, env=env,
                                      timeout=300)
                    history.append(run)
                log = "\n".join(f"exit {r.returncode}\n{r.stdout}{r.stderr}" for r in history)
                self.assertEqual(run.returncode, 0, f"seed {seed}, sweep {i} did not finish:\n{log}")
                ran = sorted(line.split(" ", 1)[1] for line in ledger.read_text().splitlines()
                             if line.startswith(tag + " "))
                self.assertEqual(ran, [f"--a={a}" for a in range(1, 6)], f"seed {seed}, sweep {i}:\n{log}")
                # The records match what Slurm ran under the sweep's job name.
                report = json.loads(self.jobsub("status", "--all", "--json", cwd=exp,
                                                env=clean_env(SLURM_CONF=SLURM_CONF)).stdout)
                self.assertEqual(report["states"], {"completed": 5}, log)
                recorded = {j["native_id"] for j in report["listed"]}
                slurm = set()
                deadline = time.time() + 60  # slurmdbd may record the last jobs a moment late
                while time.time() < deadline and slurm != recorded:
                    slurm = set(subprocess.run(
                        ["sacct", "--noheader", "--parsable2", "--allocations", "--format=JobID",
                         "--starttime=now-1hour", f"--name={tag}"],
                        env=clean_env(SLURM_CONF=SLURM_CONF), capture_output=True, text=True).stdout.split())
                    time.sleep(0.5)
                self.assertEqual(slurm, recorded, f"seed {seed}, sweep {i}:\n{log}")


if __name__ == "__main__":
    unittest.main()
