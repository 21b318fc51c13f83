#!/usr/bin/env bash
# Installs what jobsub needs, builds it (Release) and runs the example sweep on
# the local scheduler, then shows its results (jobsub collect). The README's first
# Quick start command.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/install-deps.sh"
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release
cmake --build "$root/build" -j2
cd "$root/examples/ml_project/experiments/log_vs_random"
"$root/build/bin/jobsub" --yes -j 2
echo
"$root/build/bin/jobsub" collect   # which settings won: train_loss per setting, over the seeds
