"""The search space as the samplers see it: a ParamSpace, and one distribution per param.

A user's space can be a :class:`~hyperlab.space.ParamSpace`, a plain dict (name -> list of values,
a distribution or a scalar) or None (pure define-by-run). For the model-based samplers grid keys
become categorical (or integer) dimensions and one-value keys fixed ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hyperlab.errors import SpaceError
from hyperlab.space import ParamSpace
from hyperlab.space.distributions import Distribution


def as_space(space: Any) -> ParamSpace | None:
    """The user's space as a :class:`ParamSpace` (None stays None).

    Raises:
        SpaceError: when ``space`` is neither a ParamSpace, a mapping nor None.
    """
    if space is None or isinstance(space, ParamSpace):
        return space
    if isinstance(space, Mapping):
        return ParamSpace(dict(space))
    raise SpaceError(
        f"cannot search over {type(space).__name__} {space!r}; give a hl.ParamSpace, a dict of "
        "name -> values/distribution, or None (define-by-run with run.suggest_*)"
    )


def dimensions_of(space: ParamSpace | None) -> dict[str, Distribution]:
    """Param name -> distribution (empty for None)."""
    return {} if space is None else space.distributions()


def contains(space: ParamSpace | None, params: Mapping[str, Any]) -> bool:
    """Whether ``params`` is a point of the space (always true without one)."""
    return space is None or space.contains(params)
