"""Settings: ``PMSYNC_*`` environment variables, a ``.env`` file and a secrets directory.

Built once at start-up (:func:`load_settings`) and passed down; nothing reads the
environment at import time. Precedence, highest first: constructor arguments, environment,
``.env``, secrets directory (one file per setting, e.g. ``/run/secrets/pmsync_jira_token``),
defaults.
"""

from __future__ import annotations

import base64
import difflib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from config.validation_messages import plain_message

DEFAULT_SECRETS_DIR = Path("/run/secrets")


class SettingsError(Exception):
    """The settings are missing or inconsistent; the message says what to set."""


class Settings(BaseSettings):
    """Everything the worker needs to know about its environment."""

    model_config = SettingsConfigDict(
        env_prefix="PMSYNC_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
    )

    postmortems_dir: Path = Field(default=Path("postmortems"), description="Folder of post-mortem definitions.")
    teams_file: Path = Field(default=Path("teams.yaml"), description="YAML file mapping teams to trackers.")
    database_url: str = Field(default="sqlite:///postmortem-sync.db", description="SQLAlchemy URL of the state store.")
    reports_dir: Path = Field(default=Path("reports"), description="Where follow-through reports are written.")
    poll_interval: int = Field(default=300, ge=5, le=86_400, description="Seconds between sync cycles in `run`.")

    jira_url: str | None = None
    jira_email: str | None = None
    jira_token: SecretStr | None = None
    #: Jira Cloud or Server/Data Center; ``auto`` asks the site (serverInfo).
    jira_deployment: Literal["auto", "cloud", "datacenter"] = "auto"

    github_url: str = "https://api.github.com"
    github_token: SecretStr | None = None
    #: A GitHub App instead of a token: its id, its private key (PEM) and, optionally, the
    #: installation to act as (found from the teams' first repository when not given).
    github_app_id: int | None = Field(default=None, gt=0)
    github_app_private_key: SecretStr | None = None
    github_app_installation_id: int | None = Field(default=None, gt=0)
    #: Pause between GitHub write requests; GitHub asks integrators to pace content creation.
    github_seconds_between_writes: float = Field(default=1.0, ge=0, le=60)

    #: Timeout of every HTTP request to a tracker, in seconds.
    http_timeout: float = Field(default=20.0, gt=0, le=300)
    #: After a create whose outcome is unknown, how long to keep looking for the issue (the
    #: tracker's search may lag) before filing it again.
    create_grace_seconds: int = Field(default=120, ge=0, le=7 * 86_400)
    #: The time zone whose calendar decides when an action item is overdue (IANA name).
    timezone: str = "UTC"
    log_format: Literal["console", "json"] = "console"
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    @field_validator("jira_url", "github_url", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip().rstrip("/")
            return value or None
        return value

    @field_validator("jira_email", mode="before")
    @classmethod
    def _blank_email(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("github_app_private_key", mode="before")
    @classmethod
    def _a_pem_key(cls, value: object) -> object:
        if isinstance(value, str):
            # A key pasted into a one-line variable keeps its line breaks as "\n".
            value = value.strip().replace("\\n", "\n")
            if not value:
                return None
            if not value.startswith("-----BEGIN") or "PRIVATE KEY-----" not in value or not _readable_key(value):
                raise ValueError(
                    "must be the App's private key in PEM form (-----BEGIN RSA PRIVATE KEY----- ...), whole, as "
                    "GitHub gives it to download"
                )
        return value

    @field_validator("github_app_id", "github_app_installation_id", mode="before")
    @classmethod
    def _blank_number(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("jira_token", "github_token", mode="before")
    @classmethod
    def _blank_token(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip()
            return value or None
        return value

    @field_validator("jira_token", "github_token")
    @classmethod
    def _token_characters(cls, value: SecretStr | None) -> SecretStr | None:
        # Tokens travel in HTTP headers: printable ASCII only. Said without the value.
        if value is not None:
            text = value.get_secret_value()
            if not (text.isascii() and text.isprintable()) or " " in text:
                raise ValueError("contains characters a token cannot have (spaces, non-ASCII or control characters)")
        return value

    @field_validator("jira_deployment", mode="before")
    @classmethod
    def _deployment_words(cls, value: object) -> object:
        # Jira Server and Data Center speak the same API.
        if isinstance(value, str):
            value = value.strip().lower().replace(" ", "").replace("-", "").replace("_", "")
            return "datacenter" if value == "server" else value
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value.strip())
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone name such as UTC or Europe/Berlin") from None
        return value.strip()

    @property
    def zone(self) -> ZoneInfo:
        """:attr:`timezone` as a ``ZoneInfo``."""
        return ZoneInfo(self.timezone)

    @field_validator("jira_url", "github_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return value
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError("must be an http(s) URL such as https://acme.atlassian.net or https://api.github.com")
        if parsed.username is not None or parsed.password is not None:
            # It would be printed, logged and posted wherever the URL goes.
            raise ValueError(
                "must not hold a user name or password (user:secret@host): give the plain address and "
                "put the credentials in the token (and email) settings"
            )
        if "/rest/" in parsed.path + "/" and not parsed.path.endswith("/api/v3"):
            raise ValueError(f"give the site's address without the REST path, e.g. {parsed.scheme}://{parsed.netloc}")
        return value

    @model_validator(mode="after")
    def _consistent_credentials(self) -> Settings:
        if self.jira_url and self.jira_token is None:
            raise ValueError(
                "PMSYNC_JIRA_URL is set but PMSYNC_JIRA_TOKEN is not: set PMSYNC_JIRA_TOKEN "
                "(Jira Cloud: an API token with PMSYNC_JIRA_EMAIL; Server/Data Center: a personal access token)"
            )
        if self.jira_token is not None and not self.jira_url:
            raise ValueError("PMSYNC_JIRA_TOKEN is set but PMSYNC_JIRA_URL is not: set PMSYNC_JIRA_URL")
        if self.jira_email and not self.jira_url:
            raise ValueError("PMSYNC_JIRA_EMAIL is set but PMSYNC_JIRA_URL is not: set PMSYNC_JIRA_URL")
        if self.jira_url and self.jira_is_cloud and not self.jira_email:
            why = "PMSYNC_JIRA_DEPLOYMENT=cloud" if self.jira_deployment == "cloud" else "its address"
            raise ValueError(
                f"PMSYNC_JIRA_URL ({self.jira_url}) is Jira Cloud (by {why}), which signs in with an email and "
                "an API token: set PMSYNC_JIRA_EMAIL to the account the token belongs to"
            )
        app = (self.github_app_id, self.github_app_private_key)
        if any(v is not None for v in app) and not all(v is not None for v in app):
            missing = "PMSYNC_GITHUB_APP_PRIVATE_KEY" if self.github_app_id is not None else "PMSYNC_GITHUB_APP_ID"
            raise ValueError(f"a GitHub App signs in with its id and its private key: set {missing}")
        if self.github_app_installation_id is not None and self.github_app_id is None:
            raise ValueError("PMSYNC_GITHUB_APP_INSTALLATION_ID is set but PMSYNC_GITHUB_APP_ID is not: set it")
        if self.github_token is not None and self.github_app_id is not None:
            raise ValueError(
                "both PMSYNC_GITHUB_TOKEN and a GitHub App (PMSYNC_GITHUB_APP_ID) are set: keep the one to sign in with"
            )
        if self.jira_deployment == "datacenter" and self.jira_email:
            raise ValueError(
                "PMSYNC_JIRA_DEPLOYMENT is datacenter, which signs in with a personal access token alone: "
                "unset PMSYNC_JIRA_EMAIL and put the token in PMSYNC_JIRA_TOKEN"
            )
        return self

    @property
    def jira_is_cloud(self) -> bool:
        """Cloud sites live on atlassian.net (or say so in PMSYNC_JIRA_DEPLOYMENT)."""
        if not self.jira_url:
            return False
        if self.jira_deployment != "auto":
            return self.jira_deployment == "cloud"
        host = urlparse(self.jira_url).hostname or ""
        return host.endswith(".atlassian.net") or host.endswith(".jira.com")

    @property
    def jira_configured(self) -> bool:
        return bool(self.jira_url and self.jira_token is not None)

    @property
    def github_configured(self) -> bool:
        return self.github_token is not None or self.github_app_id is not None

    def secrets(self) -> list[str]:
        """The secret values in force, and the Basic ``Authorization`` form the Jira token
        travels in with an email, so logs and reports can be scrubbed of them."""
        values = [
            s.get_secret_value()
            for s in (self.jira_token, self.github_token, self.github_app_private_key)
            if s is not None
        ]
        if self.github_app_private_key is not None:
            # Each line of the key too, should one ever be quoted on its own.
            key = self.github_app_private_key.get_secret_value()
            values += [line.strip() for line in key.splitlines() if len(line.strip()) >= 20 and "-----" not in line]
        if self.jira_token is not None and self.jira_email:
            pair = f"{self.jira_email}:{self.jira_token.get_secret_value()}"
            values.append(base64.b64encode(pair.encode()).decode())
        return values


def _readable_key(pem: str) -> bool:
    """Whether ``pem`` is a private key that can sign (said without showing it)."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError):
        return False
    return True


#: PMSYNC_* variables that are not settings but are read elsewhere.
OTHER_VARIABLES = frozenset({"PMSYNC_SECRETS_DIR", "PMSYNC_API_CONTRACTS", "PMSYNC_TEST_POSTGRES_URL"})


def unknown_settings(names: Iterable[str]) -> list[str]:
    """Warnings for ``PMSYNC_*`` names that are no setting (a typo is otherwise silently ignored)."""
    known = {f"PMSYNC_{name.upper()}" for name in Settings.model_fields} | OTHER_VARIABLES
    warnings = []
    for name in sorted({n for n in names if n.upper().startswith("PMSYNC_")}):
        if name.upper() in known:
            continue
        close = difflib.get_close_matches(name.upper(), sorted(known), n=1, cutoff=0.75)
        hint = f" (did you mean {close[0]}?)" if close else ""
        warnings.append(f"{name} is not a setting{hint}; it is ignored")
    return warnings


def environment_names(env_file: Path = Path(".env")) -> list[str]:
    """The variable names the settings may come from: the environment and the .env file."""
    names = list(os.environ)
    if env_file.is_file():
        names += [name for name in dotenv_values(env_file) if name]
    return names


def load_settings(secrets_dir: Path | None = None, **overrides: object) -> Settings:
    """Build the settings, turning validation errors into one readable :class:`SettingsError`."""
    if secrets_dir is None:
        env_dir = os.environ.get("PMSYNC_SECRETS_DIR")
        if env_dir and not Path(env_dir).is_dir():
            raise SettingsError(f"PMSYNC_SECRETS_DIR: {env_dir} is not a folder")
        secrets_dir = Path(env_dir) if env_dir else DEFAULT_SECRETS_DIR
    kwargs: dict[str, object] = dict(overrides)
    if secrets_dir.is_dir():
        kwargs["_secrets_dir"] = secrets_dir
    try:
        return Settings(**kwargs)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors(include_input=False, include_url=False):
        loc = ".".join(str(part) for part in error["loc"])
        name = f"PMSYNC_{loc.upper()}" if loc else "settings"
        message = plain_message(error)
        lines.append(f"{name}: {message}" if loc else message)
    return "invalid settings:\n  " + "\n  ".join(lines)
