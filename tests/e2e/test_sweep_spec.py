"""Issue 2, point 2: describing a sweep in jobsub.yaml and on the command line."""
import json
import os

from harness import JobsubTestCase, clean_env

PROG = "import json, sys\nprint(json.dumps(sys.argv[1:]))\n"


class SweepSpec(JobsubTestCase):
    def argvs(self, exp, *args, env=None):
        result = self.jobsub("--yes", "--rerun-completed", *args, cwd=exp, env=env)
        self.assertExit(result, 0)
        results = self.results_dirs(exp)[-1]
        count = len((results / "commands").read_text().splitlines())
        return result, [self.job_stdout_json(results, i) for i in range(1, count + 1)]

    def test_list_of_grids_and_zip(self):
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nformatter: hydra\n"
                              "hypers:\n  - {model: a, lr: [1, 2], seed: [7, 8]}\n  - {model: b, depth: [3]}\n"
                              "zip: [[lr, seed]]\n")
        result, argvs = self.argvs(exp)
        self.assertIn("3 jobs", result.stdout)
        self.assertEqual(argvs, [["model=a", "lr=1", "seed=7"], ["model=a", "lr=2", "seed=8"],
                                 ["model=b", "depth=3"]])

    def test_command_line_overrides_hydra_style(self):
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nformatter: hydra\n"
                              "hypers: {lr: [1, 2], opt: adam}\n")
        result, argvs = self.argvs(exp, "lr=0.1,0.0001", "seed=range(0,3)", "name='a,b'")
        self.assertIn("6 jobs", result.stdout)
        self.assertEqual(argvs[0], ["lr=0.1", "opt=adam", "seed=0", "name='a,b'"])
        self.assertEqual(argvs[5], ["lr=0.0001", "opt=adam", "seed=2", "name='a,b'"])

    def test_range_in_the_spec_as_on_the_command_line(self):
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nformatter: hydra\n"
                              "hypers:\n  seed: range(0,3)\n  step:\n    - range(10,30,10)\n    - 99\n"
                              "  label: 'range(0,3)'\n")
        result, argvs = self.argvs(exp)
        self.assertIn("9 jobs", result.stdout)
        self.assertEqual(argvs[0], ["seed=0", "step=10", "label='range(0,3)'"])
        self.assertEqual(argvs[-1], ["seed=2", "step=99", "label='range(0,3)'"])

    def test_a_bad_range_in_the_spec_names_its_line(self):
        exp = self.experiment("program: prog.py\nhypers:\n  lr: [1]\n  seed: range(0,x)\n")
        result = self.jobsub("--yes", cwd=exp)
        self.assertExit(result, 3)
        self.assertIn("jobsub.yaml:4: key 'hypers.seed': range(0,x): range() takes whole numbers, got 'x'",
                      result.stderr)

    def test_literal_text_is_kept(self):
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\n"
                              "hypers: {lr: [0.0001, 1e-04, 1.50], id: '007'}\n")
        _, argvs = self.argvs(exp)
        self.assertEqual(argvs, [["--lr=0.0001", "--id=007"], ["--lr=1e-04", "--id=007"], ["--lr=1.50", "--id=007"]])

    def test_random_sweeper_is_reproducible(self):
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nsweeper: random\n"
                              "hypers: {a: [1, 2, 3, 4, 5], b: [1, 2, 3, 4, 5]}\n")
        result, first = self.argvs(exp, "--sample", "6", "--seed", "42")
        self.assertIn("6 jobs", result.stdout)
        self.assertEqual(len({tuple(a) for a in first}), 6)
        _, again = self.argvs(exp, "--sample", "6", "--seed", "42")
        self.assertEqual(first, again)
        _, other = self.argvs(exp, "--sample", "6", "--seed", "43")
        self.assertNotEqual(first, other)

    def test_settings_precedence_and_show_config(self):
        exp = self.experiment("formatter: sacred\nscheduler: local\nname: from-spec\nprogram: prog.py\n"
                              "hypers: {a: 1}\n")
        env = clean_env(JOBSUB_FORMATTER="hydra", JOBSUB_NAME="from-env", JOBSUB_SCHEDULER="")  # the spec decides
        result = self.jobsub("--show-config", "--name=from-cli", cwd=exp, env=env)
        self.assertExit(result, 0)
        self.assertIn("formatter = hydra    (env JOBSUB_FORMATTER)", result.stdout)
        self.assertIn("name = from-cli    (command line)", result.stdout)
        self.assertIn("scheduler = local    (jobsub.yaml:2)", result.stdout)
        self.assertIn("sweeper = grid    (default)", result.stdout)
        self.assertFalse((exp / "results").exists())

    def test_spec_option_points_at_another_experiment(self):
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers: {a: [1, 2]}\n")
        result = self.jobsub("--yes", "--spec", str(exp / "jobsub.yaml"), cwd=self.tmp)
        self.assertExit(result, 0)
        self.assertEqual(len(self.results_dirs(exp)), 1)

    def test_no_spec_file_all_from_the_command_line(self):
        exp = self.experiment(None)
        result, argvs = self.argvs(exp, "--program=prog.py", "--command=python3 {script} {args}", "lr=0.1,0.01")
        self.assertEqual(argvs, [["--lr=0.1"], ["--lr=0.01"]])

    def test_job_command_placeholders(self):
        prog = "import json, os, sys\nprint(json.dumps([sys.argv[1:], os.environ['JOBSUB_JOB_DIR']]))\n"
        exp = self.experiment("program: prog.py\ncommand: python3 {script} --out {job_dir} --job {job}\n"
                              "hypers: {a: [1, 2]}\n", program=prog)
        self.assertExit(self.jobsub("--yes", cwd=exp), 0)
        results = self.only_results_dir(exp)
        argv, job_dir = self.job_stdout_json(results, 2)
        self.assertEqual(argv, ["--out", str(results / "jobs/0002"), "--job", "2"])
        self.assertEqual(job_dir, str(results / "jobs/0002"))
