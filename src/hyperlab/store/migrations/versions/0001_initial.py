"""Initial schema: studies, runs, params, meta, tags, metric summaries and chunks.

A frozen snapshot (not generated from the live metadata), so later schema changes never alter
what this revision creates.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _fk_run(ondelete: str = "CASCADE") -> sa.ForeignKey:
    return sa.ForeignKey("runs.id", ondelete=ondelete)


def upgrade() -> None:
    op.create_table(
        "studies",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("version", sa.String(255), nullable=False, server_default=""),
        sa.Column("description", sa.Text),
        sa.Column("directions", sa.Text, nullable=False, server_default="{}"),
        sa.Column("defaults", sa.Text, nullable=False, server_default="[]"),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("next_number", sa.Integer, nullable=False, server_default="1"),
        sa.UniqueConstraint("name", "version", name="uq_studies_name_version"),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "study_id",
            sa.Integer,
            sa.ForeignKey("studies.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("name", sa.String(255)),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("started_at", sa.Double),
        sa.Column("ended_at", sa.Double),
        sa.Column("heartbeat_at", sa.Double),
        sa.Column("host", sa.String(255)),
        sa.Column("pid", sa.Integer),
        sa.Column("user", sa.String(255)),
        sa.Column("command", sa.Text),
        sa.Column("cwd", sa.Text),
        sa.Column("git_commit", sa.String(64)),
        sa.Column("git_branch", sa.String(255)),
        sa.Column("git_dirty", sa.Boolean),
        sa.Column("python_version", sa.String(64)),
        sa.Column("platform", sa.String(255)),
        sa.Column("env", sa.Text, nullable=False, server_default="{}"),
        sa.Column("params", sa.Text, nullable=False, server_default="{}"),
        sa.Column("params_hash", sa.String(64)),
        sa.Column("meta", sa.Text, nullable=False, server_default="{}"),
        sa.Column("notes", sa.Text),
        sa.Column("error", sa.Text),
        sa.Column("run_dir", sa.Text),
        sa.Column("parent_run_id", sa.Integer, _fk_run("SET NULL")),
        sa.Column("fork_step", sa.Integer),
        sa.Column("changes", sa.Text),
        sa.Column("priority", sa.Integer, nullable=False, server_default="0"),
        sa.Column("attempt", sa.Integer, nullable=False, server_default="0"),
        sa.Column("max_attempts", sa.Integer, nullable=False, server_default="3"),
        sa.Column("lease_owner", sa.String(255)),
        sa.Column("lease_expires", sa.Double),
        sa.Column("spec", sa.Text),
        sa.UniqueConstraint("study_id", "number", name="uq_runs_study_number"),
    )
    op.create_index("ix_runs_state", "runs", ["state", "priority"])
    op.create_index("ix_runs_params_hash", "runs", ["study_id", "params_hash"])
    op.create_index("ix_runs_parent", "runs", ["parent_run_id"])
    for name in ("params", "meta"):
        op.create_table(
            name,
            sa.Column("run_id", sa.Integer, _fk_run(), primary_key=True),
            sa.Column("key", sa.String(255), primary_key=True),
            sa.Column("value", sa.Text, nullable=False),
            sa.Column("num", sa.Double),
            sa.Column("str", sa.Text),
        )
    op.create_table(
        "tags",
        sa.Column("run_id", sa.Integer, _fk_run(), primary_key=True),
        sa.Column("tag", sa.String(255), primary_key=True),
    )
    op.create_index("ix_tags_tag", "tags", ["tag"])
    op.create_table(
        "metrics",
        sa.Column("run_id", sa.Integer, _fk_run(), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last", sa.Double),
        sa.Column("last_step", sa.Integer),
        sa.Column("min", sa.Double),
        sa.Column("max", sa.Double),
        sa.Column("sum", sa.Double),
        sa.Column("best", sa.Double),
        sa.Column("best_step", sa.Integer),
        sa.Column("final", sa.Double),
    )
    op.create_table(
        "metric_chunks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.Integer, _fk_run(), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("first_step", sa.Integer, nullable=False),
        sa.Column("last_step", sa.Integer, nullable=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("steps", sa.LargeBinary, nullable=False),
        sa.Column("values", sa.LargeBinary, nullable=False),
        sa.Column("times", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_metric_chunks_run_key", "metric_chunks", ["run_id", "key"])
    op.create_table(
        "study_keys",
        sa.Column(
            "study_id",
            sa.Integer,
            sa.ForeignKey("studies.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("kind", sa.String(8), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
    )


def downgrade() -> None:
    for table in (
        "study_keys",
        "metric_chunks",
        "metrics",
        "tags",
        "meta",
        "params",
        "runs",
        "studies",
    ):
        op.drop_table(table)
