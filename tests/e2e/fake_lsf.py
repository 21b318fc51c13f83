#!/usr/bin/env python3
"""A stand-in for IBM Spectrum LSF's bsub, bjobs and bkill (called by those
names through symlinks), because no LSF can be installed on the machines
jobsub is built and tested on. It answers as LSF 10.1's command reference
shows: `bsub` reads the job script on standard input (its `#BSUB` lines are
options, the command line wins), prints `Job <N> is submitted to default
queue <normal>.`; `-J "name[1-n]%K"` makes an array whose elements see
LSB_JOBINDEX and run at most K at a time; `-env "all,VAR=value"` adds
variables; `-Jd` is the job description. `bjobs -a -noheader -o "jobid jobindex
stat exit_code exit_reason job_description delimiter='|'"` lists jobs and array
elements (stat PEND, RUN, DONE, EXIT; exit_code `-` when none); an id it does
not know gives `Job <N> is not found` on stderr. `bkill` sends a kill (exit
reason TERM_OWNER). A run limit (`-W [H:]M`) kills the job (exit 140, reason
TERM_RUNLIMIT); at its end a job report is appended to its output file, as
LSF does with LSB_STDOUT_DIRECT=Y. `bacct -l JOB...` shows every finished job
or element in bacct's long format, its lines wrapped at 79 columns as LSF
wraps them (`No matching job found`, exit 255, when there is none). The queue
is kept in $FAKE_LSF_DIR/state.json; a job runs as soon as its throttle
allows, in the background, as on an idle cluster.
  FAKE_LSF_SLOW_AFTER=S    bsub sleeps S seconds after accepting a job (a test kills jobsub then)
  FAKE_LSF_SLOW_BEFORE=S   bsub sleeps S seconds before it accepts anything (likewise)
  FAKE_LSF_CONSISTENT_EXIT=1  as with LSB_BJOBS_CONSISTENT_EXIT_CODE=Y: bjobs exits 255 when any id
                           is unknown, and with `No job found` when the user has no jobs
  FAKE_LSF_MINUTE=S        a minute of a run limit lasts S seconds (default 60)
  FAKE_LSF_CLEAN_PERIOD=S  bjobs forgets a job S seconds after it finished (LSF's CLEAN_PERIOD;
                           default: never)
"""
import os
import pathlib
import re
import signal
import subprocess
import sys
import time

from fake_queue import Queue

HOME = pathlib.Path(os.environ["FAKE_LSF_DIR"])


def options(words):
    """`-X value` pairs and bare flags, as bsub reads them."""
    opts, i = {}, 0
    while i < len(words):
        flag = words[i]
        if flag in ("-J", "-Jd", "-env", "-o", "-e", "-q", "-W", "-M", "-n", "-P", "-w", "-gpu", "-R"):
            if i + 1 >= len(words):
                raise SystemExit(f"{flag}: option requires an argument")
            opts[flag] = words[i + 1]
            i += 2
        else:
            raise SystemExit(f"bsub: illegal option -- {flag}")
    return opts


# Runs the script under its run limit ($5 seconds, 0: none; timeout's 124 is
# LSF's TERM_RUNLIMIT, exit 140), appends the job report to the output file,
# then writes the exit code ($4; `.runlimit` beside it marks the limit).
RUNNER = r"""
timeout -s TERM -k 2 "$5" bash "$1" > "$2" 2> "$3"; code=$?
reason=""
if [ "$5" != 0 ] && { [ $code = 124 ] || [ $code = 137 ]; }; then code=140; reason="TERM_RUNLIMIT: job killed after reaching LSF run time limit."; touch "$4.runlimit"; fi
{ echo; echo "------------------------------------------------------------"
  echo "Sender: LSF System <lsfadmin@fakehost>"
  if [ $code = 0 ]; then echo "Subject: Job $6: <$7> in cluster <fake> Done"; echo; echo "Successfully completed."
  else echo "Subject: Job $6: <$7> in cluster <fake> Exited"; echo; [ -n "$reason" ] && echo "$reason"
       echo "Exited with exit code $code."; fi; } >> "$2"
echo $code > "$4"
"""


def run_limit(value):
    """-W [hour:]minute as seconds, scaled by FAKE_LSF_MINUTE."""
    if not value:
        return 0
    hours, _, minutes = value.rpartition(":")
    return (int(hours or 0) * 60 + int(minutes)) * float(os.environ.get("FAKE_LSF_MINUTE", "60"))


def start(task, job):
    exit_file = HOME / f"{task['id']}.exit"
    env = {**job["env"], "LSB_JOBID": str(job["seq"]), "LSB_JOBINDEX": str(task["index"])}
    proc = subprocess.Popen(["bash", "-c", RUNNER, "_", job["script"], task["out"], task["err"], str(exit_file),
                             str(job.get("run_limit", 0)), task["id"], job.get("name", "NONAME")],
                            env=env, cwd=os.environ.get("HOME", "/"), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    task.update(pid=proc.pid, exit_file=str(exit_file), started=True)


def task_state(task):
    if task.get("killed"):
        return "EXIT", 130 if task.get("started") else None, "TERM_OWNER: job killed by owner"
    if not task.get("started"):
        return "PEND", None, None
    exit_file = pathlib.Path(task["exit_file"])
    if exit_file.exists() and exit_file.read_text().strip():
        code = int(exit_file.read_text())
        if pathlib.Path(task["exit_file"] + ".runlimit").exists():
            return "EXIT", code, "TERM_RUNLIMIT: job killed after reaching LSF run time limit"
        return ("DONE", None, None) if code == 0 else ("EXIT", code, None)
    return "RUN", None, None


def finished_at(task):
    """When a finished task ended (its exit file's time), else None."""
    if task_state(task)[0] not in ("DONE", "EXIT"):
        return None
    try:
        return pathlib.Path(task["exit_file"]).stat().st_mtime
    except (KeyError, FileNotFoundError):
        return task.get("killed_at", 0)


def forgotten(job):
    """bjobs -a forgets a job CLEAN_PERIOD seconds after all of it finished."""
    period = os.environ.get("FAKE_LSF_CLEAN_PERIOD")
    if not period:
        return False
    ends = [finished_at(t) for t in job["tasks"]]
    return all(e is not None for e in ends) and time.time() - max(ends) > float(period)


def schedule(q):
    """Starts pending elements as each array's throttle allows."""
    for job in q["jobs"]:
        running = sum(1 for t in job["tasks"] if task_state(t)[0] == "RUN")
        for task in job["tasks"]:
            if task.get("started") or task.get("killed"):
                continue
            if job["limit"] and running >= job["limit"]:
                break
            start(task, job)
            running += 1


def bsub(args):
    text = sys.stdin.read()
    if os.environ.get("FAKE_LSF_SLOW_BEFORE"):
        (HOME.mkdir(parents=True, exist_ok=True), (HOME / "entered").touch())
        time.sleep(float(os.environ["FAKE_LSF_SLOW_BEFORE"]))
    directives = []
    for line in text.splitlines():
        if line.startswith("#BSUB "):
            directives += [w.strip('"') for w in re.findall(r'"[^"]*"|\S+', line[6:])]
    try:
        opts = {**options(directives), **options(args)}
    except SystemExit as e:
        print(e, file=sys.stderr)
        return 255
    name = opts.get("-J", "NONAME")
    m = re.fullmatch(r"([^\[]*)\[(\d+)-(\d+)\](?:%(\d+))?", name)
    indices = list(range(int(m.group(2)), int(m.group(3)) + 1)) if m else [0]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/root")}
    extra = opts.get("-env", "")
    for item in extra.split(","):
        item = item.strip()
        if item and item != "all" and "=" in item:
            key, _, value = item.partition("=")
            env[key] = value
    with Queue(HOME, 300) as q:
        seq = q["next"]
        q["next"] += 1
        script = str(HOME / f"script.{seq}")
        pathlib.Path(script).write_text(text)
        tasks = []
        for index in indices:
            def path(flag):
                pattern = opts.get(flag, os.getcwd() + f"/lsf.{flag[1]}%J_%I")
                return pattern.replace("%J", str(seq)).replace("%I", str(index))
            tasks.append({"id": f"{seq}[{index}]" if m else str(seq), "index": index, "out": path("-o"),
                          "err": path("-e")})
        q["jobs"].append({"seq": seq, "array": bool(m), "limit": int(m.group(4)) if m and m.group(4) else 0,
                          "description": opts.get("-Jd", ""), "script": script, "env": env, "tasks": tasks,
                          "name": m.group(1) if m else name, "run_limit": run_limit(opts.get("-W"))})
        schedule(q)
    print(f"Job <{seq}> is submitted to default queue <normal>.")
    sys.stdout.flush()
    if os.environ.get("FAKE_LSF_SLOW_AFTER"):
        (HOME / "accepted").touch()
        time.sleep(float(os.environ["FAKE_LSF_SLOW_AFTER"]))
    return 0


def bjobs(args):
    wanted, i = [], 0
    while i < len(args):
        if args[i] == "-o":
            i += 2
        elif args[i].startswith("-"):
            i += 1
        else:
            wanted.append(args[i])
            i += 1
    missing = []
    with Queue(HOME, 300) as q:
        schedule(q)
        listed = [job for job in q["jobs"] if not forgotten(job)]
        known = {str(job["seq"]) for job in listed}
        missing = [w for w in wanted if w not in known]
        for job in listed:
            if wanted and str(job["seq"]) not in wanted:
                continue
            for task in job["tasks"]:
                stat, code, reason = task_state(task)
                print("|".join([str(job["seq"]), str(task["index"]), stat, "-" if code is None else str(code),
                                reason or "-", job["description"] or "-"]))
    for w in missing:
        print(f"Job <{w}> is not found", file=sys.stderr)
    consistent = os.environ.get("FAKE_LSF_CONSISTENT_EXIT") == "1"
    if not wanted and not listed:
        print("No job found", file=sys.stderr)
        return 255 if consistent else 0
    return 255 if missing and (consistent or len(missing) == len(wanted)) else 0


def bkill(args):
    with Queue(HOME, 300) as q:
        for job in q["jobs"]:
            for task in job["tasks"]:
                if task["id"] in args or str(job["seq"]) in args:
                    if task_state(task)[0] in ("DONE", "EXIT"):
                        continue
                    task["killed"] = True
                    task["killed_at"] = time.time()
                    if task.get("started"):
                        try:
                            os.killpg(task["pid"], signal.SIGKILL)
                        except ProcessLookupError:
                            pass
                    print(f"Job <{task['id']}> is being terminated")
    return 0


def wrapped(line):
    """A line as LSF prints it in bacct -l and bhist -l: cut every 79
    columns, wherever that falls, the rest indented by 21 spaces."""
    out, first = [], True
    while line:
        width = 79 if first else 58
        out.append(("" if first else " " * 21) + line[:width])
        line, first = line[width:], False
    return "\n".join(out)


def bacct(args):
    wanted = [a for a in args if not a.startswith("-")]
    stamp = time.strftime("%a %b %e %H:%M:%S")
    records = []
    with Queue(HOME, 300) as q:
        for job in q["jobs"]:
            if wanted and str(job["seq"]) not in wanted:
                continue
            for task in job["tasks"]:
                stat, _, reason = task_state(task)
                if stat not in ("DONE", "EXIT"):
                    continue
                name = job.get("name", "NONAME") + (f"[{task['index']}]" if job["array"] else "")
                completed = "Completed <done>." if stat == "DONE" else (
                    f"Completed <exit>; {reason}." if reason else "Completed <exit>.")
                records.append("\n".join([
                    wrapped(f"Job <{task['id']}>, Job Name <{name}>, User <{os.environ.get('USER', 'root')}>, "
                            f"Project <default>, Status <{stat}>, Queue <normal>, Command <{job['script']}>"),
                    wrapped(f"{stamp}: Submitted from host <fakehost>, CWD <$HOME>;"),
                    wrapped(f"{stamp}: Dispatched to <fakehost>;"),
                    wrapped(f"{stamp}: {completed}"),
                    "",
                    "Accounting information about this job:",
                    "     CPU_T     WAIT     TURNAROUND   STATUS     HOG_FACTOR    MEM    SWAP",
                    f"      0.01        0              1     {stat.lower():4}         0.0100     2M      0M",
                    "-" * 78, ""]))
    if not records:
        print("No matching job found", file=sys.stderr)
        return 255
    print("Accounting information about jobs that are:\n  - submitted by all users.\n"
          "  - accounted on all projects.\n  - completed normally or exited\n  - executed on all hosts.\n"
          "  - submitted to all queues.\n  - accounted on all service classes.\n" + "-" * 78 + "\n")
    print("\n".join(records))
    return 0


if __name__ == "__main__":
    command = pathlib.Path(sys.argv[0]).name
    sys.exit({"bsub": bsub, "bjobs": bjobs, "bkill": bkill, "bacct": bacct}[command](sys.argv[1:]))
