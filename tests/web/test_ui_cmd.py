"""``hyperlab ui`` serves the dashboard from a real process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from hyperlab.store import Store

from .conftest import DEADLINE_S


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as err:
        return int(err.code)


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_ui_serves_the_dashboard_and_honours_the_token(seeded: Store, tmp_path: Path) -> None:
    port = _free_port()
    log = tmp_path / "ui.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "hyperlab",
                "--store",
                seeded.url,
                "ui",
                "--port",
                str(port),
                "--token",
                "tok-9",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + DEADLINE_S
        while True:
            try:
                status = _status(f"{base}/api/studies")
                break
            except OSError:
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "hyperlab ui did not start"
                time.sleep(0.1)
        assert status == 401
        assert _status(f"{base}/api/studies?token=tok-9") == 200
        assert f"{base}/?token=tok-9" in log.read_text()
    finally:
        proc.terminate()
        proc.wait(DEADLINE_S)
