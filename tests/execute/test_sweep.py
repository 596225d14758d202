"""``hyperlab sweep`` / ``hl.sweep``: enqueue, start workers, follow the queue until it drains."""

from __future__ import annotations

import shlex
import signal
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

import hyperlab as hl
from hyperlab.cli.main import cli
from hyperlab.cli.sweep_cmds import command_template
from hyperlab.execute.templates import render_command
from hyperlab.store import Store

TRAIN = textwrap.dedent(
    """
    import json, sys
    args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
    lr, bs = float(args["--lr"]), int(args["--bs"])
    print(json.dumps({"step": 0, "loss": abs(lr - 0.01) + bs / 1000}))
    """
)

FUNCTIONS = textwrap.dedent(
    """
    def score(x, kind):
        return {"loss": (x - 0.25) ** 2 + (1.0 if kind == "a" else 0.0)}
    """
)

LITERAL = st.text(
    alphabet=st.characters(blacklist_characters="{}\x00", blacklist_categories=("Cs",)),
    min_size=1,
    max_size=12,
)
VALUE = st.text(
    alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
    max_size=12,
)


@given(before=LITERAL, after=LITERAL, value=VALUE, plain=st.lists(LITERAL, max_size=3))
def test_command_template_keeps_each_word_whole(
    before: str, after: str, value: str, plain: list[str]
) -> None:
    """Whatever the words and values, the shell sees exactly the words the user typed."""
    words = [*plain, f"{before}{{v}}{after}"]
    command = render_command(command_template(words), {"v": value})
    assert shlex.split(command) == [*plain, f"{before}{value}{after}"]


def test_command_template_examples() -> None:
    assert command_template(["python", "train.py", "--lr", "{lr}"]) == (
        "python train.py --lr {lr}"
    )
    assert command_template(["python", "my script.py", "--bs={bs}"]) == (
        "python 'my script.py' --bs={bs}"
    )


def _invoke(store: Store, *args: str) -> Any:
    return CliRunner().invoke(
        cli, ["--store", store.url, *args], catch_exceptions=False, env={"COLUMNS": "200"}
    )


def test_sweep_cli_runs_a_grid_with_local_workers(store: Store, tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(TRAIN)
    result = _invoke(
        store,
        "sweep",
        "grid-cli",
        "--space",
        "lr=[0.1,0.01] bs=[16,32]",
        "--workers",
        "2",
        "--idle-exit-s",
        "2",
        "--metric",
        "loss",
        "--direction",
        "min",
        "--",
        sys.executable,
        "train.py",
        "--lr",
        "{lr}",
        "--bs",
        "{bs}",
    )
    assert result.exit_code == 0, result.output
    assert "queued 4 run(s)" in result.output
    assert "done 4" in result.output and "failed 0" in result.output
    assert "best loss 0.016" in result.output
    frame = hl.query(None, study="grid-cli", store=store)
    assert sorted(frame["state"]) == ["completed"] * 4
    assert sorted(frame["metrics.loss"].round(3)) == [0.016, 0.032, 0.106, 0.122]


def test_sweep_tpe_from_python_reports_the_best_so_far(store: Store, tmp_path: Path) -> None:
    (tmp_path / "sweep_fns.py").write_text(FUNCTIONS)
    sw = hl.sweep(
        "tpe-lib",
        "x=uniform(0,1) kind=[a,b]",
        function="sweep_fns:score",
        sampler="tpe",
        n=6,
        workers=2,
        metric="loss",
        direction="min",
        seed=0,
        idle_exit_s=2,
        store=store,
    )
    statuses = list(sw.watch(poll_s=0.2, timeout_s=180))
    last = statuses[-1]
    assert last.finished and (last.done, last.failed, last.total) == (6, 0, 6)
    losses = list(hl.query(None, study="tpe-lib", store=store)["metrics.loss"])
    assert last.best == pytest.approx(min(losses))
    # The progress only moves forward.
    ended = [s.ended for s in statuses]
    assert ended == sorted(ended)


def test_worker_template_wraps_the_worker(store: Store, tmp_path: Path) -> None:
    (tmp_path / "sweep_fns2.py").write_text(FUNCTIONS)
    template = tmp_path / "job.sh"
    template.write_text("export FROM_TEMPLATE=yes\n{command}\n")
    sw = hl.sweep(
        "templated",
        "x=[0.1,0.2] kind=[b]",
        function="sweep_fns2:score",
        workers=1,
        template=str(template),
        idle_exit_s=1,
        store=store,
    )
    assert sw.wait(poll_s=0.2, timeout_s=180).done == 2
    assert sw.jobs is not None
    script = (Path(sw.jobs["work_dir"].iloc[0]) / "job.sh").read_text()
    assert script.startswith("#!/bin/bash\nexport FROM_TEMPLATE=yes\n")
    assert " worker --study templated" in script


def test_a_template_without_command_fails_before_queueing(store: Store, tmp_path: Path) -> None:
    bad = tmp_path / "bad.sh"
    bad.write_text("module load python\n")
    with pytest.raises(hl.HyperlabError, match=r"\{command\}"):
        hl.sweep("bad-template", "x=[1,2]", command="echo {x}", template=str(bad), store=store)
    with pytest.raises(hl.HyperlabError, match="unknown launcher"):
        hl.sweep("bad-template", "x=[1,2]", command="echo {x}", launcher="lsf", store=store)
    assert store.list_studies() == []  # nothing was written


def test_ctrl_c_leaves_the_queue_intact(store: Store, tmp_path: Path, helpers: Any) -> None:
    (tmp_path / "sweep_fns3.py").write_text(FUNCTIONS)
    proc = helpers.hyperlab_proc(
        store,
        tmp_path,
        "sweep",
        "interrupted",
        "--space",
        "x=[0.1,0.2,0.3] kind=[b]",
        "--workers",
        "0",
        "--function",
        "sweep_fns3:score",
    )

    def queued() -> int:
        if not store.list_studies(["interrupted"]):
            return 0
        return len(hl.queue("interrupted", store=store).ls())

    helpers.wait_for(lambda: queued() == 3, "the sweep to queue 3 runs")
    proc.send_signal(signal.SIGINT)
    code, _, err = helpers.finish(proc)
    assert code == 130, err
    assert "the queue is intact (3 queued, 0 running)" in err
    assert "resume with: hyperlab worker --study interrupted" in err
    # The hint works: a worker drains what the sweep queued.
    report = hl.worker("interrupted", store=store, idle_exit_s=0, echo=False)
    assert report.by_state == {"completed": 3}


def test_sweep_of_nothing_new_returns_at_once(store: Store) -> None:
    study = hl.study("nothing-new", store=store)
    study.record_run(params={"x": 1}, final={"loss": 1.0})
    result = _invoke(
        store, "sweep", "nothing-new", "--space", "x=[1]", "--workers", "0", "--", "echo", "{x}"
    )
    assert result.exit_code == 0, result.output
    assert "queued 0 run(s); skipped 1 already completed" in result.output
