"""Conditions of conditional defaults (``when="lr < 0.001"``) evaluated on a run's params.

The condition is written in the query language and parsed by its parser; only params can be
named (metrics and run fields are not known when a configuration is identified).
"""

from __future__ import annotations

import fnmatch
import functools
from collections.abc import Mapping
from typing import Any

from hyperlab.errors import QueryError
from hyperlab.querying.ast import And, Call, Compare, Expr, Literal, Name, Not, Or

_FLIPPED = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "==": "==", "!=": "!="}


@functools.lru_cache(maxsize=256)
def parse_condition(text: str) -> Expr:
    """Parse and check a ``when`` condition.

    Raises:
        QueryError: when it is not valid or names something other than params.
    """
    from hyperlab.querying.parser import parse_filter

    expr = parse_filter(text)
    _check(expr, text)
    return expr


def _check(node: Expr, text: str) -> None:
    if isinstance(node, (And, Or)):
        for item in node.items:
            _check(item, text)
    elif isinstance(node, Not):
        _check(node.operand, text)
    else:
        for side in (node.left, node.right):
            if isinstance(side, Call):
                raise QueryError(
                    f"a default's condition can only name params, got {side.func}(...) in {text!r}"
                )
            if isinstance(side, Name) and side.text.split(".", 1)[0] in ("metrics", "meta"):
                raise QueryError(
                    f"a default's condition can only name params, got {side.text!r} in {text!r}"
                )


def matches(condition: str, params: Mapping[str, Any]) -> bool:
    """Whether ``condition`` holds for flat ``params``.

    A param the run lacks passes only negative tests (``!=``, ``not in``, ...).
    """
    return _evaluate(parse_condition(condition), params)


def _evaluate(node: Expr, params: Mapping[str, Any]) -> bool:
    if isinstance(node, And):
        return all(_evaluate(item, params) for item in node.items)
    if isinstance(node, Or):
        return any(_evaluate(item, params) for item in node.items)
    if isinstance(node, Not):
        return not _evaluate(node.operand, params)
    return _compare(node, params)


def _value(side: Any, params: Mapping[str, Any]) -> tuple[bool, Any]:
    if isinstance(side, Literal):
        return True, side.value
    name = side.text[len("params.") :] if side.text.startswith("params.") else side.text
    return (name in params), params.get(name)


def _compare(node: Compare, params: Mapping[str, Any]) -> bool:
    left, right, op = node.left, node.right, node.op
    if isinstance(left, Literal) and not isinstance(right, Literal):
        left, right, op = right, left, _FLIPPED.get(op, op)
    known, have = _value(left, params)
    _, want = _value(right, params)
    if not known:
        return op in ("!=", "not in", "not contains", "not like")
    negate = op.startswith("not ")
    base = op[4:] if negate else op
    result = _test(base, have, want)
    return not result if negate else result


def _test(op: str, have: Any, want: Any) -> bool:
    if op == "in":
        return any(_test("==", have, item) for item in (want or ()))
    if op == "contains":
        if isinstance(have, list):
            return want in have
        return isinstance(have, str) and isinstance(want, str) and want in have
    if op == "like":
        return isinstance(have, str) and isinstance(want, str) and fnmatch.fnmatchcase(have, want)
    if isinstance(want, tuple):
        want = list(want)
    if op == "==":
        return bool(have == want) and isinstance(have, bool) == isinstance(want, bool)
    if op == "!=":
        return not _test("==", have, want)
    numbers = (int, float)
    comparable = (
        isinstance(have, numbers)
        and isinstance(want, numbers)
        and not isinstance(have, bool)
        and not isinstance(want, bool)
    ) or (isinstance(have, str) and isinstance(want, str))
    if not comparable:
        return False
    if op == "<":
        return bool(have < want)
    if op == "<=":
        return bool(have <= want)
    if op == ">":
        return bool(have > want)
    return bool(have >= want)
