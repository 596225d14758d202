""":class:`ParamSpace`: parameter ranges with an algebra, lazy iteration, indexing and sampling.

::

    a = ParamSpace(type="a", param=[1, 2, 3])
    b = ParamSpace(type="b", param=[4, 5, 6])
    c = ParamSpace(other_param=1.5)
    space = 10 * (a + b) * c        # len(space) == 60
    space[7]                        # decoded in O(number of keys)
    space.sample(5, seed=0)         # 5 distinct points, reproducible
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, overload

from hyperlab.errors import NotFoundError, SpaceError
from hyperlab.space import sampling
from hyperlab.space.distributions import Distribution
from hyperlab.space.nodes import Grid, Node, Product, Repeat, Union


class KeyTuple(tuple[str, ...]):
    """A tuple of key names that can also be called (``space.keys`` or ``space.keys()``)."""

    __slots__ = ()

    def __call__(self) -> KeyTuple:
        return self


def _as_range(key: str, value: Any) -> Any:
    """A key's range from what the user gave: scalars and strings become one-element ranges."""
    if isinstance(value, Distribution):
        return value
    if isinstance(value, range):
        if len(value) == 0:
            raise SpaceError(f"the range of {key!r} is empty: {value!r}")
        return value
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        return (value,)
    values = tuple(_plain(v) for v in value)
    if not values:
        raise SpaceError(f"the range of {key!r} is empty; give at least one value")
    return values


def _plain(value: Any) -> Any:
    """numpy scalars as Python values (so they print, hash and compare like them)."""
    item = getattr(value, "item", None)
    if callable(item) and getattr(value, "ndim", None) == 0:
        return item()
    return value


class ParamSpace:
    """A space of parameter settings: per-key ranges combined with ``+``, ``*`` and ``k *``.

    Args:
        ranges: A mapping of key -> range (for keys that are not identifiers, like
            ``"optim.lr"``), and/or keyword arguments. A range is a list, tuple, ``range`` or
            other iterable of values; a scalar or a string is a one-element range; a
            :class:`~hyperlab.space.Distribution` makes the key a *random key*.

    Iterating yields plain dicts over the Cartesian product, lazily, keys in the given order,
    the last key varying fastest. ``len()`` is the number of grid points (random keys draw a
    value at each point and do not multiply it).

    Raises:
        SpaceError: when a range is empty or a key is not a non-empty string.
    """

    __slots__ = ("_keys", "_node")

    def __init__(self, ranges: Mapping[str, Any] | None = None, /, **more: Any) -> None:
        items: dict[str, Any] = {}
        for source in (ranges or {}, more):
            for key, value in source.items():
                if not isinstance(key, str) or not key:
                    raise SpaceError(f"parameter names must be non-empty strings, got {key!r}")
                if key in items:
                    raise SpaceError(f"key {key!r} is given twice")
                items[key] = _as_range(key, value)
        self._set(Grid(list(items.items())))

    def _set(self, node: Node) -> None:
        self._node = node
        self._keys = KeyTuple(node.keys)

    @classmethod
    def _wrap(cls, node: Node) -> ParamSpace:
        space = cls.__new__(cls)
        space._set(node)
        return space

    # -- shape ----------------------------------------------------------------------------
    @property
    def keys(self) -> KeyTuple:
        """The key names in order (also callable: ``space.keys()``)."""
        return self._keys

    def items(self) -> list[tuple[str, Any]]:
        """``(key, range)`` pairs in key order, as a mapping of names to ranges would give."""
        return [(key, self[key]) for key in self._keys]

    def values(self) -> list[Any]:
        """The ranges in key order (see :meth:`items`)."""
        return [self[key] for key in self._keys]

    @property
    def random_keys(self) -> KeyTuple:
        """Keys whose range is a distribution (a value is drawn at each point)."""
        return KeyTuple(self._node.random_keys)

    @property
    def grid_keys(self) -> KeyTuple:
        """Keys whose range is a finite list of values."""
        rand = set(self._node.random_keys)
        return KeyTuple(k for k in self._keys if k not in rand)

    @property
    def size(self) -> int:
        """The number of grid points (like ``len()``, but never overflows)."""
        return self._node.size

    def __len__(self) -> int:
        return self._node.size

    def __bool__(self) -> bool:
        return self._node.size > 0

    def distinct_size(self) -> int | None:
        """An upper bound on the number of distinct points (None when a random key is continuous).

        Exact unless parts of a union overlap or a range repeats a value.
        """
        return self._node.without_repeats().distinct_bound()

    # -- access ---------------------------------------------------------------------------
    @overload
    def __getitem__(self, item: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, item: slice) -> list[dict[str, Any]]: ...
    @overload
    def __getitem__(self, item: str) -> Any: ...

    def __getitem__(self, item: int | slice | str) -> Any:
        """``space[i]``: the i-th point; ``space[i:j]``: a list; ``space["a"]``: a key's range.

        Random keys of ``space[i]`` are drawn from a generator seeded by ``i``, so ``space[i]``
        is the same every time and equals the i-th point of iteration.

        Raises:
            IndexError: when ``i`` is out of range.
            NotFoundError: when the key is not in the space.
        """
        if isinstance(item, str):
            if item not in self._keys:
                raise NotFoundError(
                    f"no key {item!r} in the space; keys: {', '.join(self._keys) or '(none)'}"
                )
            return self._node.range_of(item)
        if isinstance(item, slice):
            return [self[i] for i in range(self._node.size)[item]]
        if isinstance(item, bool) or not hasattr(item, "__index__"):
            raise TypeError(f"space indices must be integers, slices or keys, not {item!r}")
        index = item.__index__()
        size = self._node.size
        if index < 0:
            index += size
        if not 0 <= index < size:
            raise IndexError(f"space index {item} out of range for a space of {size} points")
        return self._point(index)

    def _point(self, index: int) -> dict[str, Any]:
        rng = random.Random(f"hyperlab.space:{index}") if self._node.random_keys else None
        return sampling.decode(self._node, index, rng, self._keys)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        node = self._node
        if isinstance(node, Grid) and not node.random_keys:
            return node.iter_points()
        return (self._point(i) for i in range(node.size))

    def __contains__(self, point: object) -> bool:
        """``point in space`` for a dict of params (a string checks the key names)."""
        if isinstance(point, str):
            return point in self._keys
        return isinstance(point, Mapping) and self.contains(point)

    def contains(self, params: Mapping[str, Any]) -> bool:
        """Whether ``params`` is a point of the space (extra keys are ignored).

        Values compare by content with the identity tolerance of :func:`params_hash` (``1 ==
        1.0``); a distribution's key accepts any value the distribution can produce.
        """
        if any(k not in params for k in self._keys):
            return False
        return self._node.contains(dict(params))

    def distributions(self) -> dict[str, Distribution]:
        """Each key's range as a distribution, for model-based samplers.

        A one-value range becomes :class:`Fixed`, ``range(a, b)`` :class:`IntUniform` ``(a,
        b-1)``, other lists :class:`Categorical`; a key of a union takes all its parts' values.

        Raises:
            SpaceError: when the parts of a union give one key different distributions.
        """
        return {k: self._node.distribution_of(k) for k in self._keys}

    # -- sampling -------------------------------------------------------------------------
    def sample(
        self, k: int, replace: bool = False, seed: int | str | None = None
    ) -> list[dict[str, Any]]:
        """Draw ``k`` points without materialising the space.

        Args:
            k: How many points.
            replace: False (default): ``k`` distinct points (repeating a space adds none).
                True: independent draws (each key independently; repeats weigh their part).
            seed: Makes the draw reproducible (same seed, same points, in any process).

        Returns:
            A list of ``k`` dicts.

        Raises:
            SpaceError: when ``k`` is negative, or larger than the number of distinct points.
        """
        if isinstance(k, bool) or not isinstance(k, int) or k < 0:
            raise SpaceError(f"k must be an integer >= 0, got {k!r}")
        if seed is not None and not isinstance(seed, (int, str)) and hasattr(seed, "__index__"):
            seed = seed.__index__()  # numpy integers
        rng = random.Random(seed)
        if replace:
            return sampling.sample_with_replacement(self._node, k, rng, self._keys)
        return sampling.sample_distinct(self._node, k, rng, self._keys)

    # -- algebra --------------------------------------------------------------------------
    def __add__(self, other: object) -> ParamSpace:
        if not isinstance(other, ParamSpace):
            return NotImplemented
        if set(self._keys) != set(other._keys):
            only_left = sorted(set(self._keys) - set(other._keys))
            only_right = sorted(set(other._keys) - set(self._keys))
            raise SpaceError(
                "spaces added with + need the same keys; "
                f"only on the left: {only_left}, only on the right: {only_right}"
            )
        parts = [*_parts(self._node, Union), *_parts(other._node, Union)]
        return ParamSpace._wrap(Union(parts))

    def __mul__(self, other: object) -> ParamSpace:
        if isinstance(other, ParamSpace):
            overlap = [k for k in self._keys if k in set(other._keys)]
            if overlap:
                raise SpaceError(
                    f"spaces multiplied with * need disjoint keys; both have: {overlap}"
                )
            return ParamSpace._wrap(_product(self._node, other._node))
        if isinstance(other, int) and not isinstance(other, bool):
            return self._repeat(other)
        if isinstance(other, (float, bool)):
            raise SpaceError(f"a space can be repeated an integer number of times, not {other!r}")
        return NotImplemented

    __rmul__ = __mul__

    def _repeat(self, times: int) -> ParamSpace:
        if times < 0:
            raise SpaceError(f"a space can be repeated k >= 0 times, got k={times}")
        if times == 1:
            return self
        node = self._node
        if isinstance(node, Repeat):
            return ParamSpace._wrap(Repeat(times * node.times, node.inner))
        return ParamSpace._wrap(Repeat(times, node))

    # -- comparison and text --------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ParamSpace):
            return NotImplemented
        return self._node == other._node

    def __hash__(self) -> int:
        return hash(str(self))

    def __str__(self) -> str:
        return self._node.to_text(0)

    def __repr__(self) -> str:
        return f"ParamSpace.parse({str(self)!r})"

    @staticmethod
    def parse(text: str) -> ParamSpace:
        """A space from its text form (see :func:`hyperlab.parse_space`)."""
        from hyperlab.space.text import parse_space

        return parse_space(text)


def _parts(node: Node, kind: type[Node]) -> list[Node]:
    return (
        list(node.parts) if isinstance(node, (Union, Product)) and type(node) is kind else [node]
    )


def _product(left: Node, right: Node) -> Node:
    parts: list[Node] = []
    for node in [*_parts(left, Product), *_parts(right, Product)]:
        if isinstance(node, Grid) and not node.items:
            continue  # the empty space ParamSpace() is the identity of *
        if parts and isinstance(node, Grid) and isinstance(parts[-1], Grid):
            parts[-1] = Grid([*parts[-1].items, *node.items])  # a product of grids is a grid
        else:
            parts.append(node)
    if not parts:
        return Grid([])
    return parts[0] if len(parts) == 1 else Product(parts)
