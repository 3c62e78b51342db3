"""Start-up figures: install time, training time, model size, time until the servers answer, resident memory.

Run with `make bench` (after scripts/prepare.sh). Installs into a scratch venv and trains into a scratch folder so
the figures are measured now, not remembered; prints them and writes results/bench_startup.json.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from servers import ROOT, VENV_BIN, resident_mb, running_servers

RESULTS = ROOT / "results"


def timed(command, **kwargs) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs)
    return time.perf_counter() - started


def measure_install(scratch: Path) -> float:
    # the interpreter .venv was made from, so the scratch venv is built exactly as bootstrap.sh builds it
    base_python = subprocess.run([str(VENV_BIN / "python"), "-c", "import sys; print(sys._base_executable)"],
                                 capture_output=True, text=True, check=True).stdout.strip()
    venv = scratch / "venv"
    started = time.perf_counter()
    subprocess.run([base_python, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run(pip + ["pip==24.0", "setuptools==70.3.0", "wheel==0.45.1"], check=True)
    subprocess.run(pip + ["--no-deps", "-r", str(ROOT / "requirements.lock")], check=True)
    return time.perf_counter() - started


def measure_training(scratch: Path) -> tuple[float, int]:
    out = scratch / "models"
    # --force: every component trains, as on a fresh machine, instead of coming from the cache
    seconds = timed([str(VENV_BIN / "rasa"), "train", "--force", "--out", str(out), "--fixed-model-name", "bench", "--quiet"],
                    cwd=ROOT)
    return seconds, (out / "bench.tar.gz").stat().st_size


def first_answer_seconds(rasa_port: int, process: subprocess.Popen) -> float:
    """Time until the REST channel gives a real answer (the model is loaded and the action server reached)."""
    started = time.perf_counter()
    body = json.dumps({"sender": "bench-startup", "message": "hello"}).encode()
    while time.perf_counter() - started < 240:
        if process.poll() is not None:
            raise RuntimeError("Rasa server exited")
        try:
            request = urllib.request.Request(f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook", data=body,
                                             headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=30) as response:
                if json.loads(response.read()):
                    return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("no REST answer within 240 s")


def measure_servers(model_path: str) -> dict:
    started = time.perf_counter()
    with running_servers(model_path, 5305, 5355, "bench-startup") as (rasa, actions, action_ready, rasa_ready):
        answered = first_answer_seconds(5305, rasa) + rasa_ready
        return {"action_server_ready_s": round(action_ready, 1), "rasa_server_ready_s": round(rasa_ready, 1),
                "first_rest_answer_s": round(answered, 1), "rasa_server_rss_mb": resident_mb(rasa.pid),
                "action_server_rss_mb": resident_mb(actions.pid), "measured_after_s": round(time.perf_counter() - started, 1)}


def main() -> None:
    figures: dict = {"cores": os.cpu_count()}
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        if "--skip-install" not in sys.argv:
            figures["install_s"] = round(measure_install(scratch), 1)
            shutil.rmtree(scratch / "venv", ignore_errors=True)
        figures["training_s"], size = measure_training(scratch)
        figures["training_s"] = round(figures["training_s"], 1)
        figures["model_size_mb"] = round(size / 1e6, 1)
    figures.update(measure_servers(os.environ["MODEL_PATH"]))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_startup.json").write_text(json.dumps(figures, indent=2))
    width = max(map(len, figures))
    for key, value in figures.items():
        print(f"{key:<{width}}  {value}")
    print(f"written to {RESULTS / 'bench_startup.json'}  (targets: training <= 480 s, server ready <= 60 s)")


if __name__ == "__main__":
    main()
