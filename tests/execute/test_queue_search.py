"""Searches in queue mode: the sampler chooses when a worker claims, seeing every finished run."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

import hyperlab as hl
from hyperlab.errors import InvalidValueError
from hyperlab.execute.queue_search import HISTORY_META
from hyperlab.space import params_hash
from hyperlab.store import Store

OBJECTIVE = textwrap.dedent(
    """
    def train(x, kind):
        return {"loss": (x - 0.3) ** 2 + (0.5 if kind == "a" else 0.0)}

    def pick(kind, size):
        return {"loss": float(size) + (1.0 if kind == "a" else 0.0)}
    """
)


def _write_module(tmp_path: Path, name: str) -> str:
    (tmp_path / f"{name}.py").write_text(OBJECTIVE)
    return name


def _runs(store: Store, ids: list[int]) -> list[Any]:
    return store.get_runs(ids)


def test_placeholders_get_params_when_claimed(store: Store, tmp_path: Path) -> None:
    module = _write_module(tmp_path, "qs_claim")
    study = hl.study("qs", directions={"loss": "min"}, store=store)
    result = study.enqueue_search(
        "x=uniform(0,1) kind=[a,b]", n=6, sampler="tpe", function=f"{module}:train", seed=3
    )
    assert result.queued == 6
    # Before any worker: queued runs without params, the search kept in their spec.
    for record in _runs(store, result.run_ids):
        assert record.state == "queued"
        assert record.params == {}
        assert record.spec["search"]["sampler"] == "tpe"

    report = hl.worker("qs", store=store, idle_exit_s=0, echo=False)
    assert report.by_state == {"completed": 6}
    records = _runs(store, result.run_ids)
    for record in records:
        assert record.state == "completed"
        assert set(record.params) == {"x", "kind"}
        assert 0 <= record.params["x"] <= 1 and record.params["kind"] in ("a", "b")
        assert record.params_hash == params_hash(record.params)
    # Queries see the filled params like any other run's.
    frame = hl.query("kind in ['a', 'b']", study="qs", store=store)
    assert len(frame) == 6


def test_each_suggestion_sees_every_run_finished_before(store: Store, tmp_path: Path) -> None:
    module = _write_module(tmp_path, "qs_history")
    study = hl.study("hist", directions={"loss": "min"}, store=store)
    # Two runs made by hand count too: the warm start reads the whole study.
    study.record_run(params={"x": 0.9, "kind": "b"}, final={"loss": 0.36})
    study.record_run(params={"x": 0.1, "kind": "b"}, final={"loss": 0.04})
    result = study.enqueue_search(
        "x=uniform(0,1) kind=[a,b]", n=5, sampler="tpe", function=f"{module}:train", seed=1
    )
    hl.worker("hist", store=store, idle_exit_s=0, echo=False)
    records = sorted(_runs(store, result.run_ids), key=lambda r: r.started_at)
    seen = [int(r.meta[HISTORY_META]) for r in records]
    # One worker runs them in turn: the k-th suggestion was made after 2 + k completed runs.
    assert seen == [2, 3, 4, 5, 6]


def test_no_configuration_is_suggested_twice(store: Store, tmp_path: Path) -> None:
    module = _write_module(tmp_path, "qs_dupes")
    study = hl.study("dupes", directions={"loss": "min"}, store=store)
    study.record_run(params={"kind": "a", "size": 1}, final={"loss": 2.0})
    # 6 points, one already completed: asking for 10 queues the 5 that are left.
    result = study.enqueue_search(
        "kind=[a,b] size=[1,2,3]", n=10, sampler="tpe", function=f"{module}:pick", seed=0
    )
    assert result.queued == 6  # capped at the distinct size of the space
    report = hl.worker("dupes", store=store, idle_exit_s=0, echo=False)
    records = _runs(store, result.run_ids)
    completed = [r for r in records if r.state == "completed"]
    configs = [(r.params["kind"], r.params["size"]) for r in completed]
    assert len(configs) == len(set(configs)) == 5
    assert ("a", 1) not in configs
    # The sixth placeholder finds the space exhausted and says so.
    failed = [r for r in records if r.state == "failed"]
    assert len(failed) == 1
    assert "no configuration left" in (failed[0].error or "")
    assert report.claimed == 6


def test_same_seed_and_history_give_the_same_suggestions(store: Store, tmp_path: Path) -> None:
    module = _write_module(tmp_path, "qs_seed")
    sequences = []
    for name in ("seed-a", "seed-b"):
        study = hl.study(name, directions={"loss": "min"}, store=store)
        result = study.enqueue_search(
            {"x": hl.Uniform(0, 1), "kind": ["a", "b"]},
            n=12,
            sampler="tpe",
            function=f"{module}:train",
            seed=42,
        )
        hl.worker(name, store=store, idle_exit_s=0, echo=False)
        records = sorted(_runs(store, result.run_ids), key=lambda r: r.number)
        sequences.append([(r.params["kind"], round(r.params["x"], 12)) for r in records])
    assert sequences[0] == sequences[1]
    assert len(set(sequences[0])) == 12


def test_two_worker_processes_share_one_search(store: Store, tmp_path: Path, helpers: Any) -> None:
    module = _write_module(tmp_path, "qs_procs")
    study = hl.study("procs", directions={"loss": "min"}, store=store)
    result = study.enqueue_search(
        "kind=[a,b] size=range(0,4)", n=8, sampler="tpe", function=f"{module}:pick", seed=5
    )
    procs = [
        helpers.hyperlab_proc(store, tmp_path, "worker", "--study", "procs", "--idle-exit-s", "1")
        for _ in range(2)
    ]
    for proc in procs:
        code, _, err = helpers.finish(proc)
        assert code == 0, err
    records = _runs(store, result.run_ids)
    assert [r.state for r in records] == ["completed"] * 8
    configs = {(r.params["kind"], r.params["size"]) for r in records}
    assert len(configs) == 8  # all 8 points, none twice although two workers proposed at once


def test_grid_and_random_are_materialised_at_enqueue(store: Store) -> None:
    study = hl.study("mat", store=store)
    grid = study.enqueue_search("a=[1,2,3] b=[x,y]", sampler="grid", command="echo {a} {b}")
    assert grid.queued == 6
    rand = study.enqueue_search(
        "c=uniform(0,1)", n=4, sampler="random", command="echo {c}", seed=7
    )
    records = _runs(store, rand.run_ids)
    assert all(0 <= r.params["c"] <= 1 for r in records)
    # Enqueueing the same grid again adds nothing: those configurations are already queued.
    again = study.enqueue_search("a=[1,2,3] b=[x,y]", sampler="grid", command="echo {a} {b}")
    assert again.queued == 0 and again.skipped_pending == 6


def test_mistakes_fail_at_enqueue_and_queue_nothing(store: Store) -> None:
    study = hl.study("bad", directions={"loss": "min"}, store=store)
    with pytest.raises(InvalidValueError, match="unknown sampler 'bogus'"):
        study.enqueue_search("x=[1,2]", sampler="bogus", command="echo {x}")
    with pytest.raises(InvalidValueError, match="needs n"):
        study.enqueue_search("x=uniform(0,1)", sampler="tpe", command="echo {x}")
    with pytest.raises(Exception, match="nope"):
        study.enqueue_search("x=uniform(0,1)", n=3, sampler="tpe", command="echo {nope}")
    plain = hl.study("no-metric", store=store)
    with pytest.raises(InvalidValueError):
        plain.enqueue_search("x=uniform(0,1)", n=3, sampler="tpe", command="echo {x}")
    assert hl.queue(["bad", "no-metric"], store=store).ls() == []
