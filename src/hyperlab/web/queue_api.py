"""Queue routes: what is queued, running and failed, and POST actions (token required).

``POST /api/queue/{pause|resume|cancel|retry}`` with a JSON body ``{"runs": [ids]}``, or
``{"all": true}`` for every run the action applies to.
"""

from __future__ import annotations

import json
import time
from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from hyperlab.errors import InvalidValueError
from hyperlab.store import RunState, Store
from hyperlab.web.jsonio import JSON

ACTIONS = ("pause", "resume", "cancel", "retry")
SHOWN_PER_STATE = 500
QUEUE_STATES = {
    "queued": (RunState.QUEUED,),
    "running": (RunState.RUNNING,),
    "failed": (RunState.FAILED, RunState.LOST, RunState.INTERRUPTED),
}


class QueueApi:
    """The queue handlers bound to one store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def routes(self) -> list[Route]:
        """Starlette routes of the queue API."""
        return [
            Route("/api/queue", self.overview),
            Route("/api/queue/{action}", self.act, methods=["POST"]),
        ]

    def overview(self, request: Request) -> JSON:
        """Counts by state (paused shown apart) and the queued, running and failed runs."""
        from hyperlab.store import queue

        with self.store.read() as conn:
            counts = queue.state_counts(conn, None)
            sections: dict[str, list[dict[str, Any]]] = {}
            for name, states in QUEUE_STATES.items():
                ids = queue.queue_ids(conn, None, list(states))
                rows = queue.queue_rows(conn, ids[:SHOWN_PER_STATE])
                sections[name] = [_row(r) for r in rows]
        return JSON({"counts": counts, **sections})

    async def act(self, request: Request) -> JSON:
        """Apply an action to runs; returns how many changed."""
        action = request.path_params["action"]
        if action not in ACTIONS:
            raise InvalidValueError(
                f"unknown queue action {action!r}; valid: {', '.join(ACTIONS)}"
            )
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            raise InvalidValueError(
                'the request body must be JSON like {"runs": [1, 2]}'
            ) from None
        if not isinstance(body, dict):
            raise InvalidValueError("the request body must be a JSON object")
        runs = body.get("runs", [])
        if not isinstance(runs, list) or not all(
            isinstance(r, int) and not isinstance(r, bool) for r in runs
        ):
            raise InvalidValueError(f"runs must be a list of run ids, got {runs!r}")
        from starlette.concurrency import run_in_threadpool

        changed = await run_in_threadpool(self._apply, action, runs, bool(body.get("all")))
        return JSON({"action": action, "changed": changed})

    def _apply(self, action: str, run_ids: list[int], every: bool) -> int:
        from hyperlab.store import queue

        with self.store.write() as conn:
            if every:
                states = {
                    "pause": [RunState.QUEUED],
                    "resume": [RunState.QUEUED],
                    "cancel": [RunState.QUEUED],
                    "retry": list(queue.RETRYABLE_STATES),
                }[action]
                run_ids = queue.queue_ids(conn, None, states)
            if action == "pause":
                return int(queue.pause(conn, run_ids))
            if action == "resume":
                return int(queue.resume(conn, run_ids))
            if action == "cancel":
                return int(queue.cancel(conn, run_ids, time.time(), running=not every))
            return int(queue.retry(conn, run_ids))


def _row(data: dict[str, Any]) -> dict[str, Any]:
    from hyperlab.store import queue

    return {
        "run_id": data["id"],
        "ref": f"{data['study']}/{data['number']}",
        "state": "paused" if data["lease_owner"] == queue.PAUSED_OWNER else data["state"],
        "priority": data["priority"],
        "attempt": data["attempt"],
        "max_attempts": data["max_attempts"],
        "worker": None if data["lease_owner"] == queue.PAUSED_OWNER else data["lease_owner"],
        "created": data["created_at"],
        "started": data["started_at"],
        "command": data["command"],
        "params": data["params"],
    }
