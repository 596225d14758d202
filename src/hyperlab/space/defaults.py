"""Study defaults and configuration identity (pure: the store and the query language plug in).

A study declares defaults, some of them conditional (``epochs`` is 100 *when* ``lr < 0.001``).
A run's *effective params* are the defaults overlaid by its own params. Defaults are applied when
reading, never written into stored runs, so declaring a new default makes every older run count
as having that param at its default value.

Two runs are the same configuration when their effective params are equal (floats within a
tolerance); :func:`config_hash` names a configuration, so a search can skip one that already ran.

Conditions are text in the query language. This module does not parse them: callers pass a
``matches(condition, params) -> bool`` function (the query layer provides one), which keeps
``hyperlab.space`` free of the query compiler.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hyperlab.errors import SpaceError
from hyperlab.space.hashing import flatten_params, params_hash, value_key

Matcher = Callable[[str, Mapping[str, Any]], bool]
"""``matches(condition_text, flat_params) -> bool``: evaluates a ``when`` condition."""


@dataclass(frozen=True)
class Default:
    """One declared default: ``name`` is ``value`` (only ``when`` the condition holds).

    Attributes:
        name: The param name (dotted for nested params: ``optim.lr``).
        value: The default value.
        when: A condition in the query language, or None for an unconditional default.
    """

    name: str
    value: Any
    when: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise SpaceError(f"a default needs a non-empty param name, got {self.name!r}")
        if self.when is not None and not isinstance(self.when, str):
            raise SpaceError(
                f"the condition of default {self.name!r} must be text, got {self.when!r}"
            )
        if self.when is not None and not self.when.strip():
            object.__setattr__(self, "when", None)

    def to_dict(self) -> dict[str, Any]:
        """``{"name": ..., "value": ..., "when": ...}`` as the store keeps it."""
        return {"name": self.name, "value": self.value, "when": self.when}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Default:
        """A default from :meth:`to_dict` output (the store's ``studies.defaults`` entries)."""
        try:
            return cls(d["name"], d["value"], d.get("when"))
        except (KeyError, TypeError):
            raise SpaceError(f"a default needs 'name' and 'value', got {dict(d)!r}") from None

    def __str__(self) -> str:
        suffix = f" when {self.when}" if self.when else ""
        return f"{self.name}={self.value!r}{suffix}"


DefaultsLike = Iterable[Default | Mapping[str, Any]] | Mapping[str, Any]
"""A list of :class:`Default` (or their dicts), or a plain ``{name: value}`` mapping."""


def parse_defaults(defaults: DefaultsLike | None) -> list[Default]:
    """Defaults as a list of :class:`Default` from any accepted form.

    A plain mapping ``{"dropout": 0.0, "optim": {"lr": 0.1}}`` is flattened to unconditional
    defaults; a list holds :class:`Default` objects or their dicts.
    """
    if defaults is None:
        return []
    if isinstance(defaults, Mapping):
        return [Default(k, v) for k, v in flatten_params(defaults).items()]
    return [d if isinstance(d, Default) else Default.from_dict(d) for d in defaults]


@dataclass(frozen=True)
class Effective:
    """Effective params and which of them came from defaults."""

    params: dict[str, Any]
    defaulted: frozenset[str]


def apply_defaults(
    params: Mapping[str, Any],
    defaults: DefaultsLike | None,
    matches: Matcher | None = None,
) -> Effective:
    """The run's params overlaid on the study's defaults.

    Rules: a param the run has always wins. Unconditional defaults apply in order (later
    entries win). Conditional defaults are then checked in order against the run's params plus
    the unconditional defaults; one that holds wins over an unconditional default of the same
    name (and a later one over an earlier one).

    Args:
        params: The run's params, nested or flat.
        defaults: The study's defaults (see :func:`parse_defaults`).
        matches: Evaluates ``when`` conditions; needed only when a conditional default applies.

    Raises:
        SpaceError: when a conditional default must be checked and ``matches`` is None.
    """
    own = flatten_params(params)
    result = dict(own)
    declared = parse_defaults(defaults)
    for d in declared:
        if d.when is None and d.name not in own:
            result[d.name] = d.value
    base = dict(result)
    for d in declared:
        if d.when is None or d.name in own:
            continue
        if matches is None:
            raise SpaceError(
                f"default {d} has a condition; pass matches= to evaluate it "
                "(the query layer provides one)"
            )
        if matches(d.when, base):
            result[d.name] = d.value
    defaulted = frozenset(k for k in result if k not in own)
    return Effective(result, defaulted)


def effective_params(
    params: Mapping[str, Any],
    defaults: DefaultsLike | None,
    matches: Matcher | None = None,
) -> dict[str, Any]:
    """The run's effective params (flat): defaults overlaid by its params (see apply_defaults)."""
    return apply_defaults(params, defaults, matches).params


def config_hash(
    params: Mapping[str, Any],
    defaults: DefaultsLike | None = None,
    matches: Matcher | None = None,
) -> str:
    """The :func:`~hyperlab.space.params_hash` of the effective params: a configuration's name.

    A new param passed at its default value hashes like the older runs that lack it.
    """
    return params_hash(effective_params(params, defaults, matches))


def same_value(a: Any, b: Any, rel_tol: float = 1e-9, abs_tol: float = 1e-12) -> bool:
    """Whether two param values are equal, numbers within a tolerance (``True != 1``)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
            return True
        return a == b or math.isclose(a, b, rel_tol=rel_tol, abs_tol=abs_tol)
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(same_value(a[k], b[k], rel_tol, abs_tol) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(
            same_value(x, y, rel_tol, abs_tol) for x, y in zip(a, b, strict=True)
        )
    return type(a) is type(b) and bool(a == b)


def same_config(
    a: Mapping[str, Any], b: Mapping[str, Any], rel_tol: float = 1e-9, abs_tol: float = 1e-12
) -> bool:
    """Whether two (effective) params dicts are the same configuration."""
    fa, fb = flatten_params(a), flatten_params(b)
    return fa.keys() == fb.keys() and all(same_value(fa[k], fb[k], rel_tol, abs_tol) for k in fa)


def replace_default(
    defaults: DefaultsLike | None, name: str, value: Any, when: str | None = None
) -> tuple[list[Default], Default | None]:
    """Declare ``name = value`` (under ``when``) in a defaults list.

    The entry with the same name and condition is replaced in place; otherwise the new one is
    appended (so it wins over earlier entries).

    Returns:
        ``(new_list, previous)`` where ``previous`` is the replaced entry, or None.
    """
    new = Default(name, value, when)
    result = parse_defaults(defaults)
    for i, d in enumerate(result):
        if d.name == new.name and d.when == new.when:
            result[i] = new
            return result, d
    result.append(new)
    return result, None


def is_change(previous: Default | None, new_value: Any) -> bool:
    """Whether replacing ``previous`` by ``new_value`` changes a declared value."""
    return previous is not None and value_key(previous.value) != value_key(new_value)


def count_changed(
    runs_params: Iterable[Mapping[str, Any]],
    old: DefaultsLike | None,
    new: DefaultsLike | None,
    matches: Matcher | None = None,
) -> int:
    """How many runs' effective params differ between two defaults lists (what a change means)."""
    old_list, new_list = parse_defaults(old), parse_defaults(new)
    return sum(
        1
        for params in runs_params
        if config_hash(params, old_list, matches) != config_hash(params, new_list, matches)
    )


def find_same(
    target: Mapping[str, Any],
    candidates: Sequence[Mapping[str, Any]],
    defaults: DefaultsLike | None = None,
    matches: Matcher | None = None,
) -> list[int]:
    """Positions of the candidates whose effective params equal the target's (with tolerance)."""
    declared = parse_defaults(defaults)
    want = effective_params(target, declared, matches)
    return [
        i
        for i, params in enumerate(candidates)
        if same_config(want, effective_params(params, declared, matches))
    ]
