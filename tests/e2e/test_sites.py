"""Issue 9, point 3: site profiles (sites.yaml), how one is chosen, and where
each setting came from."""
import pathlib
import shutil
import socket

from harness import JobsubTestCase, clean_env

SPEC = "program: prog.py\ncommand: python3 {script} {args}\nresources: {partition: cpu}\nhypers: {a: [1, 2]}\n"


class Sites(JobsubTestCase):
    def test_with_no_scheduler_anywhere_the_host_decides_and_two_are_never_guessed(self):
        exp = self.experiment(SPEC)
        bin_dir = self.tmp / "bin"
        bin_dir.mkdir()
        def fake(name, text=""):
            (bin_dir / name).write_text(f"#!/bin/sh\necho '{text}'\n")
            (bin_dir / name).chmod(0o755)
        env = clean_env(PATH=f"{bin_dir}:/usr/bin:/bin", JOBSUB_SCHEDULER="")
        # This machine may have sbatch and qsub in /usr/bin: a PATH of stand-ins decides here.
        if any(pathlib.Path(d, n).exists() for d in ("/usr/bin", "/bin") for n in ("sbatch", "qsub", "bsub")):
            env["PATH"] = str(bin_dir)
            for tool in ("python3", "bash", "sh"):
                (bin_dir / tool).symlink_to(shutil.which(tool))
        alone = self.jobsub("--show-config", cwd=exp, env=env)
        self.assertIn("scheduler = local    (default: no bsub, qsub or sbatch on PATH)", alone.stdout)
        fake("sbatch")
        self.assertIn("scheduler = slurm    (found sbatch (Slurm) on PATH)",
                      self.jobsub("--show-config", cwd=exp, env=env).stdout)
        fake("qsub")
        fake("qstat", "pbs_version = 19.1.3")
        both = self.jobsub("--dry-run", cwd=exp, env=env)
        self.assertExit(both, 3)
        self.assertIn("this host has qsub (PBS) and sbatch (Slurm): choose one with --scheduler=pbs|slurm|local",
                      both.stderr)
        (bin_dir / "sbatch").unlink()
        fake("qstat", "SGE 8.1.9")
        self.assertIn("scheduler = sge    (found qsub (Grid Engine) on PATH)",
                      self.jobsub("--show-config", cwd=exp, env=env).stdout)
        fake("qstat", "qstat: unknown option")  # a qsub that does not say whose it is: never a guess
        unknown = self.jobsub("--dry-run", cwd=exp, env=env)
        self.assertExit(unknown, 3)
        self.assertIn(f"{bin_dir}/qsub is on PATH, but it does not say which scheduler it belongs to: choose one "
                      "with --scheduler=pbs|sge|local", unknown.stderr)
        (bin_dir / "qsub").unlink()
        # LSF's bsub alone: the sweep goes to LSF, never silently to the login node.
        fake("bsub")
        self.assertIn("scheduler = lsf    (found bsub (LSF) on PATH)",
                      self.jobsub("--show-config", cwd=exp, env=env).stdout)

    def sites(self, text, name="sites.yaml"):
        path = self.tmp / name
        path.write_text(text)
        return path

    def profiles(self):
        host = socket.gethostname()
        return self.sites(f"""sites:
  elsewhere:
    match: {{hosts: [no-such-host-*]}}
    scheduler: sge
  here:
    match:
      hosts: ["{host[:1]}*"]
    scheduler: slurm
    resources: {{account: my-lab, partition: gpu}}
    init:
      - module load python/3.11
    options: {{slurm: {{gpu-directive: gpus}}}}
  byname:
    scheduler: sge
    resources: {{queue: all.q}}
  cluster:
    match: {{env: {{JOBSUB_TEST_CLUSTER: "alpha*"}}}}
    scheduler: sge
""")

    def run_jobsub(self, exp, *args, **env):
        # No JOBSUB_SCHEDULER (the harness sets one): the site's scheduler is under test.
        env.setdefault("JOBSUB_SCHEDULER", "")
        return self.jobsub(*args, cwd=exp, env=clean_env(JOBSUB_SITES=str(self.profiles()), **env))

    def test_the_profile_matching_this_host_sits_between_the_defaults_and_the_spec(self):
        exp = self.experiment(SPEC)
        shown = self.run_jobsub(exp, "--show-config")
        self.assertExit(shown, 0)
        sites = self.tmp / "sites.yaml"
        lines = shown.stdout.splitlines()
        self.assertIn(f"scheduler = slurm    ({sites}:8 (site here))", lines)
        self.assertIn(f"resources.account = my-lab    ({sites}:9 (site here))", lines)
        self.assertIn("resources.partition = cpu    (jobsub.yaml:3)", lines)  # the spec wins
        self.assertIn(f"options.slurm.gpu-directive = gpus    ({sites}:12 (site here))", lines)
        self.assertIn(f"init: module load python/3.11    ({sites}:6)", lines)
        self.assertRegex(shown.stdout, rf"site = here    \(host \S+ matches {socket.gethostname()[:1]}\*; ")
        # The environment and the command line win over the site; its options for
        # a plugin the sweep does not use are left be.
        dry = self.run_jobsub(exp, "--dry-run", JOBSUB_SCHEDULER="local")
        self.assertExit(dry, 0)
        self.assertIn("  site       here  (host", dry.stdout)
        self.assertIn("  scheduler  local  (env JOBSUB_SCHEDULER)", dry.stdout)
        self.assertIn("module load python/3.11", dry.stdout)  # the site's init lines run before each job

    def test_site_flag_then_jobsub_site_then_the_first_match(self):
        exp = self.experiment(SPEC)
        def chosen(*args, **env):
            out = self.run_jobsub(exp, "--show-config", *args, **env).stdout
            return [l for l in out.splitlines() if l.startswith("site = ")][0]
        self.assertTrue(chosen("--site", "byname", JOBSUB_SITE="cluster").startswith("site = byname    (--site;"))
        self.assertTrue(chosen(JOBSUB_SITE="cluster").startswith("site = cluster    (env JOBSUB_SITE;"))
        self.assertTrue(chosen().startswith("site = here    (host"))
        # A profile chosen by the environment it runs in, when no host pattern comes first.
        env_only = self.sites('sites:\n  cluster:\n    match: {env: {JOBSUB_TEST_CLUSTER: "alpha*"}}\n'
                              "    scheduler: sge\n", name="env.yaml")
        out = self.jobsub("--show-config", cwd=exp, env=clean_env(JOBSUB_SITES=str(env_only), JOBSUB_SCHEDULER="",
                                                                 JOBSUB_TEST_CLUSTER="alpha-2")).stdout
        self.assertIn("site = cluster    (JOBSUB_TEST_CLUSTER=alpha-2 matches alpha*;", out)
        none = self.jobsub("--show-config", cwd=exp, env=clean_env(JOBSUB_SITES=str(env_only))).stdout
        self.assertNotIn("site = ", none)
        self.assertIn("scheduler = local    (env JOBSUB_SCHEDULER)", none)

    def test_the_first_file_of_a_name_wins(self):
        exp = self.experiment(SPEC)
        mine = self.sites("sites:\n  byname:\n    scheduler: slurm\n", name="mine.yaml")
        out = self.jobsub("--show-config", "--site", "byname", cwd=exp,
                          env=clean_env(JOBSUB_SITES=f"{mine}:{self.profiles()}", JOBSUB_SCHEDULER="")).stdout
        self.assertIn(f"scheduler = slurm    ({mine}:3 (site byname))", out)

    def test_the_users_own_file_is_found_where_the_guide_says(self):
        exp = self.experiment(SPEC)
        config = self.tmp / "config"
        (config / "jobsub").mkdir(parents=True)
        (config / "jobsub/sites.yaml").write_text("sites:\n  mine:\n    scheduler: sge\n")
        env = clean_env(XDG_CONFIG_HOME=str(config), JOBSUB_SCHEDULER="", JOBSUB_SITE="mine")
        env.pop("JOBSUB_SITES")  # the harness's empty list: here the default files are read
        out = self.jobsub("--show-config", cwd=exp, env=env).stdout
        self.assertIn(f"scheduler = sge    ({config}/jobsub/sites.yaml:3 (site mine))", out)
        listed = self.jobsub("sites", cwd=exp, env=env).stdout
        self.assertIn(f"  {config}/jobsub/sites.yaml\n  /etc/jobsub/sites.yaml", listed)

    def test_mistakes_name_the_file_and_line(self):
        exp = self.experiment(SPEC)
        unknown = self.run_jobsub(exp, "--site", "bynam", "--dry-run")
        self.assertExit(unknown, 3)
        self.assertIn("no site profile 'bynam' (--site) (did you mean 'byname'?)", unknown.stderr)
        bad = self.sites("sites:\n  x:\n    schedulr: slurm\n", name="bad.yaml")
        result = self.jobsub("--dry-run", cwd=exp, env=clean_env(JOBSUB_SITES=str(bad)))
        self.assertExit(result, 3)
        self.assertIn(f"{bad}:3: unknown key 'schedulr' in site 'x' (did you mean 'scheduler'?)", result.stderr)
        self.assertFalse((exp / "results").exists())

    def test_jobsub_sites_lists_the_profiles_and_says_which_applies_and_why(self):
        exp = self.experiment(SPEC)
        listed = self.run_jobsub(exp, "sites")
        self.assertExit(listed, 0)
        self.assertIn(f"  {self.tmp / 'sites.yaml'}\n", listed.stdout)
        self.assertIn("  byname       by name only", listed.stdout)
        self.assertRegex(listed.stdout, r"\n  here +matches hosts \S+\*")
        self.assertRegex(listed.stdout, rf"Here \({socket.gethostname()}\): site here \(host \S+ matches")
        nothing = self.jobsub("sites", cwd=exp, env=clean_env())
        self.assertIn("no site profile applies", nothing.stdout)
