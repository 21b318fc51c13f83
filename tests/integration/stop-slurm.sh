#!/usr/bin/env bash
# Stops the test Slurm started by start-slurm.sh, by the pids in its pid files.
set -uo pipefail
dir="${JOBSUB_SLURM_DIR:-/tmp/jobsub-slurm}"
for daemon in slurmd slurmctld; do
  pidfile="$dir/$daemon.pid"
  [ -f "$pidfile" ] || continue
  pid="$(cat "$pidfile")"
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
done
# Let the next test run have the cluster.
if [ -z "${JOBSUB_SLURM_KEEP_LOCK:-}" ] && [ -f "$dir.lock-holder" ]; then
  kill "$(cat "$dir.lock-holder")" 2>/dev/null || true
  rm -f "$dir.lock-holder"
fi
echo "stop-slurm: stopped"
