#!/usr/bin/env python3
"""A stand-in for a sacred experiment: `python main.py with 'lr=0.01' 'seed=1'`.

It parses sacred's `with key=value` arguments itself (sacred need not be
installed), "trains" for a moment, and writes its metrics where jobsub says:
one JSON line per epoch to the file named by $JOBSUB_METRICS (the last value
of each key is what `jobsub collect` shows), and its result into the job's
directory, $JOBSUB_JOB_DIR.
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
    metrics_file = os.environ.get("JOBSUB_METRICS")
    metrics = open(metrics_file, "a") if metrics_file else None
    loss = 0.0
    for epoch in range(1, 6):
        steps = range(epoch * 20)
        loss = sum(math.exp(-lr * step * 100) + rng.random() * 0.01 for step in steps) / len(steps)
        if metrics:
            metrics.write(json.dumps({"epoch": epoch, "train_loss": loss}) + "\n")
            metrics.flush()
    if metrics:
        metrics.close()
    result = {"config": config, "loss": loss}
    print(json.dumps(result))
    job_dir = os.environ.get("JOBSUB_JOB_DIR")
    if job_dir:
        with open(os.path.join(job_dir, "result.json"), "w") as out:
            json.dump(result, out)


if __name__ == "__main__":
    main()
