"""CLI: lineage tree, fork, extend, cache, reproduce, diff; lineage names in SQL; seeds."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

import hyperlab as hl
from hyperlab.cli.main import cli
from hyperlab.querying.lineage import LINEAGE_COLUMNS
from hyperlab.store import Store
from hyperlab.store.schema import runs


def _invoke(store_url: str, *args: str) -> Result:
    result = CliRunner().invoke(cli, ["--store", store_url, *args], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result


def _chain(store: Store) -> tuple[int, int, int, int]:
    study = hl.study("cur", store=store)
    with study.start_run({"lr": 0.1, "epochs": 4}) as root:
        for step in range(4):
            root.log(step=step, loss=1.0 / (step + 1))
            root.checkpoint(f"s{step}".encode(), step=step)
    with study.fork(root, step=1, changes={"lr": 0.01}) as child:
        child.log(loss=0.3)
        child.checkpoint(b"c2", step=2)
    with study.fork(child, changes={"lr": 0.001, "epochs": 8}) as grandchild:
        grandchild.log(loss=0.2)
    sibling = study.enqueue_fork(root, changes={"epochs": 10})
    return root.id, child.id, grandchild.id, sibling


def test_lineage_tree_shows_forks_and_changes(store: Store, store_url: str) -> None:
    root, child, _grandchild, sibling = _chain(store)
    out = _invoke(store_url, "lineage", "cur/3").output
    lines = out.splitlines()
    assert lines[0].startswith("cur/1 (id")
    assert "completed" in lines[0]
    assert any("cur/2" in ln and "fork after step 1" in ln and "lr=0.01" in ln for ln in lines)
    assert any(
        "cur/3" in ln and "fork after step 2" in ln and "lr=0.001" in ln and "<-" in ln
        for ln in lines
    )
    assert any("cur/4" in ln and "queued" in ln and "epochs=10" in ln for ln in lines)
    # cur/3 is drawn under cur/2, deeper than cur/2.
    depth = {n: next(i for i, ln in enumerate(lines) if n in ln) for n in ("cur/2", "cur/3")}
    assert depth["cur/3"] > depth["cur/2"]
    indent = {n: lines[depth[n]].index(n) for n in depth}
    assert indent["cur/3"] > indent["cur/2"]
    tree = json.loads(_invoke(store_url, "lineage", str(root), "--format", "json").output)
    assert [c["id"] for c in tree["children"]] == [child, sibling]
    assert tree["children"][0]["children"][0]["changes"] == {"lr": 0.001, "epochs": 8}


def test_lineage_query_columns(store: Store) -> None:
    root, child, grandchild, sibling = _chain(store)
    with store.read() as conn:

        def ids(condition: Any) -> list[int]:
            query = sa.select(runs.c.id).where(condition).order_by(runs.c.id)
            return [int(i) for i in conn.execute(query).scalars()]

        assert ids(LINEAGE_COLUMNS["is_fork"]) == [child, grandchild, sibling]
        assert ids(LINEAGE_COLUMNS["parent"] == child) == [grandchild]
        assert ids(LINEAGE_COLUMNS["root"] == root) == [root, child, grandchild, sibling]
        assert ids(LINEAGE_COLUMNS["fork_step"] == 2) == [grandchild]


def test_lineage_names_in_the_query_language_and_the_runs_table(
    store: Store, store_url: str
) -> None:
    root, child, grandchild, sibling = _chain(store)

    def ids(expr: str) -> list[int]:
        return sorted(hl.query(expr, study="cur", store=store).index.tolist())

    assert ids("is_fork == true") == [child, grandchild, sibling]
    assert ids("is_fork == false") == [root]
    assert ids(f"root == {root} and parent != {root}") == [root, grandchild]
    assert ids("fork_step == 2") == [grandchild]
    assert ids(f"parent == {child}") == [grandchild]
    frame = hl.query(study="cur", store=store)
    assert frame.loc[grandchild, "parent"] == child
    assert frame["parent"].isna()[root]
    table = _invoke(store_url, "ls", "--study", "cur", "--format", "json").output
    rows = {row["run"]: row for row in json.loads(table)}
    assert rows["cur/3"]["parent"] == child
    assert rows["cur/1"]["parent"] is None


def test_fork_and_extend_commands_queue_runs(store: Store, store_url: str) -> None:
    study = hl.study("cli", store=store)
    for epochs in (2, 4):
        with study.start_run({"lr": 0.1, "epochs": epochs}) as run:
            for step in range(epochs):
                run.log(step=step, loss=0.5)
                run.checkpoint(b"w", step=step)
    out = _invoke(store_url, "fork", "cli/2", "--step", "1", "--set", "lr=0.05").output
    assert "queued fork cli/3" in out
    assert "after step 1" in out
    assert "open_run(3)" in out
    forked = store.get_run(3)
    assert (forked.state, forked.params, forked.fork_step) == (
        "queued", {"lr": 0.05, "epochs": 4}, 1,
    )  # fmt: skip
    plan = json.loads(
        _invoke(store_url, "extend", "cli", "--set", "epochs=6", "--format", "json").output
    )
    assert [(p["parent"], p["from"], p["to"], p["fork_step"]) for p in plan] == [
        ("cli/2", 4.0, 6.0, 3)
    ]
    assert store.get_run(plan[0]["run_id"]).params == {"lr": 0.1, "epochs": 6}
    bad = CliRunner().invoke(cli, ["--store", store_url, "resume", "cli/1"])
    assert bad.exit_code == 1
    assert "fork or extend a completed run" in bad.output


def test_cache_commands(store: Store, store_url: str) -> None:
    with hl.study("a", store=store).start_run({"norm": "z"}) as run:
        run.stage("prep", depends_on=["norm"]).save([1, 2, 3])
    listed = json.loads(_invoke(store_url, "cache", "ls", "--format", "json").output)
    assert [(e["name"], e["depends"], e["created_by"]) for e in listed] == [
        ("prep", {"norm": "z"}, run.id)
    ]
    assert "removed 0 folders" in _invoke(store_url, "cache", "gc").output
    assert "removed 1 cache entries" in _invoke(store_url, "cache", "rm", "prep", "--yes").output
    assert "the cache is empty" in _invoke(store_url, "cache", "ls").output


def test_reproduce_and_diff(store: Store, store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    study = hl.study("rep", defaults={"dropout": 0.1}, store=store)
    with study.start_run({"lr": 0.1}) as run:
        seed = run.set_seed()
        drawn = random.random()
    with study.start_run({"lr": 0.2, "dropout": 0.3}) as other:
        pass
    out = _invoke(store_url, "reproduce", str(run.id))
    assert f"queued reproduction (id {other.id + 1}) of rep/1" in out.output
    copy = store.get_run(other.id + 1)
    assert (copy.state, copy.params, copy.parent_run_id, copy.fork_step) == (
        "queued", {"dropout": 0.1, "lr": 0.1}, run.id, None,
    )  # fmt: skip
    with study.open_run(copy.id) as again:
        assert again.set_seed() == seed
        assert random.random() == drawn  # the same seed gives the same draws
    rows = json.loads(
        _invoke(store_url, "diff", str(run.id), str(other.id), "--format", "json").output
    )
    params = {
        r["key"]: (r[str(run.id)], r[str(other.id)]) for r in rows if r["section"] == "params"
    }
    assert params == {"lr": (0.1, 0.2), "dropout": (0.1, 0.3)}
    same = _invoke(store_url, "diff", str(run.id), str(copy.id), "--format", "json").output
    assert json.loads(same) == []  # same params, code and environment


def test_seed_param_wins(store: Store) -> None:
    with hl.study("s", store=store).start_run({"seed": 7}) as run:
        assert run.set_seed(123) == 7
    assert store.get_run(run.id).meta["seed"] == 7


def test_reproduce_warns_when_environment_differs(store: Store, store_url: str) -> None:
    with hl.study("rep", store=store).start_run({"lr": 0.1}) as run:
        pass
    record = store.get_run(run.id)
    packages = {**record.env.get("packages", {}), "numpy": "0.0.1"}
    store.update_run(run.id, env={**record.env, "packages": packages}, git_dirty=True)
    out = _invoke(store_url, "reproduce", run.ref).output
    assert "warning: package numpy: run used 0.0.1, now " in out
    assert "ran from a dirty work tree" in out
