"""A ParamSpace reads like a mapping of names to ranges (param_search's spaces were dicts)."""

from __future__ import annotations

import hyperlab as hl


def test_items_and_values_follow_key_order() -> None:
    space = hl.ParamSpace(b=[1, 2], a="x", c=hl.LogUniform(1e-3, 1e-1))
    assert list(space.keys()) == ["b", "a", "c"]
    assert [k for k, _ in space.items()] == ["b", "a", "c"]
    assert [list(v) for v in space.values()[:2]] == [[1, 2], ["x"]]
    assert space.items()[2][1] == hl.LogUniform(1e-3, 1e-1)
    assert dict(space.items())["a"] == space["a"]
