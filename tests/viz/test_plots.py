"""``hl.plot``: figures hold the right traces, leave inputs alone, and save PNG and HTML."""

from __future__ import annotations

from pathlib import Path

import pytest

import hyperlab as hl
from hyperlab.errors import InvalidValueError
from hyperlab.store import Store
from hyperlab.viz.curves import load_curves
from hyperlab.viz.studyplots import importance_scores, pareto_mask, running_best

from .conftest import LRS, OPTIMS, PEAK, STEPS

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_plot_namespace_is_public() -> None:
    assert hl.plot.curves is hl.plot.curves
    for name in ("curves", "params", "scatter", "parallel", "history", "importance", "pareto"):
        assert callable(getattr(hl.plot, name))


def test_curves_one_line_per_run_with_best_step_marked(seeded: Store) -> None:
    frame = hl.query('state == "completed"', study="mnist", store=seeded)
    fig = hl.plot.curves(frame, "val_acc", store=seeded)
    lines = fig.spec.traces("curve")
    assert len(lines) == len(LRS) * len(OPTIMS)
    assert sorted(t.run_id for t in lines) == sorted(int(i) for i in frame.index)
    best = {t.run_id: (t.x[0], t.y[0]) for t in fig.spec.traces("best")}
    records = {r.id: r for r in seeded.get_runs(list(best))}
    for run_id, (step, value) in best.items():
        lr = records[run_id].params["lr"]
        assert step == PEAK[lr]  # val_acc is "max": the peak, not the last step
        line = next(t for t in lines if t.run_id == run_id)
        assert value == max(line.y)
    plotly_lines = [t for t in fig.to_plotly().data if t.meta["role"] == "curve"]
    assert len(plotly_lines) == len(lines)


def test_curves_legend_names_the_params_that_differ(seeded: Store) -> None:
    fig = hl.plot.curves(["mnist/1", "mnist/2"], "val_acc", store=seeded)
    names = [t.name for t in fig.spec.traces("curve")]
    assert names == ["mnist/1 optim.name=sgd", "mnist/2 optim.name=adam"]


def test_curves_from_an_expression_and_direction_override(seeded: Store) -> None:
    fig = hl.plot.curves("lr < 0.05", "loss", study="mnist", direction="max", store=seeded)
    lines = fig.spec.traces("curve")
    assert len(lines) == 4
    assert all(t.x[0] == 0.0 for t in fig.spec.traces("best"))  # loss is highest at step 0


def test_curves_stitch_a_forked_run_onto_its_parent(seeded: Store) -> None:
    child = seeded.resolve_run("mnist/7")
    stitched = load_curves(seeded, [child], "val_acc")[0]
    assert stitched.x.tolist() == [*range(10), *range(10, 15)]  # parent up to step 9, then child
    assert stitched.forks == [9.0]
    alone = load_curves(seeded, [child], "val_acc", stitched=False)[0]
    assert alone.x.tolist() == list(range(10, 15))
    fig = hl.plot.curves([child], "val_acc", store=seeded)
    assert [t.x for t in fig.spec.traces("fork")] == [[9.0]]


def test_curves_smoothing_and_downsampling(seeded: Store) -> None:
    raw = load_curves(seeded, [1], "val_acc")[0]
    smooth = load_curves(seeded, [1], "val_acc", smooth=0.9, max_points=6)[0]
    assert len(smooth.x) <= 6
    assert smooth.best == raw.best  # the best mark always uses raw values
    with pytest.raises(InvalidValueError, match="x must be one of"):
        load_curves(seeded, [1], "val_acc", x="epoch")


def test_params_grid_shape_and_input_frame_unchanged(seeded: Store) -> None:
    frame = hl.query('state == "completed"', study="mnist", store=seeded)
    before = frame.copy(deep=True)
    fig = hl.plot.params(frame, x=["lr", "optim.name"], y=["val_acc", "loss", "params.dropout"])
    assert (fig.spec.rows, fig.spec.cols) == (3, 2)
    assert {(p.row, p.col) for p in fig.spec.panels} == {
        (r, c) for r in range(3) for c in range(2)
    }
    lr_panel = fig.spec.panel(0, 0)
    assert lr_panel.xlabel == "lr"
    assert lr_panel.ylabel == "val_acc"
    assert lr_panel.xlog
    assert sorted(t.name for t in lr_panel.traces) == ["optim.name=adam", "optim.name=sgd"]
    adam = next(t for t in lr_panel.traces if t.name == "optim.name=adam")
    assert adam.x == sorted(LRS)
    optim_panel = fig.spec.panel(0, 1)
    assert len(optim_panel.traces) == len(LRS)  # hue = the other x (lr)
    assert frame.equals(before)
    assert list(frame.columns) == list(before.columns)


def test_params_rejects_unknown_columns(seeded: Store) -> None:
    frame = hl.query(study="mnist", store=seeded)
    with pytest.raises(InvalidValueError, match="unknown column 'nope'"):
        hl.plot.params(frame, x=["nope"], y=["val_acc"])


def test_scatter_and_parallel(seeded: Store) -> None:
    frame = hl.query('state == "completed"', study="mnist", store=seeded)
    fig = hl.plot.scatter(frame, "loss", "val_acc", hue="optim.name")
    assert sum(len(t.x) for t in fig.spec.traces("points")) == len(frame)
    par = hl.plot.parallel(frame)
    assert par.spec.parallel is not None
    labels = [d.label for d in par.spec.parallel.dimensions]
    assert labels[:2] == ["lr", "optim.name"]
    assert "val_acc" in labels
    optim = par.spec.parallel.dimensions[1]
    assert optim.ticktext == ["adam", "sgd"]


def test_history_importance_pareto(seeded: Store) -> None:
    fig = hl.plot.history("mnist", store=seeded)
    values = fig.spec.traces("points")[0].y
    assert len(values) == len(LRS) * len(OPTIMS)
    assert fig.spec.traces("running_best")[0].y == running_best(values, "max")
    imp = hl.plot.importance("mnist", "val_acc", store=seeded)
    bars = imp.spec.traces("bar")[0]
    assert set(bars.y) == {"lr", "optim.name"}
    front = hl.plot.pareto("mnist", store=seeded)
    assert front.spec.traces("front")[0].x
    with pytest.raises(InvalidValueError, match="no metric 'nope'"):
        hl.plot.history("mnist", "nope", store=seeded)


def test_importance_scores_find_the_param_that_matters() -> None:
    import pandas as pd

    frame = pd.DataFrame(
        {
            "params.a": [1, 1, 2, 2, 3, 3, 4, 4],
            "params.b": ["x", "y", "x", "y", "x", "y", "x", "y"],
            "params.same": [0] * 8,
            "metrics.m": [1.0, 1.1, 2.0, 2.1, 3.0, 3.1, 4.0, 4.1],
        }
    )
    scores = importance_scores(frame, "metrics.m")
    assert list(scores) == ["a", "b"]
    assert scores["a"] > 0.9 > 0.1 > scores["b"]


def test_pareto_mask() -> None:
    points = [(1.0, 5.0), (2.0, 2.0), (3.0, 3.0), (5.0, 1.0)]
    assert pareto_mask(points, ["min", "min"]) == [True, True, False, True]
    assert pareto_mask(points, ["max", "max"]) == [True, False, True, True]


@pytest.mark.parametrize("suffix", [".png", ".html", ".svg"])
@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)  # rendering: one backend
def test_figures_save_by_extension(seeded: Store, tmp_path: Path, suffix: str) -> None:
    frame = hl.query('state == "completed"', study="mnist", store=seeded)
    figures = {
        "curves": hl.plot.curves(frame, "val_acc", store=seeded),
        "params": hl.plot.params(frame, x=["lr", "optim.name"], y=["val_acc"]),
        "parallel": hl.plot.parallel(frame),
        "history": hl.plot.history("mnist", store=seeded),
        "importance": hl.plot.importance("mnist", store=seeded),
    }
    for name, fig in figures.items():
        path = fig.save(tmp_path / f"{name}{suffix}")
        data = path.read_bytes()
        if suffix == ".png":
            assert data.startswith(PNG_MAGIC)
        elif suffix == ".html":
            assert b"Plotly.newPlot" in data
            assert len(data) > 100_000
        else:
            assert b"<svg" in data
    assert "<div" in figures["curves"]._repr_html_()


def test_unknown_extension_is_an_error(seeded: Store, tmp_path: Path) -> None:
    fig = hl.plot.history("mnist", store=seeded)
    with pytest.raises(InvalidValueError, match=r"'.*out.txt'.*\.html"):
        fig.save(tmp_path / "out.txt")
    assert not (tmp_path / "out.txt").exists()


def test_steps_constant_matches_seed() -> None:
    assert max(PEAK.values()) < STEPS
