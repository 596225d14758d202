"""Property tests: printed trees parse back to themselves; junk only ever raises syntax errors."""

from __future__ import annotations

import math
from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from hyperlab.errors import QuerySyntaxError
from hyperlab.querying.ast import (
    AGGREGATES,
    KEYWORDS,
    OPERATORS,
    And,
    Call,
    Compare,
    Expr,
    Literal,
    Name,
    Not,
    Or,
    SortKey,
    sort_text,
    to_text,
)
from hyperlab.querying.parser import parse_filter, parse_sort

identifiers = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True).filter(
    lambda s: s.lower() not in KEYWORDS and s.lower() not in AGGREGATES
)
odd_segments = st.text(min_size=1, max_size=6).filter(lambda s: "." not in s)
names = st.lists(st.one_of(identifiers, odd_segments), min_size=1, max_size=3).map(
    lambda parts: Name(".".join(parts))
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=10),
)
literals = st.one_of(
    scalars.map(Literal), st.lists(scalars, max_size=4).map(lambda v: Literal(tuple(v)))
)
calls = st.builds(Call, st.sampled_from(sorted(AGGREGATES)), names)
comparisons = st.builds(Compare, st.one_of(names, calls), st.sampled_from(OPERATORS), literals)


def _nested(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    groups = st.lists(children, min_size=2, max_size=3).map(tuple)
    return st.one_of(children.map(Not), groups.map(And), groups.map(Or))


trees = st.recursive(comparisons, _nested, max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(trees)
def test_printed_trees_parse_back_to_the_same_tree(tree: Expr) -> None:
    text = to_text(tree)
    assert parse_filter(text) == tree
    assert to_text(parse_filter(text)) == text


@settings(max_examples=200, deadline=None)
@given(st.lists(st.builds(SortKey, st.one_of(names, calls), st.booleans()), min_size=1))
def test_sort_keys_round_trip(keys: list[SortKey]) -> None:
    assert parse_sort(sort_text(keys)) == keys


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_float_literals_are_exact(value: float) -> None:
    tree = parse_filter(f"x == {value!r}")
    assert isinstance(tree, Compare)
    assert isinstance(tree.right, Literal)
    assert tree.right.value == value
    assert math.copysign(1, value) == math.copysign(1, tree.right.value)  # type: ignore[arg-type]


alphabet = st.sampled_from(
    [
        *"ab_.,()[]<>=!\"'`\\-+ 0123456789eE\n\tü",
        " and ",
        " or ",
        " not ",
        " in ",
        " contains ",
        " like ",
        "true",
        "null",
        "min(",
    ]
)


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(max_size=40), st.lists(alphabet, max_size=25).map("".join)))
def test_junk_raises_only_syntax_errors(text: str) -> None:
    for parse in (parse_filter, parse_sort):
        error = _syntax_error(parse, text)
        if error is not None:
            assert 0 <= error.column <= len(text)
            assert str(error).splitlines()[0].endswith(f"at column {error.column + 1}")


def _syntax_error(parse: Callable[[str], object], text: str) -> QuerySyntaxError | None:
    """The syntax error ``parse`` raises (any other exception fails the test)."""
    try:
        parse(text)
    except QuerySyntaxError as error:
        return error
    return None
