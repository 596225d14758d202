"""The stage cache on disk: entries keyed by a stage name and the values it depends on.

Layout under the cache root (default ``.hyperlab/cache/`` beside the store)::

    <root>/<stage name>/<key>/value.pkl     the saved output
    <root>/<stage name>/<key>/entry.json    name, key, depends-on values, version, creator, size
    <root>/.tmp/<pid>-<random>/             an entry being written

An entry is built in ``.tmp/`` and renamed into place in one ``rename`` (atomic on one
filesystem): a process killed mid-write leaves only a temporary folder, which is never listed or
loaded and which :meth:`CacheStore.gc` removes. When two processes build the same entry, the
first rename wins and the other's copy is dropped.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hyperlab.errors import InvalidValueError, NotFoundError
from hyperlab.store import codec

if TYPE_CHECKING:
    from hyperlab.store import Store

ENTRY_FILE = "entry.json"
VALUE_FILE = "value.pkl"
TMP_DIR = ".tmp"
TMP_GRACE_S = 3600.0
"""Temporary folders of a live process younger than this are left alone by gc."""


def cache_key(name: str, depends: Mapping[str, Any], version: str | None) -> str:
    """The key of a stage: SHA-256 of its name, version and depended-on values (canonical JSON)."""
    doc = {"name": name, "version": version, "depends": dict(sorted(depends.items()))}
    text = json.dumps(codec.to_jsonable(doc), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def default_root(store: Store) -> Path:
    """``$HYPERLAB_CACHE_DIR``, else ``cache/`` beside the store's run directories
    (``.hyperlab/cache`` for SQLite)."""
    from hyperlab import settings

    configured = settings.get_setting("cache_dir")
    return Path(configured) if configured else store.runs_root.parent / "cache"


@dataclass(frozen=True)
class CacheEntry:
    """One stored stage output."""

    name: str
    key: str
    path: Path
    depends: dict[str, Any]
    version: str | None
    created_at: float
    created_by: int | None
    size: int
    last_used: float

    def as_row(self) -> dict[str, Any]:
        """A flat dict for tables and JSON."""
        return {
            "name": self.name,
            "key": self.key[:12],
            "depends": self.depends,
            "version": self.version,
            "size": self.size,
            "created": self.created_at,
            "last_used": self.last_used,
            "created_by": self.created_by,
        }


class CacheStore:
    """A stage cache rooted at a folder.

    Args:
        root: The cache folder (created on first write).
    """

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"CacheStore({str(self.root)!r})"

    def entry_dir(self, name: str, key: str) -> Path:
        """Where the entry ``(name, key)`` lives (whether or not it exists)."""
        if not name or "/" in name or name.startswith("."):
            raise InvalidValueError(
                f"stage name {name!r} is not valid; use a non-empty name without '/' that "
                "does not start with '.'"
            )
        return self.root / name / key

    def get(self, name: str, key: str) -> CacheEntry | None:
        """The complete entry, or None."""
        folder = self.entry_dir(name, key)
        return _read_entry(folder) if (folder / ENTRY_FILE).is_file() else None

    def load(self, name: str, key: str) -> Any:
        """The saved value of an entry (marks it used now).

        Raises:
            NotFoundError: when the entry does not exist.
        """
        import pickle

        entry = self.get(name, key)
        if entry is None:
            raise NotFoundError(f"no cache entry for stage {name!r} with key {key[:12]}")
        with (entry.path / VALUE_FILE).open("rb") as handle:
            value = pickle.load(handle)  # our own cache, written by save()
        os.utime(entry.path / ENTRY_FILE)
        return value

    def save(
        self,
        name: str,
        key: str,
        value: Any,
        *,
        depends: Mapping[str, Any],
        version: str | None,
        created_by: int | None,
    ) -> CacheEntry:
        """Store a value atomically; when the entry appeared meanwhile, keep the existing one."""
        import pickle

        target = self.entry_dir(name, key)
        tmp = self.root / TMP_DIR / f"{os.getpid()}-{uuid.uuid4().hex}"
        tmp.mkdir(parents=True)
        try:
            with (tmp / VALUE_FILE).open("wb") as handle:
                pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
                handle.flush()
                os.fsync(handle.fileno())
            doc = {
                "name": name,
                "key": key,
                "depends": codec.to_jsonable(dict(depends)),
                "version": version,
                "created_at": time.time(),
                "created_by": created_by,
                "size": (tmp / VALUE_FILE).stat().st_size,
            }
            with (tmp / ENTRY_FILE).open("w", encoding="utf-8") as handle:
                json.dump(doc, handle)
                handle.flush()
                os.fsync(handle.fileno())
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.rename(tmp, target)
            except OSError:
                if not (target / ENTRY_FILE).is_file():
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        entry = self.get(name, key)
        assert entry is not None
        return entry

    def entries(self, name: str | None = None) -> list[CacheEntry]:
        """Complete entries (of one stage, or all), oldest first; temporary folders are skipped."""
        if not self.root.is_dir():
            return []
        found = []
        for stage_dir in sorted(self.root.iterdir()):
            if stage_dir.name.startswith(".") or not stage_dir.is_dir():
                continue
            if name is not None and stage_dir.name != name:
                continue
            for folder in stage_dir.iterdir():
                if not folder.name.startswith(".") and (folder / ENTRY_FILE).is_file():
                    found.append(_read_entry(folder))
        return sorted(found, key=lambda e: (e.created_at, e.name))

    def remove(self, name: str | None = None, key_prefix: str | None = None) -> int:
        """Delete entries of a stage (all of them, or those whose key starts with a prefix)."""
        count = 0
        for entry in self.entries(name):
            if key_prefix and not entry.key.startswith(key_prefix):
                continue
            _remove_dir(entry.path)
            count += 1
        return count

    def gc(self, *, unused_for_s: float | None = None, now: float | None = None) -> int:
        """Remove leftovers of interrupted writes, and entries unused for ``unused_for_s``.

        A temporary folder is removed when the process that made it is gone or it is older than
        an hour. Returns how many folders were removed.
        """
        from hyperlab.store.runs import pid_alive

        now = time.time() if now is None else now
        removed = 0
        tmp_root = self.root / TMP_DIR
        if tmp_root.is_dir():
            for folder in tmp_root.iterdir():
                pid_text = folder.name.split("-", 1)[0]
                alive = pid_text.isdigit() and pid_alive(int(pid_text))
                old = now - folder.stat().st_mtime > TMP_GRACE_S
                if not alive or old:
                    _remove_dir(folder)
                    removed += 1
        if unused_for_s is not None:
            for entry in self.entries():
                if now - entry.last_used > unused_for_s:
                    _remove_dir(entry.path)
                    removed += 1
        return removed


def _remove_dir(folder: Path) -> None:
    """Remove a folder by renaming it aside first, so no reader sees it half deleted."""
    trash = folder.parent / f".{folder.name}.{uuid.uuid4().hex}.trash"
    try:
        os.rename(folder, trash)
    except FileNotFoundError:
        return
    shutil.rmtree(trash, ignore_errors=True)


def _read_entry(folder: Path) -> CacheEntry:
    info = folder / ENTRY_FILE
    doc = json.loads(info.read_text(encoding="utf-8"))
    return CacheEntry(
        name=str(doc["name"]),
        key=str(doc["key"]),
        path=folder,
        depends=dict(doc.get("depends") or {}),
        version=doc.get("version"),
        created_at=float(doc["created_at"]),
        created_by=doc.get("created_by"),
        size=int(doc.get("size", 0)),
        last_used=info.stat().st_mtime,
    )
