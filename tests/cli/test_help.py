"""Every command has --help; the CLI starts without loading heavy libraries."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from hyperlab.cli.main import cli

COMMANDS = [
    [],
    ["ls"],
    ["show"],
    ["export"],
    ["studies"],
    ["tag"],
    ["rm"],
    ["db"],
    ["db", "info"],
    ["db", "upgrade"],
    ["db", "check"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "hyperlab")
def test_every_command_has_help(command: list[str]) -> None:
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage: " in result.output


def test_help_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys\n"
        "from hyperlab.cli.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('pandas', 'optuna', 'plotly', 'sqlalchemy.orm', 'numpy',"
        " 'sqlalchemy') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY []" in out.stdout


def test_python_dash_m_runs_the_cli() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "hyperlab", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.startswith("hyperlab, version ")


def test_usage_errors_exit_2() -> None:
    result = CliRunner().invoke(cli, ["ls", "--format", "xml"])
    assert result.exit_code == 2
    assert "'xml' is not one of 'table', 'json', 'csv'" in result.output
