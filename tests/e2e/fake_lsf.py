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
reason TERM_OWNER). The queue is kept in $FAKE_LSF_DIR/state.json; a job runs
as soon as its throttle allows, in the background, as on an idle cluster.
  FAKE_LSF_SLOW_AFTER=S    bsub sleeps S seconds after accepting a job (a test kills jobsub then)
  FAKE_LSF_SLOW_BEFORE=S   bsub sleeps S seconds before it accepts anything (likewise)
  FAKE_LSF_CONSISTENT_EXIT=1  as with LSB_BJOBS_CONSISTENT_EXIT_CODE=Y: bjobs exits 255 when any id
                           is unknown, and with `No job found` when the user has no jobs
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


def start(task, script, env, out, err):
    exit_file = HOME / f"{task['id']}.exit"
    proc = subprocess.Popen(["bash", "-c", 'bash "$1" > "$2" 2> "$3"; echo $? > "$4"', "_", script, out, err,
                             str(exit_file)], env=env, cwd=os.environ.get("HOME", "/"), stdin=subprocess.DEVNULL,
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
        return ("DONE", None, None) if code == 0 else ("EXIT", code, None)
    return "RUN", None, None


def schedule(q):
    """Starts pending elements as each array's throttle allows."""
    for job in q["jobs"]:
        running = sum(1 for t in job["tasks"] if task_state(t)[0] == "RUN")
        for task in job["tasks"]:
            if task.get("started") or task.get("killed"):
                continue
            if job["limit"] and running >= job["limit"]:
                break
            start(task, job["script"], {**job["env"], "LSB_JOBID": str(job["seq"]),
                                        "LSB_JOBINDEX": str(task["index"])}, task["out"], task["err"])
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
                          "description": opts.get("-Jd", ""), "script": script, "env": env, "tasks": tasks})
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
        known = {str(job["seq"]) for job in q["jobs"]}
        missing = [w for w in wanted if w not in known]
        for job in q["jobs"]:
            if wanted and str(job["seq"]) not in wanted:
                continue
            for task in job["tasks"]:
                stat, code, reason = task_state(task)
                print("|".join([str(job["seq"]), str(task["index"]), stat, "-" if code is None else str(code),
                                reason or "-", job["description"] or "-"]))
    for w in missing:
        print(f"Job <{w}> is not found", file=sys.stderr)
    consistent = os.environ.get("FAKE_LSF_CONSISTENT_EXIT") == "1"
    if not wanted and not q["jobs"]:
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
                    if task.get("started"):
                        try:
                            os.killpg(task["pid"], signal.SIGKILL)
                        except ProcessLookupError:
                            pass
                    print(f"Job <{task['id']}> is being terminated")
    return 0


if __name__ == "__main__":
    command = pathlib.Path(sys.argv[0]).name
    sys.exit({"bsub": bsub, "bjobs": bjobs, "bkill": bkill}[command](sys.argv[1:]))
