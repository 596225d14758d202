"""What a study has already run: finished runs with effective params and metric values.

The search reads the store once per session (and again when asked to refresh) and hands these
records to the samplers: every finished run counts, whether it was made by hand, by a grid, by an
import or by an earlier ``optimize`` call.

Note for maintainers: this module reads the ``runs`` and ``metrics`` tables directly through
:meth:`Store.read` (two bulk selects). It belongs in :mod:`hyperlab.store` as a ``Store`` method
once that API settles; nothing else in ``search`` touches SQL.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hyperlab.store import RunState, Store, StudyRecord


@dataclass
class PastTrial:
    """One finished run of a study, as the search sees it.

    Attributes:
        run_id: The run's id.
        number: The run's number within its study.
        study_id: The study the run belongs to.
        state: The run's state (``completed``, ``pruned``, ...).
        params: Effective params: the study's defaults overlaid by the run's own params.
        values: Metric name -> summary value (final, else best, else last), or None.
        params_hash: The stable hash of the effective params.
        own_params: The run's own params, as stored (no defaults).
        distributions: Param name -> distribution dict recorded by ``run.suggest_*``.
        curve: (step, value) points of the objective metric, filled for pruning.
    """

    run_id: int
    number: int
    study_id: int
    state: str
    params: dict[str, Any]
    values: dict[str, float | None]
    params_hash: str
    own_params: dict[str, Any] = field(default_factory=dict)
    distributions: dict[str, dict[str, Any]] = field(default_factory=dict)
    curve: list[tuple[int, float]] = field(default_factory=list)

    def objective(self, metrics: Sequence[str]) -> list[float] | None:
        """The values of ``metrics`` (None when one is missing or NaN)."""
        out: list[float] = []
        for name in metrics:
            value = self.values.get(name)
            if value is None or math.isnan(value):
                return None
            out.append(float(value))
        return out


DISTRIBUTION_META_PREFIX = "distribution."
"""Meta keys ``distribution.<param>`` hold the JSON of a suggested param's distribution."""


def effective_params(
    record: StudyRecord, params: Mapping[str, Any], base: StudyRecord | None = None
) -> dict[str, Any]:
    """A run's effective params: the study's defaults (conditional ones too) under its params.

    ``base`` is the version being searched when the run belongs to another version: a run of an
    older version lacks a param added later, and behaved as that param's default.
    """
    from hyperlab.querying.effective import matches
    from hyperlab.space.defaults import effective_params as apply

    declared = list(record.defaults)
    if base is not None and base.id != record.id:
        declared = list(base.defaults) + declared
    if not declared:
        return dict(params)
    return apply(params, declared, matches)


def load_trials(
    store: Store,
    records: Sequence[StudyRecord],
    metrics: Sequence[str],
    *,
    states: Iterable[str] = (RunState.COMPLETED.value, RunState.PRUNED.value),
    with_curves: bool = False,
) -> list[PastTrial]:
    """Finished runs of these studies (oldest first) with their metric values.

    Args:
        store: The store to read.
        records: The studies: the current version first (its defaults also apply to runs of
            the others, given for ``include_versions``).
        metrics: Metric names whose values are read (and the first one's curve if asked).
        states: Run states to include.
        with_curves: Also read the first metric's points (for pruning).

    Returns:
        One :class:`PastTrial` per run, ordered by run id.
    """
    import sqlalchemy as sa

    from hyperlab.space import params_hash
    from hyperlab.store.schema import meta, runs
    from hyperlab.store.schema import metrics as metric_table

    if not records:
        return []
    by_id = {r.id: r for r in records}
    base = records[0]
    wanted_states = [str(s) for s in states]
    trials: dict[int, PastTrial] = {}
    query = (
        sa.select(runs.c.id, runs.c.number, runs.c.study_id, runs.c.state, runs.c.params)
        .where(runs.c.study_id.in_(list(by_id)), runs.c.state.in_(wanted_states))
        .order_by(runs.c.id)
    )
    with store.read() as conn:
        for run_id, number, study_id, state, params_json in conn.execute(query):
            own = json.loads(params_json or "{}")
            params = effective_params(by_id[study_id], own, base)
            trials[run_id] = PastTrial(
                run_id=run_id,
                number=number,
                study_id=study_id,
                state=state,
                params=params,
                own_params=own,
                values=dict.fromkeys(metrics),
                params_hash=params_hash(params),
            )
        if not trials or not metrics:
            return list(trials.values())
        ids = list(trials)
        value = sa.func.coalesce(metric_table.c.final, metric_table.c.best, metric_table.c.last)
        for start in range(0, len(ids), 20_000):
            chunk = ids[start : start + 20_000]
            rows = conn.execute(
                sa.select(metric_table.c.run_id, metric_table.c.key, value).where(
                    metric_table.c.run_id.in_(chunk), metric_table.c.key.in_(list(metrics))
                )
            )
            for run_id, key, number_value in rows:
                trials[run_id].values[key] = None if number_value is None else float(number_value)
            meta_rows = conn.execute(
                sa.select(meta.c.run_id, meta.c.key, meta.c.value).where(
                    meta.c.run_id.in_(chunk),
                    meta.c.key.startswith(DISTRIBUTION_META_PREFIX, autoescape=True),
                )
            )
            for run_id, key, text in meta_rows:
                decoded = json.loads(text)
                if isinstance(decoded, str):
                    decoded = json.loads(decoded)
                if isinstance(decoded, dict):
                    name = key[len(DISTRIBUTION_META_PREFIX) :]
                    trials[run_id].distributions[name] = decoded
    if with_curves:
        for points in store.read_points(ids, [metrics[0]]):
            trials[points.run_id].curve = [
                (int(s), float(v))
                for s, v in zip(points.steps.tolist(), points.values.tolist(), strict=True)
                if not math.isnan(v)
            ]
    return list(trials.values())
