"""Conditions of conditional defaults evaluated in Python, exactly as the SQL compiler does.

A study default can hold only ``when`` a condition in the query language holds
(``epochs`` is 100 when ``lr < 0.001``). Queries test that condition in SQL
(:mod:`hyperlab.querying.defaults_sql`); tables, DataFrames, identity and the tuner test it here,
on a run's flat params. Both follow the same rules, so a run counts as having the same
effective params whichever path reads it:

- numbers (and booleans, as 1/0) compare numerically, strings with strings; a value of another
  kind matches no ``<``, ``==``, ``in``... test, so it passes the negated one (``!=``,
  ``not in``);
- a param the run lacks matches only ``== null`` (and the negated tests);
- ``like`` patterns use ``*`` and ``?`` as wildcards, everything else literally.

This is a tree interpreter over :mod:`hyperlab.querying.ast`; user text is never evaluated.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

from hyperlab.errors import QueryError
from hyperlab.querying.ast import (
    And,
    Call,
    Compare,
    Expr,
    Literal,
    Name,
    Not,
    Or,
    name_first,
    operand_text,
)
from hyperlab.store.codec import dumps, project

__all__ = ["condition_names", "matches", "missing_matches", "param_condition", "value_matches"]

_NEGATIVE = {"!=": "==", "not in": "in", "not contains": "contains", "not like": "like"}
_NOT_PARAMS = ("metrics.", "meta.", "run.")


def _param_name(node: Name, text: str) -> Name:
    if node.text.startswith(_NOT_PARAMS):
        raise QueryError(
            f"a default's condition can only name params, got {node.text!r} in {text!r}"
        )
    key = node.text[len("params.") :] if node.text.startswith("params.") else node.text
    return Name(f"params.{key}", node.pos)


def _normalise(node: Compare, text: str) -> Compare:
    """The comparison as ``params.<name> OP literal`` (the compiler's orientation rules)."""
    for side in (node.left, node.right):
        if isinstance(side, Call):
            raise QueryError(
                f"a default's condition can only name params, got {side.func}(...) in {text!r}"
            )
    left, op, right = name_first(node)
    if not isinstance(left, Name) or not isinstance(right, Literal):
        raise QueryError(
            f"{operand_text(node.left)} {node.op} {operand_text(node.right)}: a condition "
            "compares a param with a value, such as lr < 0.001"
        )
    if op in ("in", "not in") and not isinstance(right.value, tuple):
        raise QueryError(
            f"{operand_text(left)} {op} {operand_text(right)}: 'in' needs a list, e.g. [0.1, 0.01]"
        )
    _validate(_NEGATIVE.get(op, op), right.value, f"{operand_text(left)} {op}")
    return Compare(_param_name(left, text), op, right, node.pos)


def _validate(op: str, want: Any, label: str) -> None:
    """Reject the tests the compiler rejects, whatever the params (eagerly, at parse time)."""
    if op in ("contains", "like") and not isinstance(want, str):
        raise QueryError(f"{label}: '{op}' needs a string, got {want!r}")
    if want is None and op not in ("==", "in"):
        raise QueryError(f"{label} null: null can only be compared with == or !=")
    if isinstance(want, tuple) and op not in ("==", "in"):
        raise QueryError(f"{label} [...]: a list can only be compared with == or !=")


def _rewrite(node: Expr, text: str) -> Expr:
    if isinstance(node, Compare):
        return _normalise(node, text)
    if isinstance(node, Not):
        return Not(_rewrite(node.operand, text), node.pos)
    items = tuple(_rewrite(item, text) for item in node.items)
    return And(items) if isinstance(node, And) else Or(items)


@functools.lru_cache(maxsize=512)
def param_condition(text: str) -> Expr:
    """Parse a default's ``when`` condition; every name becomes ``params.<name>``.

    Raises:
        QuerySyntaxError: when the text is not a valid condition.
        QueryError: when it names metrics, meta or run fields, or compares two names.
    """
    from hyperlab.querying.parser import parse_filter

    return _rewrite(parse_filter(text), text)


def condition_names(node: Expr) -> set[str]:
    """The param names (without ``params.``) a parsed condition tests."""
    if isinstance(node, Compare):
        assert isinstance(node.left, Name)
        return {node.left.text[len("params.") :]}
    if isinstance(node, Not):
        return condition_names(node.operand)
    return set().union(*(condition_names(item) for item in node.items))


def _glob_regex(pattern: str) -> re.Pattern[str]:
    parts = [".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern]
    return re.compile("".join(parts), re.DOTALL)


def _ordered(a: Any, op: str, b: Any) -> bool:
    if op == "==":
        return bool(a == b)
    if op == "<":
        return bool(a < b)
    if op == "<=":
        return bool(a <= b)
    if op == ">":
        return bool(a > b)
    return bool(a >= b)


def value_matches(have: Any, op: str, want: Any) -> bool:
    """Whether a stored param value passes a positive test (``==``, ``<``, ``in``, ``like``...).

    Mirrors the compiler's test on the ``params`` table: numbers (booleans as 1/0) compare
    numerically, strings as strings, lists and null by their JSON text.

    Raises:
        QueryError: for a test the query language rejects (``contains 3``, ``< null``...).
    """
    if op == "in":
        return any(value_matches(have, "==", item) for item in want)
    if op in ("contains", "like"):
        if not isinstance(want, str):
            raise QueryError(f"'{op}' needs a string, got {want!r}")
        text = project(have)[1]
        if text is None:
            return False
        return want in text if op == "contains" else bool(_glob_regex(want).fullmatch(text))
    if want is None:
        if op != "==":
            raise QueryError(f"{op} null: null can only be compared with == or !=")
        return have is None
    if isinstance(want, tuple):
        if op != "==":
            raise QueryError(f"{op} [...]: a list can only be compared with == or !=")
        return isinstance(have, list) and dumps(have) == dumps(list(want))
    num, text = project(want)
    have_num, have_text = project(have)
    if num is not None:
        return have_num is not None and _ordered(have_num, op, num)
    return have_text is not None and text is not None and _ordered(have_text, op, text)


def missing_matches(op: str, want: Any) -> bool:
    """Whether a param the run lacks passes a positive test: only ``== null`` (or ``in``
    a list holding null)."""
    if op == "in":
        return any(item is None for item in want)
    return op == "==" and want is None


def _evaluate(node: Expr, params: Mapping[str, Any]) -> bool:
    if isinstance(node, And):
        return all(_evaluate(item, params) for item in node.items)
    if isinstance(node, Or):
        return any(_evaluate(item, params) for item in node.items)
    if isinstance(node, Not):
        return not _evaluate(node.operand, params)
    assert isinstance(node.left, Name)
    assert isinstance(node.right, Literal)
    key = node.left.text[len("params.") :]
    op, want = node.op, node.right.value
    negate = op in _NEGATIVE
    if negate:
        op = _NEGATIVE[op]
    result = value_matches(params[key], op, want) if key in params else missing_matches(op, want)
    return not result if negate else result


def matches(condition: str, params: Mapping[str, Any]) -> bool:
    """Whether a condition in the query language holds for a run's flat params.

    This is the ``matches`` callback of :func:`hyperlab.space.defaults.apply_defaults`.

    Args:
        condition: Query text naming params, e.g. ``'lr < 0.001 and optim.name == "adam"'``.
        params: Flat params (dotted keys), such as a run's params plus unconditional defaults.

    Raises:
        QuerySyntaxError: when the condition is not valid query text.
        QueryError: when it names something other than params.
    """
    return _evaluate(param_condition(condition), params)


def apply_conditional_columns(
    param_cols: dict[str, list[Any]],
    own_rows: list[dict[str, Any]],
    plain: Mapping[str, Any],
    conditional: tuple[tuple[str, Any, str], ...],
    defaulted: dict[str, list[bool]],
) -> None:
    """Fill params columns with the conditional defaults that hold for each run (in place).

    Args:
        param_cols: Param columns by key, one value per run (plain defaults already in).
        own_rows: Each run's own flat params, as stored.
        plain: The unconditional defaults.
        conditional: ``(name, value, when)`` entries in declared order.
        defaulted: ``params.<key>`` -> per-run marks of values that came from a default.
    """
    from hyperlab.space.defaults import Default, apply_defaults

    declared = [Default(k, v) for k, v in plain.items()]
    declared += [Default(name, value, when) for name, value, when in conditional]
    names = list(dict.fromkeys(name for name, _, _ in conditional))
    n = len(own_rows)
    columns = {name: param_cols.setdefault(name, [None] * n) for name in names}
    marks = {name: defaulted.setdefault(f"params.{name}", [False] * n) for name in names}
    for i, own in enumerate(own_rows):
        effective = apply_defaults(own, declared, matches).params
        for name in names:
            if name not in own:
                columns[name][i] = effective.get(name)
                marks[name][i] = name in effective
