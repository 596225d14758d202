"""The OpenAPI 3 description of the JSON API (served at ``/api/openapi.json``)."""

from __future__ import annotations

from typing import Any

from hyperlab import __version__


def _param(
    name: str,
    description: str,
    schema: dict[str, Any],
    *,
    where: str = "query",
    required: bool = False,
) -> dict[str, Any]:
    return {
        "name": name,
        "in": where,
        "required": required or where == "path",
        "description": description,
        "schema": schema,
    }


def _get(summary: str, *params: dict[str, Any]) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "parameters": list(params),
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {}}},
                "400": {"description": "a parameter or the query text is not valid"},
                "404": {"description": "no such run or study"},
            },
        }
    }


STRING = {"type": "string"}
INT = {"type": "integer", "minimum": 0}
RUN_ID = _param("run_id", "run id", {"type": "integer", "minimum": 1}, where="path")


def openapi_spec() -> dict[str, Any]:
    """The API description as a dict."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "hyperlab dashboard API",
            "version": __version__,
            "description": "Read-only JSON views of a hyperlab store, plus queue actions "
            "(POST, X-Hyperlab-Token header required).",
        },
        "components": {
            "securitySchemes": {
                "token": {"type": "apiKey", "in": "header", "name": "X-Hyperlab-Token"}
            }
        },
        "paths": {
            "/api/openapi.json": _get("This description"),
            "/api/studies": _get("Studies: runs by state, best value, last activity"),
            "/api/studies/{study}/plots/{kind}": _get(
                "A study plot as plotly JSON",
                _param("study", "name or name@version", STRING, where="path"),
                _param(
                    "kind",
                    "plot kind",
                    {"type": "string", "enum": ["history", "parallel", "importance", "pareto"]},
                    where="path",
                ),
                _param("metric", "metric (default: the study's main metric)", STRING),
                _param("metrics", "pareto: two comma-separated metrics", STRING),
            ),
            "/api/runs": _get(
                "A page of runs matching a query",
                _param("q", "filter in the query language, e.g. lr < 0.01", STRING),
                _param("study", "study name or name@version (repeatable)", STRING),
                _param("sort", "sort keys, - for descending: -val_acc,lr", STRING),
                _param("limit", "page size", {"type": "integer", "minimum": 1, "maximum": 1000}),
                _param("offset", "rows to skip", INT),
            ),
            "/api/runs/{run_id}": _get("One run: params, metadata, lineage, summaries", RUN_ID),
            "/api/runs/{run_id}/files": _get(
                "Files in the run directory and stdout/stderr tails", RUN_ID
            ),
            "/api/metrics": _get(
                "Metric keys of some runs (or of the store)",
                _param("runs", "comma-separated run ids", STRING),
            ),
            "/api/curves": _get(
                "Curves of runs for one metric, downsampled keeping extremes",
                _param("runs", "comma-separated run ids", STRING, required=True),
                _param("metric", "metric key", STRING, required=True),
                _param("x", "x axis", {"type": "string", "enum": ["step", "time"]}),
                _param("smooth", "smoothing weight in [0, 1)", {"type": "number"}),
                _param("stitched", "prepend parent runs' points", {"type": "boolean"}),
                _param("max_points", "points per curve", {"type": "integer", "minimum": 4}),
            ),
            "/api/queue": _get("Queued, running and failed runs with counts"),
            "/api/queue/{action}": {
                "post": {
                    "summary": "Pause, resume, cancel or retry runs",
                    "security": [{"token": []}],
                    "parameters": [
                        _param(
                            "action",
                            "what to do",
                            {"type": "string", "enum": ["pause", "resume", "cancel", "retry"]},
                            where="path",
                        )
                    ],
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "runs": {"type": "array", "items": {"type": "integer"}},
                                        "all": {"type": "boolean"},
                                    },
                                }
                            }
                        }
                    },
                    "responses": {
                        "200": {"description": "how many runs changed"},
                        "403": {"description": "the token header is missing or wrong"},
                    },
                }
            },
        },
    }
