"""Starting the action server and the Rasa server for a benchmark, on their own ports and tracker store."""
from __future__ import annotations

import os
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"


def resident_mb(pid: int) -> float:
    """Resident memory of a process and all its children, in MB, from /proc."""
    total_kb = 0
    for candidate in [pid] + _children(pid):
        try:
            for line in Path(f"/proc/{candidate}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except FileNotFoundError:
            pass
    return round(total_kb / 1024, 1)


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        children = (task / "children").read_text().split() if (task / "children").exists() else []
        for child in map(int, children):
            found += [child] + _children(child)
    return found


def wait_for(url: str, process: subprocess.Popen, limit: float = 240) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        if process.poll() is not None:
            raise RuntimeError(f"server for {url} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return time.perf_counter() - started
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {limit} s")


@contextmanager
def running_servers(model_path: str, rasa_port: int, action_port: int, name: str):
    """Yields (rasa process, action process, seconds until each answered); stops both afterwards."""
    env = {**os.environ, "ACTION_SERVER_URL": f"http://127.0.0.1:{action_port}/webhook", "ACTION_SERVER_PORT": str(action_port),
           "TRACKER_STORE_URL": f"sqlite:///{ROOT / '.run' / f'{name}-tracker.db'}",
           "RECORDS_DATABASE_URL": f"sqlite:///{ROOT / '.run' / f'{name}-records.db'}"}
    logs = ROOT / ".run" / "logs"
    actions = subprocess.Popen([str(VENV_BIN / "python"), "-m", "neurotriage.action_server"],
                               cwd=ROOT, env=env, stdout=open(logs / f"{name}-actions.log", "w"), stderr=subprocess.STDOUT)
    rasa = subprocess.Popen([str(VENV_BIN / "python"), "-m", "neurotriage.rasa_runtime", "run", "--model", model_path, "--endpoints", "endpoints.yml",
                             "--port", str(rasa_port), "--enable-api"],  # the token comes from RASA_API_TOKEN
                            cwd=ROOT, env=env, stdout=open(logs / f"{name}-rasa.log", "w"), stderr=subprocess.STDOUT)
    try:
        action_ready = wait_for(f"http://127.0.0.1:{action_port}/health", actions)
        rasa_ready = wait_for(f"http://127.0.0.1:{rasa_port}/", rasa)
        yield rasa, actions, action_ready, rasa_ready
    finally:
        for process in (rasa, actions):
            process.terminate()
        for process in (rasa, actions):
            process.wait(timeout=30)
