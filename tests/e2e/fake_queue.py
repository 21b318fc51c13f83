"""What the stand-in schedulers (fake_pbs.py, fake_lsf.py) share: a queue kept
as JSON in a directory, locked while one client call reads and changes it, and
whether a job's process still runs."""
import fcntl
import json
import pathlib


class Queue:
    """`with Queue(home, first_id) as q:` gives {"next": id, "jobs": [...]}, written back on exit."""

    def __init__(self, home, first_id):
        self.home = pathlib.Path(home)
        self.first_id = first_id

    def __enter__(self):
        self.home.mkdir(parents=True, exist_ok=True)
        self.lock = open(self.home / "lock", "w")
        fcntl.flock(self.lock, fcntl.LOCK_EX)
        state = self.home / "state.json"
        self.data = json.loads(state.read_text()) if state.exists() else {"next": self.first_id, "jobs": []}
        return self.data

    def __exit__(self, *exc):
        (self.home / "state.json").write_text(json.dumps(self.data))
        self.lock.close()


def alive(pid):
    try:
        stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (FileNotFoundError, ProcessLookupError):
        return False
