"""Issue 23, point 4 (in part): `jobsub init` writes a first experiment that runs
as it is on the local scheduler, for each layout and formatter, and never
overwrites."""
import json
import unittest

from harness import JobsubTestCase, clean_env


class Init(JobsubTestCase):
    def test_each_layout_and_formatter_runs_as_written_and_collect_finds_the_best_lr(self):
        for layout in ("plain", "skeleton"):
            for formatter in ("argparse", "sacred", "hydra"):
                with self.subTest(layout=layout, formatter=formatter):
                    project = self.tmp / f"{layout}-{formatter}"
                    made = self.jobsub("init", str(project), "--layout", layout, "--formatter", formatter)
                    self.assertExit(made, 0)
                    exp = project / "experiments/first" if layout == "skeleton" else project
                    spec = (exp / "jobsub.yaml").read_text()
                    self.assertIn(f"formatter: {formatter}", spec)
                    self.assertIn(f"next: cd {exp} && jobsub --dry-run", made.stdout)
                    ran = self.jobsub("--yes", cwd=exp, env=clean_env())
                    self.assertExit(ran, 0)
                    self.assertIn("6 of 6 jobs submitted; 6 completed", ran.stdout)
                    rows = json.loads(self.jobsub("collect", "--format", "json", cwd=exp).stdout)
                    self.assertEqual([r["lr"] for r in rows][0], 0.01)  # the program's best, found through its args
                    self.assertEqual({r["jobs"] for r in rows}, {2})

    def test_it_never_overwrites(self):
        project = self.tmp / "mine"
        project.mkdir()
        (project / "train.py").write_text("print('my own program')\n")
        made = self.jobsub("init", str(project))
        self.assertExit(made, 0)
        self.assertIn(f"kept {project / 'train.py'}, which exists", made.stdout)
        self.assertEqual((project / "train.py").read_text(), "print('my own program')\n")
        spec = (project / "jobsub.yaml").read_text()
        again = self.jobsub("init", str(project), "--formatter", "hydra")
        self.assertExit(again, 3)
        self.assertIn("jobsub.yaml exists: jobsub init never overwrites", again.stderr)
        self.assertEqual((project / "jobsub.yaml").read_text(), spec)

    def test_bad_choices_are_usage_errors_that_write_nothing(self):
        for args, message in [(["--layout", "flat"], "--layout: 'flat' is not plain or skeleton"),
                              (["--formatter", "click"], "init writes programs for argparse, sacred and hydra"),
                              (["--scheduler", "kubernetes"], "no scheduler plugin 'kubernetes'"),
                              (["--name", "a/b"], "--name: 'a/b' is not a name")]:
            with self.subTest(args=args):
                result = self.jobsub("init", str(self.tmp / "x"), *args)
                self.assertExit(result, 2)
                self.assertIn(message, result.stderr)
                self.assertFalse((self.tmp / "x").exists())


if __name__ == "__main__":
    unittest.main()
