"""An objective taking params sees the effective configuration, study defaults included."""

from __future__ import annotations

from typing import Any

import hyperlab as hl
from hyperlab.store import Store, open_store


def test_params_objective_gets_declared_defaults(store_url: str) -> None:
    store: Store = open_store(store_url)
    study = hl.study("d", directions={"score": "max"}, defaults={"dropout": 0.1}, store=store)
    study.set_default("epochs", 100, when="lr < 0.001")
    seen: list[dict[str, Any]] = []

    def objective(params: dict[str, Any]) -> float:
        seen.append(params)
        return float(params["lr"])

    study.optimize(objective, space=hl.ParamSpace(lr=[0.1, 0.0001]), sampler="grid")
    assert {p["lr"]: p.get("epochs") for p in seen} == {0.1: None, 0.0001: 100}
    assert all(p["dropout"] == 0.1 for p in seen)
