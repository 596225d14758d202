"""The storage contract: every backend (SQLite, PostgreSQL) must pass these tests."""

from __future__ import annotations

import math
import time

import pytest
import sqlalchemy as sa

from hyperlab.errors import (
    InvalidValueError,
    RunNotFoundError,
    SchemaOutdatedError,
    StudyNotFoundError,
)
from hyperlab.store import RunState, Store, open_store
from hyperlab.store.ingest import Series


def _run(store: Store, study_id: int, **params: object) -> int:
    run_id, _ = store.create_run(study_id, flat_params=params, state=RunState.RUNNING)
    return run_id


def test_same_name_and_version_give_the_same_study(store: Store) -> None:
    first = store.get_or_create_study("mnist", "3", description="fixed dropout")
    again = store.get_or_create_study("mnist", "3")
    other = store.get_or_create_study("mnist", "4")
    assert first.id == again.id
    assert again.description == "fixed dropout"
    assert other.id != first.id
    assert store.get_study("mnist").version == "4"  # newest version when none is named


def test_directions_are_validated_and_merged(store: Store) -> None:
    store.get_or_create_study("s", directions={"acc": "max"})
    merged = store.get_or_create_study("s", directions={"loss": "minimize"})
    assert merged.directions == {"acc": "max", "loss": "min"}
    assert merged.main_metric == "acc"
    with pytest.raises(InvalidValueError, match="'up'.*valid: 'min' or 'max'"):
        store.get_or_create_study("s", directions={"acc": "up"})


def test_run_numbers_count_per_study(store: Store) -> None:
    a = store.get_or_create_study("a")
    b = store.get_or_create_study("b")
    numbers = [store.create_run(a.id, flat_params={})[1] for _ in range(3)]
    assert numbers == [1, 2, 3]
    assert store.create_run(b.id, flat_params={})[1] == 1


def test_params_keep_their_json_types(store: Store) -> None:
    study = store.get_or_create_study("types")
    params = {
        "lr": 0.001,
        "layers": 3,
        "flag": True,
        "name": "adam",
        "sizes": [16, 32],
        "none": None,
        "über 'q\"": "naïve ✓",
    }
    run_id = _run(store, study.id, **params)
    assert store.get_run(run_id).params == params
    with store.read() as conn:
        query = sa.text("SELECT key, num FROM params WHERE run_id = :r")
        rows = {key: num for key, num in conn.execute(query, {"r": run_id})}
    assert rows["flag"] == 1.0
    assert rows["layers"] == 3.0
    assert rows["name"] is None


def test_summaries_merge_across_batches(store: Store) -> None:
    study = store.get_or_create_study("curves", directions={"acc": "max", "loss": "min"})
    run_id = _run(store, study.id)
    dirs = {run_id: study.directions}
    store.write_series([Series(run_id, "acc", [0, 1], [0.5, 0.7], [1.0, 2.0])], dirs)
    store.write_series([Series(run_id, "acc", [2, 3], [0.6, float("nan")], [3.0, 4.0])], dirs)
    store.write_series([Series(run_id, "loss", [0, 1], [2.0, 1.0], [1.0, 2.0])], dirs)
    summaries = store.metric_summaries(run_id)
    acc = summaries["acc"]
    assert acc["count"] == 4
    assert acc["best"] == 0.7
    assert acc["best_step"] == 1
    assert acc["min"] == 0.5
    assert acc["max"] == 0.7
    assert acc["last_step"] == 3
    assert acc["last"] is None  # NaN is stored as a point but counts as missing in summaries
    assert acc["value"] == 0.7  # no final value: the best by direction
    assert summaries["loss"]["best"] == 1.0


def test_points_round_trip_exactly_including_nan_and_inf(store: Store) -> None:
    study = store.get_or_create_study("points")
    run_id = _run(store, study.id)
    values = [0.1, float("inf"), float("-inf"), float("nan"), 1e-300]
    store.write_series([Series(run_id, "x", [0, 1, 2, 3, 4], values, [0.0] * 5)], {})
    (points,) = store.read_points([run_id])
    assert list(points.steps) == [0, 1, 2, 3, 4]
    assert points.values[0] == 0.1
    assert points.values[1] == math.inf
    assert points.values[2] == -math.inf
    assert math.isnan(points.values[3])
    assert points.values[4] == 1e-300


def test_final_values_win_over_curve_summaries(store: Store) -> None:
    study = store.get_or_create_study("final", directions={"acc": "max"})
    run_id = _run(store, study.id)
    store.write_series([Series(run_id, "acc", [0], [0.5], [0.0])], {run_id: study.directions})
    store.set_final(run_id, {"acc": 0.9, "test_acc": 0.8})
    summaries = store.metric_summaries(run_id)
    assert summaries["acc"]["value"] == 0.9
    assert summaries["acc"]["best"] == 0.5
    assert summaries["test_acc"]["value"] == 0.8


def test_references_resolve(store: Store) -> None:
    study = store.get_or_create_study("ref", directions={"acc": "max"})
    ids = []
    for acc in (0.5, 0.9, 0.7):
        run_id = _run(store, study.id)
        store.set_final(run_id, {"acc": acc})
        store.update_run(run_id, state="completed")
        ids.append(run_id)
    assert store.resolve_run(str(ids[0])) == ids[0]
    assert store.resolve_run("ref/2") == ids[1]
    assert store.resolve_run("last", study="ref") == ids[2]
    assert store.resolve_run("best", study="ref") == ids[1]
    with pytest.raises(RunNotFoundError, match="no run with id 999"):
        store.resolve_run("999")
    with pytest.raises(RunNotFoundError, match="has no run number 9"):
        store.resolve_run("ref/9")
    with pytest.raises(StudyNotFoundError, match="no study 'nope'.*known studies: ref"):
        store.resolve_run("nope/1")
    with pytest.raises(RunNotFoundError, match="use a run id"):
        store.resolve_run("what?")


def test_tags_add_remove_and_validate(store: Store) -> None:
    study = store.get_or_create_study("tags")
    run_id, _ = store.create_run(study.id, flat_params={}, tags=["a", "<script>x</script>"])
    store.change_tags(run_id, add=["b", "a"], remove=["<script>x</script>"])
    assert store.get_run(run_id).tags == ["a", "b"]
    with pytest.raises(InvalidValueError, match="non-empty string"):
        store.change_tags(run_id, add=[""])
    assert store.get_run(run_id).tags == ["a", "b"]  # nothing lost by the bad call


def test_delete_removes_everything_the_run_owns(store: Store) -> None:
    study = store.get_or_create_study("rm")
    keep = _run(store, study.id, lr=1)
    gone = _run(store, study.id, lr=2)
    store.write_series([Series(gone, "x", [0], [1.0], [0.0])], {})
    store.change_tags(gone, add=["t"])
    assert store.delete_runs([gone]) == 1
    with pytest.raises(RunNotFoundError):
        store.get_run(gone)
    assert store.get_run(keep).params == {"lr": 1}
    assert store.read_points([gone]) == []
    assert store.integrity_check() == []


def test_stale_running_runs_become_lost(store: Store) -> None:
    study = store.get_or_create_study("stale")
    old = time.time() - 3600
    run_id, _ = store.create_run(
        study.id, flat_params={}, fields={"heartbeat_at": old, "host": "elsewhere", "pid": 1}
    )
    fresh, _ = store.create_run(
        study.id, flat_params={}, fields={"heartbeat_at": time.time(), "host": "elsewhere"}
    )
    assert store.recover_stale_runs() == 1
    assert store.get_run(run_id).state == "lost"
    assert store.get_run(fresh).state == "running"


def test_known_keys_are_recorded_per_study(store: Store) -> None:
    a = store.get_or_create_study("ka")
    b = store.get_or_create_study("kb")
    run_a = _run(store, a.id, lr=0.1)
    store.write_series([Series(run_a, "loss", [0], [1.0], [0.0])], {})
    store.merge_meta(run_a, {"dataset": "mnist"})
    _run(store, b.id, depth=3)
    assert store.known_keys([a.id]) == (
        frozenset({"lr"}),
        frozenset({"loss"}),
        frozenset({"dataset"}),
    )
    assert store.known_keys()[0] == frozenset({"lr", "depth"})


def test_an_outdated_schema_is_refused_with_the_upgrade_command(store: Store) -> None:
    with store.write() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0000'"))
    from hyperlab.store import forget_open_stores

    forget_open_stores()
    with pytest.raises(SchemaOutdatedError, match="hyperlab db upgrade --store"):
        open_store(store.url)
