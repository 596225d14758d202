"""Distributions: validation messages, sampling within bounds, containment, optuna conversion."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hyperlab as hl
from hyperlab.errors import SpaceError
from hyperlab.space import Distribution

from .strategies import SLOW_OK, distributions


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: hl.Uniform(1, 0), "uniform needs lo <= hi, got lo=1.0 hi=0.0"),
        (lambda: hl.Uniform(0, math.inf), "hi must be finite, got inf"),
        (lambda: hl.Uniform("a", 1), "lo must be a real number, got 'a'"),
        (lambda: hl.LogUniform(0, 1), "loguniform needs lo > 0, got lo=0.0"),
        (lambda: hl.IntUniform(1, 2.5), "hi must be an integer, got 2.5"),
        (lambda: hl.IntUniform(5, 1), "intuniform needs lo <= hi, got lo=5 hi=1"),
        (lambda: hl.IntUniform(0, 8, log=True), "log=true needs lo >= 1, got lo=0"),
        (lambda: hl.Normal(0, 0), "normal needs sigma > 0, got sigma=0.0"),
        (lambda: hl.Categorical([]), "at least one choice"),
        (lambda: hl.Categorical("abc"), "choices must be a list, got 'abc'"),
        (lambda: hl.Categorical([1, 1.0]), "distinct; repeated: 1"),
        (lambda: hl.Categorical([1, 2], weights=[1]), "one weight per choice: 2 choices, 1"),
        (lambda: hl.Categorical([1, 2], weights=[0, 0]), ">= 0 and not all 0, got \\[0.0, 0.0"),
        (lambda: hl.Categorical([1, 2], weights=[-1, 2]), ">= 0 and not all 0"),
    ],
)
def test_validation_states_the_rule_and_the_bad_values(make: Any, message: str) -> None:
    with pytest.raises(SpaceError, match=message):
        make()


@settings(SLOW_OK, max_examples=300)
@given(distributions, st.integers(0, 2**32))
def test_samples_lie_in_the_distribution_and_are_reproducible(
    dist: Distribution, seed: int
) -> None:
    draws = [dist.sample(random.Random(seed)) for _ in range(2)]
    assert dist.contains(draws[0])
    assert draws[0] == draws[1] or draws[0] != draws[0]
    again = Distribution.from_dict(dist.to_dict())
    assert again == dist
    assert hash(again) == hash(dist)
    assert again.sample(random.Random(seed)) == draws[0] or draws[0] != draws[0]


def test_contains() -> None:
    assert hl.Uniform(0, 1).contains(0.5)
    assert not hl.Uniform(0, 1).contains(1.5)
    assert not hl.Uniform(0, 1).contains(True)
    assert not hl.Uniform(0, 1).contains("0.5")
    assert hl.IntUniform(1, 3).contains(3)
    assert hl.IntUniform(1, 3).contains(2.0)
    assert not hl.IntUniform(1, 3).contains(2.5)
    assert not hl.IntUniform(1, 3).contains(4)
    assert hl.Normal(0, 1).contains(-100.0)
    assert not hl.Normal(0, 1).contains(math.nan)
    assert hl.Categorical([[1, 2], {"a": 1}]).contains({"a": 1})
    assert not hl.Categorical([True]).contains(1)
    assert hl.Fixed([1]).contains([1])
    assert not hl.Fixed([1]).contains([2])


def test_weighted_categorical_follows_its_weights() -> None:
    rng = random.Random(0)
    dist = hl.Categorical(["linear", "adaptive"], weights=[0.8, 0.2])
    draws = [dist.sample(rng) for _ in range(2000)]
    assert 1450 < draws.count("linear") < 1750  # expected 1600


def test_log_uniform_is_uniform_in_log_space() -> None:
    rng = random.Random(1)
    draws = [hl.LogUniform(1e-5, 1e-1).sample(rng) for _ in range(4000)]
    below = sum(d < 1e-3 for d in draws)  # half of the log range
    assert 1800 < below < 2200
    ints = [hl.IntUniform(1, 1000, log=True).sample(rng) for _ in range(4000)]
    assert all(1 <= i <= 1000 for i in ints)
    assert sum(i < 32 for i in ints) > 1500


def test_conversion_to_optuna() -> None:
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    assert hl.Uniform(0, 1).to_optuna() == FloatDistribution(0.0, 1.0)
    assert hl.LogUniform(1e-5, 1).to_optuna() == FloatDistribution(1e-5, 1.0, log=True)
    assert hl.IntUniform(1, 8, log=True).to_optuna() == IntDistribution(1, 8, log=True)
    assert hl.Normal(0, 1).to_optuna() == FloatDistribution(-4.0, 4.0)
    assert hl.Categorical(["a", 1, None]).to_optuna() == CategoricalDistribution(["a", 1, None])
    nested = hl.Categorical([[64, 64], [128]])
    opt = nested.to_optuna()
    assert opt.choices == ("[64,64]", "[128]")
    assert nested.from_optuna_value(opt.choices[1]) == [128]
    assert nested.optuna_value([128]) == "[128]"
    assert hl.Fixed({"a": 1}).from_optuna_value("anything") == {"a": 1}


def test_unknown_dict_types_are_an_error() -> None:
    with pytest.raises(SpaceError, match="unknown distribution type 'beta'; valid: categorical"):
        Distribution.from_dict({"type": "beta"})
    with pytest.raises(SpaceError, match="bad arguments for uniform"):
        Distribution.from_dict({"type": "uniform", "lo": 0})


def test_space_distributions_for_model_based_samplers() -> None:
    space = hl.parse_space("lr=loguniform(1e-5,1e-1) bs=[16,32] n=range(1,9) act=relu")
    assert space.distributions() == {
        "lr": hl.LogUniform(1e-5, 1e-1),
        "bs": hl.Categorical([16, 32]),
        "n": hl.IntUniform(1, 8),
        "act": hl.Fixed("relu"),
    }
    union = hl.ParamSpace(t="a", p=[1, 2]) + hl.ParamSpace(t="b", p=[3])
    assert union.distributions() == {
        "t": hl.Categorical(["a", "b"]),
        "p": hl.Categorical([1, 2, 3]),
    }
    clash = hl.ParamSpace(x=hl.Uniform(0, 1)) + hl.ParamSpace(x=hl.Uniform(0, 2))
    with pytest.raises(SpaceError, match="different distributions"):
        clash.distributions()


def test_contains_for_warm_start_filtering() -> None:
    space = hl.parse_space("lr=loguniform(1e-5,1e-1) bs=[16,32] n=range(1,9)")
    assert space.contains({"lr": 1e-3, "bs": 32, "n": 8, "seed": 3})  # extra keys ignored
    assert not space.contains({"lr": 1.0, "bs": 32, "n": 8})
    assert not space.contains({"lr": 1e-3, "bs": 48, "n": 8})
    assert not space.contains({"lr": 1e-3, "bs": 32})
