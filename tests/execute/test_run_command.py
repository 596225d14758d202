"""``hyperlab run -- CMD``: a real child process tracked end to end."""

from __future__ import annotations

import signal
import textwrap
from pathlib import Path
from typing import Any

import pytest

from hyperlab.store import Store

TRAIN = textwrap.dedent(
    """
    import json, os, sys
    import hyperlab as hl

    for step in range(3):
        print(json.dumps({"step": step, "loss": 1.0 / (step + 1)}), flush=True)
    print("an ordinary line", flush=True)
    print('{"level": "info", "msg": "not a metric"}', flush=True)
    with open(os.environ["HYPERLAB_METRICS"], "a") as out:
        out.write(json.dumps({"step": 0, "acc": 0.5}) + "\\n")
        out.write(json.dumps({"step": 1, "acc": 0.75}) + "\\n")
    run_dir = os.environ["HYPERLAB_RUN_DIR"]
    with open(os.path.join(run_dir, "final.metrics"), "w") as out:
        out.write("product quotient\\n6 1.5\\n8 2.0\\n")
    run = hl.current_run()
    assert run is not None and run.id == int(os.environ["HYPERLAB_RUN_ID"])
    run.log(step=7, from_api=3.0)
    print("warning: to stderr", file=sys.stderr)
    sys.exit(int(os.environ.get("EXIT_CODE", "0")))
    """
)


def _points(store: Store, run_id: int) -> dict[str, list[tuple[int, float]]]:
    return {p.key: list(zip(p.steps, p.values, strict=True)) for p in store.read_points([run_id])}


def test_a_command_is_tracked_end_to_end(store: Store, tmp_path: Path, helpers: Any) -> None:
    (tmp_path / "train.py").write_text(TRAIN)
    proc = helpers.hyperlab_proc(
        store,
        tmp_path,
        "run",
        "--study",
        "cli",
        "--set",
        "seed=1",
        "--set",
        "lr=0.5",
        "--",
        "python",
        "train.py",
        "--lr",
        "0.1",
        "--layers=3",
        "optim=adam",
    )
    code, out, err = helpers.finish(proc)
    assert code == 0, err
    assert "an ordinary line" in out  # shown live
    assert "warning: to stderr" in err
    run = store.get_run(store.resolve_run("cli/1"))
    assert run.state == "completed"
    assert run.params == {"lr": 0.5, "layers": 3, "optim": "adam", "seed": 1}
    assert run.command == "python train.py --lr 0.1 --layers=3 optim=adam"
    run_dir = Path(run.run_dir or "")
    assert "an ordinary line" in (run_dir / "stdout.log").read_text()
    assert "warning: to stderr" in (run_dir / "stderr.log").read_text()
    points = _points(store, run.id)
    assert points["loss"] == [(0, 1.0), (1, 0.5), (2, pytest.approx(1 / 3))]
    assert points["acc"] == [(0, 0.5), (1, 0.75)]
    assert points["product"] == [(0, 6.0), (1, 8.0)]
    assert points["quotient"] == [(0, 1.5), (1, 2.0)]
    assert points["from_api"] == [(7, 3.0)]
    assert "level" not in points
    assert "msg" not in points


def test_a_failing_exit_code_fails_the_run(store: Store, tmp_path: Path, helpers: Any) -> None:
    script = tmp_path / "boom.py"
    script.write_text("import sys\nprint('bad input', file=sys.stderr)\nsys.exit(3)\n")
    code, _out, err = helpers.finish(
        helpers.hyperlab_proc(store, tmp_path, "run", "--", "python", "boom.py")
    )
    assert code == 3
    run = store.get_run(store.resolve_run("boom/1"))
    assert run.state == "failed"
    assert "exited with code 3" in (run.error or "")
    assert "bad input" in (run.error or "")
    assert "failed" in err


def test_a_missing_program_is_a_clear_error(store: Store, tmp_path: Path, helpers: Any) -> None:
    code, _out, err = helpers.finish(
        helpers.hyperlab_proc(store, tmp_path, "run", "--study", "x", "--", "no-such-program-xyz")
    )
    assert code == 1
    assert "cannot start command" in err
    assert "no-such-program-xyz" in err
    assert store.get_run(store.resolve_run("x/1")).state == "failed"


def test_sigterm_interrupts_the_command_and_the_run(
    store: Store, tmp_path: Path, helpers: Any
) -> None:
    started = tmp_path / "started"
    (tmp_path / "wait.py").write_text(
        f"import pathlib, time\npathlib.Path({str(started)!r}).touch()\ntime.sleep(120)\n"
    )
    proc = helpers.hyperlab_proc(store, tmp_path, "run", "--study", "w", "--", "python", "wait.py")
    helpers.wait_for(started.exists, "the command to start")
    proc.send_signal(signal.SIGTERM)
    code, _out, _err = helpers.finish(proc)
    assert code == 128 + signal.SIGTERM
    assert store.get_run(store.resolve_run("w/1")).state == "interrupted"
