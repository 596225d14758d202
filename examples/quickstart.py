"""Quickstart: train a small real model for several configurations and track every run.

Trains scikit-learn's MLP on the digits dataset (it ships with scikit-learn, no download) for a
few learning rates and layer sizes, logs a learning curve per epoch, then lists the runs best
first, exactly as ``hyperlab ls`` would. Run it with ``make demo`` or
``python examples/quickstart.py``.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

import hyperlab as hl

EPOCHS = 15


def train(run: hl.Run, lr: float, hidden: int, alpha: float, seed: int = 0) -> None:
    """Train one configuration, logging train/validation curves to ``run``."""
    x, y = load_digits(return_X_y=True)
    x_train, x_val, y_train, y_val = train_test_split(x, y, test_size=0.25, random_state=seed)
    scaler = StandardScaler().fit(x_train)
    x_train, x_val = scaler.transform(x_train), scaler.transform(x_val)
    model = MLPClassifier(
        hidden_layer_sizes=(hidden,), learning_rate_init=lr, alpha=alpha, random_state=seed
    )
    classes = np.unique(y)
    for epoch in range(EPOCHS):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.partial_fit(x_train, y_train, classes=classes)
        run.log(
            step=epoch,
            train_loss=model.loss_,
            val_loss=log_loss(y_val, model.predict_proba(x_val), labels=classes),
            val_acc=accuracy_score(y_val, model.predict(x_val)),
        )
    run.set_summary(test_acc=accuracy_score(y_val, model.predict(x_val)))


def main() -> None:
    """Run a small grid of configurations and print the table of runs."""
    study = hl.study(
        "digits-mlp",
        version="1",
        description="quickstart: MLP on scikit-learn digits",
        directions={"val_acc": "max", "val_loss": "min"},
        defaults={"alpha": 1e-4},
    )
    for lr, hidden in itertools.product([1e-3, 1e-2, 1e-1], [16, 64]):
        params = {"lr": lr, "hidden": hidden}
        if study.find(params):
            continue  # hyperlab remembers: a configuration that already ran is not run again
        with study.start_run(params=params, tags=["quickstart"]) as run:
            run.set_meta(dataset="sklearn-digits", preprocessing="standardize")
            train(run, lr=lr, hidden=hidden, alpha=1e-4)
        print(f"trained {run.ref}: lr={lr} hidden={hidden}", flush=True)
    print()
    subprocess.run(
        [sys.executable, "-m", "hyperlab", "ls", "--study", "digits-mlp", "--sort", "-val_acc"],
        check=True,
    )


if __name__ == "__main__":
    main()
