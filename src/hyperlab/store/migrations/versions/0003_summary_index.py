"""An index on metric summaries by key, so "best first" tables walk it instead of sorting.

``hyperlab ls`` sorts by the study's main metric by default; with this index the top rows of a
100,000-run study are read in order from the index (about a millisecond) instead of computing
every run's summary and sorting (about 100 ms).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_metrics_key_summary",
        "metrics",
        ["key", sa.text("coalesce(final, best, last)"), "run_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_metrics_key_summary", table_name="metrics")
