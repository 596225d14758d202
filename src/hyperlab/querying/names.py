"""What a name in a query refers to: a run field, a param, a metric or a meta value.

A bare name is looked up among run fields, params (including keys with a study default),
metrics and meta; it must match exactly one of them. ``params.x``, ``metrics.x``, ``meta.x`` and
``run.x`` say which one is meant. Unknown names are errors that suggest close matches.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from hyperlab.errors import QueryError

# Run fields: name -> value type (text, number, time, bool, tags).
RUN_FIELD_TYPES: dict[str, str] = {
    "id": "number",
    "study": "text",
    "version": "text",
    "number": "number",
    "name": "text",
    "state": "text",
    "created": "time",
    "started": "time",
    "ended": "time",
    "heartbeat": "time",
    "duration": "number",
    "host": "text",
    "pid": "number",
    "user": "text",
    "command": "text",
    "cwd": "text",
    "git_commit": "text",
    "git_branch": "text",
    "git_dirty": "bool",
    "python_version": "text",
    "platform": "text",
    "notes": "text",
    "error": "text",
    "parent": "number",
    "is_fork": "bool",
    "root": "number",
    "fork_step": "number",
    "priority": "number",
    "attempt": "number",
    "tags": "tags",
}

PREFIXES = {"params": "param", "metrics": "metric", "meta": "meta", "run": "field"}


@dataclass(frozen=True)
class QueryContext:
    """Names known to the queried studies, used to resolve and type names in a query.

    Attributes:
        param_keys: Flattened param keys used by runs (and keys with a declared default).
        metric_keys: Metric keys logged or summarised by runs.
        meta_keys: Meta keys set by runs.
        defaults: Param defaults shared by every queried study: a run without the param
            compares (and sorts) as if it had the default.
        directions: Metric directions (``"min"``/``"max"``) declared by the studies.
        conditional_defaults: ``(name, value, when)`` defaults that hold only when the
            condition ``when`` holds, in declared order (see docs/defaults.md).
    """

    param_keys: frozenset[str] = frozenset()
    metric_keys: frozenset[str] = frozenset()
    meta_keys: frozenset[str] = frozenset()
    defaults: dict[str, Any] = field(default_factory=dict)
    directions: dict[str, str] = field(default_factory=dict)
    conditional_defaults: tuple[tuple[str, Any, str], ...] = ()


@dataclass(frozen=True)
class Resolved:
    """A resolved name: ``kind`` is field, param, metric or meta; ``key`` the stored key."""

    kind: str
    key: str


def _kinds(ctx: QueryContext) -> dict[str, frozenset[str]]:
    return {
        "field": frozenset(RUN_FIELD_TYPES),
        "param": ctx.param_keys
        | frozenset(ctx.defaults)
        | frozenset(d[0] for d in ctx.conditional_defaults),
        "metric": ctx.metric_keys | frozenset(ctx.directions),
        "meta": ctx.meta_keys,
    }


_LABEL = {"field": "run field", "param": "param", "metric": "metric", "meta": "meta key"}
_PREFIX_OF = {"field": "run", "param": "params", "metric": "metrics", "meta": "meta"}


def resolve(text: str, ctx: QueryContext) -> Resolved:
    """Resolve a name written in a query.

    Raises:
        QueryError: the name is unknown (with close matches) or ambiguous (with the prefixed
            spellings that disambiguate it).
    """
    kinds = _kinds(ctx)
    head, dot, rest = text.partition(".")
    if dot and head in PREFIXES:
        kind = PREFIXES[head]
        if rest in kinds[kind]:
            return Resolved(kind, rest)
        if not any(text in keys for keys in kinds.values()):
            raise QueryError(_unknown(rest, sorted(kinds[kind]), f"{_LABEL[kind]} {rest!r}"))
    matches = [kind for kind, keys in kinds.items() if text in keys]
    if len(matches) == 1:
        return Resolved(matches[0], text)
    if len(matches) > 1:
        options = " or ".join(f"{_PREFIX_OF[k]}.{text}" for k in matches)
        found = " and ".join(f"a {_LABEL[k]}" for k in matches)
        raise QueryError(f"name {text!r} is ambiguous: it is {found}; write {options}")
    everything = sorted(set().union(*kinds.values()))
    raise QueryError(_unknown(text, everything, f"name {text!r}"))


def _unknown(text: str, known: list[str], what: str) -> str:
    close = difflib.get_close_matches(text, known, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    shown = ", ".join(known[:40]) + (", ..." if len(known) > 40 else "")
    return f"unknown {what} in the query{hint} (known names: {shown or 'none'})"
