"""Defaults in queries and DataFrames: new defaults reach old runs, conditional defaults apply
only where their condition holds, and the SQL filter agrees with the Python evaluator."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hyperlab as hl
from hyperlab.errors import QueryError
from hyperlab.querying.effective import matches
from hyperlab.space.defaults import Default, apply_defaults
from hyperlab.store import Store, forget_open_stores, open_store
from hyperlab.tracking import writer


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    forget_open_stores()
    opened = open_store(store_url)
    yield opened
    for w in list(writer._STRONG.values()):
        w.close()
    writer._STRONG.clear()
    forget_open_stores()


def numbers(store: Store, expr: str | None, study: str = "d") -> list[int]:
    frame = hl.query(expr, study=study, sort="number", store=store)
    return [int(n) for n in frame["number"]]


def test_a_default_declared_later_reaches_old_runs(store: Store) -> None:
    study = hl.study("d", store=store)
    study.record_run({"lr": 0.1}, final={"acc": 0.5})
    study.record_run({"lr": 0.01, "dropout": 0.5}, final={"acc": 0.6})
    study.set_default("dropout", 0.0)
    assert numbers(store, "dropout == 0") == [1]
    assert numbers(store, "dropout < 0.1") == [1]
    assert numbers(store, "dropout != 0") == [2]
    frame = hl.query(study="d", sort="number", store=store)
    assert frame["params.dropout"].tolist() == [0.0, 0.5]
    stored = store.get_runs([int(i) for i in frame.index])
    assert "dropout" not in stored[0].params  # nothing was rewritten


def test_conditional_default_applies_only_where_its_condition_holds(store: Store) -> None:
    study = hl.study("d", defaults={"epochs": 10}, store=store)
    study.record_run({"lr": 0.1})  # 1: epochs 10 (plain default)
    study.record_run({"lr": 0.0001})  # 2: epochs 100 (condition holds)
    study.record_run({"lr": 0.0001, "epochs": 3})  # 3: its own value wins
    study.record_run({"opt": "sgd"})  # 4: no lr: the condition does not hold
    study.set_default("epochs", 100, when="lr < 0.001")
    assert numbers(store, "epochs == 100") == [2]
    assert numbers(store, "epochs == 10") == [1, 4]
    assert numbers(store, "epochs != 100") == [1, 3, 4]
    assert numbers(store, "epochs in [3, 100]") == [2, 3]
    assert numbers(store, "not epochs > 50") == [1, 3, 4]
    frame = hl.query(study="d", sort="number", store=store)
    assert frame["params.epochs"].tolist() == [10, 100, 3, 10]


def test_conditional_default_without_plain_default(store: Store) -> None:
    study = hl.study("d", store=store)
    study.record_run({"opt": "adam"})
    study.record_run({"opt": "sgd"})
    study.set_default("momentum", 0.9, when='opt == "sgd"')
    assert numbers(store, "momentum == 0.9") == [2]
    assert numbers(store, "momentum == null") == [1]
    frame = hl.query(study="d", sort="number", store=store)
    values = frame["params.momentum"].tolist()
    assert values[1] == 0.9
    assert values[0] != values[0]


def test_python_evaluator_rules() -> None:
    params = {"lr": 0.0005, "opt": "adam", "flag": True, "layers": [64, 32]}
    assert matches("lr < 0.001", params)
    assert matches('opt in ["adam", "sgd"] and not lr > 1', params)
    assert matches("flag == true and flag == 1", params)
    assert matches("layers == [64, 32]", params)
    assert matches('opt like "a*m"', params)
    assert not matches('opt like "a[d]*"', params)
    assert matches("missing == null and missing != 3", params)
    assert not matches("missing < 3", params)
    assert matches("not missing < 3", params)
    assert not matches('lr == "0.0005"', params)  # a number is not text
    assert matches("0.001 > lr", params)
    for bad in ["max(acc) > 1", "metrics.acc > 1", "lr contains 3", "lr < null", "lr in 3"]:
        with pytest.raises(QueryError):
            matches(bad, params)


# -- SQL and Python agree -------------------------------------------------------------------------

KEYS = ["a", "b", "c"]
values = st.one_of(
    st.integers(-3, 3),
    st.sampled_from([0.5, -1.5, 2.0, 1e-4]),
    st.sampled_from(["x", "y", "xy", "z"]),
    st.booleans(),
)
literals = st.one_of(
    st.integers(-3, 3), st.sampled_from([0.5, 2.0, 1e-4]), st.sampled_from(['"x"', '"xy"', '"z"'])
)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@st.composite
def comparisons(draw: st.DrawFn, keys: tuple[str, ...] = tuple(KEYS)) -> str:
    key = draw(st.sampled_from(keys))
    kind = draw(st.sampled_from(["cmp", "in", "null", "like"]))
    if kind == "in":
        items = draw(st.lists(st.one_of(literals, st.just("null")), max_size=3))
        return f"{key} {draw(st.sampled_from(['in', 'not in']))} [{', '.join(map(_text, items))}]"
    if kind == "null":
        return f"{key} {draw(st.sampled_from(['==', '!=']))} null"
    if kind == "like":
        pattern = draw(st.sampled_from(['"x*"', '"?"', '"*y"']))
        return f"{key} {draw(st.sampled_from(['like', 'not like']))} {pattern}"
    op = draw(st.sampled_from(["==", "!=", "<", "<=", ">", ">="]))
    return f"{key} {op} {_text(draw(st.one_of(literals, st.booleans())))}"


conditions = st.recursive(
    comparisons(),
    lambda inner: st.one_of(
        st.builds(lambda a, b: f"({a}) and ({b})", inner, inner),
        st.builds(lambda a, b: f"({a}) or ({b})", inner, inner),
        st.builds(lambda a: f"not ({a})", inner),
    ),
    max_leaves=4,
)
when_conditions = st.one_of(comparisons(("a", "b")), conditions)
queries = st.one_of(comparisons(("c",)), conditions)
run_params = st.dictionaries(st.sampled_from(KEYS), values, max_size=3)
_names = itertools.count()


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    runs=st.lists(run_params, min_size=1, max_size=6),
    plain=st.one_of(st.none(), values),
    conditional=st.lists(st.tuples(values, when_conditions), max_size=3),
    query=queries,
)
def test_sql_filter_agrees_with_python_evaluator(
    store: Store,
    runs: list[dict[str, Any]],
    plain: Any,
    conditional: list[tuple[Any, str]],
    query: str,
) -> None:
    study = hl.study(f"p{next(_names)}", store=store)
    for params in [*runs, {"a": 0, "b": "x", "c": 1}]:  # the last run makes every name known
        study.record_run(params)
    declared = [] if plain is None else [Default("c", plain)]
    declared += [Default("c", value, when) for value, when in conditional]
    store.set_study_defaults(study.id, [d.to_dict() for d in declared])
    expected = [
        number
        for number, params in enumerate([*runs, {"a": 0, "b": "x", "c": 1}], start=1)
        if matches(query, apply_defaults(params, declared, matches).params)
    ]
    assert numbers(store, query, study.record.name) == expected
