"""Timing, peer detection and result reporting shared by the benchmark modules.

Every module runs hyperlab and its peers in the same process, on the same machine, and reports
rows of ``(what, hyperlab, peer, ratio, target)``. Peers that are not installed are reported as
such, never silently skipped.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"


def out_dir(name: str) -> Path:
    """A scratch directory under ``bench/out/`` (git-ignored)."""
    path = OUT / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def has(module: str) -> bool:
    """Whether a peer package is importable in this environment."""
    return importlib.util.find_spec(module) is not None


def best_of(fn: Callable[[], object], repeat: int = 5) -> float:
    """Median wall time in seconds of ``repeat`` calls of ``fn``."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def cold_command(argv: list[str], repeat: int = 5, env: dict[str, str] | None = None) -> float:
    """Median wall time of a fresh process running ``argv`` (output discarded)."""

    def once() -> None:
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env={**os.environ, **(env or {})})  # fmt: skip

    once()  # warm the page cache
    return best_of(once, repeat)


def machine() -> str:
    """One line describing the machine the figures come from."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 2**20:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (f"{cpu}, {os.cpu_count()} cores{mem}, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")  # fmt: skip


@dataclass
class Row:
    """One measured figure, optionally against a peer."""

    what: str
    ours: str
    peer: str = ""
    ratio: str = ""
    target: str = ""
    met: bool | None = None


@dataclass
class Report:
    """The rows of one benchmark module."""

    title: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, *args: object, **kwargs: object) -> None:
        self.rows.append(Row(*args, **kwargs))  # type: ignore[arg-type]

    def markdown(self) -> str:
        lines = [f"## {self.title}", "", "| measure | hyperlab | peer | ratio | target | met |",
                 "| --- | --- | --- | --- | --- | --- |"]  # fmt: skip
        for r in self.rows:
            met = "" if r.met is None else ("yes" if r.met else "**no**")
            lines.append(f"| {r.what} | {r.ours} | {r.peer} | {r.ratio} | {r.target} | {met} |")
        lines += ["", *[f"- {n}" for n in self.notes], ""]
        return "\n".join(lines)


def fmt_time(seconds: float) -> str:
    """Seconds in the most readable unit."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.2f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def python() -> str:
    """The interpreter running the benchmarks (also used for cold-process figures)."""
    return sys.executable
