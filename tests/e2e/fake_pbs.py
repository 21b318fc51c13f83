#!/usr/bin/env python3
"""A stand-in for PBS's qsub, qstat and qdel (called by those names through
symlinks), because no PBS can be installed on the machines jobsub is built
and tested on. It keeps its queue in $FAKE_PBS_DIR/state.json, runs every
job it accepts at once in the background (as a PBS with free nodes would),
and answers like the dialect in $FAKE_PBS_DIALECT: `pro` (PBS Pro / OpenPBS:
`qsub -J`, PBS_ARRAY_INDEX, `qstat -f -F json -x -t`) or `torque` (`qsub -t
a-b%K`, PBS_ARRAYID, `qstat -f -t` text). What it is told by environment:
  FAKE_PBS_PURGE=1         finished jobs are gone from qstat (a server without history)
  FAKE_PBS_FAIL_POLLS=N    the first N `qstat -f` calls fail ("Connection refused")
  FAKE_PBS_SLOW_AFTER=S    qsub sleeps S seconds after accepting a job (so a test can kill jobsub then)
"""
import json
import os
import pathlib
import signal
import subprocess
import sys
import time

from fake_queue import Queue, alive

HOME = pathlib.Path(os.environ["FAKE_PBS_DIR"])
DIALECT = os.environ.get("FAKE_PBS_DIALECT", "pro")
SERVER = "fakepbs"


def qsub(args):
    opts, variables = {}, {}
    i = 0
    while i < len(args) - 1:
        flag = args[i]
        if flag in ("-o", "-e", "-J", "-t", "-N", "-q", "-A", "-W", "-l"):
            opts[flag] = args[i + 1]
            i += 2
        elif flag == "-v":
            for item in args[i + 1].split(","):
                key, _, value = item.partition("=")
                variables[key] = value
            i += 2
        else:
            print(f"qsub: illegal option -- {flag}", file=sys.stderr)
            return 2
    script = args[-1]
    if not os.path.isfile(script):
        print(f"qsub: script file:: No such file or directory ({script})", file=sys.stderr)
        return 2
    array = opts.get("-J") if DIALECT == "pro" else opts.get("-t")
    if DIALECT == "pro" and "-t" in opts:
        print("qsub: illegal option -- t", file=sys.stderr)
        return 2
    name = opts.get("-N", pathlib.Path(script).name)
    for line in pathlib.Path(script).read_text().splitlines():
        if line.startswith("#PBS -N "):
            name = line[8:].strip()
    with Queue(HOME, 100) as q:
        seq = q["next"]
        q["next"] += 1
        if array:
            span = array.split("%")[0]
            first, last = (int(x) for x in span.split("-"))
            if DIALECT == "pro" and last <= first:
                print("qsub: Array job must have at least 2 subjobs", file=sys.stderr)  # as PBS Pro refuses -J 1-1
                return 2
            indices = list(range(first, last + 1))
            job_id = f"{seq}[].{SERVER}"
        else:
            indices = [None]
            job_id = f"{seq}.{SERVER}"
        tasks = []
        for index in indices:
            task_id = job_id if index is None else f"{seq}[{index}].{SERVER}"
            env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/root"),
                   "PBS_JOBID": task_id, "PBS_O_WORKDIR": os.getcwd(), **variables}
            if index is not None:
                env["PBS_ARRAY_INDEX" if DIALECT == "pro" else "PBS_ARRAYID"] = str(index)
            out_dir = opts.get("-o", os.getcwd() + "/")
            suffix = f".{index}" if index is not None else ""
            out = out_dir + f"{name}.o{seq}{suffix}" if out_dir.endswith("/") else out_dir
            err_dir = opts.get("-e", os.getcwd() + "/")
            err = err_dir + f"{name}.e{seq}{suffix}" if err_dir.endswith("/") else err_dir
            exit_file = HOME / f"{task_id}.exit"
            proc = subprocess.Popen(["bash", "-c", 'bash "$1" > "$2" 2> "$3"; echo $? > "$4"', "_", script, out, err,
                                     str(exit_file)], env=env, cwd=os.environ.get("HOME", "/"),
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    start_new_session=True)
            tasks.append({"id": task_id, "pid": proc.pid, "exit_file": str(exit_file), "deleted": False})
        q["jobs"].append({"id": job_id, "name": name, "array": bool(array), "variables": variables, "tasks": tasks})
    print(job_id)
    sys.stdout.flush()
    if os.environ.get("FAKE_PBS_SLOW_AFTER"):
        (HOME / "accepted").touch()
        time.sleep(float(os.environ["FAKE_PBS_SLOW_AFTER"]))
    return 0


def task_state(task):
    exit_file = pathlib.Path(task["exit_file"])
    if exit_file.exists() and exit_file.read_text().strip():
        return "done", int(exit_file.read_text())
    if alive(task["pid"]):
        return "running", None
    if task["deleted"]:
        return "done", 271  # PBS Pro's code for a job deleted while it ran
    return "running", None  # started, its exit not written yet


def qstat(args):
    if args == ["--version"]:
        print("pbs_version = 19.1.3" if DIALECT == "pro" else "Version: 6.1.3\nCommit: fake")
        return 0
    fail = int(os.environ.get("FAKE_PBS_FAIL_POLLS", "0"))
    if fail:
        counter = HOME / "failed_polls"
        done = int(counter.read_text()) if counter.exists() else 0
        if done < fail:
            counter.write_text(str(done + 1))
            print(f"Connection refused\nqstat: cannot connect to server {SERVER} (errno=15010)", file=sys.stderr)
            return 1
    purge = os.environ.get("FAKE_PBS_PURGE") == "1"
    with Queue(HOME, 100) as q:
        rows = []  # (id, state letter, exit or None, variables)
        for job in q["jobs"]:
            states = [task_state(t) for t in job["tasks"]]
            if job["array"]:
                all_done = all(s == "done" for s, _ in states)
                if not (all_done and purge):
                    rows.append((job["id"], ("F" if DIALECT == "pro" else "C") if all_done else "B", None,
                                 job["variables"]))
            for task, (state, code) in zip(job["tasks"], states):
                if state == "done" and purge:
                    continue
                if state == "done":
                    letter = "C" if DIALECT == "torque" else ("X" if job["array"] else "F")
                else:
                    letter = "R"
                rows.append((task["id"], letter, code, job["variables"]))
    if DIALECT == "pro":
        jobs = {}
        for job_id, letter, code, variables in rows:
            entry = {"Job_Name": "x", "job_state": letter, "Variable_List": {"PBS_O_HOME": "/root", **variables}}
            if code is not None:
                entry["Exit_status"] = code
            jobs[job_id] = entry
        print(json.dumps({"timestamp": int(time.time()), "pbs_version": "19.1.3", "pbs_server": SERVER,
                          "Jobs": jobs}, indent=4))
    else:
        for job_id, letter, code, variables in rows:
            print(f"Job Id: {job_id}\n    Job_Name = x\n    job_state = {letter}")
            if code is not None:
                print(f"    exit_status = {code}")
            listed = ",".join(f"{k}={v}" for k, v in {"PBS_O_HOME": "/root", **variables}.items())
            # Torque folds a long value onto lines that start with a tab.
            print(f"    Variable_List = {listed[:40]}")
            for start in range(40, len(listed), 40):
                print(f"\t{listed[start:start + 40]}")
            print()
    return 0


def qdel(args):
    with Queue(HOME, 100) as q:
        for job in q["jobs"]:
            for task in job["tasks"]:
                if task["id"] in args or job["id"] in args:
                    task["deleted"] = True
                    try:
                        os.killpg(task["pid"], signal.SIGKILL)
                    except ProcessLookupError:
                        pass
    return 0


if __name__ == "__main__":
    command = pathlib.Path(sys.argv[0]).name
    sys.exit({"qsub": qsub, "qstat": qstat, "qdel": qdel}[command](sys.argv[1:]))
