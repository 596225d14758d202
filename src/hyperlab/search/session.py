"""A search session: an in-memory optuna study fed with everything the hyperlab study has run.

hyperlab's store is the source of truth. A session reads the study's finished runs (made by
hand, by a grid, imported, or by earlier searches; with defaults applied), turns those whose
params lie in the current space into optuna ``FrozenTrial`` objects and adds them to an optuna
study kept in memory. Model-based samplers (TPE, CMA-ES, GP, NSGA-II) then propose the next
params informed by all of them; the grid and random samplers are hyperlab's own.
"""

from __future__ import annotations

import importlib.util
import logging
import random
import threading
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hyperlab.errors import InvalidValueError
from hyperlab.search.dimensions import as_space, dimensions_of
from hyperlab.search.history import PastTrial, effective_params, load_trials
from hyperlab.search.target import Target, check_pruner, check_sampler, resolve_target
from hyperlab.space.distributions import Distribution, Fixed
from hyperlab.space.hashing import params_hash
from hyperlab.store import RunState

if TYPE_CHECKING:
    import optuna

    from hyperlab.store import StudyRecord
    from hyperlab.tracking.study import Study

logger = logging.getLogger("hyperlab.search")


@dataclass
class Proposal:
    """The next configuration to run.

    Attributes:
        params: Params known before the run starts (from the space).
        trial: The optuna trial behind it (define-by-run suggestions and pruning go through it).
        reuse: A completed run with the same effective params, whose result is reused.
        params_hash: Hash of the effective params (None for a pure define-by-run search).
    """

    params: dict[str, Any]
    trial: optuna.trial.Trial
    reuse: PastTrial | None
    params_hash: str | None


def _optuna_sampler(name: str, seed: int | None, target: Target) -> optuna.samplers.BaseSampler:
    import optuna

    if name == "tpe":
        return optuna.samplers.TPESampler(
            seed=seed, multivariate=True, warn_independent_sampling=False
        )
    if name == "cmaes":
        if importlib.util.find_spec("cmaes") is None:
            raise InvalidValueError(
                "sampler 'cmaes' needs the cmaes package: pip install 'hyperlab[optimize]'"
            )
        return optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)
    if name == "gp":
        if importlib.util.find_spec("torch") is None:
            raise InvalidValueError(
                "sampler 'gp' needs PyTorch (optuna's GPSampler): pip install torch; "
                "or use sampler='tpe'"
            )
        return optuna.samplers.GPSampler(seed=seed)
    if name == "nsga2":
        return optuna.samplers.NSGAIISampler(seed=seed)
    return optuna.samplers.RandomSampler(seed=seed)


def _optuna_pruner(name: str, target: Target) -> optuna.pruners.BasePruner:
    import optuna

    if target.multi or name == "none":
        return optuna.pruners.NopPruner()
    if name == "halving":
        return optuna.pruners.SuccessiveHalvingPruner()
    return optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=0)


class SearchSession:
    """Proposes configurations for a study and learns from their results.

    Args:
        study: The hyperlab study searched.
        space: A ParamSpace, a dict of ranges/distributions, or None (define-by-run only).
        sampler: One of :data:`~hyperlab.search.target.SAMPLERS`.
        metric: Metric name(s) to optimise (default: the study's main metric).
        direction: ``"min"``/``"max"`` per metric (default: the study's declarations).
        seed: Seed for reproducible proposals.
        include_versions: Other versions of the study whose runs also feed the sampler.
        pruner: ``"median"``, ``"halving"`` or ``"none"``.
        repeat: Run configurations again even when they already completed.
    """

    def __init__(
        self,
        study: Study,
        space: Any = None,
        *,
        sampler: str = "tpe",
        metric: str | Sequence[str] | None = None,
        direction: str | Sequence[str] | None = None,
        seed: int | None = None,
        include_versions: Sequence[str | int] = (),
        pruner: str | None = "median",
        repeat: bool = False,
    ) -> None:
        import optuna

        self.study = study
        self.target = resolve_target(study, metric, direction)
        self.sampler_name = check_sampler(sampler, self.target)
        self.pruner_name = check_pruner(pruner)
        self.space = as_space(space)
        self.dims = dimensions_of(self.space)
        if self.sampler_name == "grid" and self.space is None:
            raise InvalidValueError(
                "sampler 'grid' needs a space; pass space=hl.ParamSpace(...) or a dict"
            )
        self.repeat = repeat
        self.rng = random.Random(seed)
        self.lock = threading.RLock()
        self.records: list[StudyRecord] = [study.record] + [
            study.store.get_study(study.name, str(v))
            for v in include_versions
            if str(v) != study.version
        ]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            optuna.logging.set_verbosity(optuna.logging.WARNING)
            self.optuna_study = optuna.create_study(
                sampler=_optuna_sampler(self.sampler_name, seed, self.target),
                pruner=_optuna_pruner(self.pruner_name, self.target),
                directions=self.target.optuna_directions,  # type: ignore[arg-type]
            )
        self.done: dict[str, PastTrial] = {}
        self.pending: set[str] = set()
        self.skipped = 0
        self.outside = 0
        self._seen: set[int] = set()
        self._suggested: dict[str, Distribution] = {}
        self._grid: Iterator[dict[str, Any]] | None = None
        self.refresh()

    # -- reading the store ----------------------------------------------------------------
    def refresh(self) -> int:
        """Feed runs finished since the last refresh to the sampler; returns how many were new."""
        trials = load_trials(
            self.study.store,
            self.records,
            self.target.metrics,
            with_curves=self.pruner_name != "none" and not self.target.multi,
        )
        frozen = []
        outside = 0
        with self.lock:
            for past in trials:
                if past.run_id in self._seen:
                    continue
                self._seen.add(past.run_id)
                complete = past.objective(self.target.metrics) is not None
                if (
                    past.study_id == self.study.id
                    and past.state == RunState.COMPLETED.value
                    and complete
                ):
                    self.done.setdefault(past.params_hash, past)
                item = self._frozen(past)
                if item is None:
                    outside += 1
                else:
                    frozen.append(item)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.optuna_study.add_trials(frozen)
            self.outside += outside
        if outside:
            logger.info(
                "%d past run(s) of %s left out of the warm start: params outside the space "
                "or no value for %s",
                outside,
                self.study.record.label,
                ", ".join(self.target.metrics),
            )
        return len(frozen)

    def _frozen(self, past: PastTrial) -> optuna.trial.FrozenTrial | None:
        """A past run as an optuna trial, or None when it cannot inform this search."""
        import optuna
        from optuna.trial import TrialState

        values = past.objective(self.target.metrics)
        if past.state == RunState.COMPLETED.value:
            if values is None:
                return None
            state = TrialState.COMPLETE
        elif past.state == RunState.PRUNED.value and not self.target.multi:
            state, values = TrialState.PRUNED, None
        else:
            return None
        if self.space is not None and not self.space.contains(past.params):
            return None
        params: dict[str, Any] = {}
        dists: dict[str, Any] = {}
        for name, dim in self.dims.items():
            if name not in past.params or not dim.contains(past.params[name]):
                return None
            params[name] = dim.optuna_value(past.params[name])
            dists[name] = dim.to_optuna()
        for name, described in past.distributions.items():
            if name in self.dims or name not in past.params:
                continue
            dist = self._known_distribution(name, described)
            if dist is not None and dist.contains(past.params[name]):
                params[name] = dist.optuna_value(past.params[name])
                dists[name] = dist.to_optuna()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return optuna.trial.create_trial(
                state=state,
                values=values,
                params=params,
                distributions=dists,
                intermediate_values=dict(past.curve) if past.curve else None,
            )

    def _known_distribution(self, name: str, described: dict[str, Any]) -> Distribution | None:
        """The distribution used for a define-by-run param (the first one seen wins)."""
        known = self._suggested.get(name)
        if known is not None:
            return known
        try:
            dist = Distribution.from_dict(described)
        except ValueError:
            return None
        self._suggested[name] = dist
        return dist

    # -- proposing ------------------------------------------------------------------------
    def effective_hash(self, params: dict[str, Any]) -> str:
        """The identity of a configuration: the hash of its effective params."""
        return params_hash(effective_params(self.study.record, params))

    def propose(self) -> Proposal | None:
        """The next configuration, or None when a grid is exhausted."""
        with self.lock:
            if self.sampler_name == "grid":
                return self._next_grid()
            trial = self._ask()
            if self.sampler_name == "random":
                params = self._random_point()
            else:
                params = {
                    name: dim.from_optuna_value(trial.params[name])
                    for name, dim in self.dims.items()
                }
            digest = self.effective_hash(params) if self.dims else None
            reuse = None if self.repeat or digest is None else self.done.get(digest)
            if digest is not None:
                self.pending.add(digest)
            return Proposal(params, trial, reuse, digest)

    def _random_point(self) -> dict[str, Any]:
        if self.space is None:
            return {}
        return self.space.sample(1, replace=True, seed=self.rng.getrandbits(64))[0]

    def _ask(self, static: bool = True) -> optuna.trial.Trial:
        fixed = None
        if static and self.sampler_name not in ("grid", "random"):
            fixed = {name: dim.to_optuna() for name, dim in self.dims.items()}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return self.optuna_study.ask(fixed_distributions=fixed)

    def _next_grid(self) -> Proposal | None:
        if self._grid is None:
            self._grid = iter(self.space if self.space is not None else ())
        for point in self._grid:
            params = dict(point)
            digest = self.effective_hash(params)
            if not self.repeat and (digest in self.done or digest in self.pending):
                self.skipped += 1
                continue
            self.pending.add(digest)
            return Proposal(params, self._ask(static=False), None, digest)
        return None

    def suggest(self, trial: optuna.trial.Trial, name: str, dist: Distribution) -> Any:
        """A value for a define-by-run param, from the sampler (or drawn at random)."""
        from optuna.distributions import (
            CategoricalDistribution,
            FloatDistribution,
            IntDistribution,
        )

        if isinstance(dist, Fixed):
            return dist.sample(self.rng)
        with self.lock:
            known = self._suggested.setdefault(name, dist)
            if self.sampler_name in ("grid", "random") or known != dist:
                # hyperlab draws itself: weights and normal distributions are honoured, and a
                # changed range never clashes with the one the model learnt.
                return dist.sample(self.rng)
        od = dist.to_optuna()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if isinstance(od, FloatDistribution):
                    value: Any = trial.suggest_float(name, od.low, od.high, log=od.log)
                elif isinstance(od, IntDistribution):
                    value = trial.suggest_int(name, od.low, od.high, log=od.log)
                elif isinstance(od, CategoricalDistribution):
                    value = trial.suggest_categorical(name, od.choices)
                else:  # pragma: no cover - every hyperlab distribution maps to one of these
                    return dist.sample(self.rng)
        except ValueError:
            with self.lock:
                return dist.sample(self.rng)
        return dist.from_optuna_value(value)

    # -- learning -------------------------------------------------------------------------
    def tell(self, proposal: Proposal, values: Sequence[float] | None, state: str) -> None:
        """Record a proposal's outcome for the sampler: completed with values, pruned or failed."""
        from optuna.trial import TrialState

        with self.lock:
            if proposal.params_hash is not None:
                self.pending.discard(proposal.params_hash)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if state == RunState.COMPLETED.value and values is not None:
                    self.optuna_study.tell(proposal.trial, list(values))
                elif state == RunState.PRUNED.value and not self.target.multi:
                    self.optuna_study.tell(proposal.trial, state=TrialState.PRUNED)
                else:
                    self.optuna_study.tell(proposal.trial, state=TrialState.FAIL)

    def remember(self, run_id: int, params: dict[str, Any], values: Sequence[float]) -> None:
        """Record that a run with these (final) params completed, so it is never run again."""
        digest = self.effective_hash(params)
        with self.lock:
            self._seen.add(run_id)
            self.done.setdefault(
                digest,
                PastTrial(
                    run_id=run_id,
                    number=0,
                    study_id=self.study.id,
                    state=RunState.COMPLETED.value,
                    params=effective_params(self.study.record, params),
                    values=dict(zip(self.target.metrics, values, strict=True)),
                    params_hash=digest,
                ),
            )

    def mark_seen(self, run_id: int) -> None:
        """Mark a run as already known (so a refresh does not feed it twice)."""
        with self.lock:
            self._seen.add(run_id)
