"""Signing in as a GitHub App installation, end to end: PyGithub fetches installation
tokens from the emulator with a JWT signed by the App's private key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from connectors.emulator import AppIdentity
from tests.e2e import World, make_world

APP_ID = 424242


def _key_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


@pytest.fixture(scope="module")
def keys() -> tuple[str, str]:
    return _key_pair()


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
    other, _ = _key_pair()
    out = app_world.cli(
        "sync", "--once", PMSYNC_GITHUB_TOKEN="", PMSYNC_GITHUB_APP_ID=str(APP_ID), PMSYNC_GITHUB_APP_PRIVATE_KEY=other
    )
    assert out.returncode != 0
    assert "401" in out.stdout + out.stderr and "PMSYNC_GITHUB_APP_PRIVATE_KEY" in out.stdout + out.stderr
    assert "PRIVATE KEY-----" not in out.stdout + out.stderr
    assert app_world.issue_count() == 5  # the Jira items only


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"PMSYNC_GITHUB_APP_ID": "1"}, "set PMSYNC_GITHUB_APP_PRIVATE_KEY"),
        (
            {"PMSYNC_GITHUB_APP_PRIVATE_KEY": "-----BEGIN RSA PRIVATE KEY-----\nx\n-----END RSA PRIVATE KEY-----"},
            "set PMSYNC_GITHUB_APP_ID",
        ),
        ({"PMSYNC_GITHUB_APP_ID": "1", "PMSYNC_GITHUB_APP_PRIVATE_KEY": "not a key"}, "PEM"),
        (
            {
                "PMSYNC_GITHUB_APP_ID": "1",
                "PMSYNC_GITHUB_APP_PRIVATE_KEY": "-----BEGIN RSA PRIVATE KEY-----\nx\n-----END RSA PRIVATE KEY-----",
                "PMSYNC_GITHUB_TOKEN": "ghp_abcdefabcdefabcdef1234",
            },
            "keep the one to sign in with",
        ),
    ],
)
def test_app_settings_that_do_not_fit_say_what_to_set(world: World, env: dict[str, str], says: str) -> None:
    out = world.cli("sync", "--once", **{"PMSYNC_GITHUB_TOKEN": "", **env})
    assert out.returncode == 2
    assert says in out.stderr
