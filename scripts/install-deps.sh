#!/usr/bin/env bash
# Installs the Debian 12 packages jobsub needs to build, run and test.
# Run as root (or with sudo). Safe to run again.
set -euo pipefail

packages=(
  build-essential cmake git python3
  libboost-dev libboost-filesystem-dev libboost-program-options-dev libboost-regex-dev libboost-test-dev
  libfmt-dev libyaml-cpp-dev nlohmann-json3-dev libkainjow-mustache-dev libssl-dev libsqlite3-dev
  clang-format clang-tidy
  node-d3         # d3.min.js, embedded into every `jobsub report` at build time
  python3-pandas  # tests and bench/ read collect's CSV and JSON as a researcher would
  chromium python3-pil  # tests open `jobsub report` in headless Chromium and look at its screenshot
  bash-completion zsh fish  # tests load `jobsub completion bash|zsh|fish` in each shell
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
