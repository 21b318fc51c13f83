"""Issue 23, point 1: `--canary[=DURATION]` on the local scheduler: the first
job that will really be submitted goes alone, and the rest only once it
completed (or, on a cluster, ran DURATION without failing: test_slurm.py).
A failed canary shows why, submits nothing else and exits 1; `submit --resume`
sends the rest. One canary per resource group."""
import json
import unittest

from harness import JobsubTestCase, Terminal, clean_env

# x=1 fails while the file `broken` exists in the experiment directory.
PROGRAM = """import argparse, os, sys
p = argparse.ArgumentParser(); p.add_argument("--x", type=int); p.add_argument("--model", default="small")
a = p.parse_args()
if a.x == 1 and os.path.exists("broken"):
    print("cannot open data/train.csv", file=sys.stderr)
    sys.exit(2)
print(a.x)
"""


class Canary(JobsubTestCase):
    def sweep(self, hypers="{x: [1, 2, 3, 4]}"):
        return self.experiment(f"program: prog.py\ncommand: python3 {{script}} {{args}}\nformatter: argparse\n"
                               f"hypers: {hypers}\n", program=PROGRAM)

    def submissions(self, results):
        lines = [json.loads(l) for l in (results / "submissions.jsonl").read_text().splitlines()]
        return [s["jobs"] for s in lines if s["state"] == "submitted"]

    def states(self, results):
        return [r["state"] for r in self.jobs_table(results)]

    def test_the_canary_goes_alone_then_the_rest_as_one_batch(self):
        exp = self.sweep()
        result = self.jobsub("--yes", "--canary", cwd=exp)
        self.assertExit(result, 0)
        self.assertIn("jobsub: canary: job 1 first; the rest once it completed", result.stdout)
        self.assertRegex(result.stdout, r"jobsub: canary ok after \d+s: submitting the other 3")
        self.assertLess(result.stdout.index("job 1/4 completed"), result.stdout.index("canary ok"))
        results = self.only_results_dir(exp)
        self.assertEqual(self.submissions(results), ["1", "2-4"])
        self.assertEqual(self.states(results), ["completed"] * 4)

    def test_a_failed_canary_submits_nothing_else_and_resume_sends_the_rest(self):
        exp = self.sweep()
        (exp / "broken").write_text("")
        result = self.jobsub("--yes", "--canary=5m", cwd=exp)
        self.assertExit(result, 1)
        self.assertIn("cannot open data/train.csv", result.stdout)  # its stderr, before the verdict
        self.assertIn("jobsub: error: the canary, job 1, ended failed: the other 3 jobs were not submitted. "
                      "Once the cause is fixed, `jobsub submit --resume` sends them and `jobsub resubmit` the "
                      "canary", result.stderr)
        results = self.only_results_dir(exp)
        self.assertEqual(self.states(results), ["failed", "not_submitted", "not_submitted", "not_submitted"])
        (exp / "broken").unlink()
        resumed = self.jobsub("submit", "--resume", "--yes", cwd=exp)
        self.assertExit(resumed, 1)  # the sweep still holds the failed canary
        self.assertIn("3 jobs of 4 to submit: 2-4", resumed.stdout)
        self.assertEqual(self.states(results), ["failed", "completed", "completed", "completed"])
        self.assertExit(self.jobsub("resubmit", "--yes", cwd=exp), 0)
        self.assertEqual(self.states(results), ["completed"] * 4)

    def test_the_canary_is_the_first_job_really_submitted(self):
        exp = self.sweep()
        self.assertExit(self.jobsub("--yes", "x=1", cwd=exp), 0)  # x=1 completes in a sweep of its own
        result = self.jobsub("--yes", "--canary", cwd=exp)
        self.assertExit(result, 0)
        self.assertIn("jobsub: canary: job 2 first", result.stdout)
        results = self.results_dirs(exp)[-1]
        self.assertEqual(self.submissions(results), ["2", "3-4"])

    def test_one_canary_per_resource_group(self):
        exp = self.sweep("[{x: [1, 2]}, {hypers: {x: [3, 4], model: [large]}, resources: {time: 2h}}]")
        result = self.jobsub("--yes", "--canary", cwd=exp)
        self.assertExit(result, 0)
        self.assertIn("jobsub: canary: jobs 1,3 first (one per resource group)", result.stdout)
        results = self.only_results_dir(exp)
        self.assertEqual(self.submissions(results), ["1", "3", "2", "4"])

    def test_at_a_terminal_it_asks_before_the_rest_and_n_keeps_them_for_resume(self):
        exp = self.sweep()
        term = Terminal(["--canary"], cwd=exp)
        screen = term.read_until("submit the other 3? (y/n)")
        self.assertRegex(screen, r"canary ok after \d+s: submit the other 3\? \(y/n\)")
        self.assertNotIn("Submit (1/4)", screen)  # no question per job
        term.send("n")
        self.assertEqual(term.wait(timeout=60), 0, term.text)
        self.assertIn("jobsub: the other 3 jobs were not submitted; `jobsub submit --resume` sends them", term.text)
        results = self.only_results_dir(exp)
        self.assertEqual(self.states(results), ["completed", "not_submitted", "not_submitted", "not_submitted"])

    def test_a_bare_canary_keeps_the_next_word_and_a_bad_duration_is_refused(self):
        exp = self.sweep()
        result = self.jobsub("--yes", "--canary", "x=2", cwd=exp)
        self.assertExit(result, 0)
        self.assertIn("jobsub: sweep 'exp': 1 job", result.stdout)  # x=2 stayed an override
        bad = self.jobsub("--yes", "--canary=soon", cwd=exp)
        self.assertExit(bad, 2)
        self.assertIn("--canary=soon is not a duration of 1 s or more: write e.g. --canary=10m", bad.stderr)
        zero = self.jobsub("--yes", "--canary=0s", cwd=exp)
        self.assertExit(zero, 2)
        self.assertIn("--canary=0s is not a duration of 1 s or more", zero.stderr)
        # A duration after a bare --canary (as `--help`'s `--canary [=DURATION]` may suggest) says how to write it.
        spaced = self.jobsub("--yes", "--canary", "5m", cwd=exp)
        self.assertExit(spaced, 2)
        self.assertIn("unexpected argument '5m': a canary's duration is written --canary=5m", spaced.stderr)
        dry = self.jobsub("--dry-run", "--canary", cwd=exp)
        self.assertExit(dry, 2)
        self.assertIn("--canary submits jobs: it cannot go with --dry-run or --manual", dry.stderr)

    def test_detach_needs_a_scheduler_that_holds_jobs_and_goes_only_with_canary(self):
        # --canary --detach on Slurm: test_slurm.py. Here the local scheduler
        # runs its jobs inside jobsub: nothing could release the held rest.
        exp = self.sweep()
        local = self.jobsub("--yes", "--canary", "--detach", cwd=exp)
        self.assertExit(local, 2)
        self.assertIn("scheduler 'local' cannot hold jobs so (the local scheduler runs its jobs inside jobsub): "
                      "drop --detach", local.stderr)
        self.assertEqual(self.results_dirs(exp), [])  # refused before anything was written
        alone = self.jobsub("--yes", "--detach", cwd=exp)
        self.assertExit(alone, 2)
        self.assertIn("--detach goes with --canary", alone.stderr)
        both = self.jobsub("--yes", "--canary", "--detach", "--wait", cwd=exp)
        self.assertExit(both, 2)
        self.assertIn("--detach returns at once and --wait follows every job: choose one", both.stderr)


if __name__ == "__main__":
    unittest.main()
