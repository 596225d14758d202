"""Fixtures for launcher tests: a real single-node Slurm (one per pytest process)."""

from __future__ import annotations

import pytest

from hyperlab.testing.slurm import SlurmCluster, cluster_for_tests

slurm_cluster = pytest.fixture(scope="session")(cluster_for_tests)


@pytest.fixture
def slurm(slurm_cluster: SlurmCluster, monkeypatch: pytest.MonkeyPatch) -> SlurmCluster:
    """The session's Slurm cluster, with ``SLURM_CONF`` pointing at it for this test."""
    monkeypatch.setenv("SLURM_CONF", str(slurm_cluster.conf))
    return slurm_cluster
