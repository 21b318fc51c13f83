#!/usr/bin/env bash
# Stops the test Slurm started by start-slurm.sh (slurmd, slurmctld, slurmdbd
# and its MariaDB), by the pids in their pid files, never by name.
set -uo pipefail
dir="${JOBSUB_SLURM_DIR:-/tmp/jobsub-slurm}"
stop() {  # $1: pid file
  local pidfile="$1" pid
  [ -f "$pidfile" ] || return 0
  pid="$(cat "$pidfile")"
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}
stop "$dir/slurmd.pid"
stop "$dir/slurmctld.pid"
if [ -z "${JOBSUB_SLURM_KEEP_DB:-}" ]; then
  stop "$dir/slurmdbd.pid"
  stop "$dir/mysql/mysqld.pid"
fi
# Let the next test run have the cluster.
if [ -z "${JOBSUB_SLURM_KEEP_LOCK:-}" ] && [ -f "$dir.lock-holder" ]; then
  kill "$(cat "$dir.lock-holder")" 2>/dev/null || true
  rm -f "$dir.lock-holder"
fi
echo "stop-slurm: stopped"
