#!/usr/bin/env bash
# Installs (apt) and starts a single-node Slurm for jobsub's tests: munge,
# slurmctld and slurmd, with every config, state, spool, pid and log file in
# a scratch directory. No system file is changed: clients find the config
# through SLURM_CONF=<scratch>/slurm.conf. Waits (bounded) until the node is
# idle. Stop it with stop-slurm.sh. Recipe and traps: shared notes,
# local-clusters.md.
#
#   JOBSUB_SLURM_DIR   scratch directory (default /tmp/jobsub-slurm)
set -euo pipefail
dir="${JOBSUB_SLURM_DIR:-/tmp/jobsub-slurm}"
timeout_s=60

if ! command -v slurmctld >/dev/null || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  echo "start-slurm: installing slurmctld slurmd slurm-client munge"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
fi

# One test run at a time owns the test Slurm (its daemons use fixed ports and
# this scratch directory): the lock is held by a process that lives as long
# as the ctest that ran this script, so a killed run releases it too.
exec 9>"$dir.lock"
if ! flock -n 9; then
  echo "start-slurm: another test run is using the test Slurm; waiting (at most ${JOBSUB_SLURM_LOCK_WAIT:-240} s)"
  flock -w "${JOBSUB_SLURM_LOCK_WAIT:-240}" 9 || { echo "start-slurm: the test Slurm stayed busy" >&2; exit 1; }
fi
tail --pid="$PPID" -f /dev/null 9>&9 >/dev/null 2>&1 &
echo $! > "$dir.lock-holder"
exec 9>&-

# Every run starts a cluster with no jobs: daemons that an earlier, killed run
# left in this scratch directory are stopped by their pid files (they are
# ours), and Slurm's saved queue and spool are removed.
JOBSUB_SLURM_KEEP_LOCK=1 bash "$(dirname "${BASH_SOURCE[0]}")/stop-slurm.sh" >/dev/null
rm -rf "$dir/spool" "$dir/state" "$dir"/*.log
mkdir -p "$dir/spool" "$dir/state"
host="$(hostname -s)"
cpus="$(nproc)"

# munge authenticates Slurm's messages; the Debian package created its key.
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  mkdir -p /run/munge
  chown munge:munge /run/munge 2>/dev/null || true
  munged --force 2>/dev/null || munged --force
  for _ in $(seq 1 50); do
    munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break
    sleep 0.1
  done
fi
munge -n | unmunge >/dev/null || { echo "start-slurm: munge does not work" >&2; exit 1; }

cat > "$dir/slurm.conf" <<CONF
# jobsub test cluster: one node, no cgroups, no accounting.
ClusterName=jobsubtest
SlurmctldHost=$host
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
SlurmUser=root
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmdSpoolDir=$dir/spool
StateSaveLocation=$dir/state
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
MaxArraySize=100001
# Without a default, a job without --mem takes all of the node's memory under
# CR_Core_Memory, and jobs then run one at a time.
DefMemPerCPU=100
MaxJobCount=200000
MinJobAge=600
NodeName=$host CPUs=$cpus RealMemory=4000 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:10
CONF
export SLURM_CONF="$dir/slurm.conf"

slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"

deadline=$((SECONDS + timeout_s))
state=""
while [ $SECONDS -lt $deadline ]; do
  state="$(sinfo -h -o %T 2>/dev/null || true)"
  case "$state" in
    idle*|mixed*|allocated*) echo "start-slurm: node $host is $state (SLURM_CONF=$SLURM_CONF)"; exit 0 ;;
  esac
  sleep 0.5
done
echo "start-slurm: node not idle after ${timeout_s}s (state '$state'); logs in $dir" >&2
tail -n 20 "$dir/slurmctld.log" "$dir/slurmd.log" >&2 || true
exit 1
