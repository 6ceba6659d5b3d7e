"""Schema migrations of the state store (sync/schema.py, sync/migrations/).

Every test runs on a SQLite file and, when a server answers, on PostgreSQL in a schema of
its own (the ``pg_url`` fixture, dropped afterwards).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, create_engine, inspect, select, text

from config.settings import SettingsError
from sync.cycle_lock import cycle_lock
from sync.schema import (
    BASELINE,
    SchemaError,
    SchemaTooNewError,
    _lock,
    alembic_config,
    current_revision,
    head_revision,
)
from sync.store import Base, Store, make_engine
from sync.wiring import open_store

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2024, 3, 12, 15, 0, tzinfo=UTC)
FUTURE = "0999_from_a_newer_version"


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'state.db'}"
    else:
        yield request.getfixturevalue("pg_url")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'state.db'}"


def revision_of(url: str) -> str | None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return current_revision(conn)
    finally:
        engine.dispose()


def rows_of(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of the baseline tables, read without the ORM (whose classes may be ahead)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            meta = MetaData()
            meta.reflect(conn, only=["postmortems", "action_items", "cycles"])
            return {
                name: [dict(row._mapping) for row in conn.execute(select(table))] for name, table in meta.tables.items()
            }
    finally:
        engine.dispose()


def kept(before: dict[str, list[dict[str, Any]]], url: str) -> bool:
    """Whether the store still holds the rows ``before`` held, in the columns they had
    (columns added since are left out)."""
    after = rows_of(url)
    return before == {
        name: [{column: row[column] for column in before[name][0]} for row in after[name]] for name in before
    }


def make_store_before_migrations(url: str) -> None:
    """A store as ``Base.metadata.create_all`` made it before migrations existed: the baseline
    revision's tables (the same DDL, checked on SQLite and PostgreSQL) and no
    ``alembic_version``, with a post-mortem, an action item and a cycle in it."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), BASELINE)
            conn.execute(text("DROP TABLE alembic_version"))
            meta = MetaData()
            meta.reflect(conn)
            assert set(meta.tables) == {"postmortems", "action_items", "cycles"}
            conn.execute(
                meta.tables["postmortems"].insert(),
                {
                    "id": "INC-1",
                    "title": "Outage",
                    "source_path": "pm.yaml",
                    "state": "closed",
                    "detected_at": T0,
                    "first_seen_at": T0,
                    "closed_at": T0,
                    "reopened_count": 1,
                    "report_path": "reports/INC-1.md",
                },
            )
            conn.execute(
                meta.tables["action_items"].insert(),
                {
                    "postmortem_id": "INC-1",
                    "item_id": "AI-1",
                    "description": "Fix it",
                    "team": "Platform Team",
                    "tracker": "jira",
                    "target": "PLAT",
                    "deadline": date(2024, 3, 26),
                    "priority": "high",
                    "in_definition": True,
                    "issue_id": "10001",
                    "issue_key": "PLAT-1",
                    "issue_url": "http://x/browse/PLAT-1",
                    "linked_at": T0,
                    "status": "completed",
                    "finished_at": T0,
                },
            )
            conn.execute(
                meta.tables["cycles"].insert(),
                {"started_at": T0, "finished_at": T0, "ok": True, "summary": {"actions": 2}},
            )
    finally:
        engine.dispose()


def test_a_new_store_is_created_at_head(url: str) -> None:
    Store(url).close()
    assert revision_of(url) == head_revision()
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
            assert {"postmortems", "action_items", "cycles"} <= set(inspect(conn).get_table_names())
    finally:
        engine.dispose()


def test_a_store_made_before_migrations_is_stamped_and_upgraded_keeping_its_rows(url: str) -> None:
    make_store_before_migrations(url)
    assert revision_of(url) is None
    before = rows_of(url)
    assert [len(rows) for rows in before.values()] == [1, 1, 1]

    Store(url).close()
    assert revision_of(url) == head_revision()
    assert kept(before, url)
    Store(url).close()  # opening it again changes nothing
    assert revision_of(url) == head_revision() and kept(before, url)


def test_a_store_from_a_newer_version_is_refused_and_left_alone(url: str) -> None:
    Store(url).close()
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": FUTURE})
    finally:
        engine.dispose()

    with pytest.raises(SchemaTooNewError, match=FUTURE) as refused:
        Store(url)
    assert refused.value.revision == FUTURE and refused.value.head == head_revision()
    with pytest.raises(SettingsError, match=rf"PMSYNC_DATABASE_URL: .*'{FUTURE}'.*newer version"):
        open_store(url)
    assert revision_of(url) == FUTURE


def test_a_database_with_only_some_of_the_tables_is_refused(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE cycles (id INTEGER PRIMARY KEY)"))
    finally:
        engine.dispose()
    with pytest.raises(SchemaError, match=r"cycles but not postmortems, action_items.*not a state store"):
        Store(sqlite_url)
    with pytest.raises(SettingsError, match=r"PMSYNC_DATABASE_URL: .*not a state store"):
        open_store(sqlite_url)


#: Imports first and says so, then opens the store when told: the processes race on the
#: open itself, however long each took to start.
OPEN_WHEN_TOLD = """
import sys
from sync.store import Store
print("ready", flush=True)
sys.stdin.readline()
Store(sys.argv[1]).close()
"""


@pytest.mark.parametrize("made_before_migrations", [False, True], ids=["new", "made-before-migrations"])
def test_processes_opening_one_store_at_once_all_succeed(url: str, made_before_migrations: bool) -> None:
    if made_before_migrations:
        make_store_before_migrations(url)
    before = rows_of(url) if made_before_migrations else None
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", OPEN_WHEN_TOLD, url],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        errors = [proc.communicate(timeout=120)[1] for proc in procs]
    finally:
        for proc in procs:
            proc.kill()
    assert [proc.returncode for proc in procs] == [0, 0, 0, 0], "\n".join(errors)
    assert revision_of(url) == head_revision()
    if before is not None:
        assert kept(before, url)


def test_opening_a_store_does_not_wait_for_a_cycle(url: str) -> None:
    Store(url).close()
    holder = create_engine(url)
    try:
        with cycle_lock(holder) as held:
            assert held
            Store(url).close()
    finally:
        holder.dispose()


@pytest.mark.timeout(60)
def test_a_store_at_head_opens_while_another_process_holds_the_migration_lock(url: str) -> None:
    Store(url).close()
    holder = make_engine(url)
    try:
        with holder.connect() as conn:
            _lock(conn)  # as a process in the middle of a migration holds it
            started = time.monotonic()
            Store(url).close()
            assert time.monotonic() - started < 5
            conn.rollback()
    finally:
        holder.dispose()


def test_every_migration_downgrades_and_upgrades_again(url: str) -> None:
    Store(url).close()
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            config = alembic_config(conn)
            command.downgrade(config, "base")
            assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
            command.upgrade(config, "head")
            assert current_revision(conn) == head_revision()
    finally:
        engine.dispose()


def test_the_migrations_build_the_schema_the_orm_classes_describe(url: str) -> None:
    """Fails when a column or table is added to sync/store.py without a migration: write
    one in sync/migrations/versions/ (see docs/architecture.md)."""
    store = Store(url)
    try:
        with store.engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        store.close()
    assert differences == []
