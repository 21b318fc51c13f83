#!/usr/bin/env bash
# Installs (apt) and starts a single-host Grid Engine for jobsub's tests: its
# own cell (SGE_ROOT=/var/lib/gridengine, SGE_CELL=jobsubtest) with spool,
# pid and log files in a scratch directory, made afresh from the Debian
# package's default cell on every run (so no job of a killed run comes back),
# then sge_qmaster, the configuration (root may run jobs, a `smp` parallel
# environment, the queue all.q, a one-second scheduler, accounting flushed at
# once), and sge_execd. Waits (bounded) until the host reports a load. Stop it
# with stop-sge.sh. Recipe and traps: shared notes, local-clusters.md.
#
#   JOBSUB_SGE_DIR   scratch directory (default /tmp/jobsub-sge)
set -euo pipefail
dir="${JOBSUB_SGE_DIR:-/tmp/jobsub-sge}"
timeout_s=60
export SGE_ROOT=/var/lib/gridengine SGE_CELL=jobsubtest

if ! command -v sge_qmaster >/dev/null && [ ! -x /usr/sbin/sge_qmaster ] || ! command -v qsub >/dev/null; then
  echo "start-sge: installing gridengine-master gridengine-exec gridengine-client"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends gridengine-master gridengine-exec gridengine-client >/dev/null
fi

# One test run at a time owns the test Grid Engine (fixed ports, this scratch
# directory): the lock is held by a process that lives as long as the ctest
# that ran this script.
mkdir -p "$(dirname "$dir")"
exec 9>"$dir.lock"
if ! flock -n 9; then
  echo "start-sge: another test run is using the test Grid Engine; waiting (at most ${JOBSUB_SGE_LOCK_WAIT:-240} s)"
  flock -w "${JOBSUB_SGE_LOCK_WAIT:-240}" 9 || { echo "start-sge: the test Grid Engine stayed busy" >&2; exit 1; }
fi
tail --pid="$PPID" -f /dev/null 9>&9 >/dev/null 2>&1 &
echo $! > "$dir.lock-holder"
exec 9>&-

JOBSUB_SGE_KEEP_LOCK=1 bash "$(dirname "${BASH_SOURCE[0]}")/stop-sge.sh" >/dev/null
rm -rf "$dir" "$SGE_ROOT/$SGE_CELL"
mkdir -p "$dir/qmaster" "$dir/execd" "$dir/conf"
host="$(hostname)"
cell="$SGE_ROOT/$SGE_CELL/common"
cp -a "$SGE_ROOT/default" "$SGE_ROOT/$SGE_CELL"
cp -a /var/spool/gridengine/spooldb "$dir/spooldb"
sed -i -e "s|^admin_user .*|admin_user              root|" \
  -e "s|^spooling_params .*|spooling_params         $dir/spooldb|" \
  -e "s|^qmaster_spool_dir .*|qmaster_spool_dir       $dir/qmaster|" "$cell/bootstrap"
echo "$host" > "$cell/act_qmaster"
# The host name resolves to 127.0.0.1, which qmaster would call `localhost`.
echo "$host localhost" > "$cell/host_aliases"

/usr/sbin/sge_qmaster
deadline=$((SECONDS + timeout_s))
until qconf -sconf >/dev/null 2>&1; do
  [ $SECONDS -lt $deadline ] || { echo "start-sge: qmaster does not answer; $dir/qmaster/messages:" >&2;
                                  tail -n 20 "$dir/qmaster/messages" >&2 || true; exit 1; }
  sleep 0.2
done

# The global configuration: root's jobs run, execd spools here, accounting is
# written at once (qacct). Continuation lines are joined before editing.
qconf -sconf | sed -e ':a' -e '/\\$/N; s/\\\n[[:space:]]*/ /; ta' \
  | sed -e "s|^min_uid .*|min_uid 0|" -e "s|^min_gid .*|min_gid 0|" \
        -e "s|^execd_spool_dir .*|execd_spool_dir $dir/execd|" \
        -e "s|^reporting_params .*|reporting_params accounting=true reporting=false flush_time=00:00:01 joblog=false sharelog=00:00:00 accounting_flush_time=00:00:00|" \
  > "$dir/conf/global"
(cd "$dir/conf" && qconf -Mconf global >/dev/null 2>&1)
qconf -as "$host" >/dev/null 2>&1
cat > "$dir/conf/smp" <<PE
pe_name smp
slots 999
user_lists NONE
xuser_lists NONE
start_proc_args NONE
stop_proc_args NONE
allocation_rule \$pe_slots
control_slaves FALSE
job_is_first_task TRUE
urgency_slots min
accounting_summary FALSE
qsort_args NONE
PE
qconf -Ap "$dir/conf/smp" >/dev/null 2>&1
qconf -ssconf | sed -e "s|^schedule_interval .*|schedule_interval 0:0:1|" -e "s|^flush_submit_sec .*|flush_submit_sec 1|" \
  -e "s|^flush_finish_sec .*|flush_finish_sec 1|" > "$dir/conf/sched"
qconf -Msconf "$dir/conf/sched" >/dev/null 2>&1
{
  printf 'qname all.q\nhostlist %s\nseq_no 0\nload_thresholds NONE\nsuspend_thresholds NONE\nnsuspend 1\n' "$host"
  printf 'suspend_interval 00:05:00\npriority 0\nmin_cpu_interval 00:05:00\nprocessors UNDEFINED\n'
  printf 'qtype BATCH INTERACTIVE\nckpt_list NONE\npe_list smp\nrerun FALSE\nslots 8\ntmpdir /tmp\nshell /bin/bash\n'
  printf 'prolog NONE\nepilog NONE\nshell_start_mode unix_behavior\nstarter_method NONE\nsuspend_method NONE\n'
  printf 'resume_method NONE\nterminate_method NONE\nnotify 00:00:60\nowner_list NONE\nuser_lists NONE\n'
  printf 'xuser_lists NONE\nsubordinate_list NONE\ncomplex_values NONE\nprojects NONE\nxprojects NONE\n'
  printf 'calendar NONE\ninitial_state default\n'
  for limit in s_rt h_rt s_cpu h_cpu s_fsize h_fsize s_data h_data s_stack h_stack s_core h_core s_rss h_rss \
               s_vmem h_vmem; do
    printf '%s INFINITY\n' "$limit"
  done
} > "$dir/conf/all.q"
qconf -Aq "$dir/conf/all.q" >/dev/null 2>&1

/usr/sbin/sge_execd
until qhost -h "$host" 2>/dev/null | awk -v h="$host" '$1 == h && $7 != "-" { ok = 1 } END { exit !ok }'; do
  [ $SECONDS -lt $deadline ] || { echo "start-sge: $host reports no load after ${timeout_s}s" >&2;
                                  qhost >&2 || true; exit 1; }
  sleep 0.2
done
echo "start-sge: $host is up (SGE_ROOT=$SGE_ROOT SGE_CELL=$SGE_CELL)"
