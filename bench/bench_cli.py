"""CLI cold start: ``hyperlab --help`` and ``hyperlab ls --limit 20`` on 100k runs, fresh process.

Targets (issue 2): ``--help`` <= 0.25 s, ``ls --limit 20`` <= 0.5 s. Peers' ``--help`` for scale.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from bench.common import Report, cold_command, fmt_time, python
from bench.stores import hyperlab_store


def _peer_cli(name: str) -> str | None:
    found = Path(python()).parent / name
    return str(found) if found.exists() else shutil.which(name)


def main() -> Report:
    report = Report("CLI cold start (fresh process)")
    hl_bin = [python(), "-m", "hyperlab"]
    help_t = cold_command([*hl_bin, "--help"])
    report.add("`hyperlab --help`", fmt_time(help_t), target="<= 0.25 s", met=help_t <= 0.25)
    for peer in ("mlflow", "optuna", "aim"):
        exe = _peer_cli(peer)
        if exe:
            t = cold_command([exe, "--help"], repeat=3)
            report.add(f"`--help` vs `{peer} --help`", fmt_time(help_t), fmt_time(t),
                       f"{t / help_t:,.1f}x")  # fmt: skip
    url = hyperlab_store(100_000)
    ls_t = cold_command([*hl_bin, "--store", url, "ls", "--limit", "20"])
    report.add("`hyperlab ls --limit 20`, 100k runs", fmt_time(ls_t), target="<= 0.5 s",
               met=ls_t <= 0.5)  # fmt: skip
    return report


if __name__ == "__main__":
    print(main().markdown())
