"""``hyperlab plot curves|params|scatter|parallel|history|importance|pareto``: figures to files.

The output file's extension picks the renderer: ``.png``/``.svg``/``.pdf`` (matplotlib) or
``.html`` (interactive plotly).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from hyperlab.cli.context import CliContext


def _output(func: Any) -> Any:
    return click.option(
        "--output",
        "-o",
        type=click.Path(dir_okay=False, path_type=Path),
        required=True,
        help="Image file: .png, .svg, .pdf (matplotlib) or .html (interactive plotly).",
    )(func)


def _studies(func: Any) -> Any:
    return click.option(
        "--study", "-s", "studies", multiple=True, help="Only this study; repeatable."
    )(func)


def _names(values: tuple[str, ...]) -> list[str]:
    """Names from a repeatable option that also takes lists: ``-x lr -x b`` or ``-x lr,b``."""
    return [n.strip() for v in values for n in v.split(",") if n.strip()]


def _frame(obj: CliContext, expr: str | None, studies: tuple[str, ...], limit: int | None) -> Any:
    from hyperlab.querying.frames import query

    return query(expr, study=list(studies) or None, limit=limit or None, store=obj.store())


def _saved(figure: Any, output: Path) -> None:
    path = figure.save(output)
    click.echo(f"wrote {path}")


@click.group("plot")
def plot_group() -> None:
    """Plot runs and studies to PNG (matplotlib) or interactive HTML (plotly).

    \b
    Examples:
      hyperlab plot curves 'lr < 0.01' -m val_loss -s mnist -o curves.png
      hyperlab plot params -s mnist -x lr -x batch -y val_acc -o params.html
      hyperlab plot history mnist -o history.png
    """


@plot_group.command("curves")
@click.argument("runs", nargs=-1)
@click.option("--metric", "-m", required=True, help="The metric to plot.")
@_studies
@click.option(
    "--x",
    "x_axis",
    type=click.Choice(["step", "time"]),
    default="step",
    show_default=True,
    help="X axis: step, or seconds since the first point.",
)
@click.option(
    "--smooth",
    type=float,
    default=0.0,
    show_default=True,
    help="Exponential smoothing weight in [0, 1).",
)
@click.option("--no-stitch", is_flag=True, help="Do not prepend parent runs' curves.")
@click.option(
    "--limit",
    "-n",
    type=int,
    default=20,
    show_default=True,
    help="At most N runs when RUNS is a query (best first).",
)
@_output
@click.pass_obj
def curves_cmd(
    obj: CliContext,
    runs: tuple[str, ...],
    metric: str,
    studies: tuple[str, ...],
    x_axis: str,
    smooth: float,
    no_stitch: bool,
    limit: int,
    output: Path,
) -> None:
    """Learning curves: one line per run, best step starred.

    RUNS is one query expression ('lr < 0.01') or run references (42, mnist/3, best);
    none means the best runs of the studies.
    """
    from hyperlab.viz.curves import curves

    target: Any = None
    if len(runs) == 1:
        target = runs[0]
    elif runs:
        target = list(runs)
    figure = curves(
        target,
        metric,
        study=list(studies) or None,
        x=x_axis,
        smooth=smooth,
        stitched=not no_stitch,
        limit=limit,
        store=obj.store(),
    )
    _saved(figure, output)


@plot_group.command("params")
@click.argument("expr", required=False)
@_studies
@click.option("-x", "xs", multiple=True, required=True, help="Param(s) for the grid columns.")
@click.option("-y", "ys", multiple=True, required=True, help="Metric(s) for the grid rows.")
@click.option("--hue", multiple=True, help="Split lines by these columns (default: other x).")
@click.option("--limit", "-n", type=int, default=None, help="At most N runs.")
@_output
@click.pass_obj
def params_cmd(
    obj: CliContext,
    expr: str | None,
    studies: tuple[str, ...],
    xs: tuple[str, ...],
    ys: tuple[str, ...],
    hue: tuple[str, ...],
    limit: int | None,
    output: Path,
) -> None:
    """Metrics against params: a grid of len(y) rows by len(x) columns."""
    from hyperlab.viz.frameplots import params

    frame = _frame(obj, expr, studies, limit)
    figure = params(frame, _names(xs), _names(ys), hue=_names(hue) or None)
    _saved(figure, output)


@plot_group.command("scatter")
@click.argument("expr", required=False)
@_studies
@click.option("-x", "x", required=True, help="Column for the x axis.")
@click.option("-y", "y", required=True, help="Column for the y axis.")
@click.option("--hue", help="Colour points by this column.")
@click.option("--limit", "-n", type=int, default=None, help="At most N runs.")
@_output
@click.pass_obj
def scatter_cmd(
    obj: CliContext,
    expr: str | None,
    studies: tuple[str, ...],
    x: str,
    y: str,
    hue: str | None,
    limit: int | None,
    output: Path,
) -> None:
    """One metric (or param) against another, a point per run."""
    from hyperlab.viz.frameplots import scatter

    _saved(scatter(_frame(obj, expr, studies, limit), x, y, hue=hue), output)


@plot_group.command("parallel")
@click.argument("expr", required=False)
@_studies
@click.option("--columns", "-c", help="Comma-separated axes (default: varying params, metrics).")
@click.option("--color", help="Column that colours the lines (default: the first metric).")
@click.option("--limit", "-n", type=int, default=None, help="At most N runs.")
@_output
@click.pass_obj
def parallel_cmd(
    obj: CliContext,
    expr: str | None,
    studies: tuple[str, ...],
    columns: str | None,
    color: str | None,
    limit: int | None,
    output: Path,
) -> None:
    """Parallel coordinates of params and metrics, a line per run."""
    from hyperlab.viz.frameplots import parallel

    chosen = [c.strip() for c in columns.split(",") if c.strip()] if columns else None
    _saved(parallel(_frame(obj, expr, studies, limit), chosen, color=color), output)


def _study_metric_plot(name: str, help_text: str) -> None:
    """Add ``plot NAME STUDY [--metric M]``, drawn by ``hyperlab.viz.studyplots.<NAME>``."""

    @plot_group.command(name, help=help_text)
    @click.argument("study")
    @click.option("--metric", "-m", help="The metric (default: the study's main metric).")
    @_output
    @click.pass_obj
    def command(obj: CliContext, study: str, metric: str | None, output: Path) -> None:
        from hyperlab.viz import studyplots

        plot = getattr(studyplots, name)
        _saved(plot(study, metric, store=obj.store()), output)


_study_metric_plot(
    "history", "Optimization history of STUDY: each completed run's value and the best so far."
)
_study_metric_plot(
    "importance",
    "Param importance in STUDY: the share of the metric's variance each param explains.",
)


@plot_group.command("pareto")
@click.argument("study")
@click.option(
    "--metric",
    "-m",
    "metrics",
    multiple=True,
    help="Two metrics (default: the study's first two declared directions).",
)
@_output
@click.pass_obj
def pareto_cmd(obj: CliContext, study: str, metrics: tuple[str, ...], output: Path) -> None:
    """The Pareto front of two metrics in STUDY."""
    from hyperlab.viz.studyplots import pareto

    _saved(pareto(study, _names(metrics) or None, store=obj.store()), output)


COMMANDS = [plot_group]
