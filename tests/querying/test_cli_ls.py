"""``hyperlab ls EXPR`` uses the same language: selection, sort order and error messages."""

from __future__ import annotations

import json

from click.testing import CliRunner, Result

from hyperlab.cli.main import cli
from hyperlab.store import Store


def ls(store: Store, *args: str) -> Result:
    return CliRunner().invoke(
        cli, ["--store", store.url, "ls", *args], catch_exceptions=False, terminal_width=200
    )


def refs(result: Result) -> list[str]:
    assert result.exit_code == 0, result.output
    return [row["run"] for row in json.loads(result.output)]


def test_ls_filters_and_sorts_best_first_with_missing_last(qstore: Store) -> None:
    result = ls(
        qstore, 'optim.name in ["adam", "sgd"] or state == "failed"', "-s", "q", "--format", "json"
    )
    assert refs(result) == ["q/2", "q/3", "q/5", "q/1", "q/4"]


def test_ls_sort_and_limit(qstore: Store) -> None:
    result = ls(qstore, "lr > 0", "--sort", "-lr", "--limit", "2", "--format", "json")
    assert refs(result) == ["q/1", "q/5"]
    result = ls(qstore, "--study", "q", "--sort", "min(val_loss)", "--format", "json")
    assert refs(result) == ["q/2", "q/1", "q/3", "q/4", "q/5"]


def test_ls_defaults_tags_and_aggregates(qstore: Store) -> None:
    assert refs(ls(qstore, "dropout == 0 and lr < 0.02", "-s", "q", "--format", "json")) == [
        "q/2",
        "q/3",
    ]
    assert refs(ls(qstore, 'tags contains "fast"', "-s", "q", "--format", "json")) == ["q/2"]
    assert refs(
        ls(qstore, "count(val_loss) >= 2", "-s", "q", "--sort", "number", "--format", "json")
    ) == ["q/1", "q/2"]


def test_ls_syntax_error_shows_the_text_and_a_caret(qstore: Store) -> None:
    result = ls(qstore, "lr < 0.1 and and")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "Error: expected a name or value, found 'and' at column 14"
    assert lines[1].strip() == "lr < 0.1 and and"
    assert lines[2].index("^") == lines[1].index("and and") + 4


def test_ls_unknown_name_suggests_close_matches(qstore: Store) -> None:
    result = ls(qstore, "optim.nme == 'adam'", "-s", "q")
    assert result.exit_code == 1
    assert "unknown name 'optim.nme'" in result.output
    assert "did you mean 'optim.name'" in result.output


def test_ls_ambiguous_name_suggests_prefixes(qstore: Store) -> None:
    result = ls(qstore, "score > 0", "-s", "amb")
    assert result.exit_code == 1
    assert "write params.score or metrics.score" in result.output
