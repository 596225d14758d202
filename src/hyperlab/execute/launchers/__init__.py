"""Job templates and launchers: render a script per point, submit it, follow it.

- :func:`submit` (``hl.submit``): one job per point of a space, from a template;
- :func:`job_status`, :func:`job_output`, :func:`job_metrics`, :func:`cancel`,
  :func:`wait_jobs`: follow what was submitted;
- :func:`launch_workers` (``hl.launch_workers``): N queue workers as one array job;
- launchers: :class:`LocalLauncher`, :class:`SlurmLauncher`, :class:`TorqueLauncher`, behind the
  :class:`Launcher` protocol.
"""

from __future__ import annotations

from hyperlab.execute.launchers.base import JobState, JobStatus, Launcher
from hyperlab.execute.launchers.local import LocalLauncher
from hyperlab.execute.launchers.metrics import job_metrics
from hyperlab.execute.launchers.slurm import SlurmLauncher
from hyperlab.execute.launchers.status import cancel, job_output, job_status, wait_jobs
from hyperlab.execute.launchers.submit import get_launcher, submit
from hyperlab.execute.launchers.torque import TorqueLauncher
from hyperlab.execute.launchers.workers import launch_workers

__all__ = [
    "JobState",
    "JobStatus",
    "Launcher",
    "LocalLauncher",
    "SlurmLauncher",
    "TorqueLauncher",
    "cancel",
    "get_launcher",
    "job_metrics",
    "job_output",
    "job_status",
    "launch_workers",
    "submit",
    "wait_jobs",
]
