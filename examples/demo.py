"""The main job of ``make demo``: track, search, compare and look, on the embedded store.

1. Trains scikit-learn's MLP on the digits dataset (ships with scikit-learn, no download) for a
   small grid of configurations, logging a learning curve per epoch. Configurations that already
   ran are skipped: run the demo twice and the second time only the search continues.
2. Continues with a TPE search over learning rate, width and weight decay, warm-started by every
   run the study already holds (the grid included), with a live progress bar.
3. Prints the runs best first (``hyperlab ls``) and the best configuration (``hyperlab best``).
4. Saves pictures to ``examples/out/``: learning curves of the best runs, accuracy against the
   params, and the optimisation history, as interactive HTML and PNG.

Then look at everything in the dashboard: ``.venv/bin/hyperlab ui`` (from ``examples/``).
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

import hyperlab as hl
from hyperlab.cli.search_progress import search_progress

EPOCHS = 12
TRIALS = 10
OUT = Path(__file__).resolve().parent / "out"


def train(run: hl.Run) -> float:
    """Train the configuration in ``run.params``, logging curves; returns validation accuracy."""
    p = run.params
    x, y = load_digits(return_X_y=True)
    x_train, x_val, y_train, y_val = train_test_split(x, y, test_size=0.25, random_state=0)
    scaler = StandardScaler().fit(x_train)
    x_train, x_val = scaler.transform(x_train), scaler.transform(x_val)
    model = MLPClassifier(
        hidden_layer_sizes=(int(p["hidden"]),),
        learning_rate_init=float(p["lr"]),
        alpha=float(p.get("alpha", 1e-4)),
        random_state=0,
    )
    classes = np.unique(y)
    acc = 0.0
    for epoch in range(EPOCHS):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.partial_fit(x_train, y_train, classes=classes)
        acc = accuracy_score(y_val, model.predict(x_val))
        run.log(
            step=epoch,
            train_loss=model.loss_,
            val_loss=log_loss(y_val, model.predict_proba(x_val), labels=classes),
            val_acc=acc,
        )
    return float(acc)


def hyperlab_cli(*args: str) -> None:
    """Show what the CLI shows (the same store: HYPERLAB_STORE or the nearest .hyperlab/)."""
    print(f"\n$ hyperlab {' '.join(args)}", flush=True)
    subprocess.run([sys.executable, "-m", "hyperlab", *args], check=True)


def main() -> None:
    study = hl.study(
        "digits-mlp",
        description="MLP on scikit-learn digits",
        directions={"val_acc": "max", "val_loss": "min"},
        defaults={"alpha": 1e-4},  # runs without alpha count as having the default
    )

    print("1. A small grid, tracked (configurations that already ran are skipped)")
    for params in hl.ParamSpace(lr=[1e-3, 1e-2, 1e-1], hidden=[16, 64]):
        if study.find(params):
            print(f"   skip {params}: already ran")
            continue
        with study.start_run(params=params, tags=["grid"]) as run:
            run.set_meta(dataset="sklearn-digits", preprocessing="standardize")
            acc = train(run)
        print(f"   {run.ref}: {params} -> val_acc {acc:.3f}", flush=True)

    print(f"\n2. TPE search, {TRIALS} trials, warm-started by every run of the study")
    space = hl.ParamSpace(
        lr=hl.LogUniform(1e-4, 0.3),
        hidden=hl.Categorical([16, 32, 64, 128]),
        alpha=hl.LogUniform(1e-6, 1e-2),
    )
    with search_progress(TRIALS, "val_acc") as progress:
        study.optimize(train, space=space, n_trials=TRIALS, sampler="tpe", metric="val_acc",
                       direction="max", tags=["tpe"], callbacks=[progress])  # fmt: skip

    hyperlab_cli("ls", "--study", "digits-mlp", "--limit", "8")
    hyperlab_cli("best", "digits-mlp", "--metric", "val_acc", "--n", "3")

    print("\n3. Pictures")
    OUT.mkdir(exist_ok=True)
    best = hl.query(study="digits-mlp", sort="-val_acc", limit=6)
    figures = {
        "curves": hl.plot.curves(best.index.tolist(), "val_acc", study="digits-mlp"),
        "params": hl.plot.params(hl.query(study="digits-mlp"), x=["lr", "hidden"], y=["val_acc"]),
        "history": hl.plot.history("digits-mlp", metric="val_acc"),
    }
    for name, figure in figures.items():
        for suffix in (".html", ".png"):
            print(f"   wrote {figure.save(OUT / (name + suffix))}")
    print("\nNext: `hyperlab ui` opens the dashboard on http://127.0.0.1:8765")


if __name__ == "__main__":
    main()
