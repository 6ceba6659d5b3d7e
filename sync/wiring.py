"""Building the engine from settings: trackers, teams, store. Start-up checks live here."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from config.settings import Settings, SettingsError
from config.teams import Team, load_teams
from connectors.base import Tracker
from connectors.github_tracker import GitHubTracker
from connectors.jira_tracker import JiraTracker
from sync.cycle import Engine
from sync.store import Store


def build_trackers(settings: Settings) -> dict[str, Tracker]:
    """One client per configured tracker; a tracker without credentials is left out."""
    trackers: dict[str, Tracker] = {}
    if settings.jira_configured:
        assert settings.jira_url is not None and settings.jira_token is not None
        trackers["jira"] = JiraTracker(
            settings.jira_url,
            email=settings.jira_email,
            token=settings.jira_token.get_secret_value(),
            timeout=settings.http_timeout,
            auth_hint="check PMSYNC_JIRA_EMAIL and PMSYNC_JIRA_TOKEN"
            if settings.jira_email
            else "check PMSYNC_JIRA_TOKEN (and PMSYNC_JIRA_EMAIL for Jira Cloud)",
        )
    if settings.github_configured:
        assert settings.github_token is not None
        trackers["github"] = GitHubTracker(
            settings.github_url,
            token=settings.github_token.get_secret_value(),
            timeout=settings.http_timeout,
            seconds_between_writes=settings.github_seconds_between_writes,
            auth_hint="check PMSYNC_GITHUB_TOKEN",
        )
    return trackers


def check_routes(teams: Mapping[str, Team], trackers: Mapping[str, Tracker]) -> None:
    """Every team's tracker must have credentials, or its items could never be filed."""
    missing: dict[str, list[str]] = {}
    for name, team in teams.items():
        if team.tracker not in trackers:
            missing.setdefault(team.tracker, []).append(name)
    if not missing:
        return
    hints = {
        "jira": "set PMSYNC_JIRA_URL and PMSYNC_JIRA_TOKEN (and PMSYNC_JIRA_EMAIL for Jira Cloud)",
        "github": "set PMSYNC_GITHUB_TOKEN (and PMSYNC_GITHUB_URL for GitHub Enterprise Server)",
    }
    lines = [
        f"{', '.join(sorted(names))} use{'s' if len(names) == 1 else ''} {kind}, which is not configured: {hints[kind]}"
        for kind, names in sorted(missing.items())
    ]
    raise SettingsError("\n".join(lines))


def build_engine(settings: Settings) -> Engine:
    """Load the teams file, check every route, open the store. Raises on bad configuration."""
    teams = load_teams(settings.teams_file)
    trackers = build_trackers(settings)
    check_routes(teams, trackers)
    return Engine(
        store=Store(settings.database_url),
        trackers=trackers,
        teams=teams,
        postmortems_dir=settings.postmortems_dir,
        reports_dir=settings.reports_dir,
        create_grace=timedelta(seconds=settings.create_grace_seconds),
    )
