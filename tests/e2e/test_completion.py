"""Issue 23, point 4: `jobsub completion bash|zsh|fish`. Each script is loaded
into its real shell (Debian's bash, zsh and fish) and asked what TAB offers:
bash through its completion function (which uses compgen), fish through
`complete -C`, zsh checked with `zsh -n` and loaded through compinit. Commands,
options, plugin names, and sweep names and job numbers read from the store."""
import pathlib
import shutil
import subprocess
import unittest

from harness import JOBSUB, JobsubTestCase, clean_env


class Completion(JobsubTestCase):
    def setUp(self):
        super().setUp()
        # The scripts call `jobsub completion --sweeps` when TAB is pressed: jobsub is on PATH, as installed.
        self.env = clean_env(PATH=f"{pathlib.Path(JOBSUB).parent}:{clean_env()['PATH']}")

    def script(self, shell):
        result = self.jobsub("completion", shell, env=self.env)
        self.assertExit(result, 0)
        path = self.tmp / f"jobsub.{shell}"
        path.write_text(result.stdout)
        return path

    def bash_complete(self, words, cwd=None):
        """What TAB offers after `words` (the last one being completed) in bash."""
        script = self.script("bash") if not (self.tmp / "jobsub.bash").exists() else self.tmp / "jobsub.bash"
        quoted = " ".join("'" + w.replace("'", "'\\''") + "'" for w in words)
        program = (f"source '{script}'\nCOMP_WORDS=({quoted})\nCOMP_CWORD={len(words) - 1}\n"
                   "_jobsub\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n")
        result = subprocess.run(["bash", "-c", program], cwd=cwd or self.tmp, env=self.env, capture_output=True,
                                text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        return [line for line in result.stdout.splitlines() if line]

    def two_sweeps(self):
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nformatter: argparse\n"
                              "hypers: {x: [1, 2, 3]}\n")
        self.assertExit(self.jobsub("--yes", cwd=exp, env=self.env), 0)
        self.assertExit(self.jobsub("--yes", "--rerun-completed", "x=1", cwd=exp, env=self.env), 0)
        return exp

    def test_bash_completes_commands_options_and_plugin_names(self):
        self.assertEqual(self.bash_complete(["jobsub", "sta"]), ["status"])
        self.assertIn("completion", self.bash_complete(["jobsub", ""]))
        self.assertEqual(self.bash_complete(["jobsub", "status", "--fa"]), ["--failed"])
        self.assertIn("--canary", self.bash_complete(["jobsub", "--ca"]))  # submit's, with no command
        self.assertIn("--local.jobs-per-gpu", self.bash_complete(["jobsub", "--local.j"]))  # a plugin's option
        self.assertEqual(sorted(self.bash_complete(["jobsub", "--scheduler", ""])),
                         ["local", "lsf", "pbs", "sge", "slurm"])
        self.assertEqual(self.bash_complete(["jobsub", "--formatter", "=", "sa"]), ["sacred"])

    def test_bash_completes_sweeps_and_job_numbers_from_the_store(self):
        exp = self.two_sweeps()
        sweeps = sorted(str(p.relative_to(exp)) for p in self.results_dirs(exp))
        self.assertEqual(sorted(self.bash_complete(["jobsub", "status", "res"], cwd=exp)), sweeps)
        # logs [SWEEP] JOB: the sweeps, and the latest sweep's job numbers (it has one job).
        self.assertEqual(sorted(self.bash_complete(["jobsub", "logs", ""], cwd=exp)), ["1"] + sweeps)
        # No store here: nothing offered, no error.
        self.assertEqual(self.bash_complete(["jobsub", "status", ""]), [])

    def test_fish_completes_through_its_own_complete(self):
        if shutil.which("fish") is None:
            self.skipTest("fish is not installed (scripts/install-deps.sh installs it)")
        script = self.script("fish")
        self.assertEqual(subprocess.run(["fish", "-n", str(script)], capture_output=True, text=True).returncode, 0)
        exp = self.two_sweeps()

        def offered(line):
            result = subprocess.run(["fish", "-c", f"source '{script}'; complete -C '{line}'"], cwd=exp,
                                    env=self.env, capture_output=True, text=True, timeout=60)
            self.assertEqual(result.returncode, 0, result.stderr)
            return [l.split("\t")[0] for l in result.stdout.splitlines()]

        self.assertIn("status", offered("jobsub sta"))
        self.assertIn("--failed", offered("jobsub status --fa"))
        self.assertEqual(sorted(offered("jobsub --scheduler ")), ["local", "lsf", "pbs", "sge", "slurm"])
        self.assertIn(str(self.results_dirs(exp)[0].relative_to(exp)), offered("jobsub status "))

    def test_zsh_loads_it(self):
        if shutil.which("zsh") is None:
            self.skipTest("zsh is not installed (scripts/install-deps.sh installs it)")
        script = self.script("zsh")
        self.assertEqual(subprocess.run(["zsh", "-n", str(script)], capture_output=True, text=True).returncode, 0)
        result = subprocess.run(["zsh", "-f", "-c", f"autoload -U compinit && compinit -u -D; source '{script}'; "
                                 "print -r -- ${_comps[jobsub]}"], env=self.env, capture_output=True, text=True,
                                timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("_jobsub", result.stdout)

    def test_an_unknown_shell_is_a_usage_error(self):
        result = self.jobsub("completion", "tcsh", env=self.env)
        self.assertExit(result, 2)
        self.assertIn("no completion for 'tcsh': jobsub completion bash, zsh or fish", result.stderr)


if __name__ == "__main__":
    unittest.main()
