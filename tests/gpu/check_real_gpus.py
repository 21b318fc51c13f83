#!/usr/bin/env python3
"""On a machine with NVIDIA GPUs: runs a sweep on the local scheduler whose jobs
ask `gpus: 1`, two jobs per GPU at a time (--local.jobs-per-gpu 2), and checks
from inside each job, through CUDA itself, that it saw exactly the GPU jobsub
gave it and no other. nvidia-smi cannot tell (it ignores CUDA_VISIBLE_DEVICES
and lists every GPU), so each job asks the driver: cuInit, cuDeviceGetCount and
cuDeviceGetUuid through ctypes on libcuda.so.1. It also checks that no GPU ran
more than two jobs at once.

Usage: python3 tests/gpu/check_real_gpus.py [path/to/jobsub]
Exit 0: checked; 1: a job saw a GPU that was not its own; 77: skipped (no
NVIDIA GPU or driver here; ctest shows it as skipped)."""
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

SKIP = 77
JOBSUB = sys.argv[1] if len(sys.argv) > 1 else str(pathlib.Path(__file__).resolve().parents[2] / "build/bin/jobsub")

PROBE = r'''import ctypes, json, os, sys, time
cuda = ctypes.CDLL("libcuda.so.1")
assert cuda.cuInit(0) == 0, "cuInit failed"
count = ctypes.c_int()
assert cuda.cuDeviceGetCount(ctypes.byref(count)) == 0
uuids = []
for i in range(count.value):
    device = ctypes.c_int()
    assert cuda.cuDeviceGet(ctypes.byref(device), i) == 0
    raw = (ctypes.c_ubyte * 16)()
    get = getattr(cuda, "cuDeviceGetUuid_v2", None) or cuda.cuDeviceGetUuid
    assert get(raw, device) == 0
    h = bytes(raw).hex()
    uuids.append(f"{h[0:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}")
start = time.time()
time.sleep(2)
json.dump({"visible": os.environ.get("CUDA_VISIBLE_DEVICES"), "cuda_sees": uuids, "start": start,
           "end": time.time()}, open(os.path.join(os.environ["JOBSUB_JOB_DIR"], "probe.json"), "w"))
'''


def main():
    if shutil.which("nvidia-smi") is None:
        print("skipped: no nvidia-smi on this machine")
        return SKIP
    listed = subprocess.run(["nvidia-smi", "--query-gpu=index,uuid", "--format=csv,noheader"],
                            capture_output=True, text=True)
    gpus = [line.split(",")[1].strip() for line in listed.stdout.splitlines() if "," in line]
    if listed.returncode != 0 or not gpus:
        print(f"skipped: nvidia-smi lists no GPU ({listed.stderr.strip() or listed.stdout.strip()})")
        return SKIP
    with tempfile.TemporaryDirectory(prefix="jobsub-gpus-") as tmp:
        exp = pathlib.Path(tmp)
        (exp / "probe.py").write_text(PROBE)
        jobs = 2 * len(gpus) + 1
        (exp / "jobsub.yaml").write_text(
            "program: probe.py\ncommand: python3 {script} {args}\nformatter: argparse\n"
            f"hypers: {{n: {list(range(1, jobs + 1))}}}\nresources: {{gpus: 1}}\n")
        env = dict(os.environ, JOBSUB_SCHEDULER="local", JOBSUB_SITES="")
        run = subprocess.run([JOBSUB, "--yes", "-j", str(2 * len(gpus)), "--local.jobs-per-gpu", "2"], cwd=exp,
                             env=env, capture_output=True, text=True, timeout=600)
        print(run.stdout, run.stderr, sep="")
        if run.returncode != 0:
            print(f"FAIL: jobsub exited {run.returncode}")
            return 1
        probes = [json.loads(p.read_text()) for p in sorted(exp.glob("results/*/*/jobs/*/probe.json"))]
        failures = []
        if len(probes) != jobs:
            failures.append(f"{len(probes)} of {jobs} jobs wrote what they saw")
        for p in probes:
            given = p["visible"] or ""
            if len(p["cuda_sees"]) != 1 or not given.endswith(p["cuda_sees"][0]):
                failures.append(f"a job given {given} saw {p['cuda_sees']} through CUDA")
        for p in probes:
            sharing = [o for o in probes if o["visible"] == p["visible"] and o["start"] <= p["start"] < o["end"]]
            if len(sharing) > 2:
                failures.append(f"{len(sharing)} jobs shared {p['visible']} at once (at most 2 allowed)")
        for f in failures:
            print("FAIL:", f)
        if not failures:
            print(f"ok: {len(probes)} jobs on {len(gpus)} GPU(s), each saw only its own through CUDA")
        return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
