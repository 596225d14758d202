"""``hl.query`` end to end on SQLite and PostgreSQL: selection, sorting, defaults, errors."""

from __future__ import annotations

import pytest

import hyperlab as hl
from hyperlab.errors import QueryError, QuerySyntaxError
from hyperlab.store import Store


def numbers(
    store: Store, expr: str | None = None, sort: str | None = "number", **kw: object
) -> list[int]:
    frame = hl.query(expr, study="q", sort=sort, store=store, **kw)  # type: ignore[arg-type]
    return [int(n) for n in frame["number"]]


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("lr < 0.05", [2, 3]),
        ("lr != 0.1", [2, 3, 4, 5]),
        ("not (lr < 0.05)", [1, 4, 5]),
        ("lr == null", [4]),
        ("lr != null", [1, 2, 3, 5]),
        ("0.05 > lr", [2, 3]),
        ("lr >= 1e-2 and lr <= 5E-2", [2, 5]),
        ('optim.name in ["adam", "sgd"]', [1, 2, 3, 5]),
        ('optim.name not in ["adam"]', [1, 4, 5]),
        ('params.optim.name == "rmsprop"', [4]),
        ("optim.name == 3", []),
        ('lr < 0.05 or optim.name == "sgd" and not lr > 0.07', [2, 3, 5]),
        ("(lr < 0.05 or optim.name == 'sgd') and not lr > 0.07", [2, 3, 5]),
        ('note contains "\\"quoted\\""', [4]),
        ('note contains "it\'s"', [4]),
        ('note like "it*quo?ed*"', [4]),
        ('note like "quoted"', []),
        ("layers == [64, 32]", [5]),
        ('größe == "ü"', [5]),
        ('`größe` == "ü"', [5]),
    ],
)
def test_params_select_the_right_runs(qstore: Store, expr: str, expected: list[int]) -> None:
    assert numbers(qstore, expr) == expected


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("dropout == 0", [2, 3, 4, 5]),
        ("dropout == 0.0 and lr < 0.02", [2, 3]),
        ("dropout > 0", [1]),
        ("dropout != 0", [1]),
        ("dropout == null", []),
        ("dropout in [0.5, 0.25]", [1]),
    ],
)
def test_missing_params_compare_as_the_study_default(
    qstore: Store, expr: str, expected: list[int]
) -> None:
    assert numbers(qstore, expr) == expected


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("val_acc > 0.8", [2, 3, 5]),
        ("metrics.val_acc > 0.8", [2, 3, 5]),
        ("val_acc == null", [4]),
        ("last(val_acc) == 0.6", [1]),
        ("max(val_acc) >= 0.9", [3]),
        ("best(val_acc) == 0.7", [1]),
        ("final(val_acc) in [0.95, 0.85]", [2, 5]),
        ("min(val_loss) < 0.4", [2]),
        ("best(val_loss) <= 0.5", [1, 2]),
        ("count(val_loss) == 0", [3, 4, 5]),
        ("count(val_loss) >= 2", [1, 2]),
        ("mean(val_loss) > 0.7", [1]),
    ],
)
def test_metric_summaries_and_aggregates(qstore: Store, expr: str, expected: list[int]) -> None:
    assert numbers(qstore, expr) == expected


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ('tags contains "baseline"', [1, 2]),
        ('"fast" in tags', [2]),
        ('tags not contains "fast"', [1, 3, 4, 5]),
        ('not tags contains "baseline"', [3, 4, 5]),
        ('tags in ["fast", "nothing"]', [2]),
        ('tags like "base*"', [1, 2]),
        ('state == "failed"', [4]),
        ('run.state == "failed"', [4]),
        ("tags == null", [3, 4, 5]),
        ('state != "completed"', [4]),
        ('state in ["failed", "lost"]', [4]),
        ('started > "2026-10-15"', [1]),
        ('started < "2026-11-01T09:00:00Z"', [2]),
        ("duration >= 100", [1]),
        ("started == null", [3, 4, 5]),
        ("number <= 2", [1, 2]),
        ('study == "q" and number > 4', [5]),
        ('meta.dataset == "digits"', [1]),
        ('dataset == "mnist"', [5]),
        ("dataset == null", [2, 3, 4]),
    ],
)
def test_run_fields_tags_and_meta(qstore: Store, expr: str, expected: list[int]) -> None:
    assert numbers(qstore, expr) == expected


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("-val_acc", [2, 3, 5, 1, 4]),
        ("val_acc", [1, 5, 3, 2, 4]),
        ("+lr", [3, 2, 5, 1, 4]),
        ("-lr", [1, 5, 2, 3, 4]),
        ("dropout", [2, 3, 4, 5, 1]),
        ("-dropout", [1, 2, 3, 4, 5]),
        ("optim.name,-lr", [2, 3, 4, 1, 5]),
        ("-min(val_loss)", [1, 2, 3, 4, 5]),
        ("min(val_loss)", [2, 1, 3, 4, 5]),
        ("-started", [1, 2, 3, 4, 5]),
        ("dataset", [1, 5, 2, 3, 4]),
        ("-number", [5, 4, 3, 2, 1]),
    ],
)
def test_sorting_puts_missing_values_last(qstore: Store, sort: str, expected: list[int]) -> None:
    assert numbers(qstore, sort=sort) == expected


def test_default_sort_is_best_first_and_limit_applies(qstore: Store) -> None:
    assert numbers(qstore, sort=None) == [2, 3, 5, 1, 4]
    assert numbers(qstore, "lr > 0", sort="-val_acc", limit=2) == [2, 3]


def test_frame_has_params_metrics_and_defaults(qstore: Store) -> None:
    frame = hl.query("optim.name == 'adam'", study="q", sort="lr", store=qstore)
    assert list(frame["params.lr"]) == [0.001, 0.01]
    assert list(frame["params.dropout"]) == [0.0, 0.0]
    assert list(frame["metrics.val_acc"]) == [pytest.approx(0.9), pytest.approx(0.95)]


def test_queries_across_all_studies(qstore: Store) -> None:
    all_runs = hl.query("host_name == 'a'", store=qstore)
    assert list(all_runs["study"]) == ["amb"]


def test_ambiguous_name_asks_for_a_prefix(qstore: Store) -> None:
    with pytest.raises(QueryError, match=r"ambiguous.*params\.score or metrics\.score"):
        hl.query("score > 0", study="amb", store=qstore)
    assert len(hl.query("params.score == 1", study="amb", store=qstore)) == 1
    assert len(hl.query("metrics.score < 0.6", study="amb", store=qstore)) == 1


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("lrr < 0.1", r"unknown name 'lrr'.*did you mean 'lr'"),
        ("params.val_acc > 1", r"unknown param 'val_acc'"),
        ("min(lr) < 1", r"min\(\) applies to metrics.*'lr' is a param"),
        ('val_acc > "high"', r"val_acc is a number; cannot compare it with str 'high'"),
        ('state == "faild"', r"unknown run state 'faild' in state; valid: completed, failed"),
        ('started > "yesterday"', r"started needs a date"),
        ("lr in 0.1", r"'in' needs a list"),
        ("lr < null", r"null can only be compared with == or !="),
        ("lr < dropout", r"comparing two names is not supported"),
        ("tags > 1", r"tags support contains"),
    ],
)
def test_semantic_errors_are_clear(qstore: Store, expr: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        hl.query(expr, study="q", store=qstore)


def test_sort_errors_are_clear(qstore: Store) -> None:
    with pytest.raises(QueryError, match="did you mean 'val_acc'"):
        hl.query(study="q", sort="-val_ac", store=qstore)
    with pytest.raises(QuerySyntaxError, match="expected a name to sort by"):
        hl.query(study="q", sort="-", store=qstore)
    with pytest.raises(QueryError, match="cannot sort by tags"):
        hl.query(study="q", sort="tags", store=qstore)


def test_syntax_error_shows_a_caret(qstore: Store) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        hl.query("lr < ", study="q", store=qstore)
    assert str(info.value) == "expected a value after '<' at column 6\n  lr < \n       ^"


def test_hostile_text_is_data_not_code(qstore: Store) -> None:
    """Quotes and SQL in values are bound parameters: nothing matches, nothing breaks."""
    assert numbers(qstore, 'optim.name == "x\'; DROP TABLE runs; --"') == []
    assert numbers(qstore, "note == 'it\\'s \"quoted\"'") == [4]
    assert len(hl.query(study="q", store=qstore)) == 5


def test_text_defaults_fill_in_for_sorting_and_filtering(store_url: str) -> None:
    from hyperlab.store import forget_open_stores, open_store

    forget_open_stores()
    store = open_store(store_url)
    study = hl.study("t", defaults={"act": "relu"}, store=store)
    study.record_run({"act": "tanh", "lr": 2})
    study.record_run({"lr": 1})
    study.record_run({"act": "elu", "lr": 3})
    frame = hl.query(study="t", sort="act", store=store)
    assert list(frame["params.act"]) == ["elu", "relu", "tanh"]
    frame = hl.query('act == "relu" or act like "t*"', study="t", sort="-act", store=store)
    assert list(frame["params.act"]) == ["tanh", "relu"]
    frame = hl.query(study="t", sort="-lr", store=store)
    assert list(frame["params.lr"]) == [3, 2, 1]
    forget_open_stores()


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ('n like "a*"', ["a%b_c", "a*b?c", "alpha"]),
        ('n like "b*"', ["beta[1]"]),
        ('n like "a?b?c"', ["a%b_c", "a*b?c"]),
        ('n contains "%"', ["a%b_c"]),
        ('n contains "_"', ["a%b_c"]),
        ('n contains "*b?"', ["a*b?c"]),
        ('n contains "[1]"', ["beta[1]"]),
        ('n contains "ph"', ["alpha"]),
        ('n contains "A"', []),
        ('n like "beta[1]"', ["beta[1]"]),
    ],
)
def test_like_and_contains_treat_special_characters_literally(
    store_url: str, expr: str, expected: list[str]
) -> None:
    """Many patterns against one store: cached SQL must never reuse an earlier pattern."""
    from hyperlab.store import forget_open_stores, open_store

    forget_open_stores()
    store = open_store(store_url)
    study = hl.study("p", store=store)
    for text in ["alpha", "beta[1]", "a%b_c", "a*b?c"]:
        study.record_run({"n": text})
    for other in ('n like "zz*"', 'n contains "zz"', expr):
        frame = hl.query(other, study="p", store=store)
    found = sorted(frame["params.n"]) if len(frame) else []
    assert found == sorted(expected)
    forget_open_stores()
