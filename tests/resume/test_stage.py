"""The stage cache: reuse across runs and studies, keys, atomic writes under a crash, gc."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import hyperlab as hl
from hyperlab.errors import InvalidValueError, StateError
from hyperlab.store import Store
from hyperlab.tracking.cache import CacheStore, default_root


def _features(calls: list[int], norm: str) -> dict[str, object]:
    calls.append(1)
    return {"norm": norm, "rows": [1, 2, 3]}


def test_stage_is_reused_across_runs_and_studies(store: Store) -> None:
    calls: list[int] = []
    first = hl.study("a", store=store)
    with first.start_run({"norm": "z", "augment": True, "lr": 0.1}) as run:
        with run.stage("preprocess", depends_on=["norm", "augment"]) as stage:
            assert not stage.cached
            data = stage.load() if stage.cached else stage.save(_features(calls, "z"))
        assert data == {"norm": "z", "rows": [1, 2, 3]}
    # Another study, another lr: only the depended-on params matter.
    second = hl.study("b", store=store)
    other = second.start_run({"norm": "z", "augment": True, "lr": 0.5})
    with other, other.stage("preprocess", depends_on=["norm", "augment"]) as stage:
        assert stage.cached
        again = stage.load() if stage.cached else stage.save(_features(calls, "z"))
    assert again == data
    assert len(calls) == 1
    meta_first, meta_other = store.get_run(run.id).meta, store.get_run(other.id).meta
    assert meta_first["stage.preprocess.reused"] is False
    assert meta_other["stage.preprocess.reused"] is True
    assert meta_first["stage.preprocess.key"] == meta_other["stage.preprocess.key"]
    (entry,) = CacheStore(default_root(store)).entries()
    assert entry.created_by == run.id
    assert entry.depends == {"norm": "z", "augment": True}


def test_key_changes_with_values_version_and_defaults(store: Store) -> None:
    study = hl.study("a", defaults={"norm": "z"}, store=store)
    with study.start_run({}) as run:
        base = run.stage("prep", depends_on=["norm"])
        base.save([1])
        assert run.stage("prep", depends_on=["norm"]).cached
        assert not run.stage("prep", depends_on=["norm"], version=2).cached
    with study.start_run({"norm": "z"}) as same:  # the default's value: same entry
        assert same.stage("prep", depends_on=["norm"]).cached
    with study.start_run({"norm": "minmax"}) as other:
        assert not other.stage("prep", depends_on=["norm"]).cached
        with pytest.raises(StateError, match="no cached output"):
            other.stage("prep", depends_on=["norm"]).load()
        with pytest.raises(InvalidValueError, match="depends on \\['missing'\\]"):
            other.stage("prep", depends_on=["missing"])
        with pytest.raises(InvalidValueError, match="stage name"):
            other.stage("../evil")


CRASHING_WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import hyperlab as hl

    class Slow:
        def __reduce__(self):
            Path(sys.argv[2]).touch()   # the value's bytes are being written now
            time.sleep(600)
            return (dict, ())

    study = hl.study("crash", store=sys.argv[1])
    run = study.start_run({"norm": "z"})
    run.stage("prep", depends_on=["norm"], cache_dir=sys.argv[3]).save([b"x" * 100000, Slow()])
    """
)


def test_killed_writer_leaves_no_entry_and_gc_cleans(
    store: Store, store_url: str, tmp_path: Path
) -> None:
    cache_dir = tmp_path / "cache"
    marker = tmp_path / "writing"
    script = tmp_path / "writer.py"
    script.write_text(CRASHING_WRITER, encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, str(script), store_url, str(marker), str(cache_dir)],
        env={**os.environ, "HYPERLAB_RUNS_DIR": str(store.runs_root)},
    )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert proc.poll() is None, "the writer exited before writing"
            assert time.monotonic() < deadline, "the writer never started writing"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    cache = CacheStore(cache_dir)
    assert cache.entries() == []
    leftovers = list((cache_dir / ".tmp").iterdir())
    assert len(leftovers) == 1
    assert (leftovers[0] / "value.pkl").exists()
    with hl.study("crash", store=store).start_run({"norm": "z"}) as run:
        stage = run.stage("prep", depends_on=["norm"], cache_dir=cache_dir)
        assert not stage.cached
        stage.save([1, 2])
    assert cache.gc() == 1  # the dead writer's folder
    assert not any((cache_dir / ".tmp").iterdir())
    assert [e.name for e in cache.entries()] == ["prep"]


def test_gc_unused_and_remove(store: Store, tmp_path: Path) -> None:
    cache = CacheStore(tmp_path / "c")
    with hl.study("a", store=store).start_run({"x": 1, "y": 2}) as run:
        run.stage("one", depends_on=["x"], cache_dir=cache.root).save(1)
        run.stage("two", depends_on=["y"], cache_dir=cache.root).save(2)
    entries = {e.name: e for e in cache.entries()}
    old = time.time() - 10 * 86400
    os.utime(entries["one"].path / "entry.json", (old, old))
    assert cache.gc(unused_for_s=86400) == 1
    assert [e.name for e in cache.entries()] == ["two"]
    assert cache.remove("two", entries["two"].key[:8]) == 1
    assert cache.entries() == []


def test_cache_dir_setting_moves_the_cache(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "shared-cache"
    monkeypatch.setenv("HYPERLAB_CACHE_DIR", str(shared))
    run = hl.study("env", store=store).start_run({"norm": "z"})
    with run, run.stage("prep", depends_on=["norm"]) as stage:
        stage.save({"ok": True})
    assert default_root(store) == shared
    (entry,) = CacheStore(shared).entries()
    assert entry.name == "prep"
