"""The tokenizer and parser: what each construct parses to, and syntax errors with a caret."""

from __future__ import annotations

import pytest

from hyperlab.errors import QueryError, QuerySyntaxError
from hyperlab.querying.ast import And, Call, Compare, Literal, Name, Not, Or, SortKey
from hyperlab.querying.parser import MAX_DEPTH, parse_filter, parse_sort


def cmp(name: str, op: str, value: object) -> Compare:
    return Compare(Name(name), op, Literal(value))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("lr < 0.01", cmp("lr", "<", 0.01)),
        ("lr<=1e-3", cmp("lr", "<=", 0.001)),
        ("x > -.5", cmp("x", ">", -0.5)),
        ("x>-2", cmp("x", ">", -2)),
        ("n == 1_000", cmp("n", "==", 1000)),
        ("x >= 2E+3", cmp("x", ">=", 2000.0)),
        ("optim.name == 'adam'", cmp("optim.name", "==", "adam")),
        ('s == "a\\"b\\\\c\\n\\u00e9"', cmp("s", "==", 'a"b\\c\né')),
        ("flag == TRUE", cmp("flag", "==", True)),
        ("flag != false", cmp("flag", "!=", False)),
        ("lr == null", cmp("lr", "==", None)),
        ('o in ["adam", 1, null, true,]', cmp("o", "in", ("adam", 1, None, True))),
        ("o not in []", cmp("o", "not in", ())),
        ('tags contains "x"', cmp("tags", "contains", "x")),
        ('tags not contains "x"', cmp("tags", "not contains", "x")),
        ('name like "run-*"', cmp("name", "like", "run-*")),
        ('name NOT LIKE "run-*"', cmp("name", "not like", "run-*")),
        ("layers.0.units > 3", cmp("layers.0.units", ">", 3)),
        ("params.in == 1", cmp("params.in", "==", 1)),
        ("`my key`.`a``b` == 1", cmp("my key.a`b", "==", 1)),
        ("größe == 'ü'", cmp("größe", "==", "ü")),
        ('"x" in tags', Compare(Literal("x"), "in", Name("tags"))),
        ("min(val_loss) < 0.2", Compare(Call("min", Name("val_loss")), "<", Literal(0.2))),
        ("LAST(metrics.acc) >= 1", Compare(Call("last", Name("metrics.acc")), ">=", Literal(1))),
    ],
)
def test_comparisons(text: str, tree: Compare) -> None:
    assert parse_filter(text) == tree


def test_and_binds_tighter_than_or_and_not_tighter_than_and() -> None:
    a, b, c = cmp("a", "==", 1), cmp("b", "==", 2), cmp("c", "==", 3)
    assert parse_filter("a == 1 or b == 2 and c == 3") == Or((a, And((b, c))))
    assert parse_filter("not a == 1 and b == 2") == And((Not(a), b))
    assert parse_filter("not (a == 1 and b == 2)") == Not(And((a, b)))
    assert parse_filter("(a == 1 or b == 2) and c == 3") == And((Or((a, b)), c))
    assert parse_filter("a == 1 and (b == 2 and c == 3)") == And((a, And((b, c))))
    assert parse_filter("not not a == 1") == Not(Not(a))


def test_positions_point_at_the_source() -> None:
    tree = parse_filter("lr  <  3")
    assert isinstance(tree, Compare)
    assert (tree.left.pos, tree.pos, tree.right.pos) == (0, 4, 7)


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ("lr < ", "expected a value after '<'", 5),
        ("lr", "expected an operator (==, !=, <, <=, >, >=, in, contains, like) after 'lr'", 2),
        ("lr = 3", "unexpected character '=' (use '==' to compare)", 3),
        ("a == 1 && b == 2", "unexpected character '&' (use 'and')", 7),
        ("(a == 1", "expected ')' to close the '(' at column 1", 7),
        ("a == 1 b == 2", "unexpected 'b' after a complete condition", 7),
        ("", "empty query", 0),
        ("   ", "empty query", 3),
        ('s == "abc', 'unterminated string: add the closing "', 5),
        ("s == 'a\\q'", "unknown escape \\q", 7),
        ("a == [1, 2", "expected ']' to close the '[' at column 6", 10),
        ("a == [1 2]", "expected ',' or ']' in the list", 8),
        ("a == [x]", "expected a value in the list", 6),
        ("foo(x) < 1", "unknown function 'foo'", 0),
        ("min(1) < 1", "expected a metric name inside min(...)", 4),
        ("1x == 2", "invalid number '1x'", 0),
        ("a == ", "expected a value after '=='", 5),
        ("not", "expected a condition after 'not'", 3),
        ("a.", "expected a name after '.'", 2),
        ("a == 1 and", "expected a name or value, found the end of the query", 10),
        ("`` == 1", "empty name between backticks", 0),
        ("a == @", "unexpected character '@'", 5),
    ],
)
def test_syntax_errors_say_what_and_where(text: str, message: str, column: int) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse_filter(text)
    error = info.value
    assert error.reason.startswith(message)
    assert error.column == column
    lines = str(error).splitlines()
    assert lines[0].endswith(f"at column {column + 1}")
    assert lines[2] == "  " + " " * column + "^"


def test_syntax_errors_are_value_errors_and_query_errors() -> None:
    with pytest.raises(ValueError, match="expected a value"):
        parse_filter("lr <")
    assert issubclass(QuerySyntaxError, QueryError)


def test_nesting_is_bounded() -> None:
    deep = "(" * (MAX_DEPTH + 5) + "a == 1" + ")" * (MAX_DEPTH + 5)
    with pytest.raises(QuerySyntaxError, match="nested too deeply"):
        parse_filter(deep)
    with pytest.raises(QuerySyntaxError, match="nested too deeply"):
        parse_filter("not " * 10_000 + "a == 1")
    ok = "(" * 20 + "a == 1" + ")" * 20
    assert parse_filter(ok) == cmp("a", "==", 1)


@pytest.mark.parametrize(
    ("text", "keys"),
    [
        ("-val_acc", [SortKey(Name("val_acc"), True)]),
        ("-val_acc,lr", [SortKey(Name("val_acc"), True), SortKey(Name("lr"), False)]),
        ("+name", [SortKey(Name("name"), False)]),
        (
            " -min(val_loss) , optim.name ",
            [SortKey(Call("min", Name("val_loss")), True), SortKey(Name("optim.name"), False)],
        ),
    ],
)
def test_sort_keys(text: str, keys: list[SortKey]) -> None:
    assert parse_sort(text) == keys


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty sort"),
        ("-", "expected a name to sort by"),
        ("a b", "expected ',' between sort keys"),
        ("a,", "expected a name to sort by"),
        ("-1", "expected a name to sort by"),
    ],
)
def test_sort_errors(text: str, message: str) -> None:
    with pytest.raises(QuerySyntaxError, match=message):
        parse_sort(text)
