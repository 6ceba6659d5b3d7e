"""Helpers for end-to-end tests: the real clients over HTTP to the emulator on loopback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from config.settings import Settings
from connectors.base import ItemKey
from connectors.emulator import Emulator
from sync.cycle import CycleResult, Engine
from sync.demo import examples_dir
from sync.wiring import build_engine

GITHUB_TOKEN = "ghp_E2eTestTokenThatMustNeverLeak0001"
JIRA_EMAIL = "postmortem-bot@example.com"
JIRA_TOKEN = "ATATT3xE2eJiraTokenThatMustNeverLeak0002"
PAYMENT = "INC-2024-042"
NO_OVERDUE_LABEL = "    tracker: github\n    overdue_label: null\n"
CERT = "INC-2024-031"


@dataclass
class World:
    """An emulator seeded with the example teams' projects and repositories, and a workdir."""

    emulator: Emulator
    workdir: Path

    @property
    def postmortems(self) -> Path:
        return self.workdir / "postmortems"

    @property
    def jira_email(self) -> str | None:
        """Cloud signs in with email + API token; Data Center with the token alone (a PAT)."""
        return JIRA_EMAIL if self.emulator.jira_deployment == "cloud" else None

    @property
    def teams_file(self) -> Path:
        return self.workdir / "teams.yaml"

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.workdir / 'state.db'}"

    def settings(self, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "postmortems_dir": self.postmortems,
            "teams_file": self.teams_file,
            "database_url": self.database_url,
            "reports_dir": self.workdir / "reports",
            "jira_url": self.emulator.jira_url,
            "jira_email": self.jira_email,
            "jira_token": JIRA_TOKEN,
            "github_url": self.emulator.github_url,
            "github_token": GITHUB_TOKEN,
            "github_seconds_between_writes": 0,
            "http_timeout": 5,
        }
        values.update(overrides)
        return Settings(**values)

    def engine(self, grace: float = 60, **overrides: Any) -> Engine:
        engine = build_engine(self.settings(**overrides))
        engine.create_grace = timedelta(seconds=grace)
        return engine

    def env(self) -> dict[str, str]:
        """The environment a separate worker process is configured with (PMSYNC_* only)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PMSYNC_")}
        env.update(
            {
                "PMSYNC_POSTMORTEMS_DIR": str(self.postmortems),
                "PMSYNC_TEAMS_FILE": str(self.teams_file),
                "PMSYNC_DATABASE_URL": self.database_url,
                "PMSYNC_REPORTS_DIR": str(self.workdir / "reports"),
                "PMSYNC_JIRA_URL": self.emulator.jira_url,
                "PMSYNC_JIRA_EMAIL": self.jira_email or "",
                "PMSYNC_JIRA_TOKEN": JIRA_TOKEN,
                "PMSYNC_GITHUB_URL": self.emulator.github_url,
                "PMSYNC_GITHUB_TOKEN": GITHUB_TOKEN,
                "PMSYNC_GITHUB_SECONDS_BETWEEN_WRITES": "0",
                "PMSYNC_SECRETS_DIR": str(self.workdir / "no-secrets"),
            }
        )
        return env

    def cli(self, *args: str, timeout: float = 60, **settings: str) -> subprocess.CompletedProcess[str]:
        """Run ``postmortem-sync ARGS`` in a new process; ``settings`` override variables
        (``PMSYNC_JIRA_EMAIL=""``)."""
        return subprocess.run(
            [sys.executable, "-m", "sync.cli", *args],
            env={**self.env(), **settings},
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    # -- what the trackers hold ----------------------------------------------------------

    def all_issues(self) -> list[dict[str, Any]]:
        issues = list(self.emulator.jira_issues("PLAT"))
        for repo in ("acme/payments", "acme/edge"):
            issues += [i for i in self.emulator.github_issues(repo) if "postmortem-sync" in (i.get("body") or "")]
        return issues

    def issue_count(self) -> int:
        return len(self.all_issues())


def make_world(tmp_path: Path, **emulator_options: Any) -> World:
    emulator = Emulator(github_token=GITHUB_TOKEN, jira_email=JIRA_EMAIL, jira_token=JIRA_TOKEN, **emulator_options)
    emulator.add_jira_project("PLAT", name="Platform")
    emulator.add_github_repo("acme/payments")
    emulator.add_github_repo("acme/edge")
    emulator.start()
    # The payment outage's tracking issue, acme/payments#1.
    emulator.github_create_issue("acme/payments", "Post-mortem INC-2024-042", "Tracking the follow-through.")
    source = examples_dir()
    shutil.copytree(source / "postmortems", tmp_path / "postmortems")
    # The examples' deadlines are in 2024, so on today's calendar every open item is overdue:
    # the overdue label is left off here and tested on its own (tests/test_github_e2e.py).
    teams = (source / "teams.yaml").read_text(encoding="utf-8")
    (tmp_path / "teams.yaml").write_text(teams.replace("    tracker: github\n", NO_OVERDUE_LABEL), encoding="utf-8")
    (tmp_path / "no-secrets").mkdir()  # keeps any /run/secrets of the machine out of the tests
    return World(emulator, tmp_path)


def issue_of(engine: Engine, pm_id: str, item_id: str) -> str:
    key = engine.store.snapshot().items[ItemKey(pm_id, item_id)].issue_key
    assert key is not None
    return key


def github_number(issue_key: str) -> tuple[str, int]:
    repo, number = issue_key.split("#")
    return repo, int(number)


def kinds(result: CycleResult) -> list[str]:
    return [event.kind for event in result.events]


def rsa_key_pair() -> tuple[str, str]:
    """A new RSA private key (PEM) and its public key (PEM), as a GitHub App is given."""
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
