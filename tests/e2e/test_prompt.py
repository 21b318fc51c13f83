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
                         ["completed", "not_submitted", "completed", "completed"])
        self.assertEqual(self.job_stdout_json(results, 1), ["with", "lr=0.1", "seed=1"])
        self.assertFalse((results / "jobs/0002").exists())
        self.assertIn("3 of 4 jobs submitted", term.text)
        batches = sorted(p.name for p in results.glob("batch-*.sh"))
        self.assertEqual(batches, ["batch-1.sh", "batch-2.sh"])

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
                         ["completed", "not_submitted", "completed", "completed"])

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
