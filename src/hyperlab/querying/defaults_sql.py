"""Conditional defaults in SQL filters: a missing param compares as the default that holds.

For a param ``p`` with conditional defaults ``(v1 when c1), ..., (vn when cn)`` (later entries
win) and maybe an unconditional default ``d``, a run's effective ``p`` is its own value, else
``CASE WHEN cn THEN vn ... WHEN c1 THEN v1 ELSE d END``. Each ``vi`` is a constant, so whether
it passes the test is decided here, in Python (with
:func:`~hyperlab.querying.effective.value_matches`, the rule the Python evaluator uses), and the
SQL only keeps the branches that pass::

    EXISTS(p's row passing the test)
    OR (NOT EXISTS(p's row)
        AND (cn OR (NOT cn AND c(n-1)) OR ... OR (NOT cn AND ... AND fallback)))

Conditions are compiled against the run's params plus the unconditional defaults, as
:func:`hyperlab.space.defaults.apply_defaults` evaluates them.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from hyperlab.querying.effective import (
    condition_names,
    missing_matches,
    param_condition,
    value_matches,
)
from hyperlab.querying.names import QueryContext
from hyperlab.store.schema import params, runs


def conditional_param_test(key: str, op: str, value: Any, row_test: Any, ctx: QueryContext) -> Any:
    """The SQL test of ``<key> <op> <value>`` (a positive op) with conditional defaults.

    Args:
        key: The param key.
        op: A positive operator (``==``, ``<``, ``in``, ``contains``, ``like``...).
        value: The literal compared with.
        row_test: The compiled test on one ``params`` row (the compiler builds it).
        ctx: The query context holding the defaults.
    """
    from hyperlab.querying.compiler import compile_filter

    conditional = [(v, w) for name, v, w in ctx.conditional_defaults if name == key]
    names: set[str] = set()
    trees = []
    for _, when in conditional:
        tree = param_condition(when)
        names |= condition_names(tree)
        trees.append(tree)
    when_ctx = dataclasses.replace(
        ctx, param_keys=ctx.param_keys | frozenset(names), conditional_defaults=()
    )
    if key in ctx.defaults:
        fallback = value_matches(ctx.defaults[key], op, value)
    else:
        fallback = missing_matches(op, value)
    branches: list[Any] = []
    none_before: list[Any] = []  # conditions of later entries, which did not hold
    for (default, _), tree in reversed(list(zip(conditional, trees, strict=True))):
        holds = compile_filter(tree, when_ctx)
        if value_matches(default, op, value):
            branches.append(sa.and_(*none_before, holds) if none_before else holds)
        none_before.append(sa.not_(holds))
    if fallback:
        branches.append(sa.and_(*none_before) if none_before else sa.true())
    row = sa.and_(params.c.run_id == runs.c.id, params.c.key == key)
    found = sa.exists().where(row, row_test)
    if not branches:
        return found
    test: ColumnElement[bool] = sa.or_(found, sa.and_(~sa.exists().where(row), sa.or_(*branches)))
    return test
