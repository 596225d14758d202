"""A small deterministic model trained epoch by epoch, the way user code uses resume_info."""

from __future__ import annotations

import pickle
from typing import Any

from hyperlab.tracking.run import Run


def new_model(lr: float) -> Any:
    """An SGD classifier whose training is a pure function of its inputs."""
    from sklearn.linear_model import SGDClassifier

    return SGDClassifier(learning_rate="constant", eta0=lr, random_state=0, shuffle=True, tol=None)


def train(run: Run, x: Any, y: Any, *, stop_after: int | None = None) -> Any:
    """Train ``run.params["epochs"]`` epochs, continuing from ``run.resume_info`` if any.

    Logs ``acc`` and a checkpoint at every epoch. ``stop_after`` raises KeyboardInterrupt after
    that many epochs of this call (an interruption).
    """
    info = run.resume_info
    if info is not None and info.checkpoint is not None:
        model = pickle.loads(info.checkpoint.read_bytes())
        model.set_params(eta0=run.params["lr"])
    else:
        model = new_model(run.params["lr"])
    start = info.start_step if info is not None else 0
    for done, epoch in enumerate(range(start, int(run.params["epochs"]))):
        if stop_after is not None and done == stop_after:
            raise KeyboardInterrupt
        model.partial_fit(x, y, classes=[0, 1])
        run.log(step=epoch, acc=float(model.score(x, y)))
        run.checkpoint(pickle.dumps(model), step=epoch)
    return model


def fresh(x: Any, y: Any, epochs: int, lr: float) -> Any:
    """The same model trained from scratch for ``epochs`` epochs, without hyperlab."""
    model = new_model(lr)
    for _ in range(epochs):
        model.partial_fit(x, y, classes=[0, 1])
    return model
