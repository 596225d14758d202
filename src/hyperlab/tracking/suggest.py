"""Define-by-run sampling: ``run.suggest_float("lr", 1e-5, 1e-1, log=True)`` inside a run.

Params are sampled one at a time, so conditional branches are plain Python (hypero's style)::

    with study.start_run() as run:
        lr = run.suggest_float("lr", 1e-5, 1e-1, log=True)
        decay = run.suggest_categorical("lr_decay", ["linear", "adaptive"], weights=[0.8, 0.2])
        if decay == "linear":
            min_lr = run.suggest_float("min_lr", lr / 1000, lr / 10, log=True)

Each value is stored as a param of the run, and its distribution as the JSON text of
:meth:`Distribution.to_dict` in the run's meta under ``distribution.<name>`` (for example
``meta["distribution.lr"] == '{"type":"loguniform","lo":1e-05,"hi":0.1}'``), so tuners and the
dashboard know the space each run was drawn from. Storing it in meta needs no schema change;
:func:`space_from_meta` reads it back (it also accepts the dict itself).

Where values come from: a param the run already has (given to ``start_run``, or set by a tuner
that queued the run) is returned as it is, after checking that it lies in the distribution;
otherwise a :class:`Suggester` picks one: the one given to ``run.set_suggester()``, else the
search driving the run (``run._search``, installed by :mod:`hyperlab.search`), else a random
draw (seed it with ``run.set_suggester(RandomSuggester(seed))`` for reproducibility).
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from hyperlab.errors import SpaceError
from hyperlab.space.distributions import (
    Categorical,
    Distribution,
    IntUniform,
    LogUniform,
    Normal,
    Uniform,
)

SPACE_META_PREFIX = "distribution."
"""Meta key prefix under which each suggested param's distribution is stored."""


class Suggester(Protocol):
    """Picks the value of one param from its distribution (random draw, a tuner, ...)."""

    def suggest(self, name: str, distribution: Distribution) -> Any:
        """The value for ``name``; it must lie in ``distribution``."""
        ...


class RandomSuggester:
    """Draws every value at random from its distribution.

    Args:
        seed: Makes the sequence of draws reproducible; None uses system randomness.
    """

    def __init__(self, seed: int | str | None = None) -> None:
        self.rng = random.Random(seed)

    def suggest(self, name: str, distribution: Distribution) -> Any:
        """A random draw."""
        return distribution.sample(self.rng)


class SuggestMixin:
    """The ``suggest_*`` methods of :class:`~hyperlab.tracking.run.Run`."""

    _suggester: Suggester | None = None
    _suggested: dict[str, Distribution] | None = None
    _search: Any = None  # the search trial driving the run (hyperlab.search), if any

    def set_suggester(self, suggester: Suggester) -> None:
        """Use ``suggester`` for the next ``suggest_*`` calls (samplers install theirs here)."""
        self._suggester = suggester

    @property
    def suggested(self) -> dict[str, Distribution]:
        """The distributions suggested so far in this run, by param name."""
        return dict(self._suggested or {})

    def suggest(self, name: str, distribution: Distribution) -> Any:
        """Sample ``name`` from any distribution, store it as a param, and return it.

        Args:
            name: The param name (dotted names nest: ``optim.lr``).
            distribution: Where the value comes from.

        Returns:
            The value: the run's existing param of that name if it has one, else a new draw.

        Raises:
            SpaceError: when ``name`` was already suggested from another distribution, or the
                run's existing value lies outside the distribution.
        """
        if not isinstance(name, str) or not name:
            raise SpaceError(f"a param name must be a non-empty string, got {name!r}")
        if self._suggested is None:
            self._suggested = {}
        earlier = self._suggested.get(name)
        if earlier is not None and earlier != distribution:
            raise SpaceError(
                f"param {name!r} was already suggested from {earlier}; "
                f"cannot suggest it again from {distribution}"
            )
        params: Mapping[str, Any] = self._current_params()
        if name in params:
            value = params[name]
            if not distribution.contains(value):
                raise SpaceError(
                    f"param {name!r} is already {value!r}, which is outside {distribution}"
                )
        else:
            value = self._active_suggester().suggest(name, distribution)
            if not distribution.contains(value):
                raise SpaceError(
                    f"the suggester gave {name}={value!r}, which is outside {distribution}"
                )
        if earlier is None:
            self._suggested[name] = distribution
            self._record_suggestion(name, value, distribution, new=name not in params)
        return value

    def suggest_float(self, name: str, lo: float, hi: float, *, log: bool = False) -> float:
        """A float in ``[lo, hi]``, uniform or (``log=True``) log-uniform."""
        dist: Distribution = LogUniform(lo, hi) if log else Uniform(lo, hi)
        return float(self.suggest(name, dist))

    def suggest_int(self, name: str, lo: int, hi: int, *, log: bool = False) -> int:
        """An int in ``[lo, hi]``, both included (``log=True``: uniform on a log scale)."""
        return int(self.suggest(name, IntUniform(lo, hi, log=log)))

    def suggest_categorical(
        self, name: str, choices: Sequence[Any], weights: Sequence[float] | None = None
    ) -> Any:
        """One of ``choices``, equally likely or by unnormalised ``weights``."""
        return self.suggest(name, Categorical(choices, weights))

    def suggest_normal(self, name: str, mu: float, sigma: float) -> float:
        """A float from a normal distribution N(mu, sigma²)."""
        return float(self.suggest(name, Normal(mu, sigma)))

    def _active_suggester(self) -> Suggester:
        if self._suggester is not None:
            return self._suggester
        if self._search is not None:
            return self._search  # type: ignore[no-any-return]
        self._suggester = RandomSuggester()
        return self._suggester

    # -- hooks implemented by Run --------------------------------------------------------
    def _current_params(self) -> Mapping[str, Any]:
        raise NotImplementedError

    def _record_suggestion(
        self, name: str, value: Any, distribution: Distribution, *, new: bool
    ) -> None:
        raise NotImplementedError


def space_from_meta(meta: Mapping[str, Any]) -> dict[str, Distribution]:
    """The distributions stored by ``suggest_*`` in a run's (flat) meta, by param name.

    Args:
        meta: A run's meta (``store.get_run(id).meta``).
    """
    out: dict[str, Distribution] = {}
    for key, value in meta.items():
        if not key.startswith(SPACE_META_PREFIX):
            continue
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                continue
        if isinstance(value, dict) and "type" in value:
            out[key[len(SPACE_META_PREFIX) :]] = Distribution.from_dict(value)
    return out
