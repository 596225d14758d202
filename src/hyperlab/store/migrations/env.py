"""Alembic environment: runs on the connection hyperlab hands over (no alembic.ini needed)."""

from __future__ import annotations

from alembic import context

from hyperlab.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
