"""Shared fixtures for the tracker emulator tests (loaded with ``pytest_plugins``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import github
import jira
import pytest

from connectors.emulator import Emulator

GITHUB_TOKEN = "gh-test-token"
JIRA_EMAIL = "bot@example.com"
JIRA_TOKEN = "jira-test-token"
REPO = "acme/payments"
PROJECT = "PLAT"


def adf(text: str) -> dict[str, Any]:
    """A one-paragraph Atlassian Document Format document."""
    return {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}],
    }


def make_github(emu: Emulator, token: str = GITHUB_TOKEN, per_page: int = 100) -> github.Github:
    """A PyGithub client for the emulator, configured as the connector configures it."""
    return github.Github(
        base_url=emu.github_url,
        auth=github.Auth.Token(token),
        retry=None,
        seconds_between_writes=0,
        seconds_between_requests=0,
        per_page=per_page,
    )


def make_jira(emu: Emulator, token: str = JIRA_TOKEN, rest_api_version: str = "3") -> jira.JIRA:
    """A jira client for the emulator (a Cloud site), configured as the connector configures it."""
    return jira.JIRA(
        server=emu.jira_url,
        basic_auth=(JIRA_EMAIL, token),
        options={"rest_api_version": rest_api_version},
        max_retries=0,
        timeout=10,
    )


def make_jira_dc(emu: Emulator, token: str = JIRA_TOKEN) -> jira.JIRA:
    """A jira client for the emulator as a Data Center site: REST v2, personal access token."""
    return jira.JIRA(
        server=emu.jira_url,
        options={"rest_api_version": "2"},
        token_auth=token,
        max_retries=0,
        get_server_info=False,
        timeout=10,
    )


def dc_headers(token: str = JIRA_TOKEN) -> dict[str, str]:
    """The auth header a Data Center client sends."""
    return {"Authorization": f"Bearer {token}"}


def start_emulator(**kwargs: Any) -> Emulator:
    """An emulator with the test credentials, ``acme/payments`` and ``PLAT``, started."""
    emu = Emulator(github_token=GITHUB_TOKEN, jira_email=JIRA_EMAIL, jira_token=JIRA_TOKEN, **kwargs)
    emu.add_github_repo(REPO)
    emu.add_jira_project(PROJECT, name="Platform")
    return emu.start()


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """A fresh, started emulator per test."""
    emu = start_emulator()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def dc_emulator() -> Iterator[Emulator]:
    """A fresh, started emulator whose Jira is a Data Center site."""
    emu = start_emulator(jira_deployment="datacenter")
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def jdc(dc_emulator: Emulator) -> Iterator[jira.JIRA]:
    """The jira client pointed at the Data Center emulator."""
    client = make_jira_dc(dc_emulator)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def gh(emulator: Emulator) -> github.Github:
    """PyGithub pointed at the emulator."""
    return make_github(emulator)


@pytest.fixture
def jc(emulator: Emulator) -> Iterator[jira.JIRA]:
    """The jira client pointed at the emulator."""
    client = make_jira(emulator)
    try:
        yield client
    finally:
        client.close()
