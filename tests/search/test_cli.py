"""``hyperlab best``."""

from __future__ import annotations

import json

from click.testing import CliRunner

import hyperlab as hl
from hyperlab.cli.main import cli


def test_best_lists_the_top_runs_with_effective_params(store: hl.Store) -> None:
    study = hl.study("cli-best", directions={"acc": "max"}, defaults={"drop": 0.0}, store=store)
    for lr, acc in [(0.1, 0.7), (0.01, 0.9), (0.001, 0.8)]:
        study.record_run(params={"lr": lr}, final={"acc": acc})
    result = CliRunner().invoke(
        cli, ["--store", store.url, "best", "cli-best", "--n", "2", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [(r["lr"], r["acc"], r["drop"]) for r in rows] == [(0.01, 0.9, 0.0), (0.001, 0.8, 0.0)]


def test_best_reports_an_unknown_study(store: hl.Store) -> None:
    result = CliRunner().invoke(cli, ["--store", store.url, "best", "nope"])
    assert result.exit_code == 1
    assert "Error:" in result.output
    assert "nope" in result.output


def test_search_progress_callback_follows_the_search(study: hl.Study) -> None:
    from hyperlab.cli.search_progress import search_progress
    from hyperlab.search import TrialResult

    seen: list[TrialResult] = []
    with search_progress(4, "loss") as progress:
        study.optimize(
            lambda p: p["x"],
            space={"x": [3.0, 1.0, 2.0, 0.5]},
            sampler="grid",
            callbacks=[progress, seen.append],
        )
    assert [r.n_done for r in seen] == [1, 2, 3, 4]
    assert [r.best for r in seen] == [[3.0], [1.0], [1.0], [0.5]]
