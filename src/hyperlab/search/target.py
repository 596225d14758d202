"""What a search optimises: metrics with directions, and the valid sampler and pruner names."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hyperlab.errors import InvalidValueError

if TYPE_CHECKING:
    from hyperlab.tracking.study import Study

SAMPLERS = ("grid", "random", "tpe", "cmaes", "gp", "nsga2")
"""Sampler names accepted by :func:`hyperlab.optimize` and :meth:`Study.ask`."""

PRUNERS = ("median", "halving", "none")
"""Pruner names: the median rule, successive halving, or no pruning."""

_DIRECTIONS = {"min": "min", "minimize": "min", "max": "max", "maximize": "max"}


@dataclass(frozen=True)
class Target:
    """The metrics a search optimises and their directions (``"min"`` or ``"max"``)."""

    metrics: tuple[str, ...]
    directions: tuple[str, ...]

    @property
    def multi(self) -> bool:
        """Whether several metrics are optimised at once (a Pareto front, no pruning)."""
        return len(self.metrics) > 1

    @property
    def optuna_directions(self) -> list[str]:
        """The directions in optuna's words."""
        return ["maximize" if d == "max" else "minimize" for d in self.directions]

    def better(self, a: Sequence[float], b: Sequence[float]) -> bool:
        """Whether values ``a`` beat ``b`` on the first metric."""
        return a[0] > b[0] if self.directions[0] == "max" else a[0] < b[0]


def parse_direction(value: str) -> str:
    """``"min"``/``"minimize"`` -> ``"min"``, ``"max"``/``"maximize"`` -> ``"max"``.

    Raises:
        InvalidValueError: for any other value.
    """
    found = _DIRECTIONS.get(str(value).lower()) if isinstance(value, str) else None
    if found is None:
        raise InvalidValueError(
            f"unknown direction {value!r}; valid: min, max (or minimize, maximize)"
        )
    return found


def check_sampler(name: str, target: Target) -> str:
    """The sampler name, checked against :data:`SAMPLERS` and the number of metrics."""
    if not isinstance(name, str) or name.lower() not in SAMPLERS:
        raise InvalidValueError(f"unknown sampler {name!r}; valid: {', '.join(SAMPLERS)}")
    name = name.lower()
    if target.multi and name == "cmaes":
        raise InvalidValueError(
            f"sampler 'cmaes' optimises one metric, got {len(target.metrics)} "
            f"({', '.join(target.metrics)}); use nsga2, tpe, random or grid"
        )
    return name


def check_pruner(name: str | None) -> str:
    """The pruner name (None means ``"none"``), checked against :data:`PRUNERS`."""
    if name is None:
        return "none"
    if not isinstance(name, str) or name.lower() not in PRUNERS:
        raise InvalidValueError(f"unknown pruner {name!r}; valid: {', '.join(PRUNERS)}")
    return name.lower()


def resolve_target(
    study: Study,
    metric: str | Sequence[str] | None,
    direction: str | Sequence[str] | None,
) -> Target:
    """The metrics and directions of a search, from the arguments or the study's declarations.

    With no ``metric`` the study's main metric is used; with no ``direction`` each metric's
    declared direction. A direction given for a metric the study does not declare yet is
    recorded on the study, so ``hyperlab ls`` and ``best`` rank the same way.

    Raises:
        InvalidValueError: when a metric or direction is missing or not valid.
    """
    declared = study.directions
    if metric is None:
        main = study.record.main_metric
        if main is None:
            raise InvalidValueError(
                f"study {study.record.label!r} declares no metric direction; pass "
                "metric='name' and direction='min' or 'max' (or declare directions= on the study)"
            )
        metrics: list[str] = [main]
    elif isinstance(metric, str):
        metrics = [metric]
    else:
        metrics = [str(m) for m in metric]
    if not metrics or len(set(metrics)) != len(metrics) or not all(metrics):
        raise InvalidValueError(f"metric must name distinct, non-empty metrics, got {metric!r}")
    if direction is None:
        missing = [m for m in metrics if m not in declared]
        if missing:
            raise InvalidValueError(
                f"no direction for metric(s) {', '.join(map(repr, missing))} in study "
                f"{study.record.label!r}; pass direction='min' or 'max'"
            )
        directions = [declared[m] for m in metrics]
    else:
        given = [direction] if isinstance(direction, str) else list(direction)
        if len(given) != len(metrics):
            raise InvalidValueError(
                f"one direction per metric is needed: metrics {metrics!r}, directions {given!r}"
            )
        directions = [parse_direction(d) for d in given]
        new = {m: d for m, d in zip(metrics, directions, strict=True) if m not in declared}
        if new:
            study.store.get_or_create_study(study.name, study.version, directions=new)
            study.refresh()
    return Target(tuple(metrics), tuple(directions))
