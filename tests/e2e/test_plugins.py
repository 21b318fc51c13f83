"""Issue 2, points 3-4: plugins found on the search path, checked, and built
out of tree against the installed SDK."""
import os
import pathlib
import shutil
import subprocess

from harness import BUILD_DIR, JOBSUB, SOURCE_DIR, TEST_PLUGINS, JobsubTestCase, clean_env

BUNDLED = ["layout plain", "layout skeleton", "sweeper grid", "sweeper random", "formatter argparse",
           "formatter hydra", "formatter sacred", "scheduler local", "command plugins", "command submit"]


class Plugins(JobsubTestCase):
    def test_lists_every_bundled_plugin_and_the_search_path(self):
        result = self.jobsub("plugins", env=clean_env(JOBSUB_PLUGIN_PATH="/nonexistent/a:/nonexistent/b"))
        self.assertExit(result, 0)
        lines = [" ".join(line.split()[:2]) for line in result.stdout.splitlines()]
        for plugin in BUNDLED:
            self.assertIn(plugin, lines)
        out = result.stdout
        home = os.path.expanduser("~/.local/lib/jobsub/plugins")
        order = ["/nonexistent/a", "/nonexistent/b", home, str(pathlib.Path(JOBSUB).resolve().parent.parent / "lib/jobsub/plugins")]
        positions = [out.index(p) for p in order]
        self.assertEqual(positions, sorted(positions), out)
        self.assertIn("ABI", out)
        self.assertIn("jobsub-formatter-sacred.so", out)

    def test_plugin_dir_comes_first_and_duplicates_are_named(self):
        result = self.jobsub("plugins", "--plugin-dir", str(TEST_PLUGINS / "dup2"),
                             env=clean_env(JOBSUB_PLUGIN_PATH=str(TEST_PLUGINS / "dup1")))
        self.assertExit(result, 0)
        self.assertIn(f"formatter upper", " ".join(result.stdout.split()))
        self.assertIn(str(TEST_PLUGINS / "dup2/jobsub-formatter-upper.so") + "\n", result.stdout)
        self.assertIn(f"Shadowed (an earlier directory of the search path provides the same kind and name):\n"
                      f"  {TEST_PLUGINS}/dup1/jobsub-formatter-upper.so: not used; "
                      f"{TEST_PLUGINS}/dup2/jobsub-formatter-upper.so is\n", result.stdout)
        # A global option may come before the command too, as git's -C does.
        before = self.jobsub("--plugin-dir", str(TEST_PLUGINS / "dup2"), "plugins",
                             env=clean_env(JOBSUB_PLUGIN_PATH=str(TEST_PLUGINS / "dup1")))
        self.assertExit(before, 0)
        self.assertEqual(before.stdout, result.stdout)
        # A sweep that uses the shadowing plugin says so in one line.
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers: {lr: [1]}\n")
        sweep = self.jobsub("--dry-run", "--formatter=upper", "--plugin-dir", str(TEST_PLUGINS / "dup2"), cwd=exp,
                            env=clean_env(JOBSUB_PLUGIN_PATH=str(TEST_PLUGINS / "dup1")))
        self.assertExit(sweep, 0)
        self.assertIn(f"jobsub: note: formatter 'upper' is {TEST_PLUGINS}/dup2/jobsub-formatter-upper.so, which "
                      f"shadows {TEST_PLUGINS}/dup1/jobsub-formatter-upper.so\n", sweep.stdout)

    def test_misused_plugins_give_their_reason_not_a_crash(self):
        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers: {lr: [1]}\n")
        bad = ["--plugin-dir", str(TEST_PLUGINS / "bad")]
        kind = self.jobsub("--dry-run", "--sweeper=wrongkind", *bad, cwd=exp)  # was SIGSEGV
        self.assertExit(kind, 4)
        self.assertIn("sweeper 'wrongkind' cannot be used: ", kind.stderr)
        self.assertIn("reports interface jobsub::Formatter/2, but a sweeper must implement jobsub::Sweeper/2",
                      kind.stderr)
        throws = self.jobsub("--dry-run", "--formatter=throws", *bad, cwd=exp)
        self.assertExit(throws, 4)
        self.assertIn("could not create its formatter 'throws': cannot read the licence file /opt/upper/licence",
                      throws.stderr)
        # The broken files do not stop the others: the sweep with a good plugin runs.
        self.assertExit(self.jobsub("--dry-run", "--formatter=upper", *bad, cwd=exp), 0)

    def test_check_says_why_a_file_does_or_does_not_load(self):
        good = self.jobsub("plugins", "check", str(BUILD_DIR / "lib/jobsub/plugins/jobsub-sweeper-random.so"))
        self.assertExit(good, 0)
        self.assertIn("loads: plugin 'random' version 1.0.0, ABI 4", good.stdout)
        self.assertIn("--sample N", good.stdout)
        bad = self.jobsub("plugins", "check", str(TEST_PLUGINS / "bad/jobsub-formatter-notelf.so"))
        self.assertExit(bad, 4)
        self.assertIn("does not load: not a shared library", bad.stdout)
        noentry = self.jobsub("plugins", "check", str(TEST_PLUGINS / "bad/jobsub-formatter-noentry.so"))
        self.assertIn("no entry point 'jobsub_plugin_entry'", noentry.stdout)
        misnamed = self.tmp / "myplugin.so"
        misnamed.write_text("")
        self.assertIn("plugin files are named jobsub-<kind>-<name>.so",
                      self.jobsub("plugins", "check", str(misnamed)).stdout)

    def test_out_of_tree_plugin_against_the_installed_sdk(self):
        prefix = self.tmp / "prefix"
        subprocess.run(["cmake", "--install", str(BUILD_DIR), "--prefix", str(prefix)], check=True,
                       capture_output=True)
        installed = prefix / "bin/jobsub"
        for path in ["include/jobsub/plugin.h", "include/jobsub/version.h", "lib/cmake/jobsub/jobsubConfig.cmake",
                     "lib/jobsub/plugins/jobsub-formatter-sacred.so"]:
            self.assertTrue((prefix / path).exists(), path)

        sdk_build = self.tmp / "sdk-build"
        standin = self.tmp / "standin-lsf"  # the stand-in LSF clients, for the installed scenario kit
        standin.mkdir()
        for client in ("bsub", "bjobs", "bkill"):
            (standin / client).symlink_to(SOURCE_DIR / "tests/e2e/fake_lsf.py")
        configure = subprocess.run(["cmake", "-S", str(SOURCE_DIR / "tests/plugin-sdk"), "-B", str(sdk_build),
                                    f"-DCMAKE_PREFIX_PATH={prefix}", "-DCMAKE_BUILD_TYPE=Release",
                                    f"-DSTANDIN_LSF_BIN={standin}", f"-DSTANDIN_PYTHONPATH={SOURCE_DIR / 'tests/e2e'}"],
                                   capture_output=True, text=True)
        self.assertEqual(configure.returncode, 0, configure.stdout + configure.stderr)
        build = subprocess.run(["cmake", "--build", str(sdk_build), "-j2"], capture_output=True, text=True)
        self.assertEqual(build.returncode, 0, build.stdout + build.stderr)
        # The installed scenario kit (jobsub_add_scheduler_scenarios, share/jobsub/scenarios) passes
        # on the installed jobsub's lsf scheduler: what a scheduler author runs on theirs.
        scenarios = subprocess.run(["ctest", "--test-dir", str(sdk_build), "--output-on-failure"],
                                   capture_output=True, text=True, timeout=900)
        self.assertEqual(scenarios.returncode, 0, scenarios.stdout + scenarios.stderr)
        self.assertIn("100% tests passed, 0 tests failed out of 1", scenarios.stdout)

        drop = self.tmp / "my-plugins"
        drop.mkdir()
        shutil.copy(sdk_build / "jobsub-formatter-shout.so", drop)
        shutil.copy(sdk_build / "jobsub-formatter-future.so", drop)
        env = clean_env(JOBSUB_PLUGIN_PATH=str(drop))

        listing = subprocess.run([str(installed), "plugins"], env=env, capture_output=True, text=True)
        self.assertEqual(listing.returncode, 0, listing.stderr)
        self.assertRegex(listing.stdout, r"formatter\s+shout\s+2\.3\.4\s+4\s+" + str(drop / "jobsub-formatter-shout.so"))
        self.assertIn(f"{drop}/jobsub-formatter-future.so: built for plugin ABI 5; this jobsub 0.1.0 supports ABI 4",
                      listing.stdout)

        exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers: {lr: [0.1, 0.01]}\n")
        used = subprocess.run([str(installed), "--yes", "--formatter=shout", "--separator=@"], cwd=exp, env=env,
                              capture_output=True, text=True, stdin=subprocess.DEVNULL)
        self.assertEqual(used.returncode, 0, used.stdout + used.stderr)
        results = self.only_results_dir(exp)
        self.assertEqual(self.job_stdout_json(results, 2), ["LR@0.01"])

        # The refused plugin is an error only when it is the one asked for.
        refused = subprocess.run([str(installed), "--yes", "--formatter=future"], cwd=exp, env=env,
                                 capture_output=True, text=True, stdin=subprocess.DEVNULL)
        self.assertEqual(refused.returncode, 4)
        self.assertIn("formatter 'future' cannot be used", refused.stderr)
        self.assertIn("built for plugin ABI 5", refused.stderr)
        self.assertIn("upgrade jobsub", refused.stderr)
        still = subprocess.run([str(installed), "--yes", "--formatter=sacred", "--command=python3 {script} with {args}"],
                               cwd=exp, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        self.assertEqual(still.returncode, 0, still.stdout + still.stderr)


class Scaffold(JobsubTestCase):
    """Issue 12, point 3: `jobsub plugins new KIND NAME` writes a project that
    builds as it is against the installed package, passes `plugins check`,
    and runs in a sweep: all five kinds at once."""

    def test_every_kind_builds_loads_and_runs(self):
        prefix = self.tmp / "prefix"
        subprocess.run(["cmake", "--install", str(BUILD_DIR), "--prefix", str(prefix)], check=True,
                       capture_output=True)
        installed = str(prefix / "bin/jobsub")
        for example in ("formatter-shout/shout.cpp", "scheduler-serial/serial.cpp"):
            self.assertTrue((prefix / "share/jobsub/examples/plugins" / example).exists(), example)
        guide = prefix / "share/doc/jobsub/plugin-guide.md"
        self.assertIn("## Scheduler plugins", guide.read_text())  # the docs are installed with the SDK
        work = self.tmp / "plugins"
        kinds = ["layout", "sweeper", "formatter", "scheduler", "command"]
        for kind in kinds:
            made = subprocess.run([installed, "plugins", "new", kind, "demo", str(work / kind)], capture_output=True,
                                  text=True, cwd=self.tmp)
            self.assertEqual(made.returncode, 0, made.stderr)
            self.assertIn(f"a {kind} plugin 'demo'", made.stdout)
        batch = subprocess.run([installed, "plugins", "new", "scheduler", "qdemo", str(work / "batch"), "--batch"],
                               capture_output=True, text=True, cwd=self.tmp)
        self.assertEqual(batch.returncode, 0, batch.stderr)
        again = subprocess.run([installed, "plugins", "new", "formatter", "demo", str(work / "formatter")],
                               capture_output=True, text=True)
        self.assertEqual(again.returncode, 2)
        self.assertIn("exists and is not empty", again.stderr)
        # One configure for the five projects, each built exactly as written.
        (work / "CMakeLists.txt").write_text("cmake_minimum_required(VERSION 3.25)\nproject(all LANGUAGES CXX)\n" +
                                             "".join(f"add_subdirectory({k})\n" for k in kinds + ["batch"]))
        configure = subprocess.run(["cmake", "-S", str(work), "-B", str(work / "build"), f"-DCMAKE_PREFIX_PATH={prefix}",
                                    "-DCMAKE_BUILD_TYPE=Release", "-DCMAKE_CXX_FLAGS=-Wall -Wextra -Werror"],
                                   capture_output=True, text=True)
        self.assertEqual(configure.returncode, 0, configure.stdout + configure.stderr)
        build = subprocess.run(["cmake", "--build", str(work / "build"), "-j2"], capture_output=True, text=True)
        self.assertEqual(build.returncode, 0, build.stdout + build.stderr)
        dirs = [str(work / "build" / k) for k in kinds]
        for kind, d in zip(kinds, dirs):
            check = subprocess.run([installed, "plugins", "check", f"{d}/jobsub-{kind}-demo.so"], capture_output=True,
                                   text=True)
            self.assertEqual(check.returncode, 0, check.stdout)
        batch_plugin = f"{work}/build/batch/jobsub-scheduler-qdemo.so"
        check = subprocess.run([installed, "plugins", "check", batch_plugin], capture_output=True, text=True)
        self.assertEqual(check.returncode, 0, check.stdout)
        self.assertIn("--qdemo.client-timeout SECONDS", check.stdout)
        env = clean_env(JOBSUB_PLUGIN_PATH=":".join(dirs + [f"{work}/build/batch"]))
        exp = self.experiment("program: prog.py\nhypers: {lr: [0.1, 0.01]}\n")
        # The batch scheduler's starting point renders and plans as it is (its client does not exist here).
        planned = subprocess.run([installed, "--dry-run", "--scheduler=qdemo", "--resource", "time=1h",
                                  "--command=python3 {script} {args}"], cwd=exp, env=env, capture_output=True,
                                 text=True, stdin=subprocess.DEVNULL)
        self.assertEqual(planned.returncode, 0, planned.stdout + planned.stderr)
        self.assertIn("#qdemo --time=01:00:00", planned.stdout)
        self.assertRegex(planned.stdout, r"qdemo-submit '--env=JOBSUB_OFFSET=0' '--tasks=1-2' \S*batch-1\.sh")
        (exp / "data").mkdir()
        sweep = subprocess.run([installed, "--yes", "--layout=demo", "--sweeper=demo", "--formatter=demo",
                                "--scheduler=demo", "--command=python3 {script} {args}"], cwd=exp, env=env,
                               capture_output=True, text=True, stdin=subprocess.DEVNULL)
        self.assertEqual(sweep.returncode, 0, sweep.stdout + sweep.stderr)
        results = self.only_results_dir(exp)
        # The sweeper runs the grid last first; the formatter writes --key value pairs.
        self.assertEqual([self.job_stdout_json(results, j) for j in (1, 2)], [["--lr", "0.01"], ["--lr", "0.1"]])
        self.assertEqual([r["state"] for r in self.jobs_table(results)], ["completed", "completed"])
        # The command, built against the SDK alone, reads jobsub's records through the host.
        command = subprocess.run([installed, "demo", "a", "b"], cwd=exp, env=env, capture_output=True, text=True)
        self.assertEqual(command.returncode, 0, command.stderr)
        self.assertIn("jobsub demo: 2 argument(s);", command.stdout)
        self.assertIn("; 1 sweep(s) recorded here", command.stdout)


class PluginOptions(JobsubTestCase):
    """Issue 12, point 2: every plugin option has a qualified name; the short
    form only when unambiguous; flags take no value. The `opts` test formatter
    declares seed (like the random sweeper), name (like the core's --name), a
    flag verbose and level, and prints the options it was given."""

    def setUp(self):
        super().setUp()
        self.exp = self.experiment("program: prog.py\ncommand: python3 {script} {args}\nhypers: {lr: [0.1]}\n")
        self.env = clean_env(JOBSUB_PLUGIN_PATH=str(TEST_PLUGINS / "opts"))

    def jobs_args(self, *args):
        result = self.jobsub("--yes", "--formatter=opts", *args, cwd=self.exp, env=self.env)
        self.assertExit(result, 0)
        return self.job_stdout_json(self.results_dirs(self.exp)[-1], 1)

    def test_qualified_names_reach_their_plugin(self):
        self.assertEqual(self.jobs_args("--opts.seed", "4", "--opts.name", "x", "--opts.level", "2"),
                         ["LR=0.1", "option:level=2", "option:name=x", "option:seed=4"])

    def test_a_short_name_works_when_only_one_plugin_has_it(self):
        self.assertEqual(self.jobs_args("--level", "3"), ["LR=0.1", "option:level=3"])

    def test_an_ambiguous_short_name_lists_the_qualified_ones(self):
        result = self.jobsub("--yes", "--formatter=opts", "--seed", "3", cwd=self.exp, env=self.env)
        self.assertExit(result, 2)
        self.assertIn("option 'seed' is declared by several plugins: write --opts.seed or --random.seed",
                      result.stderr)
        self.assertEqual(self.results_dirs(self.exp), [])

    def test_a_core_name_stays_the_cores(self):
        self.jobs_args("--name", "mysweep", "--opts.name", "plugin-value")
        self.assertEqual(self.results_dirs(self.exp)[-1].parent.name, "mysweep")
        self.assertEqual(self.job_stdout_json(self.results_dirs(self.exp)[-1], 1),
                         ["LR=0.1", "option:level=1", "option:name=plugin-value"])

    def test_a_flag_takes_no_value_and_swallows_no_override(self):
        self.assertEqual(self.jobs_args("--verbose", "lr=7"), ["LR=7", "option:level=1", "option:verbose=true"])

    def test_spec_options_under_the_plugins_name(self):
        (self.exp / "jobsub.yaml").write_text("program: prog.py\ncommand: python3 {script} {args}\n"
                                              "hypers: {lr: [0.1]}\noptions:\n  opts: {seed: 5}\n  level: 6\n")
        self.assertEqual(self.jobs_args(), ["LR=0.1", "option:level=6", "option:seed=5"])
        (self.exp / "jobsub.yaml").write_text("program: prog.py\ncommand: python3 {script} {args}\n"
                                              "hypers: {lr: [0.1]}\noptions:\n  seed: 5\n")
        result = self.jobsub("--yes", "--formatter=opts", cwd=self.exp, env=self.env)
        self.assertExit(result, 3)
        self.assertIn("jobsub.yaml:5: option 'seed' is declared by several plugins: write "
                      "options: {opts: {seed: ...}} or options: {random: {seed: ...}}", result.stderr)

    def test_an_option_every_scheduler_declares_means_the_chosen_schedulers(self):
        # client-timeout is declared by each batch scheduler (its base's option).
        listing = self.jobsub("plugins", env=self.env).stdout
        self.assertIn("Options several plugins of one kind declare (the short name means the chosen plugin's):\n"
                      "  --array-limit: the chosen scheduler's (lsf.array-limit, pbs.array-limit)\n"
                      "  --submit-attempts: the chosen scheduler's (lsf.submit-attempts, pbs.submit-attempts, "
                      "sge.submit-attempts, slurm.submit-attempts)\n"
                      "  --submit-retry-delay: the chosen scheduler's (lsf.submit-retry-delay, pbs.submit-retry-delay, "
                      "sge.submit-retry-delay, slurm.submit-retry-delay)\n"
                      "  --client-timeout: the chosen scheduler's (lsf.client-timeout, pbs.client-timeout, "
                      "sge.client-timeout, slurm.client-timeout)\n"
                      "  --submit-retries: the chosen scheduler's (lsf.submit-retries, pbs.submit-retries, "
                      "sge.submit-retries, slurm.submit-retries)\n"
                      "  --retry-delay: the chosen scheduler's (lsf.retry-delay, pbs.retry-delay, sge.retry-delay, "
                      "slurm.retry-delay)\n", listing)
        (self.exp / "jobsub.yaml").write_text("program: prog.py\ncommand: python3 {script} {args}\n"
                                              "hypers: {lr: [0.1]}\n")
        shown = self.jobsub("--scheduler=slurm", "--slurm.max-array-size=10", "--client-timeout", "7",
                            "--show-config", cwd=self.exp, env=self.env)
        self.assertExit(shown, 0)
        self.assertIn("options.client-timeout = 7    (command line)", shown.stdout)
        local = self.jobsub("--scheduler=local", "--client-timeout", "7", "--dry-run", cwd=self.exp, env=self.env)
        self.assertExit(local, 2)
        self.assertIn("command line: option 'client-timeout' belongs to the schedulers lsf, pbs, sge, slurm, and this "
                      "sweep uses scheduler 'local'", local.stderr)
        check = self.jobsub("plugins", "check", str(BUILD_DIR / "lib/jobsub/plugins/jobsub-scheduler-lsf.so"),
                            env=self.env)
        self.assertIn("; or --client-timeout, which means the chosen scheduler's (pbs.client-timeout, "
                      "sge.client-timeout, slurm.client-timeout also declare it)", check.stdout)
        bad = self.jobsub("--scheduler=slurm", "--slurm.max-array-size=10", "--client-timeout", "soon", "--dry-run",
                          cwd=self.exp, env=self.env)
        self.assertExit(bad, 3)
        self.assertIn("--slurm.client-timeout takes a number of seconds, not 'soon'", bad.stderr)

    def test_help_and_plugins_show_the_rules(self):
        help_text = " ".join(self.jobsub("help", env=self.env).stdout.split())
        self.assertIn("--opts.seed S a seed, like the random sweeper's [formatter opts]", help_text)
        self.assertIn("--opts.level N a level (default: 1); or --level [formatter opts]", help_text)
        self.assertIn("--opts.verbose a flag: takes no value; or --verbose", help_text)
        listing = self.jobsub("plugins", env=self.env).stdout
        self.assertIn("Options only by their qualified name (--<plugin>.<option>):\n"
                      "  --opts.seed: also random.seed\n  --random.seed: also opts.seed\n"
                      "  --opts.name: --name is jobsub's own\n", listing)
        check = self.jobsub("plugins", "check", str(TEST_PLUGINS / "opts/jobsub-formatter-opts.so"), env=self.env)
        self.assertIn("--opts.seed S  a seed, like the random sweeper's; not --seed: random.seed also declares it",
                      check.stdout)
        self.assertIn("--opts.name NAME  a name, like the core's --name; not --name: that is jobsub's own option",
                      check.stdout)
        self.assertIn("--opts.verbose (a flag)  a flag: takes no value; or --verbose", check.stdout)
