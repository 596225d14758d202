"""Plain records returned by the store: what a study or a run looks like once read."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class RunState(str, enum.Enum):
    """The states a run moves through."""

    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    PRUNED = "pruned"
    LOST = "lost"

    @classmethod
    def parse(cls, value: str | RunState) -> RunState:
        """A state from its name, with an error listing the valid names."""
        from hyperlab.errors import InvalidValueError

        try:
            return cls(value)
        except ValueError:
            valid = ", ".join(s.value for s in cls)
            raise InvalidValueError(f"unknown run state {value!r}; valid: {valid}") from None


FINISHED_STATES = frozenset(
    {RunState.COMPLETED, RunState.FAILED, RunState.INTERRUPTED, RunState.PRUNED, RunState.LOST}
)


@dataclass(frozen=True)
class StudyRecord:
    """A study as stored."""

    id: int
    name: str
    version: str
    description: str | None
    directions: dict[str, str]
    defaults: list[dict[str, Any]]
    created_at: float

    @property
    def label(self) -> str:
        """``name`` or ``name@version``."""
        return f"{self.name}@{self.version}" if self.version else self.name

    @property
    def main_metric(self) -> str | None:
        """The first metric with a declared direction: what "best" ranks by."""
        return next(iter(self.directions), None)

    def plain_defaults(self) -> dict[str, Any]:
        """Unconditional defaults (``when`` is empty), later entries winning."""
        return {d["name"]: d["value"] for d in self.defaults if not d.get("when")}


@dataclass
class RunRecord:
    """A run as stored (one row of ``runs`` plus its tags and study)."""

    id: int
    study_id: int
    study_name: str
    study_version: str
    number: int
    name: str | None
    state: str
    created_at: float
    started_at: float | None
    ended_at: float | None
    heartbeat_at: float | None
    host: str | None
    pid: int | None
    user: str | None
    command: str | None
    cwd: str | None
    git_commit: str | None
    git_branch: str | None
    git_dirty: bool | None
    python_version: str | None
    platform: str | None
    env: dict[str, Any]
    params: dict[str, Any]
    params_hash: str | None
    meta: dict[str, Any]
    notes: str | None
    error: str | None
    run_dir: str | None
    parent_run_id: int | None
    fork_step: int | None
    changes: dict[str, Any] | None
    priority: int
    attempt: int
    max_attempts: int
    lease_owner: str | None
    lease_expires: float | None
    spec: dict[str, Any] | None
    tags: list[str] = field(default_factory=list)

    @property
    def ref(self) -> str:
        """The short human form ``study/number``."""
        return f"{self.study_name}/{self.number}"

    @property
    def duration_s(self) -> float | None:
        """Seconds between start and end (None while running)."""
        if self.started_at is None or self.ended_at is None:
            return None
        return self.ended_at - self.started_at
