"""The state store's schema, brought to this code's revision with Alembic.

The migrations live in ``sync/migrations`` (shipped in the wheel); the Alembic config is
built here in code, so no ``alembic.ini`` is needed at run time. :func:`upgrade_to_head`
runs on every open of the store, in one transaction that holds a migration lock:

- a new, empty database is upgraded to head;
- a database made by ``create_all`` before migrations existed (the tables are there but
  there is no ``alembic_version`` table) is stamped with the baseline revision, then
  upgraded;
- a database at a revision this code does not know (a newer version migrated it) is
  refused with :class:`SchemaTooNewError`: running older code on a newer schema could
  lose what the newer columns hold.

The lock serializes two processes opening one store at once: a transaction-level advisory
lock on PostgreSQL (its own key, not the cycle lock's, so opening a store never waits for a
cycle), ``BEGIN IMMEDIATE`` on SQLite (the second process waits out the busy timeout). It
is taken only when the store is not already at head.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import structlog
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

log = structlog.get_logger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().with_name("migrations")
#: The revision that is the schema ``create_all`` made before migrations existed.
BASELINE = "0001_initial"
_BASELINE_TABLES = ("postmortems", "action_items", "cycles")
_MIGRATION_LOCK_KEY = zlib.crc32(b"postmortem-sync schema migration")


class SchemaError(Exception):
    """The state store's schema cannot be brought to the revision this code needs."""


class SchemaTooNewError(SchemaError):
    """The store was migrated by a newer version of postmortem-sync."""

    def __init__(self, revision: str, head: str) -> None:
        super().__init__(
            f"the state store is at schema revision {revision!r}, which this version of postmortem-sync "
            f"does not know (its newest is {head!r}): a newer version has migrated it. Run that version "
            "or a later one, or restore a copy of the store taken before the upgrade"
        )
        self.revision = revision
        self.head = head


def alembic_config(connection: Connection | None = None) -> Config:
    """The Alembic config of the state store; ``env.py`` runs on ``connection``."""
    config = Config()
    # The option goes through configparser, which reads "%" as interpolation.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise SchemaError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


def current_revision(connection: Connection) -> str | None:
    """The store's revision, None when it has no ``alembic_version`` table."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade_to_head(engine: Engine) -> None:
    """Bring the store's schema to head in one transaction, holding the migration lock."""
    script = ScriptDirectory.from_config(alembic_config())
    with engine.connect() as conn:
        # A look without the lock first: a store already at head (every open but the first
        # after an upgrade) takes no lock, so `status` does not wait for a cycle's writes.
        if current_revision(conn) == script.get_current_head():
            return
        conn.rollback()
        _lock(conn)
        _upgrade(conn, script)
        conn.commit()


def _lock(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        # pysqlite opens a transaction only before DML: open it now, with the write lock,
        # so that the DDL and the version row commit together and a second process waits.
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    elif conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK_KEY})


def _upgrade(conn: Connection, script: ScriptDirectory) -> None:
    """Under the lock, look again: another process may have done it meanwhile."""
    config = alembic_config(conn)
    head = script.get_current_head()
    current = current_revision(conn)
    if current is None and _made_before_migrations(conn):
        command.stamp(config, BASELINE)
        log.info("state store predates schema migrations: stamped with the baseline", revision=BASELINE)
        current = BASELINE
    elif current is not None and current not in {s.revision for s in script.walk_revisions()}:
        raise SchemaTooNewError(current, head or "none")
    if current == head:
        return
    command.upgrade(config, "head")
    if current is not None:
        log.info("state store schema upgraded", from_revision=current, to_revision=head)


def _made_before_migrations(conn: Connection) -> bool:
    """True when the baseline tables exist without a version table; False when none do."""
    tables = inspect(conn)
    present = [name for name in _BASELINE_TABLES if tables.has_table(name)]
    if not present:
        return False
    missing = [name for name in _BASELINE_TABLES if name not in present]
    if missing:
        raise SchemaError(
            f"the database has the table(s) {', '.join(present)} but not {', '.join(missing)}, and no "
            "alembic_version table: it is not a state store this program made. Point PMSYNC_DATABASE_URL "
            "at an empty database or at an existing state store"
        )
    return True
