"""Params read from a command's own arguments and from --set."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hyperlab.errors import InvalidValueError
from hyperlab.execute.argv_params import params_from_argv, parse_assignments, parse_value


def test_the_three_spellings_and_flags() -> None:
    argv = [
        "python",
        "train.py",
        "--lr",
        "0.1",
        "--layers=3",
        "optim=adam",
        "--amp",
        "--momentum",
        "-0.5",
        "--no-bias",
        "+data.size=small",
    ]
    assert params_from_argv(argv) == {
        "lr": 0.1,
        "layers": 3,
        "optim": "adam",
        "amp": True,
        "momentum": -0.5,
        "no_bias": True,
        "data.size": "small",
    }


def test_program_positionals_and_short_options_are_not_params() -> None:
    assert params_from_argv(["python", "-m", "pkg.train", "data.csv", "-v"]) == {}


def test_values_are_typed() -> None:
    assert [parse_value(t) for t in ["3", "-2", "1e-3", "false", "null", "x1"]] == [
        3,
        -2,
        0.001,
        False,
        None,
        "x1",
    ]


def test_set_assignments_and_their_errors() -> None:
    assert parse_assignments(["seed=1", "name=a=b"]) == {"seed": 1, "name": "a=b"}
    with pytest.raises(InvalidValueError, match="key=value"):
        parse_assignments(["seed"])


_keys = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
_values = st.one_of(
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32).filter(lambda f: f != 0),
    st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True).filter(
        lambda s: s not in {"true", "false", "null", "none", "inf", "nan"}
    ),
)


@given(st.dictionaries(_keys, _values, max_size=6))
def test_long_options_round_trip(params: dict[str, object]) -> None:
    argv = ["prog"]
    for key, value in params.items():
        argv += [f"--{key}", repr(value) if isinstance(value, float) else str(value)]
    assert params_from_argv(argv) == params
