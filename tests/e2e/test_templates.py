"""Issue 9, point 4: templates a user can see (`jobsub template show|init`), and a user
template's mistakes named with their line."""
import subprocess

from harness import JobsubTestCase

SPEC = "program: prog.py\ncommand: python3 {script} {args}\nhypers: {a: [1, 2]}\n"


class Templates(JobsubTestCase):
    def test_show_prints_the_template_the_scheduler_renders(self):
        exp = self.experiment(SPEC)
        shown = self.jobsub("template", "show", "local", cwd=exp)
        self.assertExit(shown, 0)
        self.assertIn("{{{task_body}}}", shown.stdout)
        # What show prints is what a sweep without a template of its own renders:
        # every line without a Mustache tag is in the script, in order.
        dry = self.jobsub("--dry-run", cwd=exp)
        script = dry.stdout.split("---\n", 1)[1].split("--- submitted with:")[0].splitlines()
        plain = [line for line in shown.stdout.splitlines() if "{{" not in line]
        self.assertGreater(len(plain), 5)
        at = 0
        for line in plain:
            self.assertIn(line, script[at:], "a line of the shown template is not in the rendered script")
            at = script.index(line, at) + 1
        slurm = self.jobsub("template", "show", "slurm", cwd=exp)
        self.assertIn("#SBATCH --job-name={{{job_name}}}", slurm.stdout)
        unknown = self.jobsub("template", "show", "nosuch", cwd=exp)
        self.assertExit(unknown, 4)
        self.assertIn("unknown scheduler 'nosuch'", unknown.stderr)

    def test_init_copies_it_into_the_experiment_where_it_is_then_used(self):
        exp = self.experiment(SPEC)
        init = self.jobsub("template", "init", "local", cwd=exp)
        self.assertExit(init, 0)
        mine = exp / "templates/local.sh.mustache"
        self.assertEqual(mine.read_text(), self.jobsub("template", "show", "local", cwd=exp).stdout)
        mine.write_text(mine.read_text().replace("#!/bin/bash\n", "#!/bin/bash\n# edited by me\n", 1))
        self.assertExit(self.jobsub("--yes", cwd=exp), 0)
        results = self.only_results_dir(exp)
        self.assertIn("# edited by me\n", (results / "batch-1.sh").read_text())
        self.assertEqual(self.job_stdout_json(results, 2), ["--a=2"])
        again = self.jobsub("template", "init", "local", cwd=exp)
        self.assertExit(again, 3)
        self.assertIn("exists: edit it, or pass --force", again.stderr)
        self.assertIn("# edited by me", mine.read_text())  # not overwritten
        self.assertExit(self.jobsub("template", "init", "local", "--force", cwd=exp), 0)
        self.assertNotIn("# edited by me", mine.read_text())
        self.assertExit(self.jobsub("template", "init", cwd=exp), 2)

    def test_a_value_jobsub_does_not_provide_is_an_error_naming_the_line(self):
        exp = self.experiment(SPEC)
        self.assertExit(self.jobsub("template", "init", "local", cwd=exp), 0)
        mine = exp / "templates/local.sh.mustache"
        lines = mine.read_text().splitlines(keepends=True)
        lines.insert(1, "# time: {{resource.time}}\n")  # `resources`, misspelt
        mine.write_text("".join(lines))
        result = self.jobsub("--yes", cwd=exp)
        self.assertExit(result, 3)
        self.assertIn(f"template {mine}:2: `{{{{resource.time}}}}` is not a value jobsub provides "
                      "(did you mean 'resources'?)", result.stderr)
        self.assertFalse((exp / "results").exists())
        # A resource the sweep does not set is fine, and so are an object's fields and a list's items.
        lines[1] = "# {{resources.time}} {{#resources}}{{mem}}{{/resources}} {{#init}}{{.}}{{/init}}\n"
        mine.write_text("".join(lines))
        self.assertExit(self.jobsub("--yes", cwd=exp), 0)
