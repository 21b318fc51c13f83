#!/bin/bash
# mine: log_vs_random 1-144 time=2h
# init: source ~/miniconda3/bin/activate ml3
# init: export OMP_NUM_THREADS=1
JOBSUB_TASK_ID=$JOBSUB_ARRAY_TASK_ID
JOBSUB_RESULTS_DIR='/home/ann o'\''neil/my "proj"/experiments/x/results/log_vs_random/2026-01-02_03-04-05'
printf -v JOBSUB_JOB_DIR '%s/jobs/%04d' "$JOBSUB_RESULTS_DIR" "$JOBSUB_TASK_ID"
export JOBSUB_TASK_ID JOBSUB_RESULTS_DIR JOBSUB_JOB_DIR
mkdir -p "$JOBSUB_JOB_DIR" || exit 1
jobsub_line() { sed -n "${JOBSUB_TASK_ID}{p;q}" "$JOBSUB_RESULTS_DIR/$1"; }
jobsub_line params.jsonl > "$JOBSUB_JOB_DIR/params.json"
jobsub_line argv.jsonl > "$JOBSUB_JOB_DIR/argv.json"
JOBSUB_COMMAND=$(jobsub_line commands)
if [ -z "$JOBSUB_COMMAND" ]; then
  echo "jobsub: no command for job $JOBSUB_TASK_ID in $JOBSUB_RESULTS_DIR/commands" >&2
  echo 127 > "$JOBSUB_JOB_DIR/exit_code"
  exit 127
fi
(
  cd '/home/ann o'\''neil/my "proj"' || exit 1
  source ~/miniconda3/bin/activate ml3
  export OMP_NUM_THREADS=1
  eval "$JOBSUB_COMMAND"
) < /dev/null > "$JOBSUB_JOB_DIR/stdout" 2> "$JOBSUB_JOB_DIR/stderr"
JOBSUB_EXIT=$?
echo "$JOBSUB_EXIT" > "$JOBSUB_JOB_DIR/exit_code.tmp" && mv -f "$JOBSUB_JOB_DIR/exit_code.tmp" "$JOBSUB_JOB_DIR/exit_code"
exit "$JOBSUB_EXIT"
