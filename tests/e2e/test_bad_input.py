"""Issue 7: bad input, signals and honest records, tried from the user's side:
the built binary, real processes, a real terminal where it matters."""
import json
import os
import pathlib
import signal
import subprocess
import sys
import time

from harness import JOBSUB, JobsubTestCase, Terminal, clean_env

OK_SPEC = "program: prog.py\ncommand: python3 {script} {args}\nhypers: {lr: [0.1, 0.01]}\n"
HUGE = "a=range(0,1000000000000)"


class BadInput(JobsubTestCase):
    def assertNoResults(self, exp):
        self.assertFalse((pathlib.Path(exp) / "results").exists(), "a failed run must leave no results/")

    def assertNoFile(self, name):
        found = [str(p) for p in self.tmp.rglob(name)]
        self.assertEqual(found, [], f"{name} was created: a value ran as shell")

    # ------------------------------------------------------------ point 2: every phase stops

    def interrupt_when(self, proc, ready, sig):
        """Sends `sig` once `ready()` holds (bounded wait), returns (exit code, stderr)."""
        deadline = time.time() + 60
        while not ready() and time.time() < deadline and proc.poll() is None:
            time.sleep(0.02)
        self.assertIsNone(proc.poll(), "jobsub ended before it could be interrupted")
        proc.send_signal(sig)
        try:
            _, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            self.fail(f"jobsub did not stop within 30 s of {sig.name}")
        return proc.returncode, err

    def test_dry_run_of_a_huge_sweep_stops_on_ctrl_c_and_sigterm(self):
        exp = self.experiment(OK_SPEC)
        for sig in (signal.SIGINT, signal.SIGTERM):
            out = self.tmp / f"dry-{sig.name}.txt"
            with open(out, "w") as sink:
                proc = subprocess.Popen([JOBSUB, "--dry-run", "--max-jobs", "10000000000000", HUGE], cwd=exp,
                                        env=clean_env(), stdin=subprocess.DEVNULL, stdout=sink,
                                        stderr=subprocess.PIPE, text=True)
                code, err = self.interrupt_when(proc, lambda: out.stat().st_size > 100_000, sig)
            self.assertEqual(code, 130, err)
            self.assertIn("dry run interrupted at job", err)
            self.assertNoResults(exp)

    def test_ctrl_c_while_writing_records_leaves_nothing(self):
        exp = self.experiment(OK_SPEC)
        proc = subprocess.Popen([JOBSUB, "--manual", "a=range(0,2000000)"], cwd=exp, env=clean_env(),
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        commands = lambda: any((exp / "results").glob("*/*/commands")) if (exp / "results").exists() else False
        code, err = self.interrupt_when(proc, commands, signal.SIGINT)
        self.assertEqual(code, 130, err)
        self.assertIn("interrupted before anything was submitted", err)
        self.assertNoResults(exp)

    # ------------------------------------------------------------ point 3: sizes that cannot work

    def test_a_huge_range_is_refused_up_front_without_building_it(self):
        exp = self.experiment(OK_SPEC)
        # RSS of the child, measured by a parent that runs nothing else.
        probe = ("import resource, subprocess, sys\n"
                 "r = subprocess.run(sys.argv[1:], capture_output=True, text=True, stdin=subprocess.DEVNULL)\n"
                 "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
                 "sys.stderr.write(r.stderr)\n")
        result = subprocess.run([sys.executable, "-c", probe, JOBSUB, "--yes", HUGE], cwd=exp, env=clean_env(),
                                capture_output=True, text=True, timeout=120)
        code, max_rss_kib = map(int, result.stdout.split())
        # The same refusal of a 2-job sweep is the baseline (a sanitizer build's is near 100 MiB).
        small = subprocess.run([sys.executable, "-c", probe, JOBSUB, "--yes", "--max-jobs", "1", "a=range(0,2)"],
                               cwd=exp, env=clean_env(), capture_output=True, text=True, timeout=120)
        small_code, baseline_kib = map(int, small.stdout.split())
        self.assertEqual(small_code, 3, small.stderr)
        self.assertEqual(code, 3, result.stderr)
        self.assertIn("the sweep has 2000000000000 jobs, more than --max-jobs 10000000: nothing was written",
                      result.stderr)
        self.assertIn("pass --max-jobs 2000000000000 if you mean it", result.stderr)
        self.assertLess(max_rss_kib - baseline_kib, 20 * 1024, "a range must not be built in memory")
        self.assertNoResults(exp)

    def test_max_jobs_is_a_limit_the_user_sets(self):
        exp = self.experiment(OK_SPEC)
        refused = self.jobsub("--dry-run", "--max-jobs", "3", "a=range(0,2)", cwd=exp)
        self.assertExit(refused, 3)
        self.assertIn("the sweep has 4 jobs, more than --max-jobs 3", refused.stderr)
        allowed = self.jobsub("--dry-run", "--max-jobs", "4", "a=range(0,2)", cwd=exp)
        self.assertExit(allowed, 0)
        self.assertIn("job 4: python3", allowed.stdout)
        self.assertExit(self.jobsub("--dry-run", "--max-jobs", "0", cwd=exp), 2)
        # The random sweeper refuses before it draws (it holds one index per job).
        sample = self.jobsub("--dry-run", "--sweeper=random", "--sample", "100000000000", HUGE, cwd=exp)
        self.assertExit(sample, 3)
        self.assertIn("--sample 100000000000 is more than --max-jobs 10000000", sample.stderr)

    def test_ranges_in_the_spec_and_overrides_are_pythons(self):
        flow = self.experiment("program: prog.py\nhypers: {a: range(5,-5,-4)}\n", name="flow")
        cut = self.jobsub("--yes", cwd=flow)
        self.assertExit(cut, 3)
        self.assertIn("'range(5' is a range() cut at a comma", cut.stderr)
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers:\n  a: range(5,-5,-4)\n")
        result = self.jobsub("--yes", cwd=exp)
        self.assertExit(result, 0)
        results = self.only_results_dir(exp)
        self.assertEqual([self.job_stdout_json(results, j) for j in (1, 2, 3)], [["--a=5"], ["--a=1"], ["--a=-3"]])
        sweep = json.loads((results / "sweep.json").read_text())
        self.assertEqual(sweep["hypers"], [{"a": [{"range": {"start": 5, "stop": -5, "step": -4}}]}])

    # ------------------------------------------------------------ point 4: no injection into scripts

    def test_a_name_with_a_newline_cannot_run_shell(self):
        exp = self.experiment(OK_SPEC)
        for name in ("x\ntouch PWNED #", "a\nb"):
            result = self.jobsub("--yes", "--name", name, cwd=exp)
            self.assertExit(result, 3)
            self.assertIn("holds a control character", result.stderr)
            self.assertNotIn("sweep '", result.stdout, "refused before the summary prints the name")
        self.assertNoFile("PWNED")
        self.assertNoResults(exp)

    def test_names_and_paths_with_shell_syntax_reach_scripts_inert(self):
        # Every generated-script field a user sets: the name, the experiment's
        # path, a resource (one the local scheduler only writes down: it reads
        # time, mem, cpus and gpus). The local scheduler runs the real script.
        exp = self.experiment(OK_SPEC, name="exp $(touch PWNED) `touch PWNED`; it's")
        result = self.jobsub("--yes", "--name", "n $(touch PWNED); 'q' \"d\" `x`", "--resource",
                             "account=$(touch PWNED)", cwd=exp)
        self.assertExit(result, 0)
        self.assertNoFile("PWNED")
        results = self.only_results_dir(exp)
        self.assertEqual([self.job_stdout_json(results, j) for j in (1, 2)], [["--lr=0.1"], ["--lr=0.01"]])

    def test_a_resource_with_a_newline_is_refused(self):
        exp = self.experiment(OK_SPEC)
        result = self.jobsub("--yes", "--resource", "time=1h\ntouch PWNED", cwd=exp)
        self.assertExit(result, 3)
        self.assertIn("resources.time", result.stderr)
        self.assertIn("holds a control character", result.stderr)
        self.assertNoFile("PWNED")
        self.assertNoResults(exp)

    # ------------------------------------------------------------ point 5: records say what happened

    def test_a_template_that_is_a_directory_or_empty_is_an_error(self):
        exp = self.experiment(OK_SPEC)
        (exp / "empty.mustache").write_text("\n")
        directory = self.jobsub("--yes", "--template", str(self.tmp), cwd=exp)
        self.assertExit(directory, 3)
        self.assertIn(f"template {self.tmp} (command line) is a directory", directory.stderr)
        empty = self.jobsub("--yes", "--template", "empty.mustache", cwd=exp)
        self.assertExit(empty, 3)
        self.assertIn("empty.mustache (command line) is empty", empty.stderr)
        self.assertNoResults(exp)

    def test_manual_prints_a_command_that_runs_the_jobs_on_local(self):
        exp = self.experiment(OK_SPEC)
        result = self.jobsub("--manual", cwd=exp)
        self.assertExit(result, 0)
        lines = result.stdout.splitlines()
        command = lines[lines.index("submit it yourself with:") + 1].strip()
        by_hand = subprocess.run(command, shell=True, cwd=self.tmp, capture_output=True, text=True, timeout=120)
        self.assertEqual(by_hand.returncode, 0, by_hand.stderr)
        results = self.only_results_dir(exp)
        self.assertEqual([self.job_stdout_json(results, j) for j in (1, 2)], [["--lr=0.1"], ["--lr=0.01"]])
        self.assertEqual([(results / "jobs" / f"{j:04d}" / "exit_code").read_text().strip() for j in (1, 2)],
                         ["0", "0"])

    def test_leaving_at_the_first_prompt_leaves_nothing(self):
        for leave in ("exit", "eof", "ctrl-c"):
            exp = self.experiment(OK_SPEC, name=f"exp-{leave}")
            term = Terminal([], cwd=exp)
            term.read_until("(y/n/all/exit)")
            if leave == "exit":
                term.send("exit")
            elif leave == "eof":
                os.write(term.fd, b"\x04")
            else:
                term.interrupt()
            code = term.wait()
            self.assertEqual(code, 130 if leave == "ctrl-c" else 0, term.text)
            self.assertNoResults(exp)

    # ------------------------------------------------------------ point 6: silent mistakes are errors

    def test_a_key_written_twice_is_an_error_naming_both_lines(self):
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers:\n  lr: [1]\n  lr: [2]\n")
        result = self.jobsub("--dry-run", cwd=exp)
        self.assertExit(result, 3)
        self.assertIn("jobsub.yaml:5: key 'lr' is written twice (lines 4 and 5)", result.stderr)

    def test_nul_cannot_reach_a_program(self):
        exp = self.experiment('program: prog.py\ncommand: python3 {script} {args}\nhypers:\n  lr: ["a\\0b"]\n')
        result = self.jobsub("--dry-run", cwd=exp)
        self.assertExit(result, 3)
        self.assertIn("jobsub.yaml:4: key 'hypers.lr': holds a NUL character", result.stderr)
        (exp / "jobsub.yaml").write_bytes(b"program: prog.py\nhypers:\n  lr: [a\0b]\n")
        raw = self.jobsub("--dry-run", cwd=exp)
        self.assertExit(raw, 3)
        self.assertIn("jobsub.yaml:3: a NUL byte", raw.stderr)

    def test_a_command_without_args_is_refused_unless_allowed(self):
        exp = self.experiment("program: prog.py\ncommand: python3 {script}\nhypers: {lr: [0.1, 0.01]}\n")
        refused = self.jobsub("--yes", cwd=exp)
        self.assertExit(refused, 3)
        self.assertIn("has no {args}, so all 2 jobs would run the same command", refused.stderr)
        self.assertNoResults(exp)
        allowed = self.jobsub("--yes", "--allow-no-args", cwd=exp)
        self.assertExit(allowed, 0)

    def test_override_and_spec_slips(self):
        exp = self.experiment(OK_SPEC)
        trailing = self.jobsub("--dry-run", "lr=1,", cwd=exp)
        self.assertExit(trailing, 2)
        self.assertIn("override 'lr=1,': empty element in the list", trailing.stderr)
        setting = self.jobsub("--dry-run", "layout=skeleton", cwd=exp)
        self.assertExit(setting, 2)
        self.assertIn("'layout=skeleton' names the setting 'layout', not a hyperparameter: write --layout=skeleton",
                      setting.stderr)
        empty = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers:\n  lr:\n", name="e2")
        result = self.jobsub("--dry-run", cwd=empty)
        self.assertExit(result, 3)
        self.assertIn("jobsub.yaml:4: key 'hypers.lr': has no value", result.stderr)
        explicit = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers:\n  lr: null\n",
                                   name="e3")
        self.assertExit(self.jobsub("--dry-run", cwd=explicit), 0)

    # ------------------------------------------------------------ point 7: messages and exit codes

    def test_no_spec_says_there_is_no_spec(self):
        result = self.jobsub("--yes", cwd=self.tmp)
        self.assertExit(result, 3)
        self.assertIn(f"there is no jobsub.yaml in {self.tmp} (and no --spec)", result.stderr)

    def test_spec_that_is_a_directory_and_a_program_that_is_a_directory(self):
        exp = self.experiment(OK_SPEC)
        result = self.jobsub("--yes", "--spec", str(exp), cwd=self.tmp)
        self.assertExit(result, 3)
        self.assertIn(f"{exp} is a directory, not a spec file: did you mean {exp}/jobsub.yaml?", result.stderr)
        dot = self.jobsub("--yes", "--program", ".", cwd=exp)
        self.assertExit(dot, 3)
        self.assertIn("is a directory, not a program", dot.stderr)

    def test_tab_in_indentation_is_named(self):
        exp = self.experiment("program: prog.py\nhypers:\n\tlr: [1]\n")
        result = self.jobsub("--yes", cwd=exp)
        self.assertExit(result, 3)
        self.assertIn("line 3 is indented with a tab; YAML indents with spaces only", result.stderr)

    def test_results_dir_that_cannot_be_made_is_a_layout_error(self):
        exp = self.experiment(OK_SPEC)
        (exp / "results").write_text("a file where the results directory goes\n")
        result = self.jobsub("--yes", cwd=exp)
        self.assertExit(result, 3)
        self.assertIn("cannot create the results directory", result.stderr)

    def test_bad_numbers_on_the_command_line_are_usage_errors(self):
        exp = self.experiment(OK_SPEC)
        for args in (("-j", "-1"), ("-j", "x"), ("--poll", "-1"), ("--max-jobs", "-5")):
            result = self.jobsub("--yes", *args, cwd=exp)
            self.assertExit(result, 2)
        self.assertNoResults(exp)

    def test_unknown_option_suggests_and_dry_run_with_manual_is_refused(self):
        exp = self.experiment(OK_SPEC)
        result = self.jobsub("--yes", "--dry-rn", cwd=exp)
        self.assertExit(result, 2)
        self.assertIn("unknown option '--dry-rn' (did you mean '--dry-run'?)", result.stderr)
        both = self.jobsub("--dry-run", "--manual", cwd=exp)
        self.assertExit(both, 2)
        self.assertIn("--dry-run and --manual together", both.stderr)

    def test_help_as_in_git_and_cargo(self):
        general = self.jobsub("help")
        self.assertExit(general, 0)
        self.assertIn("  submit    expand the sweep and submit its jobs (the default)", general.stdout)
        self.assertIn("  plugins   list plugins and the search path", general.stdout)
        self.assertIn("--spec FILE", general.stdout)
        self.assertIn("--poll SECONDS (=5)", general.stdout)
        self.assertNotIn(" arg ", general.stdout)
        self.assertIn("Examples:", general.stdout)
        self.assertEqual(general.stdout, self.jobsub("--help").stdout)
        plugins = self.jobsub("help", "plugins")
        self.assertExit(plugins, 0)
        self.assertIn("Usage: jobsub plugins", plugins.stdout)
        self.assertExit(self.jobsub("help", "nope"), 2)

    def test_global_options_go_before_or_after_any_command_which_refuses_one_it_has_no_use_for(self):
        """Issue 18, point 4: the global options are declared once; every command's
        options and help come from Boost.Program_options declarations."""
        exp = self.experiment(OK_SPEC)
        self.assertExit(self.jobsub("--yes", cwd=exp), 0)
        spec = str(exp / "jobsub.yaml")
        before, after = self.jobsub("--spec", spec, "list"), self.jobsub("list", f"--spec={spec}")
        self.assertExit(before, 0)
        self.assertEqual(before.stdout, after.stdout)
        self.assertIn("2 completed", before.stdout)
        self.assertExit(self.jobsub("--poll", "1", "status", cwd=exp), 0)
        self.assertExit(self.jobsub("status", "--poll", "1", "--all", cwd=exp), 0)
        refused = self.jobsub("list", "--site", "hpc", cwd=exp)
        self.assertExit(refused, 2)
        self.assertIn("jobsub list does not take --site", refused.stderr)
        self.assertIn("jobsub sites does not take --poll", self.jobsub("--poll", "2", "sites").stderr)
        self.assertIn("unknown option '--dry' (did you mean '--dry-run'?)", self.jobsub("--dry", cwd=exp).stderr)
        unknown = self.jobsub("status", "--wat", cwd=exp)  # no guessing: a typo is named, not taken
        self.assertExit(unknown, 2)
        self.assertIn("unknown option '--wat' (did you mean '--watch'?)", unknown.stderr)
        for bad in ("0", "-1", "x", ""):
            result = self.jobsub("status", "--poll", bad, cwd=exp)
            self.assertExit(result, 2)
            self.assertIn("--poll takes a number of seconds > 0", result.stderr)
        self.assertExit(self.jobsub("logs", cwd=exp), 2)
        extra = self.jobsub("status", "a", "b", cwd=exp)
        self.assertExit(extra, 2)
        self.assertIn("unexpected argument 'b'", extra.stderr)
        helped = self.jobsub("help", "status")
        self.assertExit(helped, 0)
        self.assertEqual(helped.stdout, self.jobsub("status", "--help").stdout)
        for line in ("Usage: jobsub status [SWEEP] [OPTIONS]", "  --watch ", "Global options (also before the command):",
                     "  --spec FILE ", "  --poll SECONDS (=5) ", "Exit codes: "):
            self.assertIn(line, helped.stdout)
        self.assertNotIn("--site", helped.stdout)

    # ------------------------------------------------------------ point 8: small things

    def test_a_failed_test_job_shows_the_end_of_its_stderr(self):
        program = "import sys\nsys.stderr.write('loading\\nTraceback: boom\\nValueError: lr\\n')\nsys.exit(2)\n"
        exp = self.experiment(OK_SPEC, program=program)
        term = Terminal([], cwd=exp)
        term.read_until("(y/n/all/exit)")
        term.send("Y")
        term.read_until("(y/n/all/exit)")
        term.send("exit")
        self.assertEqual(term.wait(), 1, term.text)
        self.assertIn("job 1/2 failed (exit 2)", term.text)
        self.assertIn("    | Traceback: boom\r\n    | ValueError: lr", term.text)

    def test_show_config_quotes_a_one_string_value(self):
        exp = self.experiment(OK_SPEC)
        result = self.jobsub("--show-config", "tag='a,b',c", "seed=range(0,3)", "x='1'", cwd=exp)
        self.assertExit(result, 0)
        self.assertIn("hypers.tag = ['a,b', c]    (command line)", result.stdout)
        self.assertIn("hypers.seed = [range(0,3)]    (command line)", result.stdout)
        self.assertIn("hypers.x = ['1']    (command line)", result.stdout)
