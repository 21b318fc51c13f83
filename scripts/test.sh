#!/usr/bin/env bash
# Builds jobsub and runs the whole test suite through ctest: a Release build
# with warnings as errors, then a build under AddressSanitizer and
# UndefinedBehaviorSanitizer. The README's second Quick start command; .ci/run
# runs exactly this.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/install-deps.sh

echo "== clang-format check"
files=$(git ls-files --cached --others --exclude-standard '*.cpp' '*.h')
clang-format --dry-run --Werror $files

echo "== Release build, warnings as errors"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DJOBSUB_WERROR=ON
cmake --build build -j2
(cd build && ctest --output-on-failure -j2)

echo "== clang-tidy"
bash scripts/tidy.sh build

echo "== ASan/UBSan build"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DJOBSUB_WERROR=ON -DJOBSUB_SANITIZE=ON
cmake --build build-asan -j2
# Every test but the end-to-end runs against the real Slurm and Grid Engine,
# which the Release build ran above: they spend their time waiting on the
# clusters (about 8 of the sanitized run's 17 minutes), while the code they
# reach (the scheduler plugins' parsing, the tracker) is run under the
# sanitizers by unit.slurm, unit.sge, unit.tracker and the scenario suites.
(cd build-asan && ctest --output-on-failure -j2 -E '^e2e[.]test_(slurm|sge)')
