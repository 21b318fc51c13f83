#!/usr/bin/env bash
# Stops the test Grid Engine started by start-sge.sh, by the pids in its pid
# files, and the jobs its execd leaves running: execd does not end them when
# it stops, so each sge_shepherd working in this scratch directory (its cwd is
# the job's spool directory) is killed with the job processes under it.
set -uo pipefail
dir="${JOBSUB_SGE_DIR:-/tmp/jobsub-sge}"
stop() {  # pid: TERM, wait up to 15 s (qmaster takes 7-10 s), then KILL
  local pid="$1"
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 150); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
}
for shepherd in $(pgrep -x sge_shepherd 2>/dev/null); do
  case "$(readlink "/proc/$shepherd/cwd" 2>/dev/null)" in
    "$dir"/*)
      for child in $(pgrep -P "$shepherd" 2>/dev/null); do
        kill -9 -- "-$child" 2>/dev/null || true  # the job's process group
        kill -9 "$child" 2>/dev/null || true
      done
      kill -9 "$shepherd" 2>/dev/null || true ;;
  esac
done
# execd names its spool directory after the host as it resolves it (`localhost` here).
for pidfile in "$dir"/execd/*/execd.pid "$dir/qmaster/qmaster.pid"; do
  [ -f "$pidfile" ] || continue
  stop "$(cat "$pidfile")"
  rm -f "$pidfile"
done
if [ -z "${JOBSUB_SGE_KEEP_LOCK:-}" ] && [ -f "$dir.lock-holder" ]; then
  kill "$(cat "$dir.lock-holder")" 2>/dev/null || true
  rm -f "$dir.lock-holder"
fi
echo "stop-sge: stopped"
