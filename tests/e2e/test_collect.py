"""Issue 21: which settings won. Jobs write known metrics through the
documented contract ($JOBSUB_METRICS, or stdout patterns); `jobsub collect`
must show each job's values, and, grouped over seeds, the mean and sample
std computed here by hand; every output format is read back by the tool a
researcher would use (pandas for CSV and JSON: Debian's python3-pandas, run
with /usr/bin/python3, which install-deps.sh installs it for)."""
import io
import json
import math
import statistics
import subprocess

from harness import JobsubTestCase, clean_env

PANDAS_PYTHON = "/usr/bin/python3"

# acc of each (lr, seed) as the program writes it; special cases by seed and lr.
PROGRAM = r"""import argparse, json, os, sys
p = argparse.ArgumentParser()
p.add_argument("--lr", type=float)
p.add_argument("--seed", type=int)
p.add_argument("--dataset")
a = p.parse_args()
acc = round(a.lr * 10 + a.seed / 100, 6)
out = open(os.environ["JOBSUB_METRICS"], "w")
if (a.lr, a.seed) == (0.1, 2):
    sys.exit(0)                                                # writes no metric
if (a.lr, a.seed) == (0.2, 1):
    out.write(json.dumps({"acc": float("nan"), "loss": 1.0}) + "\n")   # Python writes NaN
    sys.exit(0)
for step in range(1, 4):                                       # JSON lines: the last is the summary
    out.write(json.dumps({"step": step, "acc": acc * step / 3, "loss": 1.0 / step}) + "\n")
out.flush()
if (a.lr, a.seed) == (0.2, 3):
    sys.exit(3)                                                # fails after writing
"""

SPEC = """formatter: argparse
program: prog.py
command: "python3 {script} {args}"
objective: acc
hypers:
  lr: [0.1, 0.2]
  seed: [1, 2, 3]
  dataset: mnist
"""


def expected_acc(lr, seed):
    return round(lr * 10 + seed / 100, 6) * 3 / 3


def pandas(script, text):
    """Runs `script` with pandas as pd and the text on stdin as `data`; returns its stdout as JSON."""
    run = subprocess.run([PANDAS_PYTHON, "-c", "import io, json, sys\nimport pandas as pd\n"
                          "data = io.StringIO(sys.stdin.read())\n" + script],
                         input=text, capture_output=True, text=True, timeout=120)
    if run.returncode != 0:
        raise AssertionError(f"pandas failed: {run.stderr}")
    return json.loads(run.stdout)


class Collect(JobsubTestCase):
    def run_sweep(self, spec=SPEC, program=PROGRAM):
        exp = self.experiment(spec, program=program)
        run = self.jobsub("--yes", "-j", "2", cwd=exp)
        return exp, run

    def collect(self, exp, *args, code=0):
        result = self.jobsub("collect", *args, cwd=exp)
        self.assertExit(result, code)
        return result

    def test_groups_over_seeds_match_the_mean_and_sample_std_computed_by_hand(self):
        exp, run = self.run_sweep()
        self.assertExit(run, 1)  # job (0.2, 3) failed
        rows = json.loads(self.collect(exp, "--format", "json").stdout)
        by_lr = {row["lr"]: row for row in rows}
        self.assertEqual(sorted(by_lr), [0.1, 0.2])
        # lr 0.1: seed 2 wrote nothing (missing, not 0); seeds 1 and 3 count.
        accs = [expected_acc(0.1, 1), expected_acc(0.1, 3)]
        self.assertEqual(by_lr[0.1]["jobs"], 3)
        self.assertEqual(by_lr[0.1]["acc_n"], 2)
        self.assertAlmostEqual(by_lr[0.1]["acc_mean"], statistics.mean(accs), places=12)
        self.assertAlmostEqual(by_lr[0.1]["acc_std"], statistics.stdev(accs), places=12)
        # lr 0.2: seed 1 wrote NaN (left out, as pandas does), seed 3 failed (not in the group).
        self.assertEqual(by_lr[0.2]["jobs"], 2)
        self.assertEqual(by_lr[0.2]["acc_n"], 1)
        self.assertAlmostEqual(by_lr[0.2]["acc_mean"], expected_acc(0.2, 2), places=12)
        self.assertIsNone(by_lr[0.2]["acc_std"])  # one value has no sample std
        self.assertEqual(by_lr[0.2]["dataset"], "mnist")  # JSON keeps the constant column
        # Best first by the objective (acc, higher is better).
        self.assertEqual([row["lr"] for row in rows], [0.2, 0.1])

        table = self.collect(exp).stdout
        self.assertIn("best first: the highest acc mean (objective: in the spec)", table)
        self.assertIn("the same in every row: dataset=mnist", table)
        self.assertIn("1 of 6 jobs not completed (left out of the groups):\n  failed: job 6", table)
        header = next(line for line in table.splitlines() if line.startswith("lr "))
        self.assertNotIn("dataset", header)  # printed once above, not a column

    def test_each_job_with_its_values_nan_and_missing_and_every_format_read_back(self):
        exp, _ = self.run_sweep()
        csv = self.collect(exp, "--group-by", "none", "--format", "csv", "--sort", "job").stdout
        frame = pandas("df = pd.read_csv(data)\n"
                       "print(json.dumps({'cols': list(df.columns), 'acc': [None if pd.isna(x) else ('nan' if x != x else x) for x in df['acc']],"
                       " 'nan': [bool(x != x) for x in df['acc']], 'state': list(df['state']), 'step': [None if pd.isna(x) else int(x) for x in df['step']],"
                       " 'dtype': str(df['acc'].dtype), 'raw_acc': list(data.getvalue().splitlines())}))", csv)
        self.assertEqual(frame["cols"], ["job", "lr", "seed", "dataset", "state", "attempt", "runtime", "step", "acc",
                                         "loss"])
        self.assertEqual(frame["dtype"], "float64")  # NaN and missing both load as floats
        self.assertEqual(frame["state"], ["completed"] * 5 + ["failed"])
        lines = csv.splitlines()
        self.assertTrue(lines[2].endswith(",,,"), lines[2])          # job 2: every metric missing (empty)
        self.assertTrue(lines[4].endswith(",,nan,1.0"), lines[4])   # job 4: no step; NaN is nan
        self.assertEqual(frame["step"], [3, None, 3, None, 3, 3])
        self.assertAlmostEqual(frame["acc"][0], expected_acc(0.1, 1))
        self.assertAlmostEqual(frame["acc"][5], expected_acc(0.2, 3))  # failed, but its metrics are kept

        js = self.collect(exp, "--group-by", "none", "--format", "json", "--sort", "job").stdout
        rows = json.loads(js)  # Python's json reads NaN as json.dumps wrote it
        self.assertTrue(math.isnan(rows[3]["acc"]))
        self.assertIsNone(rows[1]["acc"])
        self.assertEqual(rows[0]["lr"], 0.1)
        self.assertIsInstance(rows[0]["seed"], int)
        self.assertGreaterEqual(rows[0]["runtime"], 0)
        via_pandas = pandas("df = pd.read_json(data)\n"
                            "print(json.dumps({'n': len(df), 'nan': [bool(x != x) for x in df['acc']]}))", js)
        self.assertEqual(via_pandas["n"], 6)
        self.assertEqual(via_pandas["nan"], [False, True, False, True, False, False])

        text = self.collect(exp, "--group-by", "none", "--sort", "job").stdout
        lines = text.split("\n\n")[1].splitlines()  # header lines, a blank line, the table, a blank line, the footer
        head = lines[0].split()
        table = {int(line.split()[0]): dict(zip(head, line.split())) for line in lines[1:]}
        self.assertEqual(sorted(table), [1, 2, 3, 4, 5, 6])
        self.assertNotIn("dataset", head)  # the same in every row: said above instead
        self.assertEqual(table[4]["acc"], "NaN")
        self.assertEqual(table[2]["acc"], "-")
        self.assertEqual(float(table[3]["acc"]), expected_acc(0.1, 3))
        self.assertEqual(table[6]["state"], "failed")

        md = self.collect(exp, "--group-by", "none", "--format", "markdown", "--sort", "job").stdout
        table = [line for line in md.splitlines() if line.startswith("|")]
        self.assertEqual(len(table), 2 + 6)
        cells = [c.strip() for c in table[2 + 3].strip("|").split("|")]
        self.assertIn("NaN", cells)
        cells = [c.strip() for c in table[2 + 1].strip("|").split("|")]
        self.assertEqual(cells[-3:], ["-", "-", "-"])  # missing shows as missing, never 0

    def test_where_sort_and_top(self):
        exp, _ = self.run_sweep()
        rows = json.loads(self.collect(exp, "--group-by", "none", "--format", "json", "--where", "state=completed",
                                       "--where", "lr=1e-1", "--sort", "-acc").stdout)
        self.assertEqual([(r["lr"], r["seed"]) for r in rows], [(0.1, 3), (0.1, 1), (0.1, 2)])  # missing last
        top = json.loads(self.collect(exp, "--group-by", "none", "--format", "json", "--top", "2").stdout)
        self.assertEqual([r["seed"] for r in top], [3, 2])  # lr 0.2: seed 3 (failed, 2.03), seed 2 (2.02)
        bad = self.collect(exp, "--where", "accc>0.5", code=2)
        self.assertIn("--where 'accc>0.5': no param, metric or column is named 'accc' (did you mean 'acc'?)",
                      bad.stderr)
        grouped = self.collect(exp, "--sort", "seed", code=2)
        self.assertIn("rows are grouped over seed: --group-by none shows a row per job", grouped.stderr)
        self.assertIn("--sort 'nope'", self.collect(exp, "--sort", "nope", code=2).stderr)
        self.assertIn("--group-by 'sed'", self.collect(exp, "--group-by", "sed", code=2).stderr)

    def test_a_program_that_only_prints_is_read_through_the_specs_patterns(self):
        program = r"""import sys
args = dict(a.split("=", 1) for a in sys.argv[1:])
lr = float(args["lr"])
print("epoch 1 val_acc=0.10 (noise)")
print(f"epoch 2 val_acc={lr * 2:.4f} (noise)")
print("train_loss: 0.25")
print("note: not a number")
"""
        spec = """formatter: hydra
program: prog.py
command: "python3 {script} {args}"
metrics:
  val_acc: 'val_acc=([0-9.]+)'
metric_lines: true
hypers:
  lr: [0.1, 0.3]
"""
        exp, run = self.run_sweep(spec, program)
        self.assertExit(run, 0)
        rows = json.loads(self.collect(exp, "--format", "json", "--sort", "job").stdout)
        self.assertEqual([r["val_acc"] for r in rows], [0.2, 0.6])  # the last match of each job
        self.assertEqual([r["train_loss"] for r in rows], [0.25, 0.25])
        self.assertNotIn("note", rows[0])
        status = self.jobsub("status", "--all", cwd=exp)
        self.assertRegex(status.stdout, r"job 2 .*val_acc=0\.6\n")  # the headline: the first of `metrics:`
        listing = self.jobsub("list", cwd=exp)
        self.assertRegex(listing.stdout, r"BEST SO FAR\n.*val_acc 0\.6 \(highest, job 2\)")

    def test_a_resubmitted_jobs_second_attempt_is_the_one_shown(self):
        program = r"""import os, pathlib, sys
flag = pathlib.Path(os.environ["JOBSUB_RESULTS_DIR"]) / "tried"
first = not flag.exists()
flag.touch()
with open(os.environ["JOBSUB_METRICS"], "w") as out:
    out.write('{"acc": %s}\n' % ("0.1" if first else "0.9"))
sys.exit(1 if first else 0)
"""
        spec = """program: prog.py
command: "python3 {script}"
hypers:
  lr: [0.5]
"""
        exp, run = self.run_sweep(spec, program)
        self.assertExit(run, 1)
        self.assertEqual(json.loads(self.collect(exp, "--format", "json").stdout)[0]["acc"], 0.1)
        self.assertExit(self.jobsub("resubmit", "--yes", "--wait", cwd=exp), 0)
        rows = json.loads(self.collect(exp, "--format", "json").stdout)
        self.assertEqual([(r["attempt"], r["state"], r["acc"]) for r in rows], [(2, "completed", 0.9)])
        both = json.loads(self.collect(exp, "--format", "json", "--attempt", "all", "--sort", "attempt").stdout)
        self.assertEqual([(r["attempt"], r["state"], r["acc"]) for r in both], [(1, "failed", 0.1), (2, "completed", 0.9)])

    def test_a_combination_skipped_for_an_earlier_run_shows_that_runs_metrics(self):
        spec = SPEC.replace("lr: [0.1, 0.2]", "lr: [0.1]").replace("seed: [1, 2, 3]", "seed: [1]")
        exp, run = self.run_sweep(spec)
        self.assertExit(run, 0)
        first = self.only_results_dir(exp)
        exp, run = self.run_sweep(spec.replace("seed: [1]", "seed: [1, 3]"))
        self.assertExit(run, 0)
        rows = json.loads(self.collect(exp, "--format", "json", "--sort", "seed", "--group-by", "none").stdout)
        self.assertEqual(rows[0]["state"], "skipped")
        self.assertAlmostEqual(rows[0]["acc"], expected_acc(0.1, 1))
        self.assertEqual(rows[0]["metrics_from"], f"{first} job 1")
        both = json.loads(self.collect(exp, "--all", "--format", "json", "--group-by", "none").stdout)
        # Both sweeps: the skipped job's row is left out, since its run is read too (counted once).
        self.assertEqual(sorted((r["seed"], r["state"]) for r in both), [(1, "completed"), (3, "completed")])
        self.assertEqual(len({r["sweep"] for r in both}), 2)
        self.assertEqual({r["sweep"].split("/")[0] for r in both}, {"results"})
