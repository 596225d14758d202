"""Sampling: distinct, within the space, reproducible, never hanging, clear when impossible."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hyperlab as hl
from hyperlab.errors import SpaceError
from hyperlab.space.hashing import canonical_json
from hyperlab.space.sampling import distinct_indices

from .strategies import SLOW_OK, spaces


@settings(SLOW_OK, max_examples=150)
@given(spaces(), st.data())
def test_samples_without_replacement_are_distinct_points_of_the_space(
    space: hl.ParamSpace, data: st.DataObject
) -> None:
    distinct = {canonical_json(p) for p in space}
    k = data.draw(st.integers(0, len(distinct)))
    seed = data.draw(st.integers(0, 2**32))
    points = space.sample(k, seed=seed)
    texts = [canonical_json(p) for p in points]
    assert len(points) == k
    assert len(set(texts)) == k
    assert set(texts) <= distinct
    assert space.sample(k, seed=seed) == points  # reproducible


@settings(SLOW_OK, max_examples=100)
@given(spaces())
def test_asking_for_more_than_the_distinct_points_raises(space: hl.ParamSpace) -> None:
    distinct = len({canonical_json(p) for p in space})
    with pytest.raises(SpaceError, match="distinct"):
        space.sample(distinct + 1, seed=0)


def test_repeated_spaces_have_no_more_distinct_points() -> None:
    space = 10 * hl.ParamSpace(a=[1, 2, 3])
    assert len(space) == 30
    with pytest.raises(SpaceError, match=r"at most 3 distinct points \(repeating"):
        space.sample(4)
    assert sorted(p["a"] for p in space.sample(3, seed=1)) == [1, 2, 3]
    assert len(space.sample(30, replace=True, seed=1)) == 30


def test_overlapping_unions_are_deduplicated() -> None:
    space = hl.ParamSpace(a=[1, 2, 3]) + hl.ParamSpace(a=[2, 3, 4])
    assert sorted(p["a"] for p in space.sample(4, seed=0)) == [1, 2, 3, 4]
    with pytest.raises(SpaceError, match="only 4 distinct points"):
        space.sample(5, seed=0)


def test_sampling_with_replacement_weights_repeated_parts() -> None:
    space = 9 * hl.ParamSpace(kind="common") + hl.ParamSpace(kind="rare")
    points = space.sample(2000, replace=True, seed=7)
    rare = sum(p["kind"] == "rare" for p in points)
    assert 100 < rare < 320  # expected 200 of 2000 (a 1-in-10 part), far from both bounds


def test_seeds_give_reproducible_and_different_samples() -> None:
    space = hl.ParamSpace(a=range(1000), b=range(1000))
    assert space.sample(50, seed=1) == space.sample(50, seed=1)
    assert space.sample(50, seed=1) != space.sample(50, seed=2)
    assert space.sample(0) == []


@pytest.mark.parametrize("bad", [-1, 1.5, True, "3"])
def test_k_must_be_a_non_negative_integer(bad: object) -> None:
    with pytest.raises(SpaceError, match="k must be an integer >= 0"):
        hl.ParamSpace(a=[1, 2]).sample(bad)  # type: ignore[arg-type]


def test_sampling_the_whole_space_and_nearly_all_of_it_terminates() -> None:
    space = hl.ParamSpace(a=range(100), b=range(100))
    for k in (10_000, 9_999, 5_001):
        points = space.sample(k, seed=k)
        assert len({(p["a"], p["b"]) for p in points}) == k


def test_sampling_a_million_point_space_does_not_materialise_it() -> None:
    space = hl.ParamSpace({k: list(range(10)) for k in "abcdef"})
    points = space.sample(10_000, seed=0)
    assert len({tuple(p.values()) for p in points}) == 10_000


@settings(SLOW_OK, max_examples=50)
@given(st.integers(0, 300), st.integers(0, 2**32))
def test_distinct_indices_is_a_permutation(n: int, seed: int) -> None:
    assert sorted(distinct_indices(n, random.Random(seed))) == list(range(n))


def test_mixed_spaces_draw_random_keys_per_grid_point() -> None:
    space = hl.ParamSpace(lr=hl.LogUniform(1e-5, 1e-1), bs=[16, 32, 64])
    points = space.sample(9, seed=0)
    assert len(points) == 9
    assert sorted(p["bs"] for p in points) == [16, 16, 16, 32, 32, 32, 64, 64, 64]  # balanced
    assert all(1e-5 <= p["lr"] <= 1e-1 for p in points)
    assert len({p["lr"] for p in points}) == 9
    assert space.sample(9, seed=0) == points
    # indexing is deterministic and agrees with iteration
    assert list(space) == [space[0], space[1], space[2]]
    assert space[1] == space[1]


def test_discrete_random_keys_are_bounded_and_never_hang() -> None:
    space = hl.ParamSpace(n=hl.IntUniform(1, 3), act=hl.Categorical(["relu", "gelu"]))
    assert space.distinct_size() == 6
    assert len({canonical_json(p) for p in space.sample(6, seed=0)}) == 6
    with pytest.raises(SpaceError, match="at most 6 distinct"):
        space.sample(7)
    skewed = hl.ParamSpace(x=hl.Categorical(["a", "b"], weights=[1e-12, 1.0]))
    with pytest.raises(SpaceError, match="found only 1 distinct points"):
        skewed.sample(2, seed=0)


def test_empty_spaces() -> None:
    empty = 0 * hl.ParamSpace(a=[1, 2])
    assert len(empty) == 0
    assert list(empty) == []
    assert not empty
    assert empty.sample(0) == []
    with pytest.raises(SpaceError):
        empty.sample(1)
    with pytest.raises(SpaceError):
        empty.sample(1, replace=True)
    assert hl.ParamSpace().sample(1) == [{}]
