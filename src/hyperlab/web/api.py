"""The JSON API under ``/api/``: studies, runs (filtered, sorted, paginated), curves, plots.

Handlers are synchronous (Starlette runs them in a thread pool) and call the library:
:mod:`hyperlab.querying` for the query language, :mod:`hyperlab.viz` for curves and plots.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hyperlab.errors import InvalidValueError
from hyperlab.querying.run_view import effective_params, run_dir, run_fields
from hyperlab.store import Store
from hyperlab.store import lineage as lineage_sql
from hyperlab.web.jsonio import JSON, bool_arg, float_arg, id_list, int_arg

PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
MAX_CURVE_POINTS = 20_000
DEFAULT_CURVE_POINTS = 2000
TAIL_BYTES = 16_000
MAX_FILES = 200
REFRESH_INTERVAL_S = 10.0
RUN_FIELDS_SHOWN = ("run_id", "ref", "state", "tags", "created", "duration")
PLOT_KINDS = ("history", "parallel", "importance", "pareto")


class Api:
    """The API handlers bound to one store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._refreshed = 0.0

    def routes(self) -> list[Route]:
        """Starlette routes of the API."""
        return [
            Route("/api/studies", self.studies),
            Route("/api/studies/{study}/plots/{kind}", self.study_plot),
            Route("/api/runs", self.runs),
            Route("/api/runs/{run_id:int}", self.run),
            Route("/api/runs/{run_id:int}/files", self.run_files),
            Route("/api/metrics", self.metrics),
            Route("/api/curves", self.curves),
        ]

    def _refresh(self) -> None:
        """Mark dead runs lost (at most every few seconds: it is a write)."""
        from hyperlab.querying.selection import refresh_states

        now = time.monotonic()
        if now - self._refreshed >= REFRESH_INTERVAL_S:
            refresh_states(self.store)
            self._refreshed = now

    def studies(self, request: Request) -> JSON:
        """Per study: runs by state, best value of its main metric, last activity."""
        self._refresh()
        return JSON({"studies": self.store.study_overview()})

    def runs(self, request: Request) -> JSON:
        """One page of runs matching ``q`` (the query language), sorted by ``sort``."""
        from hyperlab.querying.selection import (
            build_context,
            default_sort,
            select_ids,
            select_studies,
        )
        from hyperlab.querying.table import collect

        args = request.query_params
        limit = int_arg(args, "limit", PAGE_SIZE, 1, MAX_PAGE_SIZE)
        offset = int_arg(args, "offset", 0, 0, 10**12)
        expr = args.get("q") or None
        sort = args.get("sort") or None
        names = [s for s in args.getlist("study") if s] or None
        self._refresh()
        records = select_studies(self.store, names)
        if not records:
            return JSON({"total": 0, "offset": offset, "limit": limit, "columns": [], "rows": []})
        ctx = build_context(self.store, records)
        ids = select_ids(self.store, expr, records, ctx, sort or default_sort(records), None)
        page = ids[offset : offset + limit]
        table = collect(self.store, page, ctx)
        params = table.param_columns
        varying = table.varying(params) if len(page) > 1 else params
        ordered_params = varying + [p for p in params if p not in varying]
        columns = [*RUN_FIELDS_SHOWN, *ordered_params, *table.metric_columns]
        rows = []
        for i, run_id in enumerate(table.ids):
            row: dict[str, Any] = {"run_id": run_id}
            row["ref"] = f"{table.columns['study'][i]}/{table.columns['number'][i]}"
            for name in columns[2:]:
                row[name] = table.columns[name][i]
            rows.append(row)
        return JSON(
            {
                "total": len(ids),
                "offset": offset,
                "limit": limit,
                "sort": sort or default_sort(records),
                "columns": columns,
                "varying": varying,
                "defaulted": {k: v for k, v in table.defaulted.items() if any(v)},
                "rows": rows,
            }
        )

    def run(self, request: Request) -> JSON:
        """One run: params (effective, defaults marked), metadata, lineage, summaries."""
        run_id = int(request.path_params["run_id"])
        self._refresh()
        record = self.store.get_run(run_id)
        study = self.store.study_by_id(record.study_id)
        params, defaulted = effective_params(record, study)
        with self.store.read() as conn:
            chain = lineage_sql.ancestors(conn, run_id)[1:]  # parent, grandparent, ...
            forks = lineage_sql.descendants(conn, run_id).children
        lineage = [{"run_id": n.id, "ref": n.ref, "state": n.state} for n in chain]
        children = [
            {"run_id": n.id, "ref": n.ref, "state": n.state, "fork_step": n.fork_step}
            for n in forks
        ]
        return JSON(
            {
                "run_id": record.id,
                "ref": record.ref,
                **run_fields(self.store, record, study),
                "params": params,
                "defaulted": defaulted,
                "fork_step": record.fork_step,
                "changes": record.changes,
                "ancestors": lineage,
                "children": children,
            }
        )

    def run_files(self, request: Request) -> JSON:
        """Files in the run directory, and the tails of its stdout/stderr captures."""
        run_id = int(request.path_params["run_id"])
        record = self.store.get_run(run_id)
        root = Path(run_dir(self.store, record))
        files = []
        tails: dict[str, str] = {}
        if root.is_dir():
            for path in sorted(root.rglob("*"))[:MAX_FILES]:
                if path.is_file() and not path.is_symlink():
                    rel = path.relative_to(root).as_posix()
                    files.append({"path": rel, "bytes": path.stat().st_size})
                    if path.name.startswith(("stdout", "stderr")) or path.suffix == ".log":
                        tails[rel] = _tail(path)
        return JSON({"run_dir": str(root), "files": files, "tails": tails})

    def metrics(self, request: Request) -> JSON:
        """Metric keys logged by the given runs (``runs=1,2,3``), or by any run."""
        ids = id_list(request.query_params, "runs", limit=200)
        if ids:
            keys = sorted({k for run_id in ids for k in self.store.metric_summaries(run_id)})
        else:
            keys = sorted(self.store.known_keys()[1])
        return JSON({"metrics": keys})

    def curves(self, request: Request) -> JSON:
        """Curves of ``runs`` for ``metric``, downsampled on the server keeping extremes."""
        from hyperlab.viz.curves import load_curves

        args = request.query_params
        ids = id_list(args, "runs")
        metric = args.get("metric")
        if not metric:
            raise InvalidValueError("metric is required, e.g. /api/curves?runs=1,2&metric=loss")
        max_points = int_arg(args, "max_points", DEFAULT_CURVE_POINTS, 4, MAX_CURVE_POINTS)
        curves = load_curves(
            self.store,
            ids,
            metric,
            x=args.get("x") or "step",
            smooth=float_arg(args, "smooth", 0.0),
            stitched=bool_arg(args, "stitched", True),
            max_points=max_points,
        )
        return JSON({"metric": metric, "curves": [c.as_json() for c in curves]})

    def study_plot(self, request: Request) -> Response:
        """A study plot (``history``, ``parallel``, ``importance``, ``pareto``) as plotly JSON."""
        from hyperlab.viz import plot

        study = request.path_params["study"]
        kind = request.path_params["kind"]
        metric = request.query_params.get("metric") or None
        if kind == "history":
            figure = plot.history(study, metric, store=self.store)
        elif kind == "importance":
            figure = plot.importance(study, metric, store=self.store)
        elif kind == "pareto":
            metrics = [m for m in request.query_params.get("metrics", "").split(",") if m]
            figure = plot.pareto(study, metrics or None, store=self.store)
        elif kind == "parallel":
            from hyperlab.viz.studyplots import load_study_runs

            figure = plot.parallel(load_study_runs(study, self.store).frame)
        else:
            raise InvalidValueError(f"unknown plot {kind!r}; valid: {', '.join(PLOT_KINDS)}")
        return Response(figure.to_json(), media_type="application/json")


def _tail(path: Path) -> str:
    with path.open("rb") as handle:
        size = handle.seek(0, 2)
        handle.seek(max(0, size - TAIL_BYTES))
        return handle.read().decode("utf-8", errors="replace")
