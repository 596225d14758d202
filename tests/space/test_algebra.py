"""ParamSpace algebra: lengths, iteration order, indexing and key ranges (param_search's model)."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hyperlab as hl
from hyperlab.errors import NotFoundError, SpaceError
from hyperlab.space.hashing import canonical_json

from .strategies import SLOW_OK, grids, spaces


def test_readme_example_scalars_and_strings_are_one_element_ranges() -> None:
    space = hl.ParamSpace(a=range(10), b=1e-3, c="hello", d=[True, False])
    assert len(space) == 20
    assert space.keys == ("a", "b", "c", "d")
    assert list(space)[:3] == [
        {"a": 0, "b": 1e-3, "c": "hello", "d": True},
        {"a": 0, "b": 1e-3, "c": "hello", "d": False},
        {"a": 1, "b": 1e-3, "c": "hello", "d": True},
    ]
    assert len(space.sample(5, replace=False)) == 5
    assert space["c"] == ("hello",)
    assert space["a"] == range(10)


def test_readme_algebra_example_has_60_points() -> None:
    a = hl.ParamSpace(type="a", param=[1, 2, 3])
    b = hl.ParamSpace(type="b", param=[4, 5, 6])
    c = hl.ParamSpace(other_param=1.5)
    space = 10 * (a + b) * c
    assert len(space) == 60
    points = list(space)
    assert points[:6] == [
        {"type": t, "param": p, "other_param": 1.5}
        for t, p in [("a", 1), ("a", 2), ("a", 3), ("b", 4), ("b", 5), ("b", 6)]
    ]
    assert points[6:12] == points[:6]


def test_addition_needs_the_same_keys_and_names_the_difference() -> None:
    with pytest.raises(SpaceError, match=r"only on the left: \['x'\], only on the right: \['y'\]"):
        hl.ParamSpace(a=1, x=2) + hl.ParamSpace(a=1, y=2)
    # same key set in another order is fine; points keep the left operand's key order
    space = hl.ParamSpace(a=[1, 2], b=3) + hl.ParamSpace(b=4, a=5)
    assert list(space) == [{"a": 1, "b": 3}, {"a": 2, "b": 3}, {"a": 5, "b": 4}]
    assert [list(p) for p in space] == [["a", "b"]] * 3


def test_product_needs_disjoint_keys_and_names_the_overlap() -> None:
    with pytest.raises(SpaceError, match=r"both have: \['b'\]"):
        hl.ParamSpace(a=1, b=2) * hl.ParamSpace(b=3, c=4)


@pytest.mark.parametrize("bad", [-1, 2.5, True])
def test_repeat_needs_a_non_negative_integer(bad: object) -> None:
    with pytest.raises(SpaceError):
        bad * hl.ParamSpace(a=[1, 2])  # type: ignore[operator]


def test_empty_ranges_and_bad_keys_are_errors() -> None:
    with pytest.raises(SpaceError, match="empty"):
        hl.ParamSpace(a=[])
    with pytest.raises(SpaceError, match="empty"):
        hl.ParamSpace(a=range(0))
    with pytest.raises(SpaceError, match="non-empty strings"):
        hl.ParamSpace({"": [1]})


def test_unhashable_values_work_everywhere() -> None:
    space = hl.ParamSpace(layers=[[64, 64], [128]], opt=[{"name": "adam"}, {"name": "sgd"}])
    assert len(space) == 4
    assert space[3] == {"layers": [128], "opt": {"name": "sgd"}}
    assert {"layers": [64, 64], "opt": {"name": "sgd"}} in space
    sample = space.sample(4, seed=0)
    assert sorted(map(canonical_json, sample)) == sorted(map(canonical_json, space))
    # points are copies: changing one does not change the space
    space[0]["layers"].append(1)
    assert space[0]["layers"] == [64, 64]


def test_huge_spaces_index_without_materialising() -> None:
    space = hl.ParamSpace({f"k{i}": list(range(10)) for i in range(12)})
    assert space.size == 10**12
    assert space[123456789012] == {f"k{i}": int(d) for i, d in enumerate("000123456789012"[3:])}
    assert space[-1] == {f"k{i}": 9 for i in range(12)}
    points = space.sample(100, seed=3)
    assert len({canonical_json(p) for p in points}) == 100


def test_index_errors_and_key_lookup() -> None:
    space = hl.ParamSpace(a=[1, 2])
    with pytest.raises(IndexError, match="out of range"):
        space[2]
    with pytest.raises(NotFoundError, match=r"no key .z.*keys: a"):
        space["z"]
    assert space[0:2] == [{"a": 1}, {"a": 2}]
    assert "a" in space
    assert "z" not in space


def test_key_range_of_a_union_lists_all_values() -> None:
    space = hl.ParamSpace(t="a", p=[1, 2]) + hl.ParamSpace(t="b", p=[2, 3])
    assert space["p"] == (1, 2, 3)
    assert space["t"] == ("a", "b")


def test_keys_grid_keys_and_random_keys() -> None:
    space = hl.ParamSpace(lr=hl.LogUniform(1e-4, 1e-1), bs=[16, 32], act="relu")
    assert space.keys == ("lr", "bs", "act")
    assert space.keys() == ("lr", "bs", "act")  # dict-like code calling keys() also works
    assert space.grid_keys == ("bs", "act")
    assert space.random_keys == ("lr",)
    assert len(space) == 2


@settings(SLOW_OK, max_examples=150)
@given(spaces())
def test_indexing_agrees_with_iteration(space: hl.ParamSpace) -> None:
    points = list(space)
    assert len(points) == len(space) == space.size
    assert [space[i] for i in range(len(space))] == points
    assert all(list(p) == list(space.keys) for p in points)
    assert all(space.contains(p) for p in points)


@settings(SLOW_OK, max_examples=100)
@given(grids(), grids())
def test_grid_iteration_is_the_cartesian_product_last_key_fastest(
    g1: hl.ParamSpace, g2: hl.ParamSpace
) -> None:
    ranges = [g1[k] for k in g1.keys]
    expected = [dict(zip(g1.keys, combo, strict=True)) for combo in itertools.product(*ranges)]
    assert list(g1) == expected
    assert len(g1) == math.prod(len(r) for r in ranges)
    if not set(g1.keys) & set(g2.keys):
        product = g1 * g2
        assert len(product) == len(g1) * len(g2)
        assert list(product) == [{**p, **q} for p in g1 for q in g2]


@settings(SLOW_OK, max_examples=100)
@given(spaces(depth=1), st.integers(0, 4))
def test_lengths_of_sums_products_and_repeats(space: hl.ParamSpace, k: int) -> None:
    assert len(k * space) == k * len(space)
    assert list(k * space) == list(space) * k
    assert len(space + space) == 2 * len(space)
    assert list(space + space) == list(space) * 2
    other = hl.ParamSpace(zz=[1, 2, 3])
    assert len(space * other) == 3 * len(space)
    assert len(other * space) == 3 * len(space)
    assert list(other * space) == [{**o, **p} for o in other for p in space]


def test_numpy_ranges_become_plain_python_values() -> None:
    np = pytest.importorskip("numpy")
    space = hl.ParamSpace(a=np.array([1, 2, 3]), b=np.linspace(0, 1, 3))
    assert str(space) == "a=[1,2,3] b=[0.0,0.5,1.0]"
    assert space.sample(2, seed=np.int64(3)) == space.sample(2, seed=3)
    assert type(space[0]["a"]) is int
