"""``hl.ParamSpace`` against param_search's approach: sampling without materialising the space.

Targets (issue 3): on 6 keys x 10 values (1e6 points), ``sample(10000, replace=False)`` <= 20 ms
with no materialisation; ``len``, ``space[i]`` and sampling on a 1e12-point space in
microseconds.

The peer is a *labelled reimplementation* of param_search's approach (its README: build the
Cartesian product with ``itertools.product`` and draw with ``random.sample``), written here from
that description because param_search is not a package on PyPI. It is what users of that tool
pay; it is not param_search's own code.
"""

from __future__ import annotations

import itertools
import random
import resource
import time
import tracemalloc
from collections.abc import Mapping, Sequence
from typing import Any

from bench.common import Report, best_of, fmt_time

PEER = "param_search approach (reimplemented: itertools.product + random.sample)"


def peer_sample(ranges: Mapping[str, Sequence[Any]], k: int, seed: int) -> list[dict[str, Any]]:
    """param_search's approach: materialise every point, then ``random.sample`` k of them."""
    keys = list(ranges)
    points = [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*ranges.values())]
    return random.Random(seed).sample(points, k)


def _peak_mib(fn: Any) -> float:
    """Peak Python heap (MiB) allocated while running ``fn`` once."""
    tracemalloc.start()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def _micro(fn: Any, n: int = 10_000) -> float:
    """Mean seconds per call of a fast ``fn`` over ``n`` calls."""
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


def main() -> Report:
    import hyperlab as hl

    report = Report("ParamSpace (6 keys x 10 values; 1e12-point space)")
    ranges = {f"k{i}": list(range(10)) for i in range(6)}
    space = hl.ParamSpace(**ranges)
    assert len(space) == 10**6

    ours = best_of(lambda: space.sample(10_000, replace=False, seed=0), 5)
    ours_mem = _peak_mib(lambda: space.sample(10_000, replace=False, seed=0))
    sample = space.sample(10_000, replace=False, seed=0)
    assert len({tuple(p.values()) for p in sample}) == 10_000
    peer = best_of(lambda: peer_sample(ranges, 10_000, 0), 1)
    peer_mem = _peak_mib(lambda: peer_sample(ranges, 10_000, 0))
    report.add("1e6 points: sample(10000, replace=False)", fmt_time(ours), fmt_time(peer),
               f"{peer / ours:,.0f}x", "<= 20 ms", ours <= 0.020)  # fmt: skip
    report.add("1e6 points: peak Python heap while sampling", f"{ours_mem:.1f} MiB",
               f"{peer_mem:.0f} MiB", f"{peer_mem / max(ours_mem, 1e-9):,.0f}x",
               "no materialisation", ours_mem < 50)  # fmt: skip

    big = hl.ParamSpace(**{f"k{i}": list(range(10)) for i in range(12)})
    assert len(big) == 10**12
    t_len = _micro(lambda: len(big))
    t_index = _micro(lambda: big[123_456_789_012])
    t_one = _micro(lambda: big.sample(1, replace=False), 2_000)
    t_hundred = best_of(lambda: big.sample(100, replace=False, seed=1), 5)
    for what, t in [("len", t_len), ("space[i]", t_index), ("sample(1, replace=False)", t_one)]:
        report.add(f"1e12 points: {what}", fmt_time(t), target="microseconds", met=t < 1e-3)
    report.add("1e12 points: sample(100, replace=False)", fmt_time(t_hundred),
               target="no materialisation", met=t_hundred < 0.1)  # fmt: skip
    report.notes.append(f"Peer: {PEER}; it cannot run on the 1e12-point space at all.")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report.notes.append(f"Process max RSS after the run: {rss:.0f} MiB (includes the peer).")
    return report


if __name__ == "__main__":
    print(main().markdown())
