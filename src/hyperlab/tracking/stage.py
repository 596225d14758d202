"""``run.stage(...)``: reuse the output of an expensive pipeline step across runs and studies.

::

    with run.stage("preprocess", depends_on=["norm", "augment"]) as stage:
        data = stage.load() if stage.cached else stage.save(make_features(...))

The key is the stage name, the effective values of the listed params (study defaults filled in)
and an optional code ``version``. Each run records, as meta, which entry it used and whether it
was reused: ``stage.<name>.key`` and ``stage.<name>.reused`` (queryable).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from hyperlab.errors import InvalidValueError, StateError
from hyperlab.tracking.cache import CacheEntry, CacheStore, cache_key, default_root

if TYPE_CHECKING:
    from hyperlab.tracking.run import Run

_MISSING = object()


class Stage:
    """One cached pipeline step of a run (see :meth:`hyperlab.Run.stage`).

    Attributes:
        name: The stage's name.
        key: The cache key (SHA-256 hex).
        depends: The effective values of the params the stage depends on.
        version: The code version given, or None.
    """

    def __init__(
        self,
        run: Run,
        name: str,
        depends: dict[str, Any],
        version: str | None,
        cache: CacheStore,
    ) -> None:
        self.run = run
        self.name = name
        self.depends = depends
        self.version = version
        self.cache = cache
        self.key = cache_key(name, depends, version)
        cache.entry_dir(name, self.key)  # validates the name
        self._entry: CacheEntry | None = cache.get(name, self.key)
        self._reused = False
        self._value: Any = _MISSING

    @property
    def cached(self) -> bool:
        """Whether a complete entry for this key exists (from any run or study)."""
        return self._entry is not None

    @property
    def path(self) -> Path:
        """The entry's folder."""
        return self.cache.entry_dir(self.name, self.key)

    def load(self) -> Any:
        """The cached value (the run records that it reused the entry).

        Raises:
            StateError: when nothing is cached for this key (check :attr:`cached` first).
        """
        if self._entry is None:
            raise StateError(
                f"stage {self.name!r} has no cached output for {self.depends} (key "
                f"{self.key[:12]}); compute it and call stage.save(value)"
            )
        if self._value is _MISSING:
            self._value = self.cache.load(self.name, self.key)
        self._reused = True
        return self._value

    def save(self, value: Any) -> Any:
        """Store the stage's output (pickled, written atomically) and return it unchanged."""
        self._entry = self.cache.save(
            self.name,
            self.key,
            value,
            depends=self.depends,
            version=self.version,
            created_by=self.run.id,
        )
        self._value = value
        return value

    def __enter__(self) -> Stage:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None and self._entry is not None:
            self.run.set_meta(
                **{f"stage.{self.name}.key": self.key, f"stage.{self.name}.reused": self._reused}
            )

    def __repr__(self) -> str:
        return f"<Stage {self.name} {self.key[:12]} cached={self.cached}>"


def open_stage(
    run: Run,
    name: str,
    depends_on: Sequence[str] = (),
    version: str | int | None = None,
    cache_dir: str | Path | None = None,
) -> Stage:
    """Build the :class:`Stage` of a run (see :meth:`hyperlab.Run.stage`)."""
    if isinstance(depends_on, str):
        depends_on = [depends_on]
    effective = {**run.study.defaults, **run.params}
    missing = [k for k in depends_on if k not in effective]
    if missing:
        raise InvalidValueError(
            f"stage {name!r} depends on {missing}, which run {run.ref} does not have; "
            f"its params are: {', '.join(sorted(effective)) or '(none)'}"
        )
    depends = {k: effective[k] for k in depends_on}
    root = Path(cache_dir) if cache_dir is not None else default_root(run.study.store)
    return Stage(run, name, depends, None if version is None else str(version), CacheStore(root))
