"""The text form: parse_space(str(space)) == space, with clear errors for bad text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hyperlab as hl
from hyperlab.errors import SpaceError
from hyperlab.space import Distribution
from hyperlab.space.text import format_value

from .strategies import SLOW_OK, distributions, spaces, values


def test_the_issue_example_reads_and_prints_back() -> None:
    space = hl.parse_space(
        "lr=loguniform(1e-5,1e-1) bs=[16,32,64] layers=range(1,5) act=choice(relu,gelu)"
    )
    assert space.keys == ("lr", "bs", "layers", "act")
    assert space["lr"] == hl.LogUniform(1e-5, 1e-1)
    assert space["bs"] == (16, 32, 64)
    assert space["layers"] == range(1, 5)
    assert space["act"] == hl.Categorical(["relu", "gelu"])
    assert str(space) == (
        "lr=loguniform(1e-05,0.1) bs=[16,32,64] layers=range(1,5) act=choice(relu,gelu)"
    )
    assert len(space) == 12


def test_algebra_in_text() -> None:
    text = "10 * (type=a param=[1,2,3] + type=b param=[4,5,6]) * other_param=1.5"
    space = hl.parse_space(text)
    a = hl.ParamSpace(type="a", param=[1, 2, 3])
    b = hl.ParamSpace(type="b", param=[4, 5, 6])
    assert space == 10 * (a + b) * hl.ParamSpace(other_param=1.5)
    assert len(space) == 60
    assert str(space) == text


def test_values_quotes_keywords_and_distribution_options() -> None:
    space = hl.parse_space(
        'name="two words" n="16" flag=true none=null path=data/train.csv '
        "w=choice(a,b,weights=[1,3]) k=intuniform(1,64,log=true) m=normal(0,1) f=fixed([1,2]) "
        "nested=[[1,2],[3]] cfg={depth:2,act:relu} neg=-3 sci=1e+16 big=inf"
    )
    assert space[0] == {
        "name": "two words",
        "n": "16",
        "flag": True,
        "none": None,
        "path": "data/train.csv",
        "w": space[0]["w"],
        "k": space[0]["k"],
        "m": space[0]["m"],
        "f": [1, 2],
        "nested": [1, 2],
        "cfg": {"depth": 2, "act": "relu"},
        "neg": -3,
        "sci": 1e16,
        "big": float("inf"),
    }
    assert space["w"] == hl.Categorical(["a", "b"], weights=[1, 3])
    assert space["k"] == hl.IntUniform(1, 64, log=True)
    assert hl.parse_space(str(space)) == space


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a=[1,2", "expected ','"),
        ("a=uniform(2,1)", "lo <= hi"),
        ("a=loguniform(0,1)", "lo > 0"),
        ("a=range(1,1)", "empty"),
        ("a=range(1.5,3)", "range"),
        ("a=1 a=2", "given twice"),
        ("a=1 + b=2", "same keys"),
        ("a=1 * a=2", "disjoint"),
        ("a=1 b", "expected"),
        ("a=$", "unexpected character"),
        ("3", "space after the repeat count"),
        ("a=choice()", "at least one choice"),
        ("a=choice(x,x)", "distinct"),
        ("a=normal(0,-1)", "sigma > 0"),
    ],
)
def test_bad_text_is_an_error_with_a_caret(text: str, message: str) -> None:
    with pytest.raises(SpaceError, match=message) as info:
        hl.parse_space(text)
    assert "^" in str(info.value)
    assert text in str(info.value)


def test_text_is_never_evaluated(tmp_path: object) -> None:
    with pytest.raises(SpaceError):
        hl.parse_space("a=__import__('os').system('true')")


@settings(SLOW_OK, max_examples=200)
@given(spaces())
def test_round_trip_of_finite_spaces(space: hl.ParamSpace) -> None:
    text = str(space)
    again = hl.parse_space(text)
    assert again == space
    assert str(again) == text
    assert list(again) == list(space)


@settings(SLOW_OK, max_examples=200)
@given(st.dictionaries(st.sampled_from(["lr", "x", "opt.y"]), distributions, min_size=1))
def test_round_trip_of_distributions(ranges: dict[str, Distribution]) -> None:
    space = hl.ParamSpace(ranges)
    assert hl.parse_space(str(space)) == space
    for dist in ranges.values():
        assert Distribution.from_dict(dist.to_dict()) == dist
        assert repr(dist) == str(dist)


@settings(SLOW_OK, max_examples=300)
@given(values)
def test_every_value_prints_as_text_that_reads_back(value: object) -> None:
    space = hl.parse_space("v=" + format_value([value]))
    assert space[0]["v"] == value or value != value  # NaN never equals itself
