"""Real Hydra output trees: made once per session by running a tiny ``@hydra.main`` app, then
copied into each test's ``tmp_path`` (tests may break their copy as they like)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

APP = textwrap.dedent(
    """
    import json
    import os

    import hydra

    @hydra.main(version_base=None, config_path=".", config_name="config")
    def main(cfg):
        loss = 1.0 / (1.0 + cfg.optim.lr * cfg.epochs)
        with open("results.json", "w") as f:
            json.dump({"loss": loss, "nested": {"acc": 1.0 - loss}}, f)
        with open("curve.csv", "w") as f:
            f.write("step,train_loss\\n")
            for step in range(cfg.epochs):
                f.write(f"{step},{loss + 1.0 / (step + 1)}\\n")
        if cfg.fail:
            raise RuntimeError("the task failed on purpose")

    if __name__ == "__main__":
        main()
    """
)
CONFIG = textwrap.dedent(
    """
    seed: 1
    epochs: 2
    name: demo
    fail: false
    layers: [4, 8]
    dropout: 0.5
    use_bn: true
    optim:
      name: adam
      lr: 1e-3
    out: ${name}_${seed}
    hydra:
      job:
        chdir: true
    """
)
EXPERIMENT = ("2024-01-02", "10-00-00")
SINGLE = ("2024-01-03", "09-30-00")
CUSTOM = ("2024-01-04", "08-15-00")


def write_app(directory: Path) -> Path:
    """The tiny Hydra app (app.py + config.yaml) in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "app.py").write_text(APP)
    (directory / "config.yaml").write_text(CONFIG)
    return directory


def run_app(app_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the app with Hydra arguments; fails the test with Hydra's output if it fails."""
    done = subprocess.run(
        [sys.executable, "app.py", *args],
        cwd=app_dir,
        capture_output=True,
        text=True,
        timeout=240,
    )
    if done.returncode != 0:
        pytest.fail(f"hydra app failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


@pytest.fixture(scope="session")
def hydra_trees(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``multirun/`` with a 12-job sweep and a custom-subdir sweep, ``outputs/`` with one run."""
    root = tmp_path_factory.mktemp("hydra")
    app = write_app(root / "app")
    run_app(
        app,
        "-m",
        "optim.lr=0.1,0.01,0.001",
        "epochs=1,2,3,4",
        f"hydra.sweep.dir={root / 'multirun' / EXPERIMENT[0] / EXPERIMENT[1]}",
    )
    run_app(app, "epochs=3", f"hydra.run.dir={root / 'outputs' / SINGLE[0] / SINGLE[1]}")
    run_app(
        app,
        "-m",
        "optim.lr=0.5,0.05",
        f"hydra.sweep.dir={root / 'custom' / CUSTOM[0] / CUSTOM[1]}",
        "hydra.sweep.subdir=job${hydra.job.num}_lr${optim.lr}",
    )
    return root


@pytest.fixture
def trees(hydra_trees: Path, tmp_path: Path) -> Path:
    """A private copy of :func:`hydra_trees` for one test."""
    target = tmp_path / "trees"
    shutil.copytree(hydra_trees, target, ignore=shutil.ignore_patterns("app"))
    return target


@pytest.fixture
def sweep_dir(trees: Path) -> Path:
    """The 12-job experiment folder (``multirun/DATE/TIME``) in this test's copy."""
    return trees / "multirun" / EXPERIMENT[0] / EXPERIMENT[1]


@pytest.fixture
def hydra_app(tmp_path: Path) -> Path:
    """A fresh copy of the tiny Hydra app, to run with :func:`run_app`."""
    return write_app(tmp_path / "app")


@pytest.fixture
def run_hydra() -> object:
    """:func:`run_app`, for tests that run Hydra themselves."""
    return run_app
