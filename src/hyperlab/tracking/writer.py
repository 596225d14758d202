"""The background writer: ``run.log()`` appends to a queue, a thread writes batches.

The caller never waits on the database. A ``collections.deque`` is the queue because its
``append`` and ``popleft`` are atomic under the GIL: the logging thread and the writer thread need
no lock. Final values and the end of a run (state, end time, traceback) travel the same way, in a
second queue written after the points of the same batch, so ending a run costs the caller no
database round trip either.

Batches are written every ``flush_interval_s``, before any read of the store from this process
(a process always reads its own writes), and at exit. If the process is killed, only what was not
yet flushed is lost; each batch is one transaction, so the database is never left half-written.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections import deque
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from hyperlab import settings
from hyperlab.store.ingest import Series

if TYPE_CHECKING:
    from hyperlab.store import Store

log = logging.getLogger("hyperlab")

Point = tuple[int, str, int, float, float]  # run_id, key, step, value, wall time
Op = tuple[str, int, dict[str, Any]]  # ("final" | "update", run_id, values)
MAX_BATCH_POINTS = 200_000
"""Points written per transaction at most (keeps SQLite write locks short)."""


class MetricWriter:
    """One per store and process: buffers points of every run and writes them in batches."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.queue: deque[Point] = deque()
        self.ops: deque[Op] = deque()
        self._directions: dict[int, Mapping[str, str]] = {}
        self._alive: set[int] = set()
        self._pending: list[Point] = []  # points of a batch whose write failed, retried first
        self._pending_ops: list[Op] = []
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = False
        self._interval_s = settings.get_float("flush_interval_s")
        self._heartbeat_s = settings.get_float("heartbeat_interval_s")
        self._last_heartbeat = 0.0
        self.points_written = 0
        self._thread = threading.Thread(target=self._loop, name="hyperlab-writer", daemon=True)
        self._thread.start()
        store.add_read_barrier(self.flush)

    def register(self, run_id: int, directions: Mapping[str, str]) -> None:
        """Start heartbeats for a run and remember its metric directions."""
        self._directions[run_id] = dict(directions)
        self._alive.add(run_id)

    def unregister(self, run_id: int) -> None:
        """Stop heartbeats for a finished run."""
        self._alive.discard(run_id)

    def flush(self) -> int:
        """Write everything queued so far; returns the number of points written."""
        if not (self.queue or self.ops or self._pending or self._pending_ops):
            return 0
        with self._flush_lock:
            total = 0
            while self._pending or self.queue or self._pending_ops or self.ops:
                batch, ops = self._pending, self._pending_ops
                self._pending, self._pending_ops = [], []
                popleft = self.queue.popleft
                room = MAX_BATCH_POINTS - len(batch)
                for _ in range(min(room, len(self.queue))):
                    batch.append(popleft())
                if not self.queue:
                    # Ops only once every point logged before them is in this batch.
                    pop_op = self.ops.popleft
                    for _ in range(len(self.ops)):
                        ops.append(pop_op())
                try:
                    total += self._write(batch, ops)
                except Exception:
                    # Keep everything: the next flush retries it.
                    self._pending, self._pending_ops = batch, ops
                    raise
            return total

    def _write(self, batch: list[Point], ops: list[Op]) -> int:
        grouped: dict[tuple[int, str], Series] = {}
        for run_id, key, step, value, wall in batch:
            series = grouped.get((run_id, key))
            if series is None:
                series = grouped[(run_id, key)] = Series(run_id, key, [], [], [])
            series.steps.append(step)
            series.values.append(value)
            series.times.append(wall)
        finals = [(run_id, values) for kind, run_id, values in ops if kind == "final"]
        updates = [(run_id, values) for kind, run_id, values in ops if kind == "update"]
        written = self.store.write_series(
            list(grouped.values()), self._directions, finals=finals, updates=updates
        )
        self.points_written += written
        return written

    def _loop(self) -> None:
        while not self._stop:
            self._wake.wait(self._interval_s)
            self._wake.clear()
            try:
                self.flush()
                self._beat()
            except Exception as err:  # the thread must survive a locked or lost database
                log.warning("hyperlab: could not write metrics (will retry): %s", err)

    def _beat(self) -> None:
        now = time.time()
        if not self._alive or now - self._last_heartbeat < self._heartbeat_s:
            return
        self._last_heartbeat = now
        self.store.heartbeat(list(self._alive), now)

    def close(self) -> None:
        """Flush and stop the thread."""
        self._stop = True
        self._wake.set()
        self._thread.join(timeout=10)
        self.flush()


_STRONG: dict[str, MetricWriter] = {}
_LOCK = threading.Lock()


def writer_for(store: Store) -> MetricWriter:
    """The process-wide writer of a store (started on first use)."""
    with _LOCK:
        writer = _STRONG.get(store.url)
        if writer is None or writer.store is not store:
            writer = MetricWriter(store)
            _STRONG[store.url] = writer
        return writer


def flush_all() -> None:
    """Flush every writer of this process (called at exit)."""
    for writer in list(_STRONG.values()):
        try:
            writer.flush()
        except Exception as err:
            log.error("hyperlab: metrics not written at exit: %s", err)


atexit.register(flush_all)
