"""What a test does when a service it needs is not installed: skip locally, fail in CI."""

from __future__ import annotations

import os
from typing import NoReturn


def in_ci() -> bool:
    """Whether we run under CI (``CI=true``), where every service must be present."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def service_missing(reason: str) -> NoReturn:
    """Skip the calling test with ``reason``, or fail it when running in CI.

    Args:
        reason: What is missing and how to install it, shown in the test report.
    """
    import pytest

    if in_ci():
        pytest.fail(f"{reason} (CI=true: services must be available, not skipped)")
    pytest.skip(reason)
