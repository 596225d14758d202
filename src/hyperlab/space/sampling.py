"""Sampling from a space without materialising it.

:func:`distinct_indices` yields distinct random integers from ``range(n)`` lazily, for any ``n``
(10**12 and beyond): rejection against a set of drawn indices while fewer than half are drawn,
then a shuffled list of the rest (at most as long as what was already drawn). Memory is
proportional to the number of indices consumed; it never loops forever.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from hyperlab.errors import SpaceError
from hyperlab.space.hashing import canonical_json
from hyperlab.space.nodes import Node

MAX_DRAWS_PER_POINT = 100
"""Spaces with random keys: draws allowed per wanted point before giving up on distinctness."""


def distinct_indices(n: int, rng: random.Random) -> Iterator[int]:
    """Distinct integers from ``range(n)`` in random order, lazily, until all are yielded."""
    seen: set[int] = set()
    while 2 * len(seen) < n:
        i = rng.randrange(n)
        if i not in seen:
            seen.add(i)
            yield i
    rest = [i for i in range(n) if i not in seen]
    rng.shuffle(rest)
    yield from rest


def decode(
    node: Node, index: int, rng: random.Random | None, keys: tuple[str, ...]
) -> dict[str, Any]:
    """The point at ``index`` with its keys in ``keys`` order."""
    out: dict[str, Any] = {}
    node.decode(index, out, rng)
    if not node.in_order or node.keys != keys:  # union parts may order their keys differently
        out = {k: out[k] for k in keys}
    return out


def sample_with_replacement(
    node: Node, k: int, rng: random.Random, keys: tuple[str, ...]
) -> list[dict[str, Any]]:
    """``k`` independent draws: a uniform grid index, then a value for each random key."""
    if k and node.size == 0:
        raise SpaceError(f"cannot draw {k} points from an empty space")
    return [decode(node, rng.randrange(node.size), rng, keys) for _ in range(k)]


def sample_distinct(
    node: Node, k: int, rng: random.Random, keys: tuple[str, ...]
) -> list[dict[str, Any]]:
    """``k`` distinct points (by content), in random order.

    Raises:
        SpaceError: when the space has fewer than ``k`` distinct points.
    """
    if k == 0:
        return []
    base = node.without_repeats()
    bound = base.distinct_bound()
    if bound is not None and k > bound:
        note = " (repeating a space adds no new points)" if base.size < node.size else ""
        raise SpaceError(
            f"cannot draw {k} distinct points: the space has at most {bound} distinct "
            f"points{note}; ask for k <= {bound} or use replace=True"
        )
    if not base.random_keys:
        return _distinct_grid(base, k, rng, keys)
    return _distinct_random(base, k, rng, keys)


def _distinct_grid(
    node: Node, k: int, rng: random.Random, keys: tuple[str, ...]
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if not node.may_repeat:  # distinct indices are distinct points
        for i in distinct_indices(node.size, rng):
            out.append(decode(node, i, None, keys))
            if len(out) == k:
                return out
    seen: set[str] = set()
    for i in distinct_indices(node.size, rng):
        point = decode(node, i, None, keys)
        key = canonical_json(point)
        if key not in seen:
            seen.add(key)
            out.append(point)
            if len(out) == k:
                return out
    raise SpaceError(
        f"cannot draw {k} distinct points: the space has only {len(out)} distinct points "
        "(its parts overlap or a range repeats a value); ask for fewer or use replace=True"
    )


def _distinct_random(
    node: Node, k: int, rng: random.Random, keys: tuple[str, ...]
) -> list[dict[str, Any]]:
    if node.size == 0:
        raise SpaceError(f"cannot draw {k} points from an empty space")
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    budget = MAX_DRAWS_PER_POINT * k + 1000
    draws = 0
    while True:
        for i in distinct_indices(node.size, rng):  # balanced over grid points
            point = decode(node, i, rng, keys)
            draws += 1
            key = canonical_json(point)
            if key not in seen:
                seen.add(key)
                out.append(point)
                if len(out) == k:
                    return out
            if draws >= budget:
                raise SpaceError(
                    f"found only {len(out)} distinct points in {draws} draws, {k} were asked "
                    f"for; the random keys {', '.join(node.random_keys)} have few likely "
                    "values: ask for fewer points or use replace=True"
                )
