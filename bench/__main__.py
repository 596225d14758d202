"""Run every benchmark module (or those named on the command line) and write bench/RESULTS.md.

Usage: ``python -m bench [module ...]`` from the repository root, inside the bench environment
(``make bench`` creates it with the peers installed).
"""

from __future__ import annotations

import importlib
import sys
import time
import traceback
from pathlib import Path

from bench.common import Report, machine

MODULES = ["bench_logging", "bench_query", "bench_cli", "bench_search", "bench_queue",
           "bench_hydra", "bench_space", "bench_dashboard"]  # fmt: skip


def main(argv: list[str]) -> int:
    names = argv or MODULES
    date = time.strftime("%Y-%m-%d")
    parts = [
        f"# Benchmark results\n\nMachine: {machine()}  \nDate: {date}\n"
        "Produced by `make bench` (hyperlab and peers in one process, same machine).\n"
    ]
    failed = 0
    for name in names:
        path = Path(__file__).parent / f"{name}.py"
        if not path.exists():
            continue
        print(f"== {name}", flush=True)
        try:
            report: Report = importlib.import_module(f"bench.{name}").main()
        except Exception:
            failed += 1
            parts.append(f"## {name}\n\nFAILED:\n\n```\n{traceback.format_exc()}```\n")
            traceback.print_exc()
            continue
        text = report.markdown()
        print(text, flush=True)
        parts.append(text)
    if not argv:
        (Path(__file__).parent / "RESULTS.md").write_text("\n".join(parts))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
