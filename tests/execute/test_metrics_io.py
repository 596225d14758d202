"""Metrics from JSON lines, a JSON-lines file and .metrics tables."""

from __future__ import annotations

from pathlib import Path

from hyperlab.execute.metrics_io import (
    JsonLinesTail,
    MetricRow,
    parse_json_line,
    parse_metrics_table,
    read_metrics_tables,
)


def test_json_lines_with_numbers_are_metrics() -> None:
    assert parse_json_line('{"step": 3, "loss": 0.12}') == MetricRow(3, {"loss": 0.12})
    assert parse_json_line('{"epoch": 1, "acc": 1, "skip": null}') == MetricRow(1, {"acc": 1.0})
    assert parse_json_line('  {"loss": 2}\n') == MetricRow(None, {"loss": 2.0})


def test_other_lines_are_plain_output() -> None:
    for line in [
        "hello",
        '{"level": "info", "n": 1}',
        "{not json}",
        "[1, 2]",
        '{"step": 1}',
        '{"ok": true}',
    ]:
        assert parse_json_line(line) is None


def test_whitespace_and_csv_tables() -> None:
    assert parse_metrics_table("product quotient\n6 1.5\n") == [
        MetricRow(0, {"product": 6.0, "quotient": 1.5})
    ]
    rows = parse_metrics_table("epoch,loss,note\n5,0.5,warm\n6,0.4,\n")
    assert rows == [MetricRow(5, {"loss": 0.5}), MetricRow(6, {"loss": 0.4})]


def test_tables_in_a_run_directory(tmp_path: Path) -> None:
    (tmp_path / "a.metrics").write_text("x\n1\n2\n")
    (tmp_path / "notes.txt").write_text("x\n9\n")
    assert read_metrics_tables(tmp_path) == [MetricRow(0, {"x": 1.0}), MetricRow(1, {"x": 2.0})]


def test_tail_reads_only_complete_new_lines(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    tail = JsonLinesTail(path)
    assert tail.read_new() == []
    with path.open("a") as handle:
        handle.write('{"a": 1}\n{"a": ')
    assert tail.read_new() == [MetricRow(None, {"a": 1.0})]
    with path.open("a") as handle:
        handle.write("2}\n")
    assert tail.read_new() == [MetricRow(None, {"a": 2.0})]
    with path.open("a") as handle:
        handle.write('{"a": 3}')
    assert tail.read_new() == []
    assert tail.read_new(final=True) == [MetricRow(None, {"a": 3.0})]
