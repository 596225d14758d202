"""A throwaway PostgreSQL cluster started from the installed server binaries.

PostgreSQL refuses to run as root, so when the tests run as root the cluster is initialised and
started as the ``postgres`` system user, in a directory under ``/tmp`` that user can traverse
(the Unix socket path must also stay short). ``fsync=off`` because the data is thrown away.
"""

from __future__ import annotations

import contextlib
import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def find_bindir() -> Path | None:
    """The newest ``/usr/lib/postgresql/N/bin`` holding ``initdb`` and ``pg_ctl``, or ``None``."""

    def version(path: str) -> int:
        name = Path(path).parent.parent.name
        return int(name) if name.isdigit() else 0

    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=version)
    if candidates:
        return Path(candidates[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port(start: int) -> int:
    for port in range(start, start + 2000):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free TCP port found in {start}..{start + 2000}")


class PostgresServer:
    """One PostgreSQL server in a private temporary directory.

    Example:
        >>> server = PostgresServer.start()          # doctest: +SKIP
        >>> url = server.create_database("t1")       # doctest: +SKIP
        >>> server.stop()                            # doctest: +SKIP
    """

    def __init__(self, bindir: Path, root: Path, port: int) -> None:
        self.bindir = bindir
        self.root = root
        self.port = port
        self._as_postgres = os.geteuid() == 0

    @classmethod
    def start(cls, bindir: Path | None = None, port_hint: int = 55432) -> PostgresServer:
        """Initialise and start a cluster; raises ``RuntimeError`` when that is impossible."""
        found = bindir or find_bindir()
        if found is None:
            raise RuntimeError("PostgreSQL server binaries not found (apt-get install postgresql)")
        root = Path(tempfile.mkdtemp(prefix="hlpg-", dir="/tmp"))
        root.chmod(0o777)
        # Several pytest workers start servers at once: spread their first probe.
        port = _free_port(port_hint + (os.getpid() % 500) * 3)
        server = cls(found, root, port)
        server._init_and_start()
        return server

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = list(args)
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=120)

    def _init_and_start(self) -> None:
        data = self.root / "data"
        done = self._run(
            str(self.bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
            "--encoding=UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stderr.strip() or done.stdout.strip()}")
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        started = self._run(
            str(self.bindir / "pg_ctl"), "-D", str(data), "-l", str(self.root / "log"),
            "-w", "-t", "60", "-o", options, "start",
        )  # fmt: skip
        if started.returncode != 0:
            log_file = self.root / "log"
            log = log_file.read_text(errors="replace") if log_file.exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {started.stderr.strip()}\n{log[-2000:]}")

    @property
    def admin_url(self) -> str:
        """URL of the ``postgres`` database as superuser (for creating databases)."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def create_database(self, name: str | None = None) -> str:
        """Create an empty database and return its SQLAlchemy URL."""
        import psycopg

        name = name or f"t_{secrets.token_hex(6)}"
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        """Stop the server and delete its directory."""
        with contextlib.suppress(Exception):
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"), "-m",
                      "immediate", "-w", "stop")  # fmt: skip
        shutil.rmtree(self.root, ignore_errors=True)
