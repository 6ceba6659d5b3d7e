"""Fixtures shared by the end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e import World, make_world


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """The emulator, seeded with the example teams' projects and repositories, and a workdir
    holding the example definitions and teams file."""
    w = make_world(tmp_path)
    try:
        yield w
    finally:
        w.emulator.stop()
