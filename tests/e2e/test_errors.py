"""Issue 2, point 9: mistakes get clear errors and documented exit codes, and a
failure before submission leaves no results directory behind."""
from harness import JobsubTestCase

OK_SPEC = "program: prog.py\ncommand: python3 {script} {args}\nhypers: {lr: [0.1, 0.01]}\n"


class Errors(JobsubTestCase):
    def assertNoResults(self, exp):
        self.assertEqual(self.results_dirs(exp), [])

    def test_bad_spec_names_file_line_and_key(self):
        exp = self.experiment("program: prog.py\nhypers:\n  lr: [0.1]\n  seed: range(a)\n")
        result = self.jobsub("--yes", cwd=exp)
        self.assertExit(result, 3)
        self.assertIn("jobsub.yaml:4: key 'hypers.seed'", result.stderr)
        self.assertNoResults(exp)

    def test_misspelt_setting_suggests_the_right_one(self):
        exp = self.experiment("formater: sacred\n")
        result = self.jobsub("--yes", cwd=exp)
        self.assertExit(result, 3)
        self.assertIn("jobsub.yaml:1: key 'formater': unknown key (did you mean 'formatter'?)", result.stderr)

    def test_unknown_plugin_lists_installed_and_suggests(self):
        exp = self.experiment(OK_SPEC)
        result = self.jobsub("--yes", "--formatter=sacrd", cwd=exp)
        self.assertExit(result, 4)
        self.assertIn("unknown formatter 'sacrd' (did you mean 'sacred'?)", result.stderr)
        self.assertIn("installed: argparse, hydra, sacred", result.stderr)
        self.assertNoResults(exp)

    def test_unknown_command_suggests(self):
        result = self.jobsub("plugin")
        self.assertExit(result, 2)
        self.assertIn("unknown command 'plugin' (did you mean 'plugins'?)", result.stderr)

    def test_unknown_option_is_a_usage_error(self):
        result = self.jobsub("--frobnicate")
        self.assertExit(result, 2)
        self.assertIn("frobnicate", result.stderr)

    def test_bad_override_is_a_usage_error(self):
        exp = self.experiment(OK_SPEC)
        result = self.jobsub("--yes", "seed=range(0,x)", cwd=exp)
        self.assertExit(result, 2)
        self.assertIn("range() takes whole numbers", result.stderr)
        self.assertNoResults(exp)

    def test_missing_program(self):
        exp = self.experiment("program: nope.py\nhypers: {a: 1}\n")
        result = self.jobsub("--yes", cwd=exp)
        self.assertExit(result, 3)
        self.assertIn(f"missing program: {exp}/nope.py", result.stderr)
        self.assertNoResults(exp)

    def test_unequal_zip(self):
        exp = self.experiment("program: prog.py\nhypers:\n  lr: [1, 2]\n  seed: [1, 2, 3]\nzip: [[lr, seed]]\n")
        result = self.jobsub("--yes", cwd=exp)
        self.assertExit(result, 3)
        self.assertIn("zipped lists must have equal length", result.stderr)

    def test_unknown_placeholder_in_command(self):
        exp = self.experiment("program: prog.py\ncommand: python3 {scirpt} {args}\nhypers: {a: 1}\n")
        result = self.jobsub("--yes", cwd=exp)
        self.assertExit(result, 3)
        self.assertIn("unknown placeholder {scirpt}", result.stderr)

    def test_option_no_chosen_plugin_takes(self):
        exp = self.experiment(OK_SPEC)
        result = self.jobsub("--yes", "--sample", "3", cwd=exp)
        self.assertExit(result, 3)
        self.assertIn("option 'random.sample' belongs to sweeper 'random', which this sweep does not use: "
                      "add --sweeper=random (now: grid)", result.stderr)
        exp = self.experiment(OK_SPEC + "options: {smaple: 3}\n")
        result = self.jobsub("--yes", cwd=exp)
        self.assertExit(result, 3)
        self.assertIn("jobsub.yaml:4: 'smaple' is not an option of any installed plugin (did you mean "
                      "'sample'?)", result.stderr)

    def test_skeleton_layout_names_each_missing_path(self):
        exp = self.experiment("layout: skeleton\nhypers: {a: 1}\n", program=None, name="proj/experiments/e1")
        result = self.jobsub("--yes", cwd=exp)
        self.assertExit(result, 3)
        self.assertIn(f"missing program: {self.tmp}/proj/main.py", result.stderr)
        self.assertIn(f"missing directory: {self.tmp}/proj/data", result.stderr)
        self.assertNoResults(exp)
        outside = self.experiment("layout: skeleton\n", program=None, name="elsewhere")
        result = self.jobsub("--yes", cwd=outside)
        self.assertExit(result, 3)
        self.assertIn("not inside an experiments/ directory", result.stderr)

    def test_skeleton_layout_runs_from_the_project_root(self):
        proj = self.tmp / "proj"
        (proj / "data").mkdir(parents=True)
        (proj / "main.py").write_text("import os, json\nprint(json.dumps(os.getcwd()))\n")
        exp = self.experiment("layout: skeleton\ncommand: python3 {script}\n", program=None, name="proj/experiments/e1")
        self.assertExit(self.jobsub("--yes", cwd=exp), 0)
        results = self.only_results_dir(exp)
        self.assertEqual(results.parent.parent, exp / "results")
        self.assertEqual(self.job_stdout_json(results, 1), str(proj))

    def test_help_and_version(self):
        result = self.jobsub("--help")
        self.assertExit(result, 0)
        self.assertIn("Submit (i/N)", result.stdout)
        self.assertIn("--sample", result.stdout)  # a plugin's option
        self.assertIn("Exit codes", result.stdout)
        self.assertRegex(self.jobsub("--version").stdout, r"^jobsub \d+\.\d+\.\d+")
