"""Fixtures shared by several test files: the end-to-end world, a PostgreSQL schema."""

from __future__ import annotations

import logging
import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.e2e import World, make_world

#: Set PMSYNC_TEST_POSTGRES_URL to use another server than the one on loopback.
PG_BASE_URL = os.environ.get("PMSYNC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture
def isolated_logging(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Lets a test call ``configure_logging`` (which binds the current standard error,
    captured and then closed by pytest) without leaving that set-up to the tests after it."""
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(root, "level", root.level)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    saved = structlog.get_config()
    try:
        yield
    finally:
        structlog.configure(**saved)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """The emulator, seeded with the example teams' projects and repositories, and a workdir
    holding the example definitions and teams file."""
    w = make_world(tmp_path)
    try:
        yield w
    finally:
        w.emulator.stop()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search path is a fresh schema, dropped afterwards with all it
    holds; skips when no server answers."""
    pytest.importorskip("psycopg", reason="pip install 'postmortem-sync[postgres]'")
    try:
        admin = create_engine(PG_BASE_URL)
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        shown = make_url(PG_BASE_URL).render_as_string(hide_password=True)
        pytest.skip(f"no PostgreSQL at {shown}: {type(exc).__name__}")
    schema = f"pmsync_{uuid.uuid4().hex[:8]}"
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield (
            make_url(PG_BASE_URL)
            .update_query_dict({"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False)
        )
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
