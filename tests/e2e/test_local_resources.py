"""Issue 23, points 2 and 3: the local scheduler as a one-node resource manager.
A job past its `time` is stopped (SIGTERM, SIGKILL after --local.grace) and
recorded `timeout`; one over its `mem` is stopped and recorded `out_of_memory`
(by a memory cgroup where jobsub may make one, else by its watchdog: both are
tested, the cgroup test skipped, saying so, where none can be made); `cpus`
are CPUs of the job's own, pinned; `gpus` are GPUs of its own. GPUs come from
a fake `nvidia-smi` on PATH (none can be installed here: the real-GPU check is
tests/gpu/check-real-gpus.sh), and each job writes down what it saw, so the
tests check from the jobs' side that no CPU or GPU was given to more jobs than
allowed."""
import json
import re
import os
import pathlib
import time
import unittest

from harness import JobsubTestCase, clean_env

# Writes what it saw, then sleeps or allocates as --mode says.
PROGRAM = """import argparse, json, os, signal, sys, time
p = argparse.ArgumentParser()
p.add_argument("--mode"); p.add_argument("--n", type=int); p.add_argument("--s", type=float, default=0)
a = p.parse_args()
out = os.path.join(os.environ["JOBSUB_JOB_DIR"], "seen.json")
seen = {"n": a.n, "pid": os.getpid(), "cpus": sorted(os.sched_getaffinity(0)), "cvd": os.environ.get("CUDA_VISIBLE_DEVICES"),
        "order": os.environ.get("CUDA_DEVICE_ORDER"), "start": time.time()}
def save():
    seen["end"] = time.time()
    open(out, "w").write(json.dumps(seen))
def on_term(*_):
    seen["sigterm"] = True
    save()
    if a.mode != "ignore-term":
        sys.exit(143)
signal.signal(signal.SIGTERM, on_term)
if a.mode in ("sleep", "ignore-term"):
    while True:
        time.sleep(0.1)
elif a.mode == "mem":
    blocks = []
    for i in range(40):  # 50 MiB more every 50 ms, touched so that it is resident
        blocks.append(bytearray(b"x" * (50 * 1024 * 1024))); time.sleep(0.05)
elif a.mode == "busy":  # keeps its CPU busy for --s seconds
    end = time.time() + a.s
    while time.time() < end:
        pass
else:
    time.sleep(a.s)
save()
"""

GPU_UUIDS = ["GPU-aaaa0000-0000-0000-0000-000000000000", "GPU-bbbb1111-0000-0000-0000-000000000000",
             "GPU-cccc2222-0000-0000-0000-000000000000"]
MIG_UUIDS = ["MIG-1111aaaa-0000-0000-0000-000000000000", "MIG-2222bbbb-0000-0000-0000-000000000000"]


def fake_nvidia_smi(bin_dir, query, listing="", exit_code=0):
    """An nvidia-smi that prints `query` for --query-gpu and `listing` for -L."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    (bin_dir / "query.txt").write_text(query)
    (bin_dir / "list.txt").write_text(listing)
    script = bin_dir / "nvidia-smi"
    script.write_text(f"""#!/bin/sh
case "$*" in
  *--query-gpu=index,uuid*) cat '{bin_dir}/query.txt'; [ {exit_code} = 0 ] || echo 'NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver.' >&2; exit {exit_code} ;;
  -L) cat '{bin_dir}/list.txt' ;;
  *) echo "fake nvidia-smi: unexpected $*" >&2; exit 2 ;;
esac
""")
    script.chmod(0o755)


def path_without_nvidia_smi():
    return ":".join(d for d in os.environ["PATH"].split(":") if d and not (pathlib.Path(d) / "nvidia-smi").exists())


def three_gpus(bin_dir):
    fake_nvidia_smi(bin_dir, "".join(f"{i}, {u}\n" for i, u in enumerate(GPU_UUIDS)),
                    "".join(f"GPU {i}: Fake GPU (UUID: {u})\n" for i, u in enumerate(GPU_UUIDS)))


class LocalResources(JobsubTestCase):
    def sweep(self, hypers, resources, extra=""):
        return self.experiment(f"program: prog.py\ncommand: python3 {{script}} {{args}}\nformatter: argparse\n"
                               f"hypers: {hypers}\nresources: {resources}\n{extra}", program=PROGRAM)

    def seen(self, results, job):
        f = results / "jobs" / f"{job:04d}" / "seen.json"
        return json.loads(f.read_text()) if f.exists() else None

    def states(self, results):
        return {int(r["job"]): r["state"] for r in self.jobs_table(results)}

    def env_with_gpus(self, **extra):
        return clean_env(PATH=f"{self.tmp / 'bin'}:{path_without_nvidia_smi()}", **extra)

    # ---- time

    def test_a_job_past_its_time_gets_sigterm_then_is_recorded_timeout_and_the_next_job_runs(self):
        exp = self.sweep("{mode: [sleep, quick], n: [1]}", "{time: 2s}")
        began = time.monotonic()
        result = self.jobsub("--yes", "-j", "1", "--local.grace", "1", cwd=exp)
        elapsed = time.monotonic() - began
        self.assertExit(result, 1)
        self.assertIn("job 1: time limit 00:00:02 reached: stopping it (SIGTERM, SIGKILL 1 s later)", result.stdout)
        self.assertIn("enforced on this machine, per job: time 00:00:02 (SIGTERM, SIGKILL 1 s later)", result.stdout)
        results = self.only_results_dir(exp)
        self.assertEqual(self.states(results), {1: "timeout", 2: "completed"})
        first = self.seen(results, 1)
        self.assertTrue(first["sigterm"], "the program got SIGTERM first, as on a cluster")
        self.assertGreaterEqual(first["end"] - first["start"], 1.5)
        self.assertLess(elapsed, 60)
        status = self.jobsub("status", cwd=exp)
        self.assertRegex(status.stdout, r"job 1 +timeout +time limit")
        listed = json.loads(self.jobsub("status", "--json", cwd=exp).stdout)["listed"]
        self.assertEqual(listed[0]["native_state"], "time limit 00:00:02 reached")

    def test_a_job_that_ignores_sigterm_is_killed_after_the_grace_period(self):
        exp = self.sweep("{mode: [ignore-term], n: [1]}", "{time: 1s}")
        result = self.jobsub("--yes", "--local.grace", "1", cwd=exp)
        self.assertExit(result, 1)
        results = self.only_results_dir(exp)
        self.assertEqual(self.states(results), {1: "timeout"})
        seen = self.seen(results, 1)
        self.assertTrue(seen["sigterm"])
        # SIGKILL ended it before jobsub returned (gone, or a zombie left for init to reap).
        stat = pathlib.Path(f"/proc/{seen['pid']}/stat")
        state = stat.read_text().rsplit(")", 1)[1].split()[0] if stat.exists() else "gone"
        self.assertIn(state, ("gone", "Z", "X"))

    def test_a_timed_out_job_is_retried_with_more_time_and_completes(self):
        exp = self.sweep("{mode: [short], n: [1], s: [3]}", "{time: 2s}")
        result = self.jobsub("--yes", "--local.grace", "1", "--retries", "1", "--retry-scale", "time=3", cwd=exp)
        self.assertExit(result, 0)
        self.assertIn("job 1 ended timeout: retrying as attempt 2 of 2", result.stdout)
        self.assertIn("time 00:00:02 -> 00:00:06", result.stdout)
        results = self.only_results_dir(exp)
        self.assertEqual(self.states(results), {1: "completed"})

    # ---- mem

    def run_memory_sweep(self, *options):
        exp = self.sweep("{mode: [mem, small], n: [1]}", "{mem: 300M}")
        result = self.jobsub("--yes", "-j", "2", "--local.grace", "1", *options, cwd=exp)
        return exp, result

    def test_a_job_over_its_memory_is_stopped_by_a_cgroup_and_recorded_out_of_memory(self):
        exp, result = self.run_memory_sweep("--local.memory-limit", "auto")
        if "mem 300M (by jobsub's watchdog" in result.stdout:
            self.skipTest("jobsub may not create a memory cgroup on this machine (the watchdog test covers it): "
                          + result.stdout)
        self.assertExit(result, 1)
        self.assertEqual(result.stdout.count("mem 300M (by cgroup v"), 1, result.stdout)  # said once
        results = self.only_results_dir(exp)
        self.assertEqual(self.states(results), {1: "out_of_memory", 2: "completed"})
        row = self.jobs_table(results)[0]
        self.assertEqual(row["exit_code"], "137")  # the kernel's OOM killer
        listed = json.loads(self.jobsub("status", "--json", cwd=exp).stdout)["listed"]
        self.assertRegex(listed[0]["native_state"], r"the kernel stopped it at its memory limit 300M \(cgroup v[12] memory")
        # This run's cgroups (jobsub-<its pid>-w<worker>) are gone with it; other tests' runs may have theirs.
        pid = row["native_id"].split("-")[1]
        leftovers = [p for p in pathlib.Path("/sys/fs/cgroup").rglob(f"jobsub-{pid}-*") if p.is_dir()]
        self.assertEqual(leftovers, [])

    def test_a_job_over_its_memory_is_stopped_by_the_watchdog_where_there_is_no_cgroup(self):
        exp, result = self.run_memory_sweep("--local.memory-limit", "watchdog")
        self.assertExit(result, 1)
        self.assertIn("mem 300M (by jobsub's watchdog, every 250 ms; --local.memory-limit watchdog)", result.stdout)
        self.assertRegex(result.stdout, r"job 1: resident memory \d+M over the limit 300M \(jobsub's watchdog\)")
        results = self.only_results_dir(exp)
        self.assertEqual(self.states(results), {1: "out_of_memory", 2: "completed"})

    def test_memory_limit_cgroup_is_refused_with_the_reason_where_none_can_be_made(self):
        exp = self.sweep("{mode: [small], n: [1]}", "{mem: 300M}")
        result = self.jobsub("--yes", "--local.memory-limit", "cgroup", cwd=exp)
        if result.returncode == 0:
            self.skipTest("this machine lets jobsub create memory cgroups (the cgroup test covers it)")
        self.assertExit(result, 3)
        self.assertIn("--local.memory-limit cgroup:", result.stderr)
        self.assertEqual(self.results_dirs(exp), [])

    # ---- cpus

    def test_jobs_asking_cpus_are_pinned_to_cpus_of_their_own(self):
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) < 2:
            self.skipTest(f"needs 2 CPUs, jobsub has {cpus}")
        exp = self.sweep("{mode: [busy], n: [1, 2, 3, 4], s: [1]}", "{cpus: 1, partition: debug}")
        result = self.jobsub("--yes", "--local.cpus", "2", cwd=exp)
        self.assertExit(result, 0)
        self.assertIn(f"cpus 1 of their own, pinned (of CPUs {cpus[0]}-{cpus[1]}: 2 job(s) at a time)", result.stdout)
        self.assertIn("resources are not enforced on this machine (partition)", result.stdout)
        results = self.only_results_dir(exp)
        seen = [self.seen(results, j) for j in range(1, 5)]
        for s in seen:
            self.assertEqual(len(s["cpus"]), 1, s)
            self.assertIn(s["cpus"][0], cpus[:2])
        # Jobs that ran at the same time ran on different CPUs.
        for a in seen:
            for b in seen:
                if a is not b and a["start"] < b["end"] and b["start"] < a["end"]:
                    self.assertNotEqual(a["cpus"], b["cpus"], (a, b))

    def test_a_job_asking_more_cpus_than_there_are_is_refused_before_anything_runs(self):
        exp = self.sweep("{mode: [quick], n: [1]}", "{cpus: 2}")
        result = self.jobsub("--yes", "--local.cpus", "1", cwd=exp)
        self.assertExit(result, 3)
        self.assertIn("a job asks for 2 CPUs and this machine has 1 for jobsub", result.stderr)
        self.assertEqual(self.results_dirs(exp), [])

    def test_jobs_not_asking_cpus_are_not_pinned(self):
        exp = self.sweep("{mode: [quick], n: [1]}", "{time: 1h}")
        self.assertExit(self.jobsub("--yes", cwd=exp), 0)
        self.assertEqual(self.seen(self.only_results_dir(exp), 1)["cpus"], sorted(os.sched_getaffinity(0)))

    def test_as_many_jobs_run_at_once_as_minus_j_says(self):
        # Workers keep a second job waiting only while every worker has one: four
        # jobs at -j 4 run side by side, not two deep on two workers.
        exp = self.sweep("{mode: [short], n: [1, 2, 3, 4], s: [3]}", "{}")
        self.assertExit(self.jobsub("--yes", "-j", "4", cwd=exp), 0)
        results = self.only_results_dir(exp)
        seen = [self.seen(results, j) for j in range(1, 5)]
        self.assertLess(max(s["start"] for s in seen), min(s["end"] for s in seen), seen)

    # ---- gpus

    def test_no_gpu_is_given_to_more_jobs_than_jobs_per_gpu_allows(self):
        three_gpus(self.tmp / "bin")
        exp = self.sweep("{mode: [short], n: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], s: [0.4]}", "{gpus: 1}")
        result = self.jobsub("--yes", "-j", "6", "--local.jobs-per-gpu", "2", cwd=exp, env=self.env_with_gpus())
        self.assertExit(result, 0)
        self.assertIn("gpus 1 of their own (of 3 GPU(s), 2 job(s) per GPU)", result.stdout)
        results = self.only_results_dir(exp)
        seen = [self.seen(results, j) for j in range(1, 11)]
        for j, s in enumerate(seen, 1):
            self.assertIn(s["cvd"], GPU_UUIDS)
            self.assertEqual(s["order"], "PCI_BUS_ID")
            # The job's record says which GPU it had.
            recorded = (results / "jobs" / f"{j:04d}" / "gpus").read_text().split()
            self.assertEqual(recorded, [str(GPU_UUIDS.index(s["cvd"])), s["cvd"]])
        for s in seen:  # at each job's start, at most 2 jobs held its GPU
            sharing = [o for o in seen if o["cvd"] == s["cvd"] and o["start"] <= s["start"] < o["end"]]
            self.assertLessEqual(len(sharing), 2, sharing)
        self.assertEqual({s["cvd"] for s in seen}, set(GPU_UUIDS))  # spread over all three
        status = self.jobsub("status", "--all", "--json", cwd=exp)
        self.assertExit(status, 0)
        listed = json.loads(status.stdout)["listed"]
        self.assertEqual([j["gpus"] for j in listed], [[s["cvd"]] for s in seen])
        # collect has a gpu_ids column: each job's GPU by its index.
        collected = self.jobsub("collect", "--format", "json", "--sort", "job", cwd=exp)
        self.assertExit(collected, 0)
        rows = json.loads(collected.stdout)
        self.assertEqual([r["gpu_ids"] for r in rows], [str(GPU_UUIDS.index(s["cvd"])) for s in seen])

    def test_jobs_asking_two_gpus_get_two_of_their_own(self):
        three_gpus(self.tmp / "bin")
        exp = self.sweep("{mode: [short], n: [1, 2, 3], s: [0.2]}", "{gpus: 2}")
        result = self.jobsub("--yes", "-j", "3", cwd=exp, env=self.env_with_gpus())
        self.assertExit(result, 0)
        results = self.only_results_dir(exp)
        for j in range(1, 4):  # one pair of the three: jobs ran one at a time
            self.assertEqual(self.seen(results, j)["cvd"], f"{GPU_UUIDS[0]},{GPU_UUIDS[1]}")
        table = self.jobsub("collect", "--sort", "job", cwd=exp)
        self.assertExit(table, 0)
        self.assertRegex(table.stdout, r"\bgpu_ids\b")
        self.assertEqual(len(re.findall(r"\s0,1\s", table.stdout)), 3, table.stdout)

    def test_mig_devices_are_given_one_per_job(self):
        query = f"0, {GPU_UUIDS[0]}\n1, {GPU_UUIDS[1]}\n"
        listing = (f"GPU 0: A100 (UUID: {GPU_UUIDS[0]})\n"
                   f"  MIG 3g.20gb     Device  0: (UUID: {MIG_UUIDS[0]})\n"
                   f"  MIG 3g.20gb     Device  1: (UUID: {MIG_UUIDS[1]})\n"
                   f"GPU 1: A100 (UUID: {GPU_UUIDS[1]})\n")
        fake_nvidia_smi(self.tmp / "bin", query, listing)
        exp = self.sweep("{mode: [short], n: [1, 2, 3], s: [0.5]}", "{gpus: 1}")
        result = self.jobsub("--yes", "-j", "3", cwd=exp, env=self.env_with_gpus())
        self.assertExit(result, 0)
        results = self.only_results_dir(exp)
        self.assertEqual(sorted(self.seen(results, j)["cvd"] for j in range(1, 4)),
                         sorted([MIG_UUIDS[0], MIG_UUIDS[1], GPU_UUIDS[1]]))
        two = self.sweep("{mode: [short], n: [1]}", "{gpus: 2}")
        refused = self.jobsub("--yes", cwd=two, env=self.env_with_gpus())
        self.assertExit(refused, 3)
        self.assertIn("a job asks for 2 GPUs and this machine has 1 whole GPUs (and 2 MIG devices, of which a job "
                      "gets one at most)", refused.stderr)

    def test_jobsubs_own_cuda_visible_devices_limits_the_gpus(self):
        three_gpus(self.tmp / "bin")
        exp = self.sweep("{mode: [short], n: [1, 2]}", "{gpus: 1}")
        result = self.jobsub("--yes", "-j", "2", cwd=exp,
                             env=self.env_with_gpus(CUDA_VISIBLE_DEVICES=GPU_UUIDS[2]))
        self.assertExit(result, 0)
        self.assertIn("(of 1 GPU(s), 1 job(s) per GPU)", result.stdout)
        results = self.only_results_dir(exp)
        self.assertEqual([self.seen(results, j)["cvd"] for j in (1, 2)], [GPU_UUIDS[2]] * 2)

    def test_local_gpus_names_the_gpus_without_nvidia_smi(self):
        exp = self.sweep("{mode: [short], n: [1, 2], s: [0.3]}", "{gpus: 1}")
        result = self.jobsub("--yes", "-j", "2", "--local.gpus", "0,3", cwd=exp,
                             env=clean_env(PATH=path_without_nvidia_smi()))
        self.assertExit(result, 0)
        results = self.only_results_dir(exp)
        self.assertEqual(sorted(self.seen(results, j)["cvd"] for j in (1, 2)), ["0", "3"])

    def test_gpus_asked_where_there_are_none_or_nvidia_smi_fails_are_refused_before_anything_runs(self):
        exp = self.sweep("{mode: [short], n: [1]}", "{gpus: 1}")
        none = self.jobsub("--yes", cwd=exp, env=clean_env(PATH=path_without_nvidia_smi()))
        self.assertExit(none, 3)
        self.assertIn("a job asks for 1 GPUs and this machine has 0 (nvidia-smi lists none)", none.stderr)
        fake_nvidia_smi(self.tmp / "bin", "", exit_code=9)
        failing = self.jobsub("--yes", cwd=exp, env=self.env_with_gpus())
        self.assertExit(failing, 3)
        self.assertIn("nvidia-smi --query-gpu=index,uuid failed (exit 9): NVIDIA-SMI has failed", failing.stderr)
        self.assertIn("--local.gpus 0,1", failing.stderr)
        self.assertEqual(self.results_dirs(exp), [])

    # ---- one pool of slots for several batches (the grids with resources of their own)

    def grids(self, first, second):
        """Two grids of PROGRAM's jobs, `first` and `second` as (hypers, resources): two batches."""
        return self.experiment("program: prog.py\ncommand: python3 {script} {args}\nformatter: argparse\n"
                               f"hypers:\n  - hypers: {first[0]}\n    resources: {first[1]}\n"
                               f"  - hypers: {second[0]}\n    resources: {second[1]}\n", program=PROGRAM)

    def run_grids(self, first, second, jobs, *args, env=None):
        """Runs grids(first, second) with `args`; its results directory, and what jobs 1..`jobs` saw."""
        exp = self.grids(first, second)
        result = self.jobsub("--yes", *args, cwd=exp, env=env)
        self.assertExit(result, 0)
        results = self.only_results_dir(exp)
        return result, results, [self.seen(results, j) for j in range(1, jobs + 1)]

    @staticmethod
    def overlap(a, b):
        return a["start"] < b["end"] and b["start"] < a["end"]

    def assert_cpus_never_shared(self, seen, most=None):
        """At each job's start, the jobs running then held CPUs of their own (and were at most `most`)."""
        for s in seen:
            at_once = [o for o in seen if o["start"] <= s["start"] < o["end"]]
            if most is not None:
                self.assertLessEqual(len(at_once), most, seen)
            held = [c for o in at_once for c in o["cpus"]]
            self.assertEqual(len(held), len(set(held)), seen)

    def test_the_batches_of_two_grids_run_at_once_sharing_the_cpus(self):
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) < 2:
            self.skipTest(f"needs 2 CPUs, jobsub has {cpus}")
        # Job 1 (its grid's batch) runs 3 s; jobs 2-3 (another batch) 1 s each. On
        # two CPUs, job 2 starts beside job 1, and job 3 once job 2 has ended.
        _, results, seen = self.run_grids(("{mode: [busy], n: [1], s: [3]}", "{cpus: 1, time: 1h}"),
                                          ("{mode: [busy], n: [2, 3], s: [1]}", "{cpus: 1, time: 2h}"), 3,
                                          "--local.cpus", "2")
        batches = [json.loads(line) for line in (results / "submissions.jsonl").read_text().splitlines()]
        self.assertEqual([b["jobs"] for b in batches if b["state"] == "submitting"], ["1", "2-3"])
        self.assertTrue(self.overlap(seen[0], seen[1]), seen)  # two batches at once
        for s in seen:
            self.assertEqual(len(s["cpus"]), 1, s)
            self.assertIn(s["cpus"][0], cpus[:2])
        self.assert_cpus_never_shared(seen, most=2)  # the two CPUs' worth at once, at most

    def test_the_canaries_of_two_grids_run_at_once_and_then_their_rests(self):
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) < 2:
            self.skipTest(f"needs 2 CPUs, jobsub has {cpus}")
        result, _, seen = self.run_grids(("{mode: [busy], n: [1, 2], s: [1]}", "{cpus: 1, time: 1h}"),
                                         ("{mode: [busy], n: [3, 4], s: [1]}", "{cpus: 1, time: 2h}"), 4,
                                         "--canary", "--local.cpus", "2")
        self.assertIn("jobsub: canary: jobs 1,3 first (one per resource group)", result.stdout)
        # The machine's capacity, not the one-job canary batch's
        self.assertIn("cpus 1 of their own, pinned (of CPUs", result.stdout)
        self.assertIn(": 2 job(s) at a time)", result.stdout)
        self.assertTrue(self.overlap(seen[0], seen[2]), seen)  # the two canaries side by side
        self.assertTrue(self.overlap(seen[1], seen[3]), seen)  # then the two rests
        self.assertLessEqual(max(seen[0]["end"], seen[2]["end"]), min(seen[1]["start"], seen[3]["start"]), seen)
        self.assert_cpus_never_shared(seen, most=2)

    def test_a_job_whose_gpus_are_not_free_waits_while_a_later_job_that_fits_starts(self):
        three_gpus(self.tmp / "bin")
        # Jobs 1-2 ask 2 GPUs each, jobs 3-4 one. With 3 GPUs: job 1 takes two,
        # job 2 does not fit and waits, job 3 takes the third meanwhile.
        _, results, seen = self.run_grids(("{mode: [short], n: [1, 2], s: [2]}", "{gpus: 2}"),
                                          ("{mode: [short], n: [3, 4], s: [1]}", "{gpus: 1}"), 4,
                                          "-j", "3", env=self.env_with_gpus())
        self.assertEqual([len(s["cvd"].split(",")) for s in seen], [2, 2, 1, 1], seen)
        self.assertTrue(self.overlap(seen[0], seen[2]), seen)  # job 3 beside job 1
        self.assertLess(seen[2]["start"], seen[1]["start"], seen)  # before job 2, which waited
        for s in seen:  # at each job's start, no GPU held by two running jobs
            held = [g for o in seen if o["start"] <= s["start"] < o["end"] for g in o["cvd"].split(",")]
            self.assertEqual(len(held), len(set(held)), seen)
            recorded = (results / "jobs" / f"{s['n']:04d}" / "gpus").read_text().split()
            self.assertEqual(recorded[1::2], s["cvd"].split(","))

    def test_beside_a_grid_with_cpus_and_gpus_a_grid_asking_none_gets_one_cpu_and_no_gpu(self):
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) < 2:
            self.skipTest(f"needs 2 CPUs, jobsub has {cpus}")
        three_gpus(self.tmp / "bin")
        _, _, seen = self.run_grids(("{mode: [busy], n: [1], s: [2]}", "{cpus: 1, gpus: 1}"),
                                    ("{mode: [busy], n: [2, 3], s: [1]}", "{time: 1h}"), 3,
                                    "--local.cpus", "2", env=self.env_with_gpus())
        self.assertIn(seen[0]["cvd"], GPU_UUIDS)
        self.assertEqual([s["cvd"] for s in seen[1:]], ["", ""])  # the GPUs are other jobs' own
        self.assertEqual([len(s["cpus"]) for s in seen], [1, 1, 1], seen)
        self.assertTrue(self.overlap(seen[0], seen[1]), seen)
        self.assert_cpus_never_shared(seen)

    def test_jobs_asking_no_gpus_are_left_as_before(self):
        three_gpus(self.tmp / "bin")
        exp = self.sweep("{mode: [short], n: [1]}", "{time: 1h}")
        result = self.jobsub("--yes", cwd=exp, env=self.env_with_gpus(CUDA_VISIBLE_DEVICES="1"))
        self.assertExit(result, 0)
        results = self.only_results_dir(exp)
        self.assertEqual(self.seen(results, 1)["cvd"], "1")  # jobsub's own, untouched
        self.assertFalse((results / "jobs/0001/gpus").exists())


if __name__ == "__main__":
    unittest.main()
