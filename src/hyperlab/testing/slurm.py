"""A throwaway single-node Slurm cluster (with accounting) started from the installed binaries.

Everything lives in one private directory under ``/tmp``: the munge key and socket, a MariaDB
data directory for ``slurmdbd``, ``slurm.conf``/``slurmdbd.conf``, state, spool and logs. Nothing
is written to ``/etc`` or ``/var``. Clients find the cluster through ``SLURM_CONF``
(:meth:`SlurmCluster.env`). Every daemon runs in the foreground as a child process in its own
session, so :meth:`SlurmCluster.stop` ends exactly what it started.

Several test sessions can run clusters at once (``pytest -n 2``): each cluster gets its own
directory, cluster name and free TCP ports; a file lock serialises port choice and start-up.

Needs (Debian 12): ``slurm-wlm`` (with munge), and for ``sacct``: ``slurmdbd mariadb-server``.
The PBS wrappers ``qsub``/``qstat``/``qdel`` come from ``slurm-wlm-torque``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

DAEMONS = ("munged", "mungekey", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol", "scancel")
ACCOUNTING = ("slurmdbd", "mariadbd", "mariadb-install-db", "sacct")
TORQUE = ("qsub", "qstat", "qdel")
_SBIN = ("/usr/sbin", "/usr/bin", "/sbin", "/bin")
_LOCK = Path(tempfile.gettempdir()) / "hyperlab-slurm-start.lock"


def find_binary(name: str) -> str | None:
    """The path of a Slurm/munge/MariaDB binary (``/usr/sbin`` is often not on ``PATH``)."""
    found = shutil.which(name)
    if found:
        return found
    for folder in _SBIN:
        candidate = Path(folder) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def _require(name: str) -> str:
    found = find_binary(name)
    if found is None:
        raise RuntimeError(f"{name} is not installed")
    return found


def missing_binaries(*, accounting: bool = True, torque: bool = False) -> list[str]:
    """Binaries needed for a cluster that are not installed (empty when all are present)."""
    names = list(DAEMONS)
    if accounting:
        names += ACCOUNTING
    if torque:
        names += TORQUE
    return [n for n in names if find_binary(n) is None]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@contextlib.contextmanager
def _start_lock() -> Iterator[None]:
    with open(_LOCK, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass
class SlurmCluster:
    """A running single-node cluster.

    Attributes:
        root: The private directory holding configuration, state and logs.
        conf: Path of ``slurm.conf`` (what ``SLURM_CONF`` must point at).
        name: The cluster name (unique per cluster).
        accounting: Whether ``slurmdbd`` runs, so ``sacct`` works.
    """

    root: Path
    conf: Path
    name: str
    accounting: bool
    _procs: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        """Environment variables that point Slurm clients at this cluster."""
        return {"SLURM_CONF": str(self.conf)}

    def client_env(self) -> dict[str, str]:
        """A full environment for running client commands against this cluster."""
        return {**os.environ, **self.env()}

    def run(self, *args: str, timeout_s: float = 60) -> subprocess.CompletedProcess[str]:
        """Run a client command (``sinfo``, ``sacct`` ...) against this cluster."""
        exe = find_binary(args[0]) or args[0]
        return subprocess.run(
            [exe, *args[1:]],
            capture_output=True,
            text=True,
            env=self.client_env(),
            timeout=timeout_s,
            check=False,
        )

    def logs(self, tail: int = 40) -> str:
        """The last lines of every daemon log (for failure messages)."""
        parts = []
        for path in sorted((self.root / "log").glob("*.log")):
            lines = path.read_text(errors="replace").splitlines()[-tail:]
            parts.append(f"== {path.name}\n" + "\n".join(lines))
        return "\n".join(parts)

    def stop(self) -> None:
        """Stop every daemon this cluster started (newest first) and delete its directory."""
        for _, proc in reversed(self._procs):
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        for _, proc in reversed(self._procs):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=20)
        self._procs.clear()
        shutil.rmtree(self.root, ignore_errors=True)

    # -- start-up -------------------------------------------------------------------------
    def _spawn(
        self, label: str, args: list[str], env: Mapping[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        log = open(self.root / "log" / f"{label}.out", "ab")  # noqa: SIM115 - owned by child
        proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=dict(env) if env is not None else self.client_env(),
        )
        log.close()
        self._procs.append((label, proc))
        return proc

    def _wait(self, what: str, ready: object, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for label, proc in self._procs:
                if proc.poll() is not None:
                    raise RuntimeError(
                        f"{label} exited with code {proc.returncode} while waiting for {what}\n"
                        + self._outputs()
                    )
            if callable(ready) and ready():
                return
            time.sleep(0.2)
        raise RuntimeError(f"timed out after {timeout_s:.0f} s waiting for {what}\n{self.logs()}")

    def _outputs(self) -> str:
        parts = [self.logs()]
        for path in sorted((self.root / "log").glob("*.out")):
            parts.append(f"== {path.name}\n{path.read_text(errors='replace')[-3000:]}")
        return "\n".join(parts)


def start_slurm(*, accounting: bool = True, cpus: int = 2, timeout_s: float = 120) -> SlurmCluster:
    """Start munge, (MariaDB + slurmdbd,) slurmctld and slurmd in a fresh directory.

    Args:
        accounting: Also start MariaDB and ``slurmdbd`` so that ``sacct`` works.
        cpus: CPUs the single node offers (jobs beyond that wait, like on a real cluster).
        timeout_s: How long to wait for each daemon to come up.

    Returns:
        The running :class:`SlurmCluster`; call :meth:`SlurmCluster.stop` when done.

    Raises:
        RuntimeError: A binary is missing or a daemon did not start (the logs are included).
    """
    missing = missing_binaries(accounting=accounting)
    if missing:
        raise RuntimeError(f"Slurm binaries not installed: {', '.join(missing)}")
    root = Path(tempfile.mkdtemp(prefix="hls", dir="/tmp"))
    root.chmod(0o755)
    cluster = SlurmCluster(
        root=root, conf=root / "slurm.conf", name=f"hl{secrets.token_hex(4)}", accounting=False
    )
    try:
        with _start_lock():
            _start(cluster, accounting=accounting, cpus=cpus, timeout_s=timeout_s)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def _start(cluster: SlurmCluster, *, accounting: bool, cpus: int, timeout_s: float) -> None:
    root = cluster.root
    for sub in ("log", "state", "spool"):
        (root / sub).mkdir()
    socket_path = _start_munge(cluster, timeout_s)
    ports = {"ctld": _free_port(), "slurmd": _free_port()}
    lines = _slurm_conf_lines(cluster, socket_path, ports, cpus)
    if accounting:
        ports["dbd"] = _free_port()
        ports["db"] = _free_port()
        lines += [
            "AccountingStorageType=accounting_storage/slurmdbd",
            "AccountingStorageHost=localhost",
            f"AccountingStoragePort={ports['dbd']}",
            f"AccountingStoragePass={socket_path}",
            "JobAcctGatherType=jobacct_gather/none",
        ]
    cluster.conf.write_text("\n".join(lines) + "\n")
    if accounting:
        _start_accounting(cluster, socket_path, ports, timeout_s)
        cluster.accounting = True
    ctld, slurmd = _require("slurmctld"), _require("slurmd")
    cluster._spawn("slurmctld", [ctld, "-D", "-c", "-i", "-f", str(cluster.conf)])
    cluster._wait(
        "slurmctld to answer", lambda: cluster.run("scontrol", "ping").returncode == 0, timeout_s
    )
    cluster._spawn("slurmd", [slurmd, "-D", "-N", "localhost", "-f", str(cluster.conf)])

    def node_idle() -> bool:
        done = cluster.run("sinfo", "-h", "-N", "-o", "%T")
        return done.returncode == 0 and done.stdout.strip().startswith("idle")

    cluster._wait("the node to become idle", node_idle, timeout_s)
    if accounting:
        cluster._wait(
            "sacct to answer", lambda: cluster.run("sacct", "-n", "-X").returncode == 0, timeout_s
        )


def _start_munge(cluster: SlurmCluster, timeout_s: float) -> Path:
    munge_dir = cluster.root / "munge"
    munge_dir.mkdir(mode=0o711)
    user = pwd.getpwnam("munge") if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())
    key = munge_dir / "munge.key"
    mungekey, munged = _require("mungekey"), _require("munged")
    subprocess.run([mungekey, "--create", "--keyfile", str(key)], check=True, capture_output=True)
    for path in (munge_dir, key):
        os.chown(path, user.pw_uid, user.pw_gid)
    key.chmod(0o600)
    munge_dir.chmod(0o711)
    socket_path = munge_dir / "munge.socket"
    args = [
        munged, "-F", f"--socket={socket_path}", f"--key-file={key}",
        f"--pid-file={munge_dir / 'munged.pid'}", f"--log-file={munge_dir / 'munged.log'}",
        f"--seed-file={munge_dir / 'munged.seed'}",
    ]  # fmt: skip
    if os.geteuid() == 0:
        args = ["runuser", "-u", "munge", "--", *args]
    cluster._spawn("munged", args, env=dict(os.environ))
    cluster._wait("munged's socket", socket_path.exists, timeout_s)
    return socket_path


def _slurm_conf_lines(
    cluster: SlurmCluster, socket_path: Path, ports: Mapping[str, int], cpus: int
) -> list[str]:
    root = cluster.root
    user = pwd.getpwuid(os.geteuid()).pw_name
    return [
        f"ClusterName={cluster.name}",
        "SlurmctldHost=localhost(127.0.0.1)",
        f"SlurmctldPort={ports['ctld']}",
        f"SlurmdPort={ports['slurmd']}",
        f"SlurmUser={user}",
        f"SlurmdUser={user}",
        "AuthType=auth/munge",
        f"AuthInfo=socket={socket_path}",
        "CredType=cred/munge",
        f"StateSaveLocation={root / 'state'}",
        f"SlurmdSpoolDir={root / 'spool'}",
        f"SlurmctldPidFile={root / 'slurmctld.pid'}",
        f"SlurmdPidFile={root / 'slurmd.pid'}",
        f"SlurmctldLogFile={root / 'log' / 'slurmctld.log'}",
        f"SlurmdLogFile={root / 'log' / 'slurmd.log'}",
        "ProctrackType=proctrack/linuxproc",
        "TaskPlugin=task/none",
        "SelectType=select/cons_tres",
        "SelectTypeParameters=CR_CPU",
        "SchedulerParameters=batch_sched_delay=0",
        "MailProg=/bin/true",
        "SlurmdParameters=config_overrides",
        "ReturnToService=2",
        "MinJobAge=300",
        "KillWait=5",
        "InactiveLimit=0",
        f"NodeName=localhost NodeAddr=127.0.0.1 CPUs={cpus} RealMemory=1000 State=UNKNOWN",
        "PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP",
    ]


def _start_accounting(
    cluster: SlurmCluster, socket_path: Path, ports: Mapping[str, int], timeout_s: float
) -> None:
    root = cluster.root
    data = root / "mysql"
    install, mariadbd = _require("mariadb-install-db"), _require("mariadbd")
    slurmdbd = _require("slurmdbd")
    user = pwd.getpwuid(os.geteuid()).pw_name
    done = subprocess.run(
        [install, "--no-defaults", f"--datadir={data}", f"--user={user}",
         "--auth-root-authentication-method=normal", "--skip-test-db"],
        capture_output=True, text=True, check=False, timeout=timeout_s,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"mariadb-install-db failed: {done.stderr[-2000:]}")
    cluster._spawn(
        "mariadbd",
        [mariadbd, "--no-defaults", f"--datadir={data}", f"--port={ports['db']}",
         "--bind-address=127.0.0.1", f"--socket={root / 'mysql.sock'}", f"--user={user}",
         "--skip-grant-tables", f"--pid-file={root / 'mariadbd.pid'}",
         f"--log-error={root / 'log' / 'mariadbd.log'}", "--innodb-flush-log-at-trx-commit=0",
         "--innodb-buffer-pool-size=64M", "--skip-log-bin"],
        env=dict(os.environ),
    )  # fmt: skip
    cluster._wait("MariaDB", lambda: _port_open(ports["db"]), timeout_s)
    dbd_conf = root / "slurmdbd.conf"
    dbd_conf.write_text(
        "\n".join(
            [
                "AuthType=auth/munge",
                f"AuthInfo=socket={socket_path}",
                "DbdHost=localhost",
                "DbdAddr=127.0.0.1",
                f"DbdPort={ports['dbd']}",
                f"SlurmUser={user}",
                f"PidFile={root / 'slurmdbd.pid'}",
                f"LogFile={root / 'log' / 'slurmdbd.log'}",
                "StorageType=accounting_storage/mysql",
                "StorageHost=127.0.0.1",
                f"StoragePort={ports['db']}",
                "StorageUser=root",
                f"StorageLoc=slurm_{cluster.name}",
            ]
        )
        + "\n"
    )
    dbd_conf.chmod(0o600)
    cluster._spawn("slurmdbd", [slurmdbd, "-D"])
    cluster._wait("slurmdbd", lambda: _port_open(ports["dbd"]), timeout_s)


def cluster_for_tests() -> Iterator[SlurmCluster]:
    """Body of a session fixture: one cluster per pytest process (xdist worker).

    Skips the test locally with the reason when the binaries are missing or the cluster cannot
    start; fails it when ``CI=true``. Use it as::

        slurm_cluster = pytest.fixture(scope="session")(cluster_for_tests)
    """
    from hyperlab.testing.services import service_missing

    missing = missing_binaries(accounting=True, torque=False)
    if missing:
        service_missing(
            f"Slurm binaries missing: {', '.join(missing)} "
            "(apt-get install slurm-wlm slurmdbd mariadb-server slurm-wlm-torque)"
        )
    try:
        cluster = start_slurm()
    except RuntimeError as err:
        service_missing(f"could not start a single-node Slurm: {err}")
    try:
        yield cluster
    finally:
        cluster.stop()
