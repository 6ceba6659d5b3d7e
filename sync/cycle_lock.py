"""One cycle at a time per state store, across processes.

Two workers on one store (a `run` and a cron `sync --once`, or two replicas) must not both
decide to file the same item. The lock is one the operating system or the database drops
by itself when its holder dies, even by SIGKILL, so a crash never blocks the next run:

- SQLite: an exclusive ``flock`` on ``.<database>.lock`` beside the database file;
- PostgreSQL: a session advisory lock, held on a connection of its own;
- anything else: only the in-process lock of :class:`sync.cycle.Engine`.
"""

from __future__ import annotations

import fcntl
import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

_ADVISORY_KEY = zlib.crc32(b"postmortem-sync cycle")


@contextmanager
def cycle_lock(engine: Engine) -> Iterator[bool]:
    """Yields True when this process may run a cycle now, False when another one is."""
    url = make_url(str(engine.url))
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        # The real path (a symlink names the same store) and a hidden name, so removing
        # "state.db*" under a running worker does not remove its lock too.
        real = Path(url.database).resolve()
        with _file_lock(real.with_name(f".{real.name}.lock")) as held:
            yield held
    elif url.get_backend_name() == "postgresql":
        with _advisory_lock(engine) as held:
            yield held
    else:
        yield True


@contextmanager
def _file_lock(path: Path) -> Iterator[bool]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextmanager
def _advisory_lock(engine: Engine) -> Iterator[bool]:
    with engine.connect() as conn:
        held = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _ADVISORY_KEY}).scalar())
        try:
            yield held
        finally:
            if held:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _ADVISORY_KEY})
