"""A TPE search over a small neural network on scikit-learn's digits, with pruning.

Run it twice: the second run is warm-started by the first one's trials (and by anything else
recorded in the study), so it starts where the first left off.

    python examples/tpe_demo.py
    hyperlab best digits-mlp
"""

from __future__ import annotations

import warnings

import hyperlab as hl
from hyperlab.cli.search_progress import search_progress

N_TRIALS = 20
EPOCHS = 15


def objective(run: hl.Run) -> float:
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier

    x, y = load_digits(return_X_y=True)
    x_train, x_val, y_train, y_val = train_test_split(x / 16.0, y, random_state=0)
    lr = run.suggest_float("lr", 1e-4, 1e-1, log=True)
    width = run.suggest_categorical("width", [16, 32, 64, 128])
    alpha = run.suggest_float("alpha", 1e-6, 1e-2, log=True)
    model = MLPClassifier((width,), learning_rate_init=lr, alpha=alpha, random_state=0)
    classes = np.unique(y)
    val_loss = 1.0
    for epoch in range(EPOCHS):
        model.partial_fit(x_train, y_train, classes=classes)
        val_loss = 1.0 - model.score(x_val, y_val)
        run.report(val_loss, epoch)  # logs val_loss and lets the pruner compare curves
        if run.should_prune():
            raise hl.TrialPruned()
    return val_loss


def main() -> None:
    warnings.filterwarnings("ignore")
    study = hl.study("digits-mlp", directions={"val_loss": "min"},
                     description="MLP on digits, tuned with TPE")  # fmt: skip
    with search_progress(N_TRIALS, "val_loss") as progress:
        study.optimize(objective, n_trials=N_TRIALS, sampler="tpe", callbacks=[progress])
    print("best params:", study.best_params())


if __name__ == "__main__":
    main()
