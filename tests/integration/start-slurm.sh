#!/usr/bin/env bash
# Installs (apt) and starts a single-node Slurm for jobsub's tests: munge,
# MariaDB and slurmdbd (accounting: sacct), slurmctld and slurmd, with every
# config, database, state, spool, pid and log file in a scratch directory and
# a fresh accounting database each run. No system file is changed: clients
# find the config through SLURM_CONF=<scratch>/slurm.conf. Memory is enforced
# through the cgroup v1 memory controller where the machine has one we may
# use (OUT_OF_MEMORY is then real); else the node runs without it, and
# <scratch>/memory-enforcement says why. Finished jobs leave squeue after
# MinJobAge=10 s, as they do (later) on a real cluster, so the tests meet the
# "queue forgot the job, accounting knows it" path. Waits (bounded) until the
# node is idle. Stop it with stop-slurm.sh. Recipe and traps: shared notes,
# local-clusters.md.
#
#   JOBSUB_SLURM_DIR   scratch directory (default /tmp/jobsub-slurm)
set -euo pipefail
dir="${JOBSUB_SLURM_DIR:-/tmp/jobsub-slurm}"
timeout_s=60

if ! command -v slurmctld >/dev/null || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null ||
   ! command -v slurmdbd >/dev/null || ! command -v mariadbd >/dev/null; then
  echo "start-slurm: installing slurmctld slurmd slurm-client slurmdbd munge mariadb-server"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends slurmctld slurmd slurm-client slurmdbd munge mariadb-server \
    >/dev/null
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
rm -rf "$dir/spool" "$dir/state" "$dir"/*.log "$dir/memory-enforcement"
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

# Accounting: a MariaDB of our own (fresh data directory, its own port and
# socket), then slurmdbd on it. Both stop by their pid files (stop-slurm.sh).
db="$dir/mysql"
rm -rf "$db"
mkdir -p "$db/data"
chown -R mysql:mysql "$db"
mariadb-install-db --user=mysql --datadir="$db/data" --auth-root-authentication-method=socket \
  >"$dir/mariadb-install.log" 2>&1 || { cat "$dir/mariadb-install.log" >&2; exit 1; }
mariadbd --user=mysql --datadir="$db/data" --socket="$db/mysqld.sock" --pid-file="$db/mysqld.pid" \
  --port=3307 --bind-address=127.0.0.1 --skip-name-resolve --log-error="$dir/mariadb.log" >/dev/null 2>&1 &
for _ in $(seq 1 300); do
  [ -S "$db/mysqld.sock" ] && mariadb --socket="$db/mysqld.sock" -e "SELECT 1" >/dev/null 2>&1 && break
  sleep 0.1
done
password="jobsub-test-$$"
mariadb --socket="$db/mysqld.sock" -e "
  CREATE USER 'slurm'@'127.0.0.1' IDENTIFIED BY '$password';
  CREATE USER 'slurm'@'localhost' IDENTIFIED BY '$password';
  GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';
  GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';" ||
  { echo "start-slurm: MariaDB did not start; log in $dir/mariadb.log" >&2; tail -n 20 "$dir/mariadb.log" >&2; exit 1; }

cat > "$dir/slurmdbd.conf" <<CONF
AuthType=auth/munge
DbdHost=localhost
DbdPort=6819
SlurmUser=root
LogFile=$dir/slurmdbd.log
PidFile=$dir/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=3307
StorageUser=slurm
StoragePass=$password
StorageLoc=slurm_acct_db
CONF
chmod 600 "$dir/slurmdbd.conf"

# Memory enforcement where the cgroup v1 memory controller is there and ours
# to use; the cgroup plugins need it mounted at /sys/fs/cgroup/memory.
enforcement="cgroup v1 memory controller (task/cgroup, ConstrainRAMSpace)"
if [ ! -d /sys/fs/cgroup/memory ] || [ ! -w /sys/fs/cgroup/memory ]; then
  enforcement=""
  echo "none: no writable cgroup v1 memory controller at /sys/fs/cgroup/memory" > "$dir/memory-enforcement"
fi

write_slurm_conf() {  # $1: cgroup or linuxproc
  local proctrack=proctrack/linuxproc task=task/none
  if [ "$1" = cgroup ]; then proctrack=proctrack/cgroup task=task/cgroup; fi
  cat > "$dir/slurm.conf" <<CONF
# jobsub test cluster: one node, accounting through slurmdbd, memory enforced
# through cgroups where the machine allows it.
ClusterName=jobsubtest
SlurmctldHost=$host
AuthType=auth/munge
ProctrackType=$proctrack
TaskPlugin=$task
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
SlurmUser=root
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=6819
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
# Finished jobs leave squeue after 10 s: jobsub must then ask accounting.
MinJobAge=10
NodeName=$host CPUs=$cpus RealMemory=4000 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:10
# Limits for automatic retries to stop at (retry.h: --retry-scale is capped by them).
PartitionName=short Nodes=$host MaxTime=2 MaxMemPerNode=300 State=UP OverSubscribe=FORCE:10
CONF
  cat > "$dir/cgroup.conf" <<CONF
CgroupPlugin=cgroup/v1
CgroupMountpoint=/sys/fs/cgroup
ConstrainRAMSpace=yes
ConstrainSwapSpace=yes
AllowedSwapSpace=0
CONF
}
export SLURM_CONF="$dir/slurm.conf"

slurmdbd
for _ in $(seq 1 100); do
  [ -f "$dir/slurmdbd.pid" ] && (exec 3<>/dev/tcp/127.0.0.1/6819) 2>/dev/null && break
  sleep 0.1
done

node_up() {
  local deadline=$((SECONDS + timeout_s)) state=""
  while [ $SECONDS -lt $deadline ]; do
    state="$(sinfo -h -o %T 2>/dev/null || true)"
    case "$state" in
      idle*|mixed*|allocated*) return 0 ;;
    esac
    # A slurmd that could not set up its cgroups has exited: no use waiting.
    if [ -f "$dir/slurmd.pid" ] && ! kill -0 "$(cat "$dir/slurmd.pid")" 2>/dev/null; then return 1; fi
    sleep 0.5
  done
  return 1
}

write_slurm_conf "${enforcement:+cgroup}"
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
if ! node_up && [ -n "$enforcement" ]; then
  reason="$(grep -h -i 'cgroup' "$dir/slurmd.log" | tail -n 1 || true)"
  echo "start-slurm: slurmd did not come up with cgroups (${reason:-no reason logged}); without memory enforcement" >&2
  echo "none: slurmd could not use cgroups here: ${reason:-see slurmd.log}" > "$dir/memory-enforcement"
  enforcement=""
  JOBSUB_SLURM_KEEP_LOCK=1 JOBSUB_SLURM_KEEP_DB=1 bash "$(dirname "${BASH_SOURCE[0]}")/stop-slurm.sh" >/dev/null
  rm -rf "$dir/spool" "$dir/state"
  mkdir -p "$dir/spool" "$dir/state"
  write_slurm_conf linuxproc
  slurmctld -f "$SLURM_CONF"
  slurmd -f "$SLURM_CONF"
  node_up || true
fi
[ -n "$enforcement" ] && echo "$enforcement" > "$dir/memory-enforcement"

state="$(sinfo -h -o %T 2>/dev/null || true)"
case "$state" in
  idle*|mixed*|allocated*)
    # Accounting answers (a fresh database registers the cluster on first contact).
    for _ in $(seq 1 100); do
      sacct -n -X -S now-1minutes >/dev/null 2>&1 && break
      sleep 0.2
    done
    if ! sacct -n -X -S now-1minutes >/dev/null 2>"$dir/sacct.err"; then
      echo "start-slurm: sacct does not answer: $(cat "$dir/sacct.err")" >&2
      exit 1
    fi
    echo "start-slurm: node $host is $state, accounting on, memory enforcement: $(cat "$dir/memory-enforcement") (SLURM_CONF=$SLURM_CONF)"
    exit 0 ;;
esac
echo "start-slurm: node not idle after ${timeout_s}s (state '$state'); logs in $dir" >&2
tail -n 20 "$dir/slurmctld.log" "$dir/slurmd.log" >&2 || true
exit 1
