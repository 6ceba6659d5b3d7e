"""Settings: sources, precedence, credential consistency, secrets that never print."""

from pathlib import Path

import pytest

from config.settings import SettingsError, load_settings

TOKEN = "jira-secret-token-value-123"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("PMSYNC_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults(tmp_path: Path) -> None:
    s = load_settings(secrets_dir=tmp_path / "none")
    assert s.database_url == "sqlite:///postmortem-sync.db"
    assert s.github_url == "https://api.github.com"
    assert s.poll_interval == 300
    assert not s.jira_configured and not s.github_configured


def test_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PMSYNC_POLL_INTERVAL", "60")
    monkeypatch.setenv("PMSYNC_GITHUB_TOKEN", "ghp_abcdef123456")
    monkeypatch.setenv("PMSYNC_GITHUB_URL", "https://ghe.example.com/api/v3/")
    s = load_settings(secrets_dir=tmp_path / "none")
    assert s.poll_interval == 60
    assert s.github_url == "https://ghe.example.com/api/v3"
    assert s.github_configured


def test_dotenv_and_environment_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("PMSYNC_POLL_INTERVAL=30\nPMSYNC_REPORTS_DIR=/tmp/r\n")
    monkeypatch.setenv("PMSYNC_POLL_INTERVAL", "45")
    s = load_settings(secrets_dir=tmp_path / "none")
    assert s.poll_interval == 45
    assert str(s.reports_dir) == "/tmp/r"


def test_secrets_directory(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "pmsync_jira_token").write_text(TOKEN)
    (secrets / "pmsync_jira_url").write_text("https://jira.internal.example.com")
    s = load_settings(secrets_dir=secrets)
    assert s.jira_token is not None and s.jira_token.get_secret_value() == TOKEN
    assert s.jira_configured


def test_secrets_never_print(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PMSYNC_JIRA_URL", "https://jira.internal.example.com")
    monkeypatch.setenv("PMSYNC_JIRA_TOKEN", TOKEN)
    s = load_settings(secrets_dir=tmp_path / "none")
    assert TOKEN not in repr(s) and TOKEN not in str(s) and TOKEN not in str(s.model_dump())
    assert s.secrets() == [TOKEN]


@pytest.mark.parametrize(
    ("env", "says"),
    [
        (
            {"PMSYNC_JIRA_URL": "https://acme.atlassian.net", "PMSYNC_JIRA_TOKEN": TOKEN},
            "PMSYNC_JIRA_EMAIL",
        ),
        ({"PMSYNC_JIRA_URL": "https://jira.example.com"}, "set PMSYNC_JIRA_TOKEN"),
        ({"PMSYNC_JIRA_TOKEN": TOKEN}, "set PMSYNC_JIRA_URL"),
        ({"PMSYNC_JIRA_EMAIL": "bot@example.com"}, "set PMSYNC_JIRA_URL"),
        ({"PMSYNC_JIRA_URL": "acme.atlassian.net", "PMSYNC_JIRA_TOKEN": TOKEN}, "PMSYNC_JIRA_URL"),
        ({"PMSYNC_POLL_INTERVAL": "0"}, "PMSYNC_POLL_INTERVAL"),
        ({"PMSYNC_POLL_INTERVAL": "often"}, "PMSYNC_POLL_INTERVAL"),
        # Credentials in the address would be printed wherever the address is.
        (
            {"PMSYNC_JIRA_URL": f"https://bot:{TOKEN}@jira.example.com", "PMSYNC_JIRA_TOKEN": TOKEN},
            "must not hold a user name or password",
        ),
        ({"PMSYNC_GITHUB_URL": f"https://{TOKEN}@ghe.example.com/api/v3"}, "PMSYNC_GITHUB_URL"),
    ],
)
def test_inconsistent_settings_say_what_to_set(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: dict[str, str], says: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as err:
        load_settings(secrets_dir=tmp_path / "none")
    assert says in str(err.value)
    assert TOKEN not in str(err.value)
    assert err.value.__cause__ is None  # the validation error (with inputs) is not chained


def test_jira_cloud_with_email_is_fine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PMSYNC_JIRA_URL", "https://acme.atlassian.net")
    monkeypatch.setenv("PMSYNC_JIRA_EMAIL", "bot@acme.com")
    monkeypatch.setenv("PMSYNC_JIRA_TOKEN", TOKEN)
    s = load_settings(secrets_dir=tmp_path / "none")
    assert s.jira_is_cloud and s.jira_configured


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        (
            {
                "jira_url": "https://jira.acme.internal",
                "jira_token": "t",
                "jira_deployment": "datacenter",
                "jira_email": "bot@acme.com",
            },
            "personal access token alone: unset PMSYNC_JIRA_EMAIL",
        ),
        (
            {"jira_url": "https://jira.acme.internal", "jira_token": "t", "jira_deployment": "cloud"},
            "is Jira Cloud (by PMSYNC_JIRA_DEPLOYMENT=cloud)",
        ),
        ({"jira_url": "https://acme.atlassian.net", "jira_token": "t"}, "is Jira Cloud (by its address)"),
        ({"timezone": "Mars/Olympus"}, "PMSYNC_TIMEZONE: 'Mars/Olympus' is not a time zone name"),
        ({"jira_deployment": "onprem"}, "PMSYNC_JIRA_DEPLOYMENT"),
    ],
)
def test_jira_deployment_and_zone_mistakes_are_named(values: dict[str, str], fragment: str, tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as err:
        load_settings(secrets_dir=tmp_path, **values)
    assert fragment in str(err.value)


@pytest.mark.parametrize("word", ["server", "Server", "data-center", "DataCenter", "datacenter"])
def test_server_and_data_center_are_one_deployment(word: str, tmp_path: Path) -> None:
    settings = load_settings(
        secrets_dir=tmp_path, jira_url="https://jira.acme.internal", jira_token="t", jira_deployment=word
    )
    assert settings.jira_deployment == "datacenter" and not settings.jira_is_cloud


def test_misspelt_setting_names_are_warned_about() -> None:
    from config.settings import unknown_settings

    warnings = unknown_settings(["PMSYNC_TIMEZOME", "PMSYNC_JIRA_TOKEN", "PMSYNC_SECRETS_DIR", "HOME", "PMSYNC_NOPE_X"])
    assert warnings == [
        "PMSYNC_NOPE_X is not a setting; it is ignored",
        "PMSYNC_TIMEZOME is not a setting (did you mean PMSYNC_TIMEZONE?); it is ignored",
    ]


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("PMSYNC_POLL_INTERVAL", "2", "PMSYNC_POLL_INTERVAL: must be 5 or more"),
        ("PMSYNC_POLL_INTERVAL", "often", "PMSYNC_POLL_INTERVAL: must be a whole number"),
        ("PMSYNC_LOG_FORMAT", "xml", "PMSYNC_LOG_FORMAT: must be one of: console, json"),
    ],
)
def test_bad_settings_are_said_in_plain_words(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str, said: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as err:
        load_settings(secrets_dir=tmp_path / "none")
    assert said in str(err.value) and "Input should" not in str(err.value)
