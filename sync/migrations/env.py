"""Alembic environment of the state store.

Run only through :func:`sync.schema.upgrade_to_head`, which builds the Alembic config in
code and hands over a connection (``config.attributes["connection"]``) that is already in
a transaction and holds the migration lock. Everything a run does therefore commits or
rolls back with that transaction; nothing here opens a connection of its own.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from sync.store import Base

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection) or context.is_offline_mode():
    raise RuntimeError("the state store's migrations run through sync.schema.upgrade_to_head(engine), online only")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most of a table: batch mode copies the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
