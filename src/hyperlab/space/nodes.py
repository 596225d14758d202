"""The building blocks of :class:`~hyperlab.space.ParamSpace`: grids, unions, products, repeats.

Every node knows its keys, its number of grid points (``size``) and how to decode a grid index
into values in O(number of keys), without ever building the Cartesian product. Keys whose range
is a :class:`~hyperlab.space.distributions.Distribution` are *random keys*: they do not multiply
the size; a value is drawn for them (from the caller's random generator) at every point.
"""

from __future__ import annotations

import bisect
import copy
import math
import random
from collections.abc import Iterator, Sequence
from typing import Any

from hyperlab.errors import SpaceError
from hyperlab.space.distributions import Categorical, Distribution, Fixed, IntUniform
from hyperlab.space.hashing import value_key

_MAX_CATEGORICAL = 100_000


def _mutable(seq: Sequence[Any]) -> bool:
    return any(isinstance(v, (list, dict)) for v in seq)


class Node:
    """A parameter space (abstract)."""

    keys: tuple[str, ...]
    size: int
    random_keys: tuple[str, ...]
    may_repeat: bool
    """Whether two grid indices can decode to equal points (unions, repeated range values)."""
    in_order: bool = True
    """Whether :meth:`decode` writes the keys in the order of ``keys``."""

    def decode(self, index: int, out: dict[str, Any], rng: random.Random | None) -> None:
        """Write the values of grid point ``index`` (0 <= index < size) into ``out``."""
        raise NotImplementedError

    def contains(self, point: dict[str, Any]) -> bool:
        """Whether ``point`` (with at least this node's keys) lies in the space."""
        raise NotImplementedError

    def distinct_bound(self) -> int | None:
        """An upper bound on the number of distinct points (None: infinite)."""
        raise NotImplementedError

    def without_repeats(self) -> Node:
        """The same points, each grid index once (``k * A`` becomes ``A``)."""
        return self

    def range_of(self, key: str) -> Any:
        """The range of one key."""
        raise NotImplementedError

    def distribution_of(self, key: str) -> Distribution:
        """The range of ``key`` as a distribution (for samplers that need one)."""
        raise NotImplementedError

    def to_text(self, outer: int) -> str:
        """The text form; ``outer`` is the precedence of the context (0 top, 1 sum, 2 product)."""
        raise NotImplementedError


class Grid(Node):
    """The Cartesian product of per-key ranges (the last grid key varies fastest)."""

    def __init__(self, items: Sequence[tuple[str, Any]]) -> None:
        self.items: tuple[tuple[str, Any], ...] = tuple(items)
        self.keys = tuple(k for k, _ in self.items)
        axes = [(k, r) for k, r in self.items if not isinstance(r, Distribution)]
        self.random_keys = tuple(k for k, r in self.items if isinstance(r, Distribution))
        self._seqs = [r for _, r in axes]
        self._sizes = [len(r) for r in self._seqs]
        self._copy = [isinstance(r, tuple) and _mutable(r) for r in self._seqs]
        # (key, axis index or -1, distribution or None) in key order
        slot = {k: j for j, (k, _) in enumerate(axes)}
        self._layout = [
            (k, slot.get(k, -1), r if isinstance(r, Distribution) else None) for k, r in self.items
        ]
        self.size = math.prod(self._sizes)
        self.may_repeat = any(
            isinstance(r, tuple) and len({value_key(v) for v in r}) < len(r) for r in self._seqs
        )
        self._members: dict[int, set[str]] = {}
        self._plain = not self.random_keys and not any(self._copy)
        self._reversed = list(zip(self._seqs, self._sizes, strict=True))[::-1]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Grid) and _same_items(self.items, other.items)

    __hash__ = None  # type: ignore[assignment]

    def decode(self, index: int, out: dict[str, Any], rng: random.Random | None) -> None:
        """Mixed-radix decoding of ``index`` over the grid axes."""
        if self._plain:  # the hot path of sampling: no random keys, nothing to copy
            fast: list[Any] = []
            for seq, n in self._reversed:
                index, r = divmod(index, n)
                fast.append(seq[r])
            fast.reverse()
            out.update(zip(self.keys, fast, strict=True))
            return
        seqs = self._seqs
        picks: list[Any] = [None] * len(seqs)
        for j in range(len(seqs) - 1, -1, -1):
            index, r = divmod(index, self._sizes[j])
            value = seqs[j][r]
            picks[j] = copy.deepcopy(value) if self._copy[j] else value
        for key, j, dist in self._layout:
            if dist is None:
                out[key] = picks[j]
            else:
                if rng is None:  # pragma: no cover - callers always pass one for random keys
                    raise SpaceError(f"random key {key!r} needs a random generator")
                out[key] = dist.sample(rng)

    def iter_points(self) -> Iterator[dict[str, Any]]:
        """All points in order (only for grids without random keys)."""
        import itertools

        keys = self.keys
        mutable = any(self._copy)
        for values in itertools.product(*self._seqs):
            point = dict(zip(keys, values, strict=True))
            yield copy.deepcopy(point) if mutable else point

    def contains(self, point: dict[str, Any]) -> bool:
        """Each key's value lies in its range."""
        for key, rng_ in self.items:
            if key not in point:
                return False
            if not _in_range(rng_, point[key], self._members, id(rng_)):
                return False
        return True

    def distinct_bound(self) -> int | None:
        """Grid size times the number of values of each random key."""
        total = self.size
        for _, r in self.items:
            if isinstance(r, Distribution):
                if r.size is None:
                    return None
                total *= r.size
        return total

    def range_of(self, key: str) -> Any:
        """The key's range as given (tuple, range or distribution)."""
        return dict(self.items)[key]

    def distribution_of(self, key: str) -> Distribution:
        """Grid ranges become :class:`Fixed`, :class:`IntUniform` or :class:`Categorical`."""
        return _as_distribution(key, dict(self.items)[key])

    def to_text(self, outer: int) -> str:
        """``a=[1,2] b=loguniform(1e-05,0.1)`` (juxtaposition binds tighter than ``*``)."""
        from hyperlab.space.text import format_name, format_range

        body = " ".join(f"{format_name(k)}={format_range(r)}" for k, r in self.items)
        return body if body or outer == 0 else "()"


class Union(Node):
    """Parts iterated one after the other; all parts have the same key set."""

    def __init__(self, parts: Sequence[Node]) -> None:
        self.parts = tuple(parts)
        self.keys = self.parts[0].keys
        self.random_keys = tuple(
            k for k in self.keys if any(k in p.random_keys for p in self.parts)
        )
        self._starts: list[int] = []
        total = 0
        for part in self.parts:
            self._starts.append(total)
            total += part.size
        self.size = total
        self.may_repeat = True
        self.in_order = all(p.in_order and p.keys == self.keys for p in self.parts)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Union) and self.parts == other.parts

    __hash__ = None  # type: ignore[assignment]

    def decode(self, index: int, out: dict[str, Any], rng: random.Random | None) -> None:
        """Find the part by bisection, then decode within it."""
        j = bisect.bisect_right(self._starts, index) - 1
        while self.parts[j].size == 0:  # empty parts share a start with the next one
            j += 1
        self.parts[j].decode(index - self._starts[j], out, rng)

    def contains(self, point: dict[str, Any]) -> bool:
        """The point lies in any part."""
        return any(p.contains(point) for p in self.parts)

    def distinct_bound(self) -> int | None:
        """The sum over the parts."""
        total = 0
        for part in self.parts:
            bound = part.distinct_bound()
            if bound is None:
                return None
            total += bound
        return total

    def without_repeats(self) -> Node:
        """Each part without repeats."""
        return Union([p.without_repeats() for p in self.parts])

    def range_of(self, key: str) -> Any:
        """The common range, or the values of all parts' ranges in order."""
        ranges = [p.range_of(key) for p in self.parts]
        if all(_same_range(r, ranges[0]) for r in ranges):
            return ranges[0]
        if any(isinstance(r, Distribution) for r in ranges):
            raise SpaceError(
                f"key {key!r} has different ranges in the parts of the union: "
                + ", ".join(str(r) for r in ranges)
            )
        seen: dict[str, Any] = {}
        for r in ranges:
            for value in r:
                seen.setdefault(value_key(value), value)
        return tuple(seen.values())

    def distribution_of(self, key: str) -> Distribution:
        """The parts' common distribution, or a categorical over all their values."""
        dists = [p.distribution_of(key) for p in self.parts]
        if all(d == dists[0] for d in dists):
            return dists[0]
        if any(not isinstance(d, (Categorical, Fixed)) for d in dists):
            if all(not isinstance(p.range_of(key), Distribution) for p in self.parts):
                return _as_distribution(key, self.range_of(key))
            raise SpaceError(
                f"key {key!r} has different distributions in the parts of the union: "
                + ", ".join(str(d) for d in dists)
            )
        return _as_distribution(key, self.range_of(key))

    def to_text(self, outer: int) -> str:
        """``A + B``."""
        body = " + ".join(p.to_text(1) for p in self.parts)
        return f"({body})" if outer > 0 else body


class Product(Node):
    """The Cartesian product of parts with disjoint keys (the last part varies fastest)."""

    def __init__(self, parts: Sequence[Node]) -> None:
        self.parts = tuple(parts)
        self.keys = tuple(k for p in self.parts for k in p.keys)
        self.random_keys = tuple(k for p in self.parts for k in p.random_keys)
        self.size = math.prod(p.size for p in self.parts)
        self.may_repeat = any(p.may_repeat for p in self.parts)
        self._owner = {k: p for p in self.parts for k in p.keys}
        self.in_order = all(p.in_order for p in self.parts)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Product) and self.parts == other.parts

    __hash__ = None  # type: ignore[assignment]

    def decode(self, index: int, out: dict[str, Any], rng: random.Random | None) -> None:
        """Mixed-radix decoding over the parts."""
        indices = [0] * len(self.parts)
        for j in range(len(self.parts) - 1, -1, -1):
            index, indices[j] = divmod(index, self.parts[j].size)
        for part, i in zip(self.parts, indices, strict=True):
            part.decode(i, out, rng)

    def contains(self, point: dict[str, Any]) -> bool:
        """Every part contains its keys' values."""
        return all(p.contains(point) for p in self.parts)

    def distinct_bound(self) -> int | None:
        """The product over the parts."""
        total = 1
        for part in self.parts:
            bound = part.distinct_bound()
            if bound is None:
                return None
            total *= bound
        return total

    def without_repeats(self) -> Node:
        """Each part without repeats."""
        return Product([p.without_repeats() for p in self.parts])

    def range_of(self, key: str) -> Any:
        """The range in the part that has the key."""
        return self._owner[key].range_of(key)

    def distribution_of(self, key: str) -> Distribution:
        """The distribution in the part that has the key."""
        return self._owner[key].distribution_of(key)

    def to_text(self, outer: int) -> str:
        """``A * B``."""
        # ``10 * A * B`` reads as ``(10 * A) * B``: a leading repeat needs no parentheses
        body = " * ".join(p.to_text(1 if i == 0 else 2) for i, p in enumerate(self.parts))
        return f"({body})" if outer > 1 else body


class Repeat(Node):
    """A space iterated ``times`` times in a row."""

    def __init__(self, times: int, inner: Node) -> None:
        self.times = times
        self.inner = inner
        self.keys = inner.keys
        self.random_keys = inner.random_keys
        self.size = times * inner.size
        self.may_repeat = times > 1 or inner.may_repeat
        self.in_order = inner.in_order

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Repeat) and self.times == other.times and self.inner == other.inner
        )

    __hash__ = None  # type: ignore[assignment]

    def decode(self, index: int, out: dict[str, Any], rng: random.Random | None) -> None:
        """Decode ``index`` modulo the inner size."""
        self.inner.decode(index % self.inner.size, out, rng)

    def contains(self, point: dict[str, Any]) -> bool:
        """As the inner space (an empty repeat contains nothing)."""
        return self.times > 0 and self.inner.contains(point)

    def distinct_bound(self) -> int | None:
        """Repeats add no new points."""
        return 0 if self.times == 0 else self.inner.distinct_bound()

    def without_repeats(self) -> Node:
        """The inner space (or an empty repeat)."""
        return self.inner.without_repeats() if self.times else self

    def range_of(self, key: str) -> Any:
        """The inner range."""
        return self.inner.range_of(key)

    def distribution_of(self, key: str) -> Distribution:
        """The inner distribution."""
        return self.inner.distribution_of(key)

    def to_text(self, outer: int) -> str:
        """``k * A``."""
        body = f"{self.times} * {self.inner.to_text(3)}"
        return f"({body})" if outer > 1 else body


# -- helpers --------------------------------------------------------------------------------
def _same_range(a: Any, b: Any) -> bool:
    if isinstance(a, Distribution) or isinstance(b, Distribution):
        return isinstance(a, Distribution) and isinstance(b, Distribution) and a == b
    if isinstance(a, range) or isinstance(b, range):
        return type(a) is type(b) and a == b
    return len(a) == len(b) and all(
        value_key(x) == value_key(y) for x, y in zip(a, b, strict=True)
    )


def _same_items(a: Sequence[tuple[str, Any]], b: Sequence[tuple[str, Any]]) -> bool:
    return len(a) == len(b) and all(
        ka == kb and _same_range(ra, rb) for (ka, ra), (kb, rb) in zip(a, b, strict=True)
    )


def _in_range(rng_: Any, value: Any, cache: dict[int, set[str]], slot: int) -> bool:
    if isinstance(rng_, Distribution):
        return rng_.contains(value)
    if isinstance(rng_, range):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        return float(value).is_integer() and int(value) in rng_
    members = cache.get(slot)
    if members is None:
        members = cache[slot] = {value_key(v) for v in rng_}
    try:
        return value_key(value) in members
    except ValueError:
        return False


def _as_distribution(key: str, rng_: Any) -> Distribution:
    if isinstance(rng_, Distribution):
        return rng_
    if len(rng_) == 1:
        return Fixed(rng_[0])
    if isinstance(rng_, range) and rng_.step == 1:
        return IntUniform(rng_.start, rng_.stop - 1)
    if len(rng_) > _MAX_CATEGORICAL:
        raise SpaceError(
            f"key {key!r}: a range of {len(rng_)} values is too large to become a categorical "
            f"distribution (at most {_MAX_CATEGORICAL}); use range(lo, hi) or intuniform(lo,hi)"
        )
    seen: dict[str, Any] = {}
    for value in rng_:
        seen.setdefault(value_key(value), value)
    return Categorical(list(seen.values()))
