#!/bin/bash
# mine: log_vs_random 1-144 time=2h
# init: source ~/miniconda3/bin/activate ml3
# init: export OMP_NUM_THREADS=1
JOBSUB_TASK_ID=$JOBSUB_ARRAY_TASK_ID
JOBSUB_RESULTS_DIR='/home/ann o'\''neil/my "proj"/experiments/x/results/log_vs_random/2026-01-02_03-04-05'
export JOBSUB_RESULTS_DIR
# Bytes [$2, $3) of job file $1, read in constant time.
jobsub_slice() {
  dd if="$JOBSUB_RESULTS_DIR/$1" iflag=skip_bytes,count_bytes skip=$((10#$2)) count=$((10#$3 - 10#$2)) bs=1M status=none
}
# Job $JOBSUB_TASK_ID's params and argv into its directory, its command line
# into JOBSUB_COMMAND. tasks.idx has fixed-width records of byte offsets.
jobsub_lookup() {
  local offsets
  offsets=($(dd if="$JOBSUB_RESULTS_DIR/tasks.idx" bs=39 skip=$((JOBSUB_TASK_ID - 1)) count=2 status=none))
  [ "${#offsets[@]}" -eq 6 ] &&
    jobsub_slice params.jsonl "${offsets[1]}" "${offsets[4]}" > "$JOBSUB_JOB_DIR/params.json" &&
    jobsub_slice argv.jsonl "${offsets[2]}" "${offsets[5]}" > "$JOBSUB_JOB_DIR/argv.json" &&
    JOBSUB_COMMAND=$(jobsub_slice commands "${offsets[0]}" "${offsets[3]}")
}
# After an init command: its status ($1) and its text ($2). A command that
# failed fails the job before the program starts.
jobsub_init_check() {
  [ "$1" = 0 ] && return 0
  echo "jobsub: init failed with exit status $1, so the program did not run: $2" >&2
  printf '%s\n%s\n' "$1" "$2" > "$JOBSUB_JOB_DIR/init_failed"
  return "$1"
}
# Job $JOBSUB_TASK_ID's directory into JOBSUB_JOB_DIR.
jobsub_job_dir() {
  printf -v JOBSUB_JOB_DIR '%s/jobs/%04d' "$JOBSUB_RESULTS_DIR" "$JOBSUB_TASK_ID"
}
# Runs job $JOBSUB_TASK_ID and returns its exit code. $1 is its command line
# when the caller already has it (and has made its directory).
jobsub_task() {
  jobsub_job_dir
  export JOBSUB_TASK_ID JOBSUB_JOB_DIR
  # A local worker's job cancelled while it waited: not run, as if stopped by SIGTERM.
  if [ -n "${JOBSUB_WORKER:-}" ] && [ -e "$JOBSUB_JOB_DIR/cancelled" ]; then return 143; fi
  JOBSUB_COMMAND=$1
  if [ -z "$JOBSUB_COMMAND" ]; then
    mkdir -p "$JOBSUB_JOB_DIR" || return 1
    if ! jobsub_lookup || [ -z "$JOBSUB_COMMAND" ]; then
      echo "jobsub: no command for job $JOBSUB_TASK_ID in $JOBSUB_RESULTS_DIR" >&2
      return 127
    fi
  fi
  JOBSUB_METRICS=$JOBSUB_JOB_DIR/metrics.jsonl
  export JOBSUB_METRICS
  echo "${EPOCHREALTIME:-$(date +%s)}" > "$JOBSUB_JOB_DIR/started"
  (
    cd '/home/ann o'\''neil/my "proj"' || exit 1
    source ~/miniconda3/bin/activate ml3
    jobsub_init_check $? 'source ~/miniconda3/bin/activate ml3' || exit
    export OMP_NUM_THREADS=1
    jobsub_init_check $? 'export OMP_NUM_THREADS=1' || exit
    eval "$JOBSUB_COMMAND"
  ) < /dev/null > "$JOBSUB_JOB_DIR/stdout" 2> "$JOBSUB_JOB_DIR/stderr"
}
if [ -n "${JOBSUB_WORKER:-}" ]; then
  # A worker of the local scheduler: "<job><TAB><command>" lines on stdin,
  # "<job> <exit code>" on stdout as each job ends.
  while IFS= read -r JOBSUB_LINE; do
    JOBSUB_TASK_ID=${JOBSUB_LINE%%$'\t'*}
    export JOBSUB_ARRAY_TASK_ID=$JOBSUB_TASK_ID
    jobsub_task "${JOBSUB_LINE#*$'\t'}"
    echo "$JOBSUB_TASK_ID $?"
  done
  exit 0
fi
case ${JOBSUB_TASK_ID:-} in
  '' | *[!0-9]*)
    echo "jobsub: no job number (JOBSUB_TASK_ID='${JOBSUB_TASK_ID:-}'): the script's preamble sets it" >&2
    exit 2 ;;
esac
jobsub_task ""
JOBSUB_EXIT=$?
echo "$JOBSUB_EXIT" > "$JOBSUB_JOB_DIR/exit_code.tmp" && mv -f "$JOBSUB_JOB_DIR/exit_code.tmp" "$JOBSUB_JOB_DIR/exit_code"
exit "$JOBSUB_EXIT"
