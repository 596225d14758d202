"""Jobs: what a launcher (local, slurm, torque) submitted, linked to the tracked run.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "study_id",
            sa.Integer,
            sa.ForeignKey("studies.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="SET NULL")),
        sa.Column("batch", sa.String(64), nullable=False),
        sa.Column("launcher", sa.String(16), nullable=False),
        sa.Column("job_id", sa.String(64), nullable=False),
        sa.Column("array_index", sa.Integer),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("exit_code", sa.Integer),
        sa.Column("node", sa.String(255)),
        sa.Column("runtime_s", sa.Double),
        sa.Column("reason", sa.Text),
        sa.Column("work_dir", sa.Text, nullable=False),
        sa.Column("params", sa.Text, nullable=False, server_default="{}"),
        sa.Column("submitted_at", sa.Double, nullable=False),
        sa.Column("updated_at", sa.Double, nullable=False),
    )
    op.create_index("ix_jobs_study", "jobs", ["study_id", "submitted_at"])
    op.create_index("ix_jobs_launcher_job", "jobs", ["launcher", "job_id"])


def downgrade() -> None:
    op.drop_table("jobs")
