"""The text form of spaces, for the command line and for ``str(space)``.

::

    lr=loguniform(1e-05,0.1) bs=[16,32,64] layers=range(1,5) act=choice(relu,gelu)
    10 * (type=a param=[1,2,3] + type=b param=[4,5,6]) * other_param=1.5

Grammar (juxtaposed assignments form one grid, which binds tighter than ``*``, then ``+``)::

    space  := sum
    sum    := prod ("+" prod)*
    prod   := factor ("*" factor)*          an integer factor repeats the space
    factor := INT | "(" sum ")" | "()" | (name "=" range)+
    range  := "[" values "]" | call | value  a single value is a one-element range
    call   := range(a,b[,step]) | uniform(lo,hi) | loguniform(lo,hi)
            | intuniform(lo,hi[,log=true]) | normal(mu,sigma)
            | choice(v1,v2,...[,weights=[w1,...]]) | fixed(v)
    value  := number | "quoted string" | bare_word | true | false | null | [values] | {k: v}

Bare words are strings (``relu``, ``adam-w``, ``data/train.csv``). Quote a string that would read
as something else (``"16"``, ``"true"``, ``"two words"``). Nothing is ever evaluated as code.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hyperlab.errors import SpaceError
from hyperlab.space.distributions import (
    Categorical,
    Distribution,
    Fixed,
    IntUniform,
    LogUniform,
    Normal,
    Uniform,
)

if TYPE_CHECKING:
    from hyperlab.space.paramspace import ParamSpace

_BARE = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-/]*\Z")
_KEYWORDS = {"true": True, "false": False, "null": None, "none": None}
_FLOATWORDS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf, "+inf": math.inf}

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<number>[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?
                   |(?:inf|nan)(?![\w.\-/])))
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<word>[A-Za-z_][A-Za-z0-9_.\-/]*)
  | (?P<op>[=\[\](){},:+*])
    """,
    re.VERBOSE,
)


# -- formatting -----------------------------------------------------------------------------
def format_value(value: Any) -> str:
    """One value in the text form (reads back as an equal value)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return format_name(value)
    if isinstance(value, dict):
        return (
            "{"
            + ",".join(f"{format_name(str(k))}:{format_value(v)}" for k, v in value.items())
            + "}"
        )
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(format_value(v) for v in value) + "]"
    raise SpaceError(
        f"cannot write a value of type {type(value).__name__} in the text form: {value!r}"
    )


def format_name(text: str) -> str:
    """A string: bare when it reads back as the same string, else JSON-quoted."""
    if _BARE.match(text) and text.lower() not in _KEYWORDS and text.lower() not in _FLOATWORDS:
        return text
    return json.dumps(text, ensure_ascii=False)


def format_range(rng: Any) -> str:
    """A key's range: a distribution, ``range(a,b)``, a single value or ``[v1,v2]``."""
    if isinstance(rng, Distribution):
        return str(rng)
    if isinstance(rng, range):
        step = f",{rng.step}" if rng.step != 1 else ""
        return f"range({rng.start},{rng.stop}{step})"
    if len(rng) == 1 and not isinstance(rng[0], (list, tuple)):
        return format_value(rng[0])
    return format_value(list(rng))


# -- lexing ---------------------------------------------------------------------------------
@dataclass
class _Tok:
    kind: str
    text: str
    pos: int


def _lex(text: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise _error(text, pos, f"unexpected character {text[pos]!r}")
        kind = m.lastgroup or ""
        if kind != "ws":
            tokens.append(_Tok(kind, m.group(), pos))
        pos = m.end()
    tokens.append(_Tok("end", "", len(text)))
    return tokens


def _error(text: str, pos: int, what: str) -> SpaceError:
    return SpaceError(
        f"cannot read the space: {what} at column {pos + 1}\n  {text}\n  {' ' * pos}^"
    )


# -- parsing --------------------------------------------------------------------------------
class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _lex(text)
        self.i = 0

    @property
    def tok(self) -> _Tok:
        return self.toks[self.i]

    def peek(self, offset: int = 1) -> _Tok:
        return self.toks[min(self.i + offset, len(self.toks) - 1)]

    def fail(self, what: str, tok: _Tok | None = None) -> SpaceError:
        tok = tok or self.tok
        found = f"{tok.text!r}" if tok.kind != "end" else "the end"
        return _error(self.text, tok.pos, f"{what}, found {found}")

    def take(self, text: str) -> _Tok:
        if self.tok.text != text or self.tok.kind not in ("op", "word"):
            raise self.fail(f"expected {text!r}")
        tok = self.tok
        self.i += 1
        return tok

    def at_op(self, text: str) -> bool:
        return self.tok.kind == "op" and self.tok.text == text

    # space := sum
    def space(self) -> ParamSpace:
        from hyperlab.space.paramspace import ParamSpace

        if self.tok.kind == "end":
            return ParamSpace()
        result = self.sum()
        if self.tok.kind != "end":
            raise self.fail("expected '+', '*' or a name=value")
        return result

    def sum(self) -> ParamSpace:
        start = self.tok
        result = self.prod()
        while self.at_op("+"):
            self.i += 1
            right = self.prod()
            result = _combine(result, right, lambda a, b: a + b, self, start)
        return result

    def prod(self) -> ParamSpace:
        start = self.tok
        result: Any = self.factor()
        while self.at_op("*"):
            self.i += 1
            right = self.factor()
            result = _combine(result, right, lambda a, b: a * b, self, start)
        if isinstance(result, int):
            raise self.fail("expected a space after the repeat count", start)
        return result  # type: ignore[no-any-return]

    def factor(self) -> ParamSpace | int:
        from hyperlab.space.paramspace import ParamSpace

        tok = self.tok
        if tok.kind == "number" and re.fullmatch(r"\d+", tok.text):
            self.i += 1
            return int(tok.text)
        if self.at_op("("):
            self.i += 1
            if self.at_op(")"):
                self.i += 1
                return ParamSpace()
            inner = self.sum()
            self.take(")")
            return inner
        if tok.kind in ("word", "string") and self.peek().text == "=":
            items: dict[str, Any] = {}
            while self.tok.kind in ("word", "string") and self.peek().text == "=":
                name_tok = self.tok
                name = self.name()
                self.take("=")
                if name in items:
                    raise self.fail(f"key {name!r} is given twice", name_tok)
                items[name] = self.range_()
            return ParamSpace(items)
        raise self.fail("expected name=value, a repeat count or '('")

    def name(self) -> str:
        tok = self.tok
        self.i += 1
        return tok.text if tok.kind == "word" else _unquote(tok.text)

    def range_(self) -> Any:
        tok = self.tok
        if tok.kind == "word" and self.peek().text == "(" and tok.text.lower() in _CALLS:
            return self.call()
        if self.at_op("["):
            values = self.value()
            if not values:
                raise self.fail("a range needs at least one value", tok)
            return tuple(values)
        return (self.value(),)

    def call(self) -> Any:
        name_tok = self.tok
        fn = name_tok.text.lower()
        self.i += 1
        self.take("(")
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        while not self.at_op(")"):
            if self.tok.kind == "word" and self.peek().text == "=":
                key = self.name()
                self.take("=")
                kwargs[key] = self.value()
            else:
                if kwargs:
                    raise self.fail("positional argument after a keyword argument")
                args.append(self.value())
            if not self.at_op(")"):
                self.take(",")
        self.take(")")
        try:
            return _CALLS[fn](args, kwargs)
        except SpaceError as err:
            raise _error(self.text, name_tok.pos, str(err)) from None
        except TypeError:
            raise _error(
                self.text, name_tok.pos, f"bad arguments for {fn}: {_USAGE[fn]}"
            ) from None

    def value(self) -> Any:
        tok = self.tok
        if tok.kind == "number":
            self.i += 1
            return _number(tok.text)
        if tok.kind == "string":
            self.i += 1
            return _unquote(tok.text)
        if tok.kind == "word":
            self.i += 1
            low = tok.text.lower()
            if low in _KEYWORDS:
                return _KEYWORDS[low]
            if low in _FLOATWORDS:
                return _FLOATWORDS[low]
            return tok.text
        if self.at_op("["):
            self.i += 1
            items: list[Any] = []
            while not self.at_op("]"):
                items.append(self.value())
                if not self.at_op("]"):
                    self.take(",")
            self.i += 1
            return items
        if self.at_op("{"):
            self.i += 1
            obj: dict[str, Any] = {}
            while not self.at_op("}"):
                if self.tok.kind not in ("word", "string"):
                    raise self.fail("expected a key")
                key = self.name()
                self.take(":")
                obj[key] = self.value()
                if not self.at_op("}"):
                    self.take(",")
            self.i += 1
            return obj
        raise self.fail("expected a value")


def _combine(
    left: Any, right: Any, op: Callable[[Any, Any], Any], parser: _Parser, start: _Tok
) -> Any:
    try:
        return op(left, right)
    except SpaceError as err:
        raise _error(parser.text, start.pos, str(err)) from None


def _number(text: str) -> int | float:
    low = text.lower()
    if low in _FLOATWORDS:
        return _FLOATWORDS[low]
    if re.fullmatch(r"[-+]?\d+", text):
        return int(text)
    return float(text)


def _unquote(text: str) -> str:
    if text.startswith("'"):
        body = text[1:-1].replace("\\'", "'").replace('\\"', '"').replace('"', '\\"')
        text = f'"{body}"'
    try:
        value = json.loads(text)
    except ValueError:
        raise SpaceError(f"bad escape in the quoted string {text}") from None
    return str(value)


def _range(args: list[Any], kwargs: dict[str, Any]) -> range:
    if kwargs or not 1 <= len(args) <= 3 or not all(_is_int(a) for a in args):
        raise TypeError
    result = range(*args)
    if len(result) == 0:
        raise SpaceError(f"range{tuple(args)} is empty")
    return result


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _choice(args: list[Any], kwargs: dict[str, Any]) -> Categorical:
    if set(kwargs) - {"weights"}:
        raise TypeError
    return Categorical(args, kwargs.get("weights"))


_CALLS: dict[str, Callable[[list[Any], dict[str, Any]], Any]] = {
    "range": _range,
    "uniform": lambda a, k: Uniform(*a, **k),
    "loguniform": lambda a, k: LogUniform(*a, **k),
    "intuniform": lambda a, k: IntUniform(*a, **k),
    "randint": lambda a, k: IntUniform(*a, **k),
    "normal": lambda a, k: Normal(*a, **k),
    "choice": _choice,
    "categorical": _choice,
    "fixed": lambda a, k: Fixed(*a, **k),
}
_USAGE = {
    "range": "range(stop), range(start,stop) or range(start,stop,step) with integers",
    "uniform": "uniform(lo,hi)",
    "loguniform": "loguniform(lo,hi)",
    "intuniform": "intuniform(lo,hi) or intuniform(lo,hi,log=true), bounds included",
    "randint": "randint(lo,hi), bounds included",
    "normal": "normal(mu,sigma)",
    "choice": "choice(a,b,...) or choice(a,b,weights=[wa,wb])",
    "categorical": "categorical(a,b,...) or categorical(a,b,weights=[wa,wb])",
    "fixed": "fixed(value)",
}


def parse_space(text: str) -> ParamSpace:
    """Read a space from its text form; ``parse_space(str(space)) == space``.

    Args:
        text: E.g. ``"lr=loguniform(1e-5,1e-1) bs=[16,32,64] act=choice(relu,gelu)"``.

    Returns:
        The :class:`~hyperlab.space.ParamSpace`.

    Raises:
        SpaceError: with the text and a caret under the first character that does not fit.
    """
    if not isinstance(text, str):
        raise SpaceError(f"a space text must be a string, got {type(text).__name__}")
    return _Parser(text).space()
