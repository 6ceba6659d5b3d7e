"""Signing in as a GitHub App installation, end to end: PyGithub fetches installation
tokens from the emulator with a JWT signed by the App's private key."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.base import ItemStatus
from connectors.emulator import AppIdentity
from connectors.emulator.github_app_auth import AppTokens
from tests.e2e import World, make_world, rsa_key_pair

APP_ID = 424242


@pytest.fixture(scope="module")
def keys() -> tuple[str, str]:
    return rsa_key_pair()


@pytest.fixture
def app_world(tmp_path: Path, keys: tuple[str, str]) -> Iterator[World]:
    world = make_world(tmp_path, github_app=AppIdentity(APP_ID, keys[1], installation_id=77))
    yield world
    world.emulator.stop()


def _as_app(keys: tuple[str, str], **more: str) -> dict[str, str]:
    return {
        "PMSYNC_GITHUB_TOKEN": "",
        "PMSYNC_GITHUB_APP_ID": str(APP_ID),
        "PMSYNC_GITHUB_APP_PRIVATE_KEY": keys[0],
        **more,
    }


@pytest.mark.parametrize("installation", ["77", ""], ids=["installation given", "installation found"])
def test_an_app_installation_files_and_reads_like_a_token(
    app_world: World, keys: tuple[str, str], installation: str
) -> None:
    out = app_world.cli("sync", "--once", **_as_app(keys, PMSYNC_GITHUB_APP_INSTALLATION_ID=installation))
    assert out.returncode == 0, out.stdout + out.stderr
    assert app_world.issue_count() == 9
    assert app_world.emulator.github_app.app_tokens is not None
    assert app_world.emulator.github_app.app_tokens.issued >= 1
    again = app_world.cli("sync", "--once", **_as_app(keys, PMSYNC_GITHUB_APP_INSTALLATION_ID=installation))
    assert again.returncode == 0 and app_world.issue_count() == 9
    text = out.stdout + out.stderr + again.stdout + again.stderr
    assert "PRIVATE KEY" not in text and "ghs_" not in text


def test_a_key_that_is_not_the_apps_is_told_apart(app_world: World, keys: tuple[str, str]) -> None:
    other, _ = rsa_key_pair()
    out = app_world.cli(
        "sync", "--once", PMSYNC_GITHUB_TOKEN="", PMSYNC_GITHUB_APP_ID=str(APP_ID), PMSYNC_GITHUB_APP_PRIVATE_KEY=other
    )
    assert out.returncode == 2  # the App's sign-in is configuration: nothing runs until it is right
    assert "401" in out.stderr and "PMSYNC_GITHUB_APP_PRIVATE_KEY" in out.stderr
    assert "PRIVATE KEY-----" not in out.stdout + out.stderr
    assert app_world.issue_count() == 0


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"PMSYNC_GITHUB_APP_ID": "1"}, "set PMSYNC_GITHUB_APP_PRIVATE_KEY"),
        (
            {"PMSYNC_GITHUB_APP_PRIVATE_KEY": "<key>"},
            "set PMSYNC_GITHUB_APP_ID",
        ),
        ({"PMSYNC_GITHUB_APP_ID": "1", "PMSYNC_GITHUB_APP_PRIVATE_KEY": "not a key"}, "PEM"),
        ({"PMSYNC_GITHUB_APP_ID": "1", "PMSYNC_GITHUB_APP_PRIVATE_KEY": "-----BEGIN RSA PRIVATE KEY-----abc"}, "PEM"),
        (
            {
                "PMSYNC_GITHUB_APP_ID": "1",
                "PMSYNC_GITHUB_APP_PRIVATE_KEY": "<key>",
                "PMSYNC_GITHUB_TOKEN": "ghp_abcdefabcdefabcdef1234",
            },
            "keep the one to sign in with",
        ),
    ],
)
def test_app_settings_that_do_not_fit_say_what_to_set(
    world: World, keys: tuple[str, str], env: dict[str, str], says: str
) -> None:
    env = {name: keys[0] if value == "<key>" else value for name, value in env.items()}
    out = world.cli("sync", "--once", **{"PMSYNC_GITHUB_TOKEN": "", **env})
    assert out.returncode == 2
    assert says in out.stderr


def test_an_installation_the_app_does_not_have_stops_start_up_and_marks_nothing_gone(
    app_world: World, keys: tuple[str, str]
) -> None:
    good = app_world.cli("sync", "--once", **_as_app(keys, PMSYNC_GITHUB_APP_INSTALLATION_ID="77"))
    assert good.returncode == 0, good.stdout + good.stderr
    wrong = _as_app(keys, PMSYNC_GITHUB_APP_INSTALLATION_ID="99")
    out = app_world.cli("sync", "--once", **wrong)
    assert out.returncode == 2, out.stdout + out.stderr
    assert "PMSYNC_GITHUB_APP_INSTALLATION_ID" in out.stderr
    # `run` would stop too; a cycle that ran anyway (the check refused later) marks nothing gone.
    status = json.loads(app_world.cli("status", "--json").stdout)
    assert all(i["status"] != "gone" for pm in status["postmortems"] for i in pm["items"])


def test_an_app_that_loses_its_installation_mid_run_marks_nothing_gone(app_world: World, keys: tuple[str, str]) -> None:
    engine = app_world.engine(
        github_token=None, github_app_id=APP_ID, github_app_private_key=keys[0], github_app_installation_id=77
    )
    assert engine.run_cycle().ok
    tokens = app_world.emulator.github_app.app_tokens
    assert tokens is not None
    # The App is uninstalled: its tokens stop working and no new one is given.
    tokens._tokens.clear()
    app_world.emulator.github_app.app_tokens = AppTokens(AppIdentity(APP_ID, keys[1], installation_id=5), tokens._clock)
    result = engine.run_cycle()
    assert not result.ok and result.read_errors
    assert all(item.status is not ItemStatus.GONE for item in engine.store.snapshot().items.values())
    engine.store.close()
