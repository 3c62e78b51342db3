"""`rasa init`'s moodbot as a baseline: created and trained once with this venv's Rasa, cached, served on its own port.

The project is made by `rasa init --no-prompt` in a temporary folder. That command trains with Rasa's default
configuration, unseeded; the cached model is then trained again from the same default configuration with a fixed
random_seed in each trained component, so every machine measures the same assistant. The project and model are kept
in .run/moodbot/rasa-<version>/ and reused for as long as the Rasa version stays the same.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import yaml

from servers import ROOT, VENV_BIN, wait_for

SEED = 42
# A short conversation along the moodbot's "sad path 1" story, then goodbye.
MOODBOT_SCRIPT = ["hi", "i am feeling sad", "yes", "bye"]


def rasa_version() -> str:
    import rasa

    return rasa.__version__


def project_dir() -> Path:
    return ROOT / ".run" / "moodbot" / f"rasa-{rasa_version()}"


def seeded_default_config() -> dict:
    """Rasa's default configuration (what `rasa init` trains with), each trained component with random_seed."""
    import rasa.engine.recipes

    default = Path(rasa.engine.recipes.__file__).parent / "config_files" / "default_config.yml"
    config = yaml.safe_load(default.read_text())
    config["assistant_id"] = "moodbot_baseline"
    for component in config["pipeline"] + config["policies"]:
        if "epochs" in component:
            component["random_seed"] = SEED
    return config


def ensure_model(log=print) -> Path:
    """The seeded moodbot model, trained on first use (a few minutes on 2 cores) and cached after."""
    target = project_dir()
    model = target / "models" / "moodbot.tar.gz"
    if model.exists():
        return model
    rasa = str(VENV_BIN / "rasa")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONHASHSEED": str(SEED)}
    with tempfile.TemporaryDirectory(prefix="moodbot-") as scratch:
        project = Path(scratch) / "moodbot"
        project.mkdir()  # `rasa init --init-dir` wants an existing, empty folder
        log(f"moodbot: creating the project with `rasa init --no-prompt` (Rasa {rasa_version()}) ...")
        started = time.perf_counter()
        subprocess.run([rasa, "init", "--no-prompt", "--init-dir", str(project)], cwd=scratch, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        (project / "config.yml").write_text("# Rasa's default configuration with fixed random seeds.\n"
                                            + yaml.safe_dump(seeded_default_config(), sort_keys=False))
        shutil.rmtree(project / "models", ignore_errors=True)
        log("moodbot: training the seeded model ...")
        subprocess.run([rasa, "train", "--fixed-model-name", "moodbot", "--out", "models", "--quiet"], cwd=project,
                       env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(project, target, ignore=shutil.ignore_patterns(".rasa", "__pycache__"))
        log(f"moodbot: ready in {time.perf_counter() - started:.0f} s, cached in {target.relative_to(ROOT)}")
    return model


@contextmanager
def running_moodbot(port: int, token: str):
    """Yields the `rasa run` process of the moodbot (REST channel, HTTP API with `token`); stops it afterwards."""
    model = ensure_model()
    log_file = ROOT / ".run" / "logs" / "bench-load-moodbot.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [str(VENV_BIN / "rasa"), "run", "--model", str(model), "--credentials", "credentials.yml", "--endpoints",
         "endpoints.yml", "--interface", "127.0.0.1", "--port", str(port), "--enable-api", f"--auth-token={token}"],
        cwd=project_dir(), env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
        stdout=open(log_file, "w"), stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_up(process: subprocess.Popen, port: int) -> float:
    return wait_for(f"http://127.0.0.1:{port}/", process)
