"""Parse query text into a tree: a hand-written tokenizer and a recursive-descent parser.

Nothing here evaluates user text; the tree is compiled to SQL by
:mod:`hyperlab.querying.compiler`. Grammar (keywords are case-insensitive)::

    filter     := or_expr
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | "(" or_expr ")" | comparison
    comparison := operand OP operand
    OP         := "==" | "!=" | "<" | "<=" | ">" | ">=" | ["not"] ("in" | "contains" | "like")
    operand    := literal | list | name | AGG "(" name ")"
    list       := "[" [literal ("," literal)* [","]] "]"
    name       := segment ("." segment)*      segment := identifier | `any text`
    literal    := number | string | "true" | "false" | "null"
    sort       := ["+" | "-"] (name | AGG "(" name ")") ("," ...)*
"""

from __future__ import annotations

from dataclasses import dataclass

from hyperlab.errors import QuerySyntaxError
from hyperlab.querying.ast import (
    AGGREGATES,
    COMPARISONS,
    KEYWORDS,
    And,
    Call,
    Compare,
    Expr,
    Literal,
    Name,
    Not,
    Operand,
    Or,
    Scalar,
    SortKey,
)

MAX_DEPTH = 64
"""Deepest nesting of parentheses and ``not`` accepted (keeps recursion bounded)."""

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "0": "\0"}
_HINTS = {
    "=": "use '==' to compare",
    "&": "use 'and'",
    "|": "use 'or'",
    "!": "use 'not' or '!='",
}


@dataclass(frozen=True)
class Token:
    """One token: ``kind`` is num, str, name, kw, op, punct or end."""

    kind: str
    value: object
    pos: int
    text: str


def _display(text: str) -> str:
    """The text with control characters shown as spaces so the caret lines up."""
    return "".join(" " if ord(c) < 32 else c for c in text)


class _Tokenizer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0

    def fail(self, message: str, pos: int) -> QuerySyntaxError:
        return QuerySyntaxError(message, _display(self.text), pos)

    def tokens(self) -> list[Token]:
        out: list[Token] = []
        text = self.text
        while True:
            while self.i < len(text) and text[self.i].isspace():
                self.i += 1
            if self.i >= len(text):
                out.append(Token("end", None, len(text), ""))
                return out
            start = self.i
            ch = text[start]
            after_dot = (
                len(out) >= 2
                and out[-1].kind == "punct"
                and out[-1].value == "."
                and out[-2].kind in ("name", "quoted", "kw")
            )
            if after_dot and (ch.isalnum() or ch == "_"):
                while self.i < len(text) and (text[self.i].isalnum() or text[self.i] == "_"):
                    self.i += 1
                word = text[start : self.i]
                out.append(Token("name", word, start, word))
            elif ch in "\"'":
                out.append(Token("str", self._string(ch), start, text[start : self.i]))
            elif ch.isdigit() or (
                ch in "+-."
                and not (ch == "." and out and out[-1].kind in ("name", "quoted", "kw"))
                and self._starts_number(start)
            ):
                value = self._number()
                out.append(Token("num", value, start, text[start : self.i]))
            elif ch.isalpha() or ch == "_":
                while self.i < len(text) and (text[self.i].isalnum() or text[self.i] == "_"):
                    self.i += 1
                word = text[start : self.i]
                kind = "kw" if word.lower() in KEYWORDS else "name"
                out.append(Token(kind, word.lower() if kind == "kw" else word, start, word))
            elif ch == "`":
                out.append(Token("quoted", self._backtick(), start, text[start : self.i]))
            elif text.startswith(("==", "!=", "<=", ">="), start):
                self.i += 2
                out.append(Token("op", text[start : self.i], start, text[start : self.i]))
            elif ch in "<>":
                self.i += 1
                out.append(Token("op", ch, start, ch))
            elif ch in "()[],.+-":
                self.i += 1
                out.append(Token("punct", ch, start, ch))
            else:
                hint = _HINTS.get(ch)
                raise self.fail(
                    f"unexpected character {ch!r}" + (f" ({hint})" if hint else ""), start
                )

    def _starts_number(self, start: int) -> bool:
        text = self.text
        j = start
        if text[j] in "+-":
            j += 1
        if j < len(text) and text[j] == ".":
            j += 1
        return j < len(text) and text[j].isdigit()

    def _number(self) -> int | float:
        text = self.text
        start = self.i
        if text[self.i] in "+-":
            self.i += 1
        is_float = False
        while self.i < len(text) and (text[self.i].isdigit() or text[self.i] == "_"):
            self.i += 1
        if self.i < len(text) and text[self.i] == ".":
            is_float = True
            self.i += 1
            while self.i < len(text) and text[self.i].isdigit():
                self.i += 1
        if self.i < len(text) and text[self.i] in "eE":
            j = self.i + 1
            if j < len(text) and text[j] in "+-":
                j += 1
            if j < len(text) and text[j].isdigit():
                is_float = True
                self.i = j
                while self.i < len(text) and text[self.i].isdigit():
                    self.i += 1
        if self.i < len(text) and (text[self.i].isalpha() or text[self.i] == "_"):
            raise self.fail(f"invalid number {text[start : self.i + 1]!r}", start)
        raw = text[start : self.i]
        try:
            if not raw.isascii():
                raise ValueError(raw)
            return float(raw) if is_float else int(raw)
        except ValueError:
            raise self.fail(f"invalid number {raw!r}", start) from None

    def _string(self, quote: str) -> str:
        text = self.text
        start = self.i
        self.i += 1
        out: list[str] = []
        while True:
            if self.i >= len(text):
                raise self.fail(f"unterminated string: add the closing {quote}", start)
            ch = text[self.i]
            if ch == quote:
                self.i += 1
                return "".join(out)
            if ch == "\\":
                self.i += 1
                if self.i >= len(text):
                    raise self.fail(f"unterminated string: add the closing {quote}", start)
                esc = text[self.i]
                if esc in _ESCAPES:
                    out.append(_ESCAPES[esc])
                    self.i += 1
                elif esc == "u":
                    digits = text[self.i + 1 : self.i + 5]
                    if len(digits) != 4 or not all(c in "0123456789abcdefABCDEF" for c in digits):
                        raise self.fail("\\u needs four hex digits", self.i - 1)
                    code = int(digits, 16)
                    if 0xD800 <= code <= 0xDFFF:
                        raise self.fail("\\u escape is a lone surrogate", self.i - 1)
                    out.append(chr(code))
                    self.i += 5
                else:
                    raise self.fail(
                        f"unknown escape \\{esc} (valid: \\n \\t \\r \\0 \\\\ \\' \\\" \\uXXXX)",
                        self.i - 1,
                    )
            else:
                out.append(ch)
                self.i += 1

    def _backtick(self) -> str:
        text = self.text
        start = self.i
        self.i += 1
        out: list[str] = []
        while True:
            if self.i >= len(text):
                raise self.fail("unterminated name: add the closing `", start)
            ch = text[self.i]
            if ch == "`":
                if text.startswith("``", self.i):
                    out.append("`")
                    self.i += 2
                    continue
                self.i += 1
                if not out:
                    raise self.fail("empty name between backticks", start)
                return "".join(out)
            out.append(ch)
            self.i += 1


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.lexer = _Tokenizer(text)
        self.tokens = self.lexer.tokens()
        self.k = 0
        self.depth = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.k]

    def advance(self) -> Token:
        tok = self.tokens[self.k]
        if tok.kind != "end":
            self.k += 1
        return tok

    def fail(self, message: str, pos: int | None = None) -> QuerySyntaxError:
        return self.lexer.fail(message, self.tok.pos if pos is None else pos)

    def is_kw(self, word: str, offset: int = 0) -> bool:
        tok = self.tokens[min(self.k + offset, len(self.tokens) - 1)]
        return tok.kind == "kw" and tok.value == word

    def is_punct(self, ch: str) -> bool:
        return self.tok.kind == "punct" and self.tok.value == ch

    def describe(self, tok: Token) -> str:
        return "the end of the query" if tok.kind == "end" else repr(tok.text)

    # -- filter ---------------------------------------------------------------------------------

    def parse_filter(self) -> Expr:
        if self.tok.kind == "end":
            raise self.fail("empty query: write a condition such as lr < 0.01")
        node = self.or_expr()
        if self.tok.kind != "end":
            raise self.fail(
                f"unexpected {self.describe(self.tok)} after a complete condition "
                "(join conditions with 'and' / 'or')"
            )
        return node

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"query nested too deeply (more than {MAX_DEPTH} levels)")

    def or_expr(self) -> Expr:
        items = [self.and_expr()]
        while self.is_kw("or"):
            self.advance()
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self) -> Expr:
        items = [self.not_expr()]
        while self.is_kw("and"):
            self.advance()
            items.append(self.not_expr())
        return items[0] if len(items) == 1 else And(tuple(items))

    def not_expr(self) -> Expr:
        self.enter()
        try:
            if self.is_kw("not"):
                tok = self.advance()
                if self.tok.kind == "end":
                    raise self.fail("expected a condition after 'not'")
                return Not(self.not_expr(), tok.pos)
            if self.is_punct("("):
                open_tok = self.advance()
                node = self.or_expr()
                if not self.is_punct(")"):
                    raise self.fail(
                        f"expected ')' to close the '(' at column {open_tok.pos + 1}, "
                        f"found {self.describe(self.tok)}"
                    )
                self.advance()
                return node
            return self.comparison()
        finally:
            self.depth -= 1

    def comparison(self) -> Compare:
        left = self.operand("a name or value")
        op_tok = self.tok
        op = self.operator()
        if op is None:
            shown = self.text[left.pos : op_tok.pos].strip() or op_tok.text
            raise self.fail(
                f"expected an operator (==, !=, <, <=, >, >=, in, contains, like) after "
                f"{shown!r}, found {self.describe(op_tok)}"
            )
        if self.tok.kind == "end":
            raise self.fail(f"expected a value after {op!r}")
        right = self.operand(f"a value after {op!r}")
        return Compare(left, op, right, op_tok.pos)

    def operator(self) -> str | None:
        tok = self.tok
        if tok.kind == "op" and tok.value in COMPARISONS:
            self.advance()
            return str(tok.value)
        if tok.kind == "kw" and tok.value in ("in", "contains", "like"):
            self.advance()
            return str(tok.value)
        if self.is_kw("not") and self.tokens[self.k + 1].kind == "kw":
            word = self.tokens[self.k + 1].value
            if word in ("in", "contains", "like"):
                self.advance()
                self.advance()
                return f"not {word}"
        return None

    def operand(self, wanted: str) -> Operand:
        tok = self.tok
        if tok.kind in ("num", "str"):
            self.advance()
            return Literal(tok.value, tok.pos)  # type: ignore[arg-type]
        if tok.kind == "kw" and tok.value in ("true", "false", "null"):
            self.advance()
            return Literal({"true": True, "false": False, "null": None}[str(tok.value)], tok.pos)
        if self.is_punct("["):
            return self.list_literal()
        if tok.kind in ("name", "quoted"):
            if (
                tok.kind == "name"
                and self.tokens[self.k + 1].kind == "punct"
                and self.tokens[self.k + 1].value == "("
            ):
                return self.call()
            return self.name()
        raise self.fail(f"expected {wanted}, found {self.describe(tok)}")

    def list_literal(self) -> Literal:
        open_tok = self.advance()
        items: list[Scalar] = []
        while not self.is_punct("]"):
            tok = self.tok
            if tok.kind in ("num", "str"):
                items.append(tok.value)  # type: ignore[arg-type]
            elif tok.kind == "kw" and tok.value in ("true", "false", "null"):
                items.append({"true": True, "false": False, "null": None}[str(tok.value)])
            elif tok.kind == "end":
                raise self.fail(f"expected ']' to close the '[' at column {open_tok.pos + 1}")
            else:
                raise self.fail(f"expected a value in the list, found {self.describe(tok)}")
            self.advance()
            if self.is_punct(","):
                self.advance()
            elif not self.is_punct("]"):
                if self.tok.kind == "end":
                    raise self.fail(f"expected ']' to close the '[' at column {open_tok.pos + 1}")
                raise self.fail(
                    f"expected ',' or ']' in the list, found {self.describe(self.tok)}"
                )
        self.advance()
        return Literal(tuple(items), open_tok.pos)

    def name(self) -> Name:
        first = self.tok
        parts = [str(self.advance().value)]
        while self.is_punct("."):
            self.advance()
            tok = self.tok
            if tok.kind in ("name", "quoted", "kw"):
                self.advance()
                parts.append(tok.text if tok.kind == "kw" else str(tok.value))
            else:
                raise self.fail(f"expected a name after '.', found {self.describe(tok)}")
        return Name(".".join(parts), first.pos)

    def call(self) -> Call:
        func_tok = self.advance()
        func = str(func_tok.value)
        if func.lower() not in AGGREGATES:
            valid = ", ".join(sorted(AGGREGATES))
            raise self.fail(f"unknown function {func!r} (valid: {valid})", func_tok.pos)
        self.advance()  # "("
        if self.tok.kind not in ("name", "quoted"):
            raise self.fail(f"expected a metric name inside {func}(...)")
        arg = self.name()
        if not self.is_punct(")"):
            raise self.fail(f"expected ')' after {func}({arg.text}")
        self.advance()
        return Call(func.lower(), arg, func_tok.pos)

    # -- sort -----------------------------------------------------------------------------------

    def parse_sort(self) -> list[SortKey]:
        keys: list[SortKey] = []
        while True:
            descending = False
            if self.is_punct("-") or self.is_punct("+"):
                descending = self.advance().value == "-"
            tok = self.tok
            if tok.kind not in ("name", "quoted"):
                raise self.fail(f"expected a name to sort by, found {self.describe(tok)}")
            target: Name | Call = self.operand("a name")  # type: ignore[assignment]
            keys.append(SortKey(target, descending))
            if self.tok.kind == "end":
                return keys
            if not self.is_punct(","):
                raise self.fail(f"expected ',' between sort keys, found {self.describe(self.tok)}")
            self.advance()


def parse_filter(text: str) -> Expr:
    """Parse a filter expression such as ``lr < 0.01 and optim.name in ["adam", "sgd"]``.

    Args:
        text: The query text.

    Returns:
        The expression tree.

    Raises:
        QuerySyntaxError: when the text is not a valid expression; the message shows the text
            with a caret under the offending column.
    """
    return _Parser(text).parse_filter()


def parse_sort(text: str) -> list[SortKey]:
    """Parse sort keys: comma-separated names or aggregates, ``-`` for descending.

    Example: ``"-val_acc,lr"``, ``"+name"``, ``"-min(val_loss)"``.

    Raises:
        QuerySyntaxError: when the text is not a list of sort keys.
    """
    if not text.strip():
        raise QuerySyntaxError("empty sort: give names such as -val_acc,lr", text, 0)
    return _Parser(text).parse_sort()
