#!/usr/bin/env bash
# Formats every C++ file of the tree (tracked or new) with the checked-in
# .clang-format; scripts/test.sh checks the same set.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
git ls-files --cached --others --exclude-standard '*.cpp' '*.h' | xargs clang-format -i
