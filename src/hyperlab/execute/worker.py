"""The worker: claim a queued run, hold its lease, run it, record the result; repeat.

Many workers (processes, machines, Slurm array tasks) can drain one queue: claims are atomic, so
no run is claimed twice. A worker's lease is renewed by a heartbeat thread; when a worker dies
its lease expires and the next claim by any worker puts the run back in the queue (``attempt +
1``) or, after ``max_attempts``, marks it ``lost``. SIGTERM (pre-emption, ``scancel``) stops the
current run, marks it ``interrupted``, re-queues it (it can resume from ``run.dir``) and ends the
worker.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import os
import shlex
import signal
import socket
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from hyperlab.errors import ExecutionError, InvalidValueError
from hyperlab.execute.queue_search import needs_suggestion, suggest_params
from hyperlab.execute.queueing import effective
from hyperlab.execute.runner import execute_command
from hyperlab.execute.templates import needs_shell, render_command
from hyperlab.store import RunState, Store, codec, open_store
from hyperlab.store import queue as q
from hyperlab.tracking.run import Run, RunInterrupted
from hyperlab.tracking.study import Study

log = logging.getLogger("hyperlab")

DEFAULT_LEASE_S = 120.0
DEFAULT_POLL_S = 0.5
STUDY_REFRESH_S = 30.0
RECOVER_EVERY_S = 5.0
"""How often a busy worker looks for expired leases (an idle one looks every poll)."""


@dataclass
class WorkerReport:
    """What a worker did before it stopped."""

    owner: str
    claimed: int = 0
    by_state: dict[str, int] = field(default_factory=dict)
    requeued: list[int] = field(default_factory=list)
    stop_reason: str = ""
    claim_latencies_s: list[float] = field(default_factory=list, repr=False)
    """Wall time of each successful claim (transaction included), for benchmarks."""

    def __str__(self) -> str:
        states = ", ".join(f"{n} {s}" for s, n in sorted(self.by_state.items())) or "none"
        return f"worker {self.owner}: ran {self.claimed} run(s) ({states}); {self.stop_reason}"


class LeaseKeeper(threading.Thread):
    """One per worker: renews the lease of the run being executed every third of the lease.

    ``hold(run_id)`` starts renewing a claimed run's lease and returns an event set when the
    lease is found gone (cancelled, or expired and recovered elsewhere); ``drop()`` stops.
    """

    def __init__(self, store: Store, owner: str, lease_s: float) -> None:
        super().__init__(name="hyperlab-lease", daemon=True)
        self.store = store
        self.owner = owner
        self.lease_s = lease_s
        self.interval_s = max(lease_s / 3.0, 0.05)
        self._lock = threading.Lock()
        self._run_id: int | None = None
        self._lost = threading.Event()
        self._done = threading.Event()

    def hold(self, run_id: int) -> threading.Event:
        """Renew ``run_id``'s lease from now on; returns its lost-lease event."""
        with self._lock:
            self._run_id = run_id
            self._lost = threading.Event()
            return self._lost

    def drop(self) -> None:
        """Stop renewing (the run ended)."""
        with self._lock:
            self._run_id = None

    def run(self) -> None:
        while not self._done.wait(self.interval_s):
            with self._lock:
                run_id, lost = self._run_id, self._lost
            if run_id is None:
                continue
            try:
                with self.store.write() as conn:
                    held = q.renew(conn, run_id, self.owner, self.lease_s, time.time())
            except Exception as err:  # a transient store error: try again next beat
                log.warning("hyperlab: lease heartbeat of run %s failed: %s", run_id, err)
                continue
            with self._lock:
                if not held and self._run_id == run_id:
                    log.warning(
                        "hyperlab: lease on run %s was lost (cancelled or expired)", run_id
                    )
                    lost.set()
                    self._run_id = None

    def stop(self) -> None:
        """End the heartbeat thread."""
        self._done.set()
        self.join()


def _load_function(target: str, cwd: str | None) -> Callable[..., Any]:
    module_name, _, attr = target.partition(":")
    if cwd and cwd not in sys.path:
        sys.path.insert(0, cwd)
    try:
        obj: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as err:
        raise ExecutionError(f"cannot load function {target!r}: {err}") from err
    if not callable(obj):
        raise ExecutionError(f"{target!r} is not callable")
    return obj  # type: ignore[no-any-return]


def call_function(func: Callable[..., Any], params: dict[str, Any], run: Run) -> Any:
    """Call a queued function: ``run=`` if it takes one, ``params=`` (nested) if it takes that,
    else each param as a keyword argument."""
    signature = inspect.signature(func)
    names = signature.parameters
    kwargs: dict[str, Any] = {}
    if "run" in names:
        kwargs["run"] = run
    if "params" in names:
        kwargs["params"] = unflatten(params)
        return func(**kwargs)
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in names.values())
    for key, value in params.items():
        if key in names or takes_any:
            kwargs[key] = value
    return func(**kwargs)


def unflatten(flat: dict[str, Any]) -> dict[str, Any]:
    """Nested dicts from dotted keys (``{"optim.lr": 1}`` -> ``{"optim": {"lr": 1}}``)."""
    nested: dict[str, Any] = {}
    for key, value in flat.items():
        node = nested
        parts = key.split(".")
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                child = node[part] = {"": child}
            node = child
        node[parts[-1]] = value
    return nested


def _record_return(run: Run, value: Any) -> None:
    """A function's return value becomes summary metrics: a dict of numbers, or one number
    for the study's main metric (``value`` when the study has none)."""
    if isinstance(value, dict):
        numbers = {
            k: v
            for k, v in value.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool)
        }
        if numbers:
            run.set_summary(**numbers)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        run.set_summary(**{run.study.record.main_metric or "value": value})


class Worker:
    """One worker loop; see :func:`worker`."""

    def __init__(
        self,
        store: Store,
        studies: Sequence[str] | None,
        *,
        max_runs: int | None,
        idle_exit_s: float | None,
        lease_s: float,
        poll_s: float,
        echo: bool,
    ) -> None:
        if lease_s <= 0:
            raise InvalidValueError(f"lease_s must be > 0, got {lease_s!r}")
        if max_runs is not None and max_runs < 0:
            raise InvalidValueError(f"max_runs must be >= 0, got {max_runs!r}")
        self.store = store
        self.studies = list(studies) if studies else None
        self.max_runs = max_runs
        self.idle_exit_s = idle_exit_s
        self.lease_s = lease_s
        self.poll_s = poll_s
        self.echo = echo
        self.host = socket.gethostname()
        self.owner = f"{self.host}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.report = WorkerReport(self.owner)
        self._stopping = False
        self._in_run = False
        self._keeper = LeaseKeeper(store, self.owner, lease_s)
        self._studies: dict[int, tuple[float, Study]] = {}
        self._recovered_at = float("-inf")
        self._recover_every_s = min(RECOVER_EVERY_S, lease_s / 4)

    def _on_sigterm(self, signum: int, _frame: FrameType | None) -> None:
        self._stopping = True
        if self._in_run:
            raise RunInterrupted(signum)

    def run(self) -> WorkerReport:
        """Claim and run until out of work, ``max_runs`` or SIGTERM."""
        main = threading.current_thread() is threading.main_thread()
        old = signal.signal(signal.SIGTERM, self._on_sigterm) if main else None
        self._keeper.start()
        try:
            self._loop()
        finally:
            self._keeper.stop()
            if main:
                signal.signal(signal.SIGTERM, old)
        return self.report

    def _claim(self, *, recover: bool) -> q.Claim | None:
        with self.store.write() as conn:
            now = time.time()
            if recover:
                self._recovered_at = time.monotonic()
                requeued, lost = q.recover_expired(conn, now)
                if requeued or lost:
                    log.info("hyperlab: %d expired run(s) re-queued, %d lost", requeued, lost)
            return q.claim(
                conn,
                self.owner,
                self.lease_s,
                study_names=self.studies,
                host=self.host,
                pid=os.getpid(),
                now=now,
                runs_root=str(self.store.runs_root),
            )

    def _loop(self) -> None:
        idle_since = time.monotonic()
        while True:
            if self._stopping:
                self.report.stop_reason = "stopped by SIGTERM"
                return
            if self.max_runs is not None and self.report.claimed >= self.max_runs:
                self.report.stop_reason = f"reached --max-runs {self.max_runs}"
                return
            started = time.perf_counter()
            # Expired leases are looked for every few seconds, and always before going idle.
            due = time.monotonic() - self._recovered_at >= self._recover_every_s
            claimed = self._claim(recover=due)
            if claimed is None and not due:
                claimed = self._claim(recover=True)
            if claimed is None:
                idle = time.monotonic() - idle_since
                if self.idle_exit_s is not None and idle >= self.idle_exit_s:
                    self.report.stop_reason = f"queue empty for {self.idle_exit_s:g}s"
                    return
                deadline = time.monotonic() + self.poll_s
                while time.monotonic() < deadline and not self._stopping:
                    time.sleep(min(0.05, self.poll_s))
                continue
            self.report.claim_latencies_s.append(time.perf_counter() - started)
            self.report.claimed += 1
            state = self._execute(claimed)
            self.report.by_state[state.value] = self.report.by_state.get(state.value, 0) + 1
            idle_since = time.monotonic()

    def _execute(self, claimed: q.Claim) -> RunState:
        lost = self._keeper.hold(claimed.run_id)
        state = RunState.FAILED
        try:
            self._in_run = True
            if self._stopping:
                raise RunInterrupted(signal.SIGTERM)
            state = self._run_spec(claimed, lost)
        except (RunInterrupted, KeyboardInterrupt):
            state = RunState.INTERRUPTED
        finally:
            self._in_run = False
            self._keeper.drop()
        with self.store.write() as conn:
            if state is RunState.INTERRUPTED and not lost.is_set():
                if q.requeue(conn, claimed.run_id, self.owner):
                    self.report.requeued.append(claimed.run_id)
                self._stopping = True
            else:
                q.release(conn, claimed.run_id, self.owner)
        return state

    def _study(self, study_id: int) -> Study:
        """The study of a claimed run (re-read at most every STUDY_REFRESH_S: defaults)."""
        cached = self._studies.get(study_id)
        if cached is None or time.monotonic() - cached[0] > STUDY_REFRESH_S:
            cached = (time.monotonic(), Study(self.store, self.store.study_by_id(study_id)))
            self._studies[study_id] = cached
        return cached[1]

    def _run_spec(self, claimed: q.Claim, lost: threading.Event) -> RunState:
        if needs_suggestion(claimed.spec, claimed.params):
            # A queued search: its sampler chooses now, seeing every run finished so far.
            try:
                claimed = suggest_params(self.store, self._study(claimed.study_id), claimed)
            except Exception as exc:
                failed = self._study(claimed.study_id).adopt_run(
                    claimed.run_id, claimed.number, {}
                )
                failed.finish(RunState.FAILED, error=_format(exc), wait=True)
                return RunState.FAILED
        run = self._study(claimed.study_id).adopt_run(
            claimed.run_id, claimed.number, claimed.params
        )
        if claimed.run_dir:
            run._dir = Path(claimed.run_dir)
        spec = claimed.spec
        cwd = spec.get("cwd")
        if cwd and not Path(cwd).is_dir():
            cwd = None
        params = effective(run.study.record, claimed.params)
        kind = spec.get("kind")
        try:
            if kind == "command":
                template = str(spec["command"])
                command = render_command(template, params)
                self.store.update_run(claimed.run_id, command=command)
                argv: str | list[str] = command if needs_shell(template) else shlex.split(command)
                result = execute_command(argv, run, cwd=cwd, echo=self.echo, stop=lost)
                return result.state
            if kind == "function":
                func = _load_function(str(spec["function"]), cwd)
                _record_return(run, call_function(func, params, run))
                run.finish(RunState.COMPLETED, wait=True)
                return RunState.COMPLETED
            raise ExecutionError(f"run {claimed.run_id} has an unknown spec {codec.dumps(spec)}")
        except (RunInterrupted, KeyboardInterrupt) as exc:
            run.finish(RunState.INTERRUPTED, error=_format(exc), wait=True)
            return RunState.INTERRUPTED
        except Exception as exc:
            run.finish(RunState.FAILED, error=_format(exc), wait=True)
            return RunState.FAILED


def _format(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def worker(
    study: str | Sequence[str] | None = None,
    *,
    store: Store | str | Path | None = None,
    max_runs: int | None = None,
    idle_exit_s: float | None = None,
    lease_s: float = DEFAULT_LEASE_S,
    poll_s: float = DEFAULT_POLL_S,
    echo: bool = True,
) -> WorkerReport:
    """Run queued runs until the queue stays empty, ``max_runs`` is reached or SIGTERM.

    Args:
        study: Only runs of this study (``"name"`` or ``"name@version"``) or these studies.
        store: A store or URL (default store when None).
        max_runs: Stop after claiming this many runs.
        idle_exit_s: Stop once nothing was claimable for this many seconds (None: wait
            forever).
        lease_s: How long a claim stays valid without a heartbeat; heartbeats renew it every
            third of it. A worker that dies loses its run to others after at most this long.
        poll_s: How often an idle worker looks for work.
        echo: Show the output of commands.

    Returns:
        A :class:`WorkerReport`.
    """
    target = store if isinstance(store, Store) else open_store(store)
    names = [study] if isinstance(study, str) else study
    return Worker(
        target,
        names,
        max_runs=max_runs,
        idle_exit_s=idle_exit_s,
        lease_s=lease_s,
        poll_s=poll_s,
        echo=echo,
    ).run()
