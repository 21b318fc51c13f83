"""Issue 2, point 5: the reference script's test-first flow, at a terminal."""
from harness import JobsubTestCase, Terminal

SPEC = ("formatter: sacred\nprogram: prog.py\ncommand: python3 {script} with {args}\n"
        "hypers:\n  lr: [0.1, 0.01]\n  seed: [1, 2]\n")


class Prompt(JobsubTestCase):
    def test_yes_then_no_then_all(self):
        exp = self.experiment(SPEC)
        term = Terminal([], cwd=exp)
        term.read_until("4 jobs")
        term.read_until("Submit (1/4): 'lr=0.1' 'seed=1'? (y/n/all/exit)")
        term.send("y")
        # The test job has run before the next question.
        term.read_until("job 1/4")
        term.read_until("Submit (2/4): 'lr=0.1' 'seed=2'? (y/n/all/exit)")
        self.assertIn("job 1/4 completed (exit 0): output in ", term.text)
        self.assertIn("/jobs/0001", term.text)
        term.send("n")
        term.read_until("Submit (3/4)")
        term.send("maybe")
        term.read_until("please answer y")
        term.send("all")
        self.assertEqual(term.wait(), 0, term.text)
        self.assertNotIn("Submit (4/4)", term.text)
        results = self.only_results_dir(exp)
        self.assertEqual([r["state"] for r in self.jobs_table(results)],
                         ["completed", "declined", "completed", "completed"])
        self.assertEqual(self.job_stdout_json(results, 1), ["with", "lr=0.1", "seed=1"])
        self.assertFalse((results / "jobs/0002").exists())
        self.assertIn("3 of 4 jobs submitted", term.text)
        batches = sorted(p.name for p in results.glob("batch-*.sh"))
        self.assertEqual(batches, ["batch-1.sh", "batch-2.sh"])

    def test_resume_leaves_declined_jobs_out_unless_asked(self):
        # Issue 22, 4: `n` is an answer that --resume keeps; `exit` is not one.
        exp = self.experiment(SPEC)
        term = Terminal([], cwd=exp)
        term.read_until("Submit (1/4)")
        term.send("y")
        term.read_until("Submit (2/4)")
        term.send("n")
        term.read_until("Submit (3/4)")
        term.send("exit")
        self.assertEqual(term.wait(), 0, term.text)
        results = self.only_results_dir(exp)
        self.assertEqual([r["state"] for r in self.jobs_table(results)],
                         ["completed", "declined", "not_submitted", "not_submitted"])
        status = self.jobsub("status", cwd=exp)
        self.assertIn("1 declined", status.stdout.splitlines()[0])
        self.assertIn("note: job 2 was declined at the prompt: `jobsub submit --resume --include-declined ",
                      status.stdout)
        resumed = self.jobsub("submit", "--resume", "--yes", cwd=exp)
        self.assertExit(resumed, 0)
        self.assertIn("1 job declined at the prompt is left out (2): --include-declined sends it", resumed.stdout)
        self.assertIn("2 jobs of 4 to submit: 3-4", resumed.stdout)
        self.assertEqual([r["state"] for r in self.jobs_table(results)],
                         ["completed", "declined", "completed", "completed"])
        again = self.jobsub("submit", "--resume", "--yes", "--include-declined", cwd=exp)
        self.assertExit(again, 0)
        self.assertIn("1 job of 4 to submit: 2", again.stdout)
        self.assertEqual([r["state"] for r in self.jobs_table(results)], ["completed"] * 4)
        refused = self.jobsub("--include-declined", "--yes", cwd=exp)
        self.assertExit(refused, 2)
        self.assertIn("--include-declined goes with --resume", refused.stderr)

    def test_n_at_a_resubmit_prompt_leaves_the_job_as_it_was(self):
        exp = self.experiment(SPEC, program="import sys\nsys.exit(3 if 'seed=2' in sys.argv else 0)\n")
        self.assertExit(self.jobsub("--yes", cwd=exp), 1)
        term = Terminal(["resubmit"], cwd=exp)
        term.read_until("Submit (2/4)")
        term.send("n")
        term.read_until("Submit (4/4)")
        term.send("n")
        self.assertEqual(term.wait(), 1, term.text)  # the sweep still has failures
        states = [r["state"] for r in self.jobs_table(self.only_results_dir(exp))]
        self.assertEqual(states, ["completed", "failed", "completed", "failed"])  # not declined: still to repair

    def test_exit_at_the_first_question_leaves_nothing_behind(self):
        exp = self.experiment(SPEC)
        term = Terminal([], cwd=exp)
        term.read_until("Submit (1/4)")
        term.send("exit")
        self.assertEqual(term.wait(), 0, term.text)
        self.assertIn("nothing submitted", term.text)
        self.assertEqual(self.results_dirs(exp), [])
        self.assertFalse((exp / "results").exists(), "an empty results/<name>/ was left behind")

    def test_answering_no_to_every_job_keeps_a_results_directory_that_was_there(self):
        exp = self.experiment(SPEC)
        (exp / "results" / "older").mkdir(parents=True)
        term = Terminal([], cwd=exp)
        for i in range(1, 5):
            term.read_until(f"Submit ({i}/4)")
            term.send("n")
        self.assertEqual(term.wait(), 0, term.text)
        self.assertEqual(sorted(p.name for p in (exp / "results").iterdir()), ["older"])

    def test_answers_in_any_case_and_their_long_forms(self):
        exp = self.experiment(SPEC)
        term = Terminal([], cwd=exp)
        term.read_until("Submit (1/4)")
        term.send("Y")
        term.read_until("Submit (2/4)")
        term.send("No")
        term.read_until("Submit (3/4)")
        term.send("maybe")
        term.read_until("please answer y (this job), n (skip it), all (this and every later job) or exit")
        term.send("ALL")
        self.assertEqual(term.wait(), 0, term.text)
        results = self.only_results_dir(exp)
        self.assertEqual([r["state"] for r in self.jobs_table(results)],
                         ["completed", "declined", "completed", "completed"])

    def test_exit_after_a_test_job_keeps_its_record(self):
        exp = self.experiment(SPEC)
        term = Terminal([], cwd=exp)
        term.read_until("Submit (1/4)")
        term.send("y")
        term.read_until("Submit (2/4)")
        term.send("exit")
        self.assertEqual(term.wait(), 0, term.text)
        results = self.only_results_dir(exp)
        self.assertEqual([r["state"] for r in self.jobs_table(results)],
                         ["completed", "not_submitted", "not_submitted", "not_submitted"])

    def test_ctrl_c_at_the_question(self):
        exp = self.experiment(SPEC)
        term = Terminal([], cwd=exp)
        term.read_until("Submit (1/4)")
        term.interrupt()
        self.assertEqual(term.wait(), 130, term.text)
        self.assertEqual(self.results_dirs(exp), [])
        self.assertFalse((exp / "results").exists())
