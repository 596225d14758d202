"""The syntax tree of the query language, and a printer that turns a tree back into text.

Nodes are frozen dataclasses; ``pos`` (zero-based column in the source text) is kept for error
messages but ignored by ``==``, so a tree printed with :func:`to_text` and parsed again compares
equal to the original.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from hyperlab.errors import QueryError

Scalar = None | bool | int | float | str
"""A literal value: ``null``, ``true``/``false``, a number or a string."""

AGGREGATES = frozenset({"min", "max", "last", "best", "count", "final", "sum", "mean"})
"""Functions over a metric's summary: ``min(val_loss)``, ``last(val_acc)``, ..."""

KEYWORDS = frozenset({"and", "or", "not", "in", "contains", "like", "true", "false", "null"})
"""Words that cannot be bare names (write ``params.`in``` with backticks to use one)."""

COMPARISONS = ("==", "!=", "<=", ">=", "<", ">")
WORD_OPERATORS = ("in", "not in", "contains", "not contains", "like", "not like")
OPERATORS = COMPARISONS + WORD_OPERATORS


@dataclass(frozen=True)
class Literal:
    """A value written in the query: a scalar or a list (kept as a tuple of scalars)."""

    value: Scalar | tuple[Scalar, ...]
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Name:
    """A (possibly dotted) name: ``lr``, ``optim.name``, ``params.lr``, ``metrics.val_acc``."""

    text: str
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Call:
    """An aggregate of a metric: ``min(val_loss)``."""

    func: str
    arg: Name
    pos: int = field(default=0, compare=False)


Operand = Literal | Name | Call


@dataclass(frozen=True)
class Compare:
    """``left OP right`` where OP is one of :data:`OPERATORS`."""

    left: Operand
    op: str
    right: Operand
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Not:
    """``not operand``."""

    operand: Expr
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True)
class And:
    """``a and b and ...`` (two or more items)."""

    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    """``a or b or ...`` (two or more items)."""

    items: tuple[Expr, ...]


Expr = Compare | Not | And | Or


@dataclass(frozen=True)
class SortKey:
    """One sort key: a name or aggregate, descending when written with ``-``."""

    target: Name | Call
    descending: bool = False


def quote_string(value: str) -> str:
    """A double-quoted string literal that the tokenizer reads back as ``value``."""
    out = ['"']
    for ch in value:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _segment(part: str) -> str:
    plain = (
        part
        and (part[0].isalpha() or part[0] == "_")
        and all(c.isalnum() or c == "_" for c in part)
        and part.lower() not in KEYWORDS
    )
    return part if plain else "`" + part.replace("`", "``") + "`"


def scalar_text(value: Scalar) -> str:
    """The source text of a scalar literal."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"the query language has no literal for {value!r}")
        return repr(value)
    return quote_string(value)


def operand_text(node: Operand) -> str:
    """The source text of an operand."""
    if isinstance(node, Literal):
        if isinstance(node.value, tuple):
            return "[" + ", ".join(scalar_text(v) for v in node.value) + "]"
        return scalar_text(node.value)
    if isinstance(node, Name):
        return ".".join(_segment(p) for p in node.text.split("."))
    return f"{node.func}({operand_text(node.arg)})"


_FLIPPED = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def name_first(node: Compare) -> tuple[Operand, str, Operand]:
    """The comparison's operands and operator with the value on the right.

    ``0.1 > lr`` becomes ``lr < 0.1`` and ``'a' in tags`` becomes ``tags contains 'a'``;
    a comparison that already has a name on the left, or no literal, is returned as it is.

    Raises:
        QueryError: A value on the left that cannot be moved (``[1, 2] in lr``).
    """
    left, op, right = node.left, node.op, node.right
    if isinstance(left, Literal) and not isinstance(right, Literal):
        if op in _FLIPPED:
            return right, _FLIPPED[op], left
        if op in ("in", "not in") and not isinstance(left.value, tuple):
            return right, op.replace("in", "contains"), left
        raise QueryError(
            f"{operand_text(left)} {op} {operand_text(right)}: put the name on the left"
        )
    return left, op, right


def to_text(node: Expr) -> str:
    """Print a tree as query text; parsing the result gives an equal tree."""
    if isinstance(node, Compare):
        return f"{operand_text(node.left)} {node.op} {operand_text(node.right)}"
    if isinstance(node, Not):
        inner = to_text(node.operand)
        return f"not ({inner})" if isinstance(node.operand, (And, Or)) else f"not {inner}"
    word = " and " if isinstance(node, And) else " or "
    return word.join(
        f"({to_text(item)})" if isinstance(item, (And, Or)) else to_text(item)
        for item in node.items
    )


def sort_text(keys: list[SortKey]) -> str:
    """Print sort keys as ``-val_acc,lr``."""
    return ",".join(("-" if k.descending else "") + operand_text(k.target) for k in keys)
