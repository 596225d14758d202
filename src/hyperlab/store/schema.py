"""Table definitions of the store (SQLAlchemy Core).

The schema is the contract between the store, the query compiler and the migrations. Times are
UNIX epoch seconds (float, UTC) so that SQLite and PostgreSQL compare them the same way. JSON
values are kept as text written by :mod:`hyperlab.store.codec`, never by the database, so both
backends store byte-identical documents.

Params and meta are kept twice: whole, as canonical JSON in ``runs.params`` / ``runs.meta`` (fast
to read back into a DataFrame), and one row per flattened key in ``params`` / ``meta`` with a
numeric and a string projection (compared and sorted in SQL by a primary-key probe per run).

Metric points are stored in chunks: one row holds a batch of consecutive points of one key as
packed little-endian arrays (int64 steps, float64 values, float64 wall times). That keeps
ingestion near the speed of the disk and lets a million-point curve load in one read. Per-key
summaries (``metrics``) are kept current at ingestion, so queries never scan points.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

SCHEMA_REVISION = "0003"
"""The alembic revision this version of hyperlab expects (head of ``store/migrations``)."""

studies = sa.Table(
    "studies",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("version", sa.String(255), nullable=False, server_default=""),
    sa.Column("description", sa.Text, nullable=True),
    # JSON: {"val_acc": "max", "val_loss": "min"}; order matters: the first is the main metric.
    sa.Column("directions", sa.Text, nullable=False, server_default="{}"),
    # JSON: [{"name": "dropout", "value": 0.0, "when": null}, ...]; later entries win.
    sa.Column("defaults", sa.Text, nullable=False, server_default="[]"),
    sa.Column("created_at", sa.Double, nullable=False),
    # Next per-study run number, bumped atomically by UPDATE ... RETURNING.
    sa.Column("next_number", sa.Integer, nullable=False, server_default="1"),
    sa.UniqueConstraint("name", "version", name="uq_studies_name_version"),
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "study_id", sa.Integer, sa.ForeignKey("studies.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("name", sa.String(255), nullable=True),
    # queued | running | completed | failed | interrupted | pruned | lost
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("started_at", sa.Double, nullable=True),
    sa.Column("ended_at", sa.Double, nullable=True),
    sa.Column("heartbeat_at", sa.Double, nullable=True),
    sa.Column("host", sa.String(255), nullable=True),
    sa.Column("pid", sa.Integer, nullable=True),
    sa.Column("user", sa.String(255), nullable=True),
    sa.Column("command", sa.Text, nullable=True),
    sa.Column("cwd", sa.Text, nullable=True),
    sa.Column("git_commit", sa.String(64), nullable=True),
    sa.Column("git_branch", sa.String(255), nullable=True),
    sa.Column("git_dirty", sa.Boolean, nullable=True),
    sa.Column("python_version", sa.String(64), nullable=True),
    sa.Column("platform", sa.String(255), nullable=True),
    sa.Column("env", sa.Text, nullable=False, server_default="{}"),  # JSON: argv, packages, ...
    sa.Column("params", sa.Text, nullable=False, server_default="{}"),  # JSON, flat dotted keys
    sa.Column("params_hash", sa.String(64), nullable=True),
    sa.Column("meta", sa.Text, nullable=False, server_default="{}"),  # JSON, flat dotted keys
    sa.Column("notes", sa.Text, nullable=True),
    sa.Column("error", sa.Text, nullable=True),  # traceback of a failed run
    sa.Column("run_dir", sa.Text, nullable=True),
    # Lineage (resume / extend / fork).
    sa.Column(
        "parent_run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="SET NULL"), nullable=True
    ),
    sa.Column("fork_step", sa.Integer, nullable=True),
    sa.Column("changes", sa.Text, nullable=True),  # JSON: params changed against the parent
    # Queue.
    sa.Column("priority", sa.Integer, nullable=False, server_default="0"),
    sa.Column("attempt", sa.Integer, nullable=False, server_default="0"),
    sa.Column("max_attempts", sa.Integer, nullable=False, server_default="3"),
    sa.Column("lease_owner", sa.String(255), nullable=True),
    sa.Column("lease_expires", sa.Double, nullable=True),
    sa.Column("spec", sa.Text, nullable=True),  # JSON: what a worker executes (command/function)
    sa.UniqueConstraint("study_id", "number", name="uq_runs_study_number"),
)
sa.Index("ix_runs_state", runs.c.state, runs.c.priority)
sa.Index("ix_runs_params_hash", runs.c.study_id, runs.c.params_hash)
sa.Index("ix_runs_parent", runs.c.parent_run_id)


def _kv_table(name: str) -> sa.Table:
    """A key/value table for flattened params or meta, projected for indexing."""
    table = sa.Table(
        name,
        metadata,
        sa.Column(
            "run_id",
            sa.Integer,
            sa.ForeignKey("runs.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),  # JSON of the value
        sa.Column("num", sa.Double, nullable=True),  # numbers and bools (1.0 / 0.0)
        sa.Column("str", sa.Text, nullable=True),  # strings
    )
    # No secondary index on (key, num): queries probe the primary key per run, and an index
    # ordered by key would make every new run touch one page per param (twice the write cost).
    return table


params = _kv_table("params")
meta = _kv_table("meta")

tags = sa.Table(
    "tags",
    metadata,
    sa.Column(
        "run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("tag", sa.String(255), primary_key=True),
)
sa.Index("ix_tags_tag", tags.c.tag)

metrics = sa.Table(
    "metrics",
    metadata,
    sa.Column(
        "run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last", sa.Double, nullable=True),
    sa.Column("last_step", sa.Integer, nullable=True),
    sa.Column("min", sa.Double, nullable=True),  # NaN points are left out of min/max/sum
    sa.Column("max", sa.Double, nullable=True),
    sa.Column("sum", sa.Double, nullable=True),
    sa.Column("best", sa.Double, nullable=True),  # by the study's direction for the key
    sa.Column("best_step", sa.Integer, nullable=True),
    sa.Column("final", sa.Double, nullable=True),  # set explicitly by run.set_summary()
)

# Walked in order by "best first" tables (migration 0003); see querying/selection.py.
sa.Index(
    "ix_metrics_key_summary",
    metrics.c.key,
    sa.func.coalesce(metrics.c.final, metrics.c.best, metrics.c.last),
    metrics.c.run_id,
)

metric_chunks = sa.Table(
    "metric_chunks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    sa.Column("key", sa.String(255), nullable=False),
    sa.Column("first_step", sa.Integer, nullable=False),
    sa.Column("last_step", sa.Integer, nullable=False),
    sa.Column("n", sa.Integer, nullable=False),
    sa.Column("steps", sa.LargeBinary, nullable=False),  # int64 little-endian
    sa.Column("values", sa.LargeBinary, nullable=False),  # float64 little-endian
    sa.Column("times", sa.LargeBinary, nullable=False),  # float64 little-endian, epoch seconds
)
sa.Index("ix_metric_chunks_run_key", metric_chunks.c.run_id, metric_chunks.c.key)

# Which param/metric/meta keys a study's runs use: lets the query compiler resolve names without
# scanning millions of key/value rows. Written with ON CONFLICT DO NOTHING next to the values.
study_keys = sa.Table(
    "study_keys",
    metadata,
    sa.Column(
        "study_id", sa.Integer, sa.ForeignKey("studies.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("kind", sa.String(8), primary_key=True),  # param | metric | meta
    sa.Column("key", sa.String(255), primary_key=True),
)

# What a launcher submitted (hl.submit): one row per job, linked to the run that tracks it.
jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "study_id", sa.Integer, sa.ForeignKey("studies.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="SET NULL"), nullable=True),
    sa.Column("batch", sa.String(64), nullable=False),  # one hl.submit call
    sa.Column("launcher", sa.String(16), nullable=False),  # local | slurm | torque
    sa.Column("job_id", sa.String(64), nullable=False),  # scheduler id: 123, 123_4, 123.server
    sa.Column("array_index", sa.Integer, nullable=True),
    sa.Column("name", sa.String(255), nullable=False),
    # PENDING | RUNNING | COMPLETED | FAILED | CANCELLED | TIMEOUT | UNKNOWN
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("exit_code", sa.Integer, nullable=True),
    sa.Column("node", sa.String(255), nullable=True),
    sa.Column("runtime_s", sa.Double, nullable=True),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("work_dir", sa.Text, nullable=False),  # the job's own directory
    sa.Column("params", sa.Text, nullable=False, server_default="{}"),  # JSON, flat
    sa.Column("submitted_at", sa.Double, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
)
sa.Index("ix_jobs_study", jobs.c.study_id, jobs.c.submitted_at)
sa.Index("ix_jobs_launcher_job", jobs.c.launcher, jobs.c.job_id)
