"""Checkpoints: files in a run's directory, registered with their step and a checksum.

hyperlab never looks inside a checkpoint. It copies (or writes) the bytes into
``<run dir>/checkpoints/``, and keeps a manifest ``checkpoints/index.json`` with the step, the
file name, its size and SHA-256. Every file and the manifest are written to a temporary name and
renamed, so a crash never leaves a half checkpoint registered. The checksum lets a resume or fork
refuse a corrupted file with a clear error instead of loading garbage.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from hyperlab.errors import CheckpointError, InvalidValueError

MANIFEST = "index.json"
CHUNK = 1 << 20
_MANIFEST_LOCK = threading.Lock()  # threads of one process registering checkpoints at once


@dataclass(frozen=True)
class Checkpoint:
    """A registered checkpoint.

    Attributes:
        run_id: The run that saved it.
        step: The step it was saved at (the state after that step).
        path: Where the file is.
        sha256: Checksum of the file when registered.
        size: Its size in bytes.
        created_at: When it was registered (epoch seconds).
    """

    run_id: int
    step: int
    path: Path
    sha256: str
    size: int
    created_at: float

    def verify(self) -> Path:
        """Check that the file exists and is intact; returns its path.

        Raises:
            CheckpointError: when the file is missing or its checksum changed.
        """
        if not self.path.is_file():
            raise CheckpointError(
                f"checkpoint of run {self.run_id} at step {self.step} is missing: {self.path} "
                "does not exist; fork from an earlier step (--step) or restore the file"
            )
        actual = _sha256(self.path)
        if actual != self.sha256:
            raise CheckpointError(
                f"checkpoint of run {self.run_id} at step {self.step} is corrupted: "
                f"{self.path} has checksum {actual[:12]}..., registered {self.sha256[:12]}...; "
                "fork from an earlier step (--step) or restore the file"
            )
        return self.path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _folder(run_dir: Path) -> Path:
    return run_dir / "checkpoints"


def write_atomic(target: Path, data: bytes) -> None:
    """Write bytes to ``target`` through a temporary file and a rename (fsync'd)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        with tmp.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def list_checkpoints(run_id: int, run_dir: Path) -> list[Checkpoint]:
    """The checkpoints registered in a run directory, oldest step first."""
    manifest = _folder(run_dir) / MANIFEST
    if not manifest.is_file():
        return []
    try:
        entries = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise CheckpointError(
            f"the checkpoint manifest {manifest} of run {run_id} cannot be read ({err}); "
            "restore it or delete it to forget the run's checkpoints"
        ) from err
    found = [
        Checkpoint(
            run_id=run_id,
            step=int(e["step"]),
            path=_folder(run_dir) / e["file"],
            sha256=str(e["sha256"]),
            size=int(e["size"]),
            created_at=float(e["created_at"]),
        )
        for e in entries
    ]
    return sorted(found, key=lambda c: c.step)


def latest(
    checkpoints: Iterable[Checkpoint], at_or_before: int | None = None
) -> Checkpoint | None:
    """The checkpoint with the largest step (not above ``at_or_before`` when given)."""
    best: Checkpoint | None = None
    for item in checkpoints:
        if at_or_before is not None and item.step > at_or_before:
            continue
        if best is None or item.step >= best.step:
            best = item
    return best


def register(
    run_id: int, run_dir: Path, source: str | os.PathLike[str] | bytes, step: int
) -> Checkpoint:
    """Store a checkpoint in the run directory and add it to the manifest.

    Args:
        run_id: The run.
        run_dir: The run's directory.
        source: The checkpoint's bytes, or the path of a file to copy (a file already inside
            ``<run dir>/checkpoints/`` is registered where it is).
        step: The step the checkpoint was taken at.

    Returns:
        The registered :class:`Checkpoint`. A second checkpoint at the same step replaces the
        first.
    """
    if isinstance(step, bool) or not isinstance(step, int):
        raise InvalidValueError(f"checkpoint step must be an integer, got {step!r}")
    folder = _folder(run_dir)
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(source, (bytes, bytearray, memoryview)):
        target = folder / f"step-{step:010d}.bin"
        write_atomic(target, bytes(source))
    else:
        src = Path(source)
        if not src.is_file():
            raise InvalidValueError(
                f"checkpoint {src} is not a file; pass the path of a saved file or its bytes"
            )
        if src.resolve().parent == folder.resolve():
            target = src.resolve()
        else:
            target = folder / f"step-{step:010d}-{src.name}"
            tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
            try:
                shutil.copyfile(src, tmp)
                os.replace(tmp, target)
            finally:
                tmp.unlink(missing_ok=True)
    entry = Checkpoint(
        run_id=run_id,
        step=step,
        path=target,
        sha256=_sha256(target),
        size=target.stat().st_size,
        created_at=time.time(),
    )
    with _MANIFEST_LOCK:
        kept = [c for c in list_checkpoints(run_id, run_dir) if c.step != step]
        _write_manifest(folder, [*kept, entry])
    return entry


def _write_manifest(folder: Path, entries: list[Checkpoint]) -> None:
    rows = []
    for item in sorted(entries, key=lambda c: c.step):
        row = asdict(item)
        row.pop("run_id")
        row["file"] = Path(row.pop("path")).name
        rows.append(row)
    write_atomic(folder / MANIFEST, json.dumps(rows, indent=1).encode("utf-8"))
