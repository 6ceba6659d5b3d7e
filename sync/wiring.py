"""Building the engine from settings: trackers, teams, store. Start-up checks live here."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import timedelta
from typing import TypeVar

from sqlalchemy.exc import ArgumentError, DatabaseError, NoSuchModuleError, OperationalError

from config.settings import Settings, SettingsError
from config.teams import GitHubTeam, JiraTeam, Team, Teams, load_teams
from connectors.base import ItemStatus, Tracker
from connectors.github_auth import GitHubAppLogin
from connectors.github_rules import GitHubRepoRules
from connectors.github_tracker import GitHubTracker
from connectors.jira_site import JiraProjectRules
from connectors.jira_tracker import JiraTracker
from connectors.status_mapping import IN_PROGRESS_LABELS, WONT_FIX_RESOLUTIONS, WONT_FIX_STATUSES
from sync.cycle import Engine
from sync.schema import SchemaError
from sync.store import Store

R = TypeVar("R")


def jira_rules(teams: Mapping[str, Team]) -> dict[str, JiraProjectRules]:
    """Each Jira project's rules from the teams that file there. Teams sharing a project
    must agree: the same issue cannot follow two sets of rules."""
    by_project: dict[str, dict[str, JiraProjectRules]] = {}
    for name, team in sorted(teams.items()):
        if not isinstance(team, JiraTeam):
            continue
        rules = JiraProjectRules(
            priorities={str(ours): theirs for ours, theirs in team.priorities.items()},
            fields=dict(team.fields),
            wont_fix_resolutions=frozenset(team.wont_fix_resolutions)
            if team.wont_fix_resolutions is not None
            else WONT_FIX_RESOLUTIONS,
            wont_fix_statuses=frozenset(team.wont_fix_statuses)
            if team.wont_fix_statuses is not None
            else WONT_FIX_STATUSES,
            done_transition=team.transitions.done,
            wont_fix_transition=team.transitions.wont_fix,
            # Checked at start-up: the item type, and the tracking issue type where a team names one.
            issue_types=(team.issue_type,)
            + ((team.tracking_issue_type,) if "tracking_issue_type" in team.model_fields_set else ()),
        )
        by_project.setdefault(team.project, {})[name] = rules
    settings = ("priorities", "fields", "wont_fix_resolutions", "wont_fix_statuses", "transitions")
    return {
        # Teams sharing a project may file different issue types: every one is checked.
        project: replace(
            first,
            teams=tuple(named),
            issue_types=tuple(dict.fromkeys(t for rules in named.values() for t in rules.issue_types)),
        )
        for project, named in by_project.items()
        for first in [_agreed(named, settings, _setting, f"Jira project {project}")]
    }


def github_rules(teams: Mapping[str, Team]) -> dict[str, GitHubRepoRules]:
    """Each GitHub repository's rules (keyed by lower-case ``owner/repo``) from the teams
    that file there, who must agree."""
    by_repo: dict[str, dict[str, GitHubRepoRules]] = {}
    for name, team in sorted(teams.items()):
        if not isinstance(team, GitHubTeam):
            continue
        rules = GitHubRepoRules(
            closed_without_reason=ItemStatus(team.closed_without_reason),
            in_progress_labels=frozenset(label.casefold() for label in team.in_progress_labels)
            if team.in_progress_labels is not None
            else IN_PROGRESS_LABELS,
            assigned_means_in_progress=team.assigned_means_in_progress,
            deadline_milestones=team.deadline_milestones,
        )
        by_repo.setdefault(team.repo.lower(), {})[name] = rules
    settings = ("closed_without_reason", "in_progress_labels", "assigned_means_in_progress", "deadline_milestones")
    return {
        repo: replace(first, teams=tuple(named))
        for repo, named in by_repo.items()
        for first in [_agreed(named, settings, getattr, f"GitHub repository {repo}")]
    }


def _agreed(named: Mapping[str, R], settings: tuple[str, ...], value: Callable[[R, str], object], where: str) -> R:
    """The one set of rules the teams filing into ``where`` share; a setting they give
    different values stops start-up, since one place's issues follow one set of rules."""
    first, *others = named.values()
    differing = sorted({s for other in others for s in settings if value(first, s) != value(other, s)})
    if differing:
        raise SettingsError(
            f"teams file: {', '.join(named)} all file into {where} but set {', '.join(differing)} "
            "differently: one place's issues follow one set of rules, so give them the same values"
        )
    return first


def _setting(rules: JiraProjectRules, setting: str) -> object:
    """One setting of a project's rules, compared the way the site compares it."""
    if setting == "priorities":
        return {ours: theirs.casefold() for ours, theirs in rules.priorities.items()}
    if setting == "transitions":
        return (rules.done_transition, rules.wont_fix_transition)
    if setting in ("wont_fix_resolutions", "wont_fix_statuses"):
        return {value.casefold() for value in getattr(rules, setting)}
    return getattr(rules, setting)


def build_trackers(settings: Settings, teams: Mapping[str, Team] | None = None) -> dict[str, Tracker]:
    """One client per configured tracker; a tracker without credentials is left out."""
    trackers: dict[str, Tracker] = {}
    if settings.jira_configured:
        assert settings.jira_url is not None and settings.jira_token is not None
        trackers["jira"] = JiraTracker(
            settings.jira_url,
            email=settings.jira_email,
            token=settings.jira_token.get_secret_value(),
            timeout=settings.http_timeout,
            deployment=settings.jira_deployment,
            projects=jira_rules(teams or {}),
            auth_hint="check PMSYNC_JIRA_EMAIL and PMSYNC_JIRA_TOKEN (Jira Server/Data Center signs in with a "
            "personal access token alone: leave PMSYNC_JIRA_EMAIL unset)"
            if settings.jira_email
            else "check PMSYNC_JIRA_TOKEN (and PMSYNC_JIRA_EMAIL for Jira Cloud)",
            url_hint="check PMSYNC_JIRA_URL",
        )
    if settings.github_configured:
        app = None
        if settings.github_app_id is not None and settings.github_app_private_key is not None:
            app = GitHubAppLogin(
                settings.github_app_id,
                settings.github_app_private_key.get_secret_value(),
                settings.github_app_installation_id,
            )
        trackers["github"] = GitHubTracker(
            settings.github_url,
            token=settings.github_token.get_secret_value() if settings.github_token is not None else None,
            app=app,
            timeout=settings.http_timeout,
            seconds_between_writes=settings.github_seconds_between_writes,
            repos=github_rules(teams or {}),
            auth_hint="check PMSYNC_GITHUB_APP_ID and PMSYNC_GITHUB_APP_PRIVATE_KEY"
            if app is not None
            else "check PMSYNC_GITHUB_TOKEN",
            url_hint="check PMSYNC_GITHUB_URL",
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
        "github": "set PMSYNC_GITHUB_TOKEN, or a GitHub App's PMSYNC_GITHUB_APP_ID and PMSYNC_GITHUB_APP_PRIVATE_KEY "
        "(and PMSYNC_GITHUB_URL for GitHub Enterprise Server)",
    }
    lines = [
        f"{', '.join(sorted(names))} use{'s' if len(names) == 1 else ''} {kind}, which is not configured: {hints[kind]}"
        for kind, names in sorted(missing.items())
    ]
    raise SettingsError("\n".join(lines))


def open_store(url: str) -> Store:
    """Open (and create or migrate if needed) the state store, turning URL, driver and
    schema problems into a :class:`SettingsError` that says what to set or do."""
    try:
        return Store(url)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise SettingsError(
            f"PMSYNC_DATABASE_URL: {exc}. Use an SQLAlchemy URL such as sqlite:///postmortem-sync.db "
            "or postgresql+psycopg://user@host/db"
        ) from None
    except ModuleNotFoundError as exc:
        raise SettingsError(
            f"PMSYNC_DATABASE_URL needs the database driver {exc.name!r}: for PostgreSQL, "
            "pip install 'postmortem-sync[postgres]'"
        ) from None
    except OperationalError as exc:
        raise SettingsError(f"PMSYNC_DATABASE_URL: cannot open the state store ({exc.orig})") from None
    except DatabaseError as exc:  # not a database at all, or a damaged one
        raise SettingsError(
            f"PMSYNC_DATABASE_URL: the state store cannot be read ({exc.orig}). Restore it from a backup, "
            "or move it aside: a new store is rebuilt from the markers the issues carry"
        ) from None
    except SchemaError as exc:
        raise SettingsError(f"PMSYNC_DATABASE_URL: {exc}") from None


def load_routing(settings: Settings) -> Teams:
    if not settings.teams_file.is_file():
        raise SettingsError(
            f"PMSYNC_TEAMS_FILE: {settings.teams_file} not found; set PMSYNC_TEAMS_FILE to the teams file "
            "(see config/teams.example.yaml)"
        )
    return load_teams(settings.teams_file)


def build_engine(settings: Settings) -> Engine:
    """Load the teams file, check every route, open the store. Raises on bad configuration."""
    teams = load_routing(settings)
    if not settings.postmortems_dir.is_dir():
        raise SettingsError(
            f"PMSYNC_POSTMORTEMS_DIR: {settings.postmortems_dir} is not a folder; set it to the folder "
            "of post-mortem definitions"
        )
    trackers = build_trackers(settings, teams)
    check_routes(teams, trackers)
    return Engine(
        store=open_store(settings.database_url),
        trackers=trackers,
        teams=teams,
        postmortems_dir=settings.postmortems_dir,
        reports_dir=settings.reports_dir,
        create_grace=timedelta(seconds=settings.create_grace_seconds),
        zone=settings.zone,
        teams_file=settings.teams_file,
    )
