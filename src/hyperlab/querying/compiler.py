"""Compile query trees to SQLAlchemy expressions over the ``runs`` table.

Every condition compiles to a two-valued SQL boolean (never NULL), so ``not`` and ``!=`` mean
exactly the opposite of the positive form, as in Python: a run without ``lr`` matches
``lr != 0.1`` but neither ``lr < 0.1`` nor ``lr >= 0.1``. Params, meta and metric summaries are
tested with correlated ``EXISTS`` probes on their primary key ``(run_id, key)``, so a filter costs
a few index lookups per run whatever the store's size. Values are always bound parameters.

A missing param with a declared study default behaves as the default: the default is tested
in Python once, at compile time, and ``OR NOT EXISTS(...)`` added when it matches.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from hyperlab.errors import QueryError
from hyperlab.querying.ast import (
    And,
    Call,
    Compare,
    Expr,
    Literal,
    Name,
    Not,
    Scalar,
    SortKey,
    name_first,
    operand_text,
)
from hyperlab.querying.lineage import LINEAGE_COLUMNS
from hyperlab.querying.names import RUN_FIELD_TYPES, QueryContext, Resolved, resolve
from hyperlab.store.codec import dumps, project
from hyperlab.store.records import RunState
from hyperlab.store.schema import meta, metrics, params, runs, studies, tags

__all__ = ["SUMMARY_VALUE", "QueryContext", "compile_filter", "compile_sort"]

SUMMARY_VALUE = sa.func.coalesce(metrics.c.final, metrics.c.best, metrics.c.last)
"""A metric's summary value: the explicit final value, else the best, else the last point."""

_NEGATIVE = {"!=": "==", "not in": "in", "not contains": "contains", "not like": "like"}
_STATES = frozenset(s.value for s in RunState)

Bool = ColumnElement[bool]


class GlobMatch(FunctionElement[bool]):
    """``value`` matches a glob pattern (``*``, ``?``), case-sensitively on every backend.

    Built from ``(value, like_pattern, glob_pattern)``: both patterns are bound parameters
    (translated here, not at SQL compile time, so cached statements stay correct) and each
    dialect renders the one it uses.
    """

    type = sa.Boolean()
    inherit_cache = True
    name = "glob_match"


@compiles(GlobMatch)
def _glob_default(element: GlobMatch, compiler: Any, **kw: Any) -> str:
    value, like, _glob = list(element.clauses)
    return f"({compiler.process(value, **kw)} LIKE {compiler.process(like, **kw)})"


@compiles(GlobMatch, "sqlite")
def _glob_sqlite(element: GlobMatch, compiler: Any, **kw: Any) -> str:
    value, _like, glob = list(element.clauses)
    return f"({compiler.process(value, **kw)} GLOB {compiler.process(glob, **kw)})"


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _glob(value: Any, pattern: str) -> Bool:
    """``value`` matches the user's glob ``pattern`` (``*`` and ``?`` are wildcards)."""
    like = _like_escape(pattern).replace("*", "%").replace("?", "_")
    glob = pattern.replace("[", "[[]")
    return GlobMatch(value, sa.literal(like, sa.Text), sa.literal(glob, sa.Text))


def _contains(value: Any, text: str) -> Bool:
    """``value`` contains ``text`` literally (case-sensitive)."""
    like = "%" + _like_escape(text) + "%"
    glob = "*" + "".join(f"[{c}]" if c in "*?[" else c for c in text) + "*"
    return GlobMatch(value, sa.literal(like, sa.Text), sa.literal(glob, sa.Text))


def _py_match(op: str, have: Any, want: Any) -> bool:
    """How a missing or default value (``have``) fares against a literal, in Python."""
    if op == "in":
        return any(_py_match("==", have, item) for item in want)
    if want is None or have is None:
        return op == "==" and want is None and have is None
    number = (int, float)
    if isinstance(want, tuple):
        return op == "==" and isinstance(have, list) and tuple(have) == want
    same = (isinstance(have, number) and isinstance(want, number)) or (
        isinstance(have, str) and isinstance(want, str)
    )
    if op == "contains":
        return isinstance(have, str) and isinstance(want, str) and want in have
    if op == "like":
        return isinstance(have, str) and isinstance(want, str) and fnmatch.fnmatchcase(have, want)
    if not same:
        return False
    checks: dict[str, Callable[[Any, Any], bool]] = {
        "==": lambda a, b: bool(a == b),
        "<": lambda a, b: bool(a < b),
        "<=": lambda a, b: bool(a <= b),
        ">": lambda a, b: bool(a > b),
        ">=": lambda a, b: bool(a >= b),
    }
    return checks[op](have, want)


def _compare(column: Any, op: str, value: Any) -> Bool:
    ops: dict[str, Callable[[Any, Any], Bool]] = {
        "==": lambda c, v: c == v,
        "<": lambda c, v: c < v,
        "<=": lambda c, v: c <= v,
        ">": lambda c, v: c > v,
        ">=": lambda c, v: c >= v,
    }
    return ops[op](column, value)


def _describe(value: Any) -> str:
    if isinstance(value, tuple):
        return "a list"
    return "null" if value is None else f"{type(value).__name__} {value!r}"


# -- params and meta (key/value tables) ---------------------------------------------------------


def _kv_row_test(table: sa.Table, op: str, value: Any, label: str) -> Bool:
    if op == "in":
        if not value:
            return sa.false()
        return sa.or_(*(_kv_row_test(table, "==", item, label) for item in value))
    if op == "contains":
        if not isinstance(value, str):
            raise QueryError(f"{label} contains needs a string, got {_describe(value)}")
        return _contains(table.c.str, value)
    if op == "like":
        if not isinstance(value, str):
            raise QueryError(f"{label} like needs a glob pattern string, got {_describe(value)}")
        return _glob(table.c.str, value)
    if value is None:
        if op != "==":
            raise QueryError(f"{label} {op} null: null can only be compared with == or !=")
        return table.c.value == "null"
    if isinstance(value, tuple):
        if op != "==":
            raise QueryError(f"{label} {op} [...]: a list can only be compared with == or !=")
        return table.c.value == dumps(list(value))
    num, text = project(value)
    if num is not None:
        return _compare(table.c.num, op, num)
    return _compare(table.c.str, op, text)


def _kv_test(table: sa.Table, key: str, op: str, value: Any, missing: Any, label: str) -> Bool:
    row = sa.and_(table.c.run_id == runs.c.id, table.c.key == key)
    found = sa.exists().where(row, _kv_row_test(table, op, value, label))
    if _py_match(op, missing, value):
        return sa.or_(found, ~sa.exists().where(row))
    return found


# -- metrics ------------------------------------------------------------------------------------

_AGGREGATE_COLUMNS: dict[str, Any] = {
    "min": metrics.c.min,
    "max": metrics.c.max,
    "last": metrics.c.last,
    "best": metrics.c.best,
    "count": metrics.c.count,
    "final": metrics.c.final,
    "sum": metrics.c.sum,
    "mean": metrics.c.sum / sa.func.nullif(metrics.c.count, 0),
}


def _metric_column(func: str | None) -> Any:
    return SUMMARY_VALUE if func is None else _AGGREGATE_COLUMNS[func]


def _metric_test(key: str, func: str | None, op: str, value: Any, label: str) -> Bool:
    column = _metric_column(func)
    if op in ("contains", "like"):
        raise QueryError(f"{label} is a number: '{op}' applies to text, params and tags")
    items = value if op == "in" else (value,)
    for item in items:
        if item is not None and not isinstance(item, (int, float)):
            raise QueryError(f"{label} is a number; cannot compare it with {_describe(item)}")
    if op == "in":
        present = [float(v) for v in value if v is not None]
        test: Bool = column.in_(present) if present else sa.false()
        if None in value:
            test = sa.or_(test, column.is_(None))
    elif value is None:
        if op != "==":
            raise QueryError(f"{label} {op} null: null can only be compared with == or !=")
        test = column.is_(None)
    else:
        test = _compare(column, op, float(value))
    row = sa.and_(metrics.c.run_id == runs.c.id, metrics.c.key == key)
    found = sa.exists().where(row, test)
    missing = 0 if func == "count" else None
    if _py_match(op, missing, value):
        return sa.or_(found, ~sa.exists().where(row))
    return found


# -- run fields ---------------------------------------------------------------------------------


def field_expr(name: str) -> Any:
    """The SQL expression of a run field (correlated to ``runs``)."""
    if name in ("study", "version"):
        column = studies.c.name if name == "study" else studies.c.version
        return sa.select(column).where(studies.c.id == runs.c.study_id).scalar_subquery()
    if name in ("created", "started", "ended", "heartbeat"):
        return runs.c[f"{name}_at"]
    if name == "duration":
        return runs.c.ended_at - runs.c.started_at
    if name in LINEAGE_COLUMNS:
        return LINEAGE_COLUMNS[name]
    return runs.c[name]


def parse_time(text: str, label: str) -> float:
    """An ISO date or date-time (UTC unless it names a zone) as epoch seconds."""
    raw = text.strip()
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise QueryError(
            f'{label} needs a date such as "2026-11-01" or "2026-11-01T14:30", got {text!r}'
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _field_value(name: str, kind: str, value: Scalar, label: str) -> Any:
    if value is None:
        return None
    if kind == "time":
        if isinstance(value, str):
            return parse_time(value, label)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif kind == "number":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
    elif kind == "bool":
        if isinstance(value, bool):
            return value
    elif isinstance(value, str):
        if name == "state" and value not in _STATES:
            valid = ", ".join(sorted(_STATES))
            raise QueryError(f"unknown run state {value!r} in {label}; valid: {valid}")
        return value
    wanted = {
        "time": "a date string or epoch seconds",
        "number": "a number",
        "bool": "true or false",
    }
    raise QueryError(f"{label} needs {wanted.get(kind, 'a string')}, got {_describe(value)}")


def _field_test(name: str, op: str, value: Any, label: str) -> Bool:
    kind = RUN_FIELD_TYPES[name]
    if kind == "tags":
        return _tags_test(op, value, label)
    column = field_expr(name)
    if op in ("contains", "like"):
        if kind != "text" or not isinstance(value, str):
            raise QueryError(
                f"{label} {op} needs a text field and a string, got {_describe(value)}"
            )
        match = _contains(column, value) if op == "contains" else _glob(column, value)
        return sa.and_(column.is_not(None), match)
    if isinstance(value, tuple) and op != "in":
        raise QueryError(f"{label} {op} [...]: use 'in' to compare with a list")
    if op == "in":
        items = [_field_value(name, kind, v, label) for v in value]
        present = [v for v in items if v is not None]
        test: Bool = sa.and_(column.is_not(None), column.in_(present)) if present else sa.false()
        return sa.or_(test, column.is_(None)) if None in items else test
    converted = _field_value(name, kind, value, label)
    if converted is None:
        if op != "==":
            raise QueryError(f"{label} {op} null: null can only be compared with == or !=")
        is_null: Bool = column.is_(None)
        return is_null
    return sa.and_(column.is_not(None), _compare(column, op, converted))


def _tags_test(op: str, value: Any, label: str) -> Bool:
    row = tags.c.run_id == runs.c.id
    if op == "contains" or (op == "==" and isinstance(value, str)):
        if not isinstance(value, str):
            raise QueryError('tags contains needs a string: tags contains "baseline"')
        return sa.exists().where(row, tags.c.tag == value)
    if op == "in" and all(isinstance(v, str) for v in value):
        return sa.exists().where(row, tags.c.tag.in_(list(value))) if value else sa.false()
    if op == "like" and isinstance(value, str):
        return sa.exists().where(row, _glob(tags.c.tag, value))
    if op == "==" and (value is None or value == ()):
        return ~sa.exists().where(row)
    raise QueryError(
        f"{label} {op} {_describe(value)}: tags support contains, in [...] and like, "
        'e.g. tags contains "baseline"'
    )


# -- expressions --------------------------------------------------------------------------------


def _target(node: Name | Call, ctx: QueryContext) -> tuple[Resolved, str | None]:
    if isinstance(node, Call):
        resolved = resolve(node.arg.text, ctx)
        if resolved.kind != "metric":
            kind = "run field" if resolved.kind == "field" else resolved.kind
            raise QueryError(
                f"{node.func}({node.arg.text}): {node.func}() applies to metrics, and "
                f"{node.arg.text!r} is a {kind}"
            )
        return resolved, node.func
    return resolve(node.text, ctx), None


def _compile_compare(node: Compare, ctx: QueryContext) -> Bool:
    left, op, right = name_first(node)
    if isinstance(left, Literal):
        raise QueryError(
            f"{operand_text(left)} {op} {operand_text(right)}: a condition needs a name, "
            "such as lr < 0.01"
        )
    if not isinstance(right, Literal):
        raise QueryError(
            f"{operand_text(left)} {op} {operand_text(right)}: comparing two names is not "
            "supported; compare a name with a value"
        )
    if op in _NEGATIVE:
        return sa.not_(_positive(left, _NEGATIVE[op], right.value, ctx))
    return _positive(left, op, right.value, ctx)


def _positive(node: Name | Call, op: str, value: Any, ctx: QueryContext) -> Bool:
    label = operand_text(node)
    if op == "in" and not isinstance(value, tuple):
        raise QueryError(f"{label} in {_describe(value)}: 'in' needs a list, e.g. [0.1, 0.01]")
    resolved, func = _target(node, ctx)
    if resolved.kind == "metric":
        return _metric_test(resolved.key, func, op, value, label)
    if resolved.kind == "field":
        return _field_test(resolved.key, op, value, label)
    if resolved.kind == "param":
        if any(d[0] == resolved.key for d in ctx.conditional_defaults):
            from hyperlab.querying.defaults_sql import conditional_param_test

            row_test = _kv_row_test(params, op, value, label)
            test: Bool = conditional_param_test(resolved.key, op, value, row_test, ctx)
            return test
        missing = ctx.defaults.get(resolved.key)
        return _kv_test(params, resolved.key, op, value, missing, label)
    return _kv_test(meta, resolved.key, op, value, None, label)


def compile_filter(node: Expr, ctx: QueryContext) -> Bool:
    """Compile a filter tree to a boolean SQL expression over ``runs``.

    Args:
        node: A tree from :func:`hyperlab.querying.parser.parse_filter`.
        ctx: The names known to the queried studies (see :class:`QueryContext`).

    Raises:
        QueryError: an unknown or ambiguous name, or a value of the wrong type.
    """
    if isinstance(node, Compare):
        return _compile_compare(node, ctx)
    if isinstance(node, Not):
        return sa.not_(compile_filter(node.operand, ctx))
    parts = [compile_filter(item, ctx) for item in node.items]
    return sa.and_(*parts) if isinstance(node, And) else sa.or_(*parts)


class _SortValue(FunctionElement[Any]):
    """A param's sort value: on SQLite ``coalesce(num, str)`` (one probe per run; SQLite
    orders numbers before text), elsewhere ``num`` with ``str`` as a second sort key."""

    inherit_cache = True
    name = "sort_value"


@compiles(_SortValue)
def _sort_value_default(element: _SortValue, compiler: Any, **kw: Any) -> str:
    num, _text = list(element.clauses)
    return str(compiler.process(num, **kw))


@compiles(_SortValue, "sqlite")
def _sort_value_sqlite(element: _SortValue, compiler: Any, **kw: Any) -> str:
    num, text = list(element.clauses)
    return f"coalesce({compiler.process(num, **kw)}, {compiler.process(text, **kw)})"


class _NotOnSqlite(FunctionElement[Any]):
    """An expression left out (rendered NULL) on SQLite, where :class:`_SortValue` covers it."""

    inherit_cache = True
    name = "not_on_sqlite"


@compiles(_NotOnSqlite)
def _not_on_sqlite_default(element: _NotOnSqlite, compiler: Any, **kw: Any) -> str:
    (inner,) = list(element.clauses)
    return str(compiler.process(inner, **kw))


@compiles(_NotOnSqlite, "sqlite")
def _not_on_sqlite_sqlite(element: _NotOnSqlite, compiler: Any, **kw: Any) -> str:
    return "NULL"


def _kv_sort(table: sa.Table, key: str, default: Any, has_default: bool) -> list[Any]:
    row = sa.and_(table.c.run_id == runs.c.id, table.c.key == key)
    num: Any = sa.select(_SortValue(table.c.num, table.c.str)).where(row).scalar_subquery()
    text: Any = sa.select(table.c.str).where(row).scalar_subquery()
    if has_default:
        dnum, dtext = project(default)
        present = sa.exists().where(row)
        fallback = _SortValue(sa.literal(dnum, sa.Double), sa.literal(dtext, sa.Text))
        num = sa.case((present, num), else_=fallback)
        text = sa.case((present, text), else_=sa.literal(dtext, sa.Text))
    return [num, _NotOnSqlite(text)]


def compile_sort(keys: list[SortKey], ctx: QueryContext) -> list[Any]:
    """ORDER BY clauses for sort keys; runs missing a value come last in both directions.

    Raises:
        QueryError: an unknown or ambiguous name, or a name that cannot be sorted (tags).
    """
    clauses: list[Any] = []
    for sort_key in keys:
        resolved, func = _target(sort_key.target, ctx)
        if resolved.kind == "metric":
            row = sa.and_(metrics.c.run_id == runs.c.id, metrics.c.key == resolved.key)
            exprs = [sa.select(_metric_column(func)).where(row).scalar_subquery()]
        elif resolved.kind == "field":
            if RUN_FIELD_TYPES[resolved.key] == "tags":
                raise QueryError("cannot sort by tags; sort by a param, metric or run field")
            exprs = [field_expr(resolved.key)]
        elif resolved.kind == "param":
            has_default = resolved.key in ctx.defaults
            exprs = _kv_sort(params, resolved.key, ctx.defaults.get(resolved.key), has_default)
        else:
            exprs = _kv_sort(meta, resolved.key, None, False)
        for expr in exprs:
            ordered = expr.desc() if sort_key.descending else expr.asc()
            clauses.append(ordered.nulls_last())
    return clauses
