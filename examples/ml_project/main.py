#!/usr/bin/env python3
"""A stand-in for a sacred experiment: `python main.py with 'lr=0.01' 'seed=1'`.

It parses sacred's `with key=value` arguments itself (sacred need not be
installed), "trains" for a moment, and writes its result into the job's
directory, which jobsub passes in $JOBSUB_JOB_DIR.
"""
import json
import math
import os
import random
import sys


def parse_sacred_args(argv):
    if not argv or argv[0] != "with":
        sys.exit("usage: main.py with key=value ...")
    config = {}
    for item in argv[1:]:
        key, _, value = item.partition("=")
        config[key] = value
    return config


def main():
    config = parse_sacred_args(sys.argv[1:])
    rng = random.Random(int(config.get("seed", "0")))
    lr = float(config.get("lr", "0.01"))
    loss = sum(math.exp(-lr * step * 100) + rng.random() * 0.01 for step in range(100)) / 100
    result = {"config": config, "loss": loss}
    print(json.dumps(result))
    job_dir = os.environ.get("JOBSUB_JOB_DIR")
    if job_dir:
        with open(os.path.join(job_dir, "result.json"), "w") as out:
            json.dump(result, out)


if __name__ == "__main__":
    main()
