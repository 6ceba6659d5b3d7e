"""Team routing: which tracker, project or repository files each team's action items.

The teams file (YAML)::

    teams:
      Platform Team:
        tracker: jira          # jira | github
        project: PLAT          # Jira project key
        issue_type: Task       # optional, default Task
        labels: [postmortem]   # optional
      Payments Team:
        tracker: github
        repo: acme/payments    # owner/repo
        labels: [postmortem]

:func:`load_teams` reads and checks it and returns :class:`Teams`, a read-only mapping of
team name to :data:`Team` (a :class:`JiraTeam` or a :class:`GitHubTeam`). Every problem
of the file is reported at once, each with its line, as a :class:`TeamsFileError`.
"""

from __future__ import annotations

import difflib
import math
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    StringConstraints,
    ValidationError,
)

from config.validation_messages import errors_from_validation, merge_errors
from config.yamlfile import (
    DEFAULT_MAX_BYTES,
    SourceError,
    SourceErrors,
    YamlDocument,
    YamlError,
    load_yaml,
)

JIRA_PROJECT_KEY = re.compile(r"^[A-Z][A-Z0-9_]+$")
#: GitHub's own rules: an owner is 1-39 letters, digits or single hyphens; a repository
#: name is letters, digits, '.', '_' and '-'.
GITHUB_REPO = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}/[A-Za-z0-9._-]{1,100}$")


class TeamsFileError(SourceErrors):
    """The teams file is unusable; ``errors`` has every problem with its line."""


def _project_key(value: str) -> str:
    if not JIRA_PROJECT_KEY.match(value):
        raise ValueError(
            f'"{value}" is not a Jira project key: use the key, not the project name: '
            "capital letters, digits or _, starting with a letter (e.g. PLAT)"
        )
    return value


def _repo(value: str) -> str:
    if not GITHUB_REPO.match(value) or value.split("/")[1] in (".", ".."):
        raise ValueError(f'"{value}" is not a GitHub repository: write it as owner/repo')
    return value


def _jira_labels(labels: tuple[str, ...]) -> tuple[str, ...]:
    # Jira rejects a label containing a space when the issue is created, far from this file.
    for label in labels:
        if any(char.isspace() for char in label):
            raise ValueError(f'Jira labels cannot contain spaces ("{label}"); use - or _')
    return labels


Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]


class _Team(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    #: Added to every issue filed for the team, e.g. to feed a board or a filter.
    labels: tuple[Label, ...] = ()


def _plain_text(value: str) -> str:
    if any(not char.isprintable() for char in value):
        raise ValueError("must not contain control characters (tabs, line breaks, escapes)")
    return value


Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255), AfterValidator(_plain_text)
]


def _field_value(value: object) -> str | int | float | list[str | int | float]:
    if isinstance(value, list):
        return [_field_scalar(item) for item in value]
    return _field_scalar(value)


def _field_scalar(value: object) -> str | int | float:
    if isinstance(value, str):
        return _plain_text(value)
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return value
    shown = str(value).lower() if isinstance(value, bool) else repr(value)
    raise ValueError(f"must be text, a number or a list of them, not {shown}; put text in quotes")


#: A value for a Jira field: text, a finite number (never true/false, which YAML would
#: turn into 1 and 0), or a list of those.
FieldValue = Annotated[str | int | float | list[str | int | float], PlainValidator(_field_value)]


def _transition_id(value: str) -> str:
    if not re.fullmatch(r"[0-9]{1,18}", value):
        raise ValueError(
            f'must be a transition id, a number in quotes such as "31", not "{value}" (Jira shows each '
            "transition's id in the workflow editor's text view)"
        )
    return str(int(value))


#: A transition id as Jira writes it ("031" is 31).
TransitionId = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_transition_id)]


class JiraTransitions(BaseModel):
    """Transition ids to use instead of choosing one by where it leads."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    done: TransitionId | None = None
    wont_fix: TransitionId | None = None


class JiraTeam(_Team):
    """A team whose action items are filed as issues in a Jira project."""

    tracker: Literal["jira"]
    project: Annotated[str, AfterValidator(_project_key)]
    issue_type: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)] = "Task"
    labels: Annotated[tuple[Label, ...], AfterValidator(_jira_labels)] = ()
    #: The issue type of tracking issues the worker creates here.
    tracking_issue_type: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)] = "Epic"
    #: Our priority -> this site's priority name, where the defaults do not fit.
    priorities: dict[Literal["critical", "high", "medium", "low"], Name] = Field(default_factory=dict)
    #: Extra fields set on every issue: field id (customfield_10042) or name -> value.
    fields: dict[Name, FieldValue] = Field(default_factory=dict)
    #: Resolutions and done statuses that mean "won't fix" here (replace the defaults).
    wont_fix_resolutions: tuple[Name, ...] | None = None
    wont_fix_statuses: tuple[Name, ...] | None = None
    transitions: JiraTransitions = JiraTransitions()

    @property
    def target(self) -> str:
        """Where issues go: the project key."""
        return self.project


def _own_label(value: str) -> str:
    # The worker takes this label off issues that are not overdue: it must be no label the
    # worker relies on (its own finds issues again; priority labels carry the priority).
    folded = value.casefold()
    if folded == "postmortem-sync" or folded.startswith("priority:"):
        raise ValueError(f'"{value}" is a label postmortem-sync uses for something else; name another, e.g. overdue')
    return value


class GitHubTeam(_Team):
    """A team whose action items are filed as issues in a GitHub repository."""

    tracker: Literal["github"]
    repo: Annotated[str, AfterValidator(_repo)]
    #: What an issue closed without a close reason counts as (closed before GitHub kept
    #: reasons, or by an integration that gives none): ``completed`` or ``unknown``.
    closed_without_reason: Literal["completed", "unknown"] = "completed"
    #: Labels that mark an open issue as being worked on (replace the defaults).
    in_progress_labels: tuple[Label, ...] | None = None
    #: Whether an open issue with an assignee counts as in progress.
    assigned_means_in_progress: bool = True
    #: The label an open issue past its deadline carries (GitHub has no due dates to show
    #: it); taken off when the issue closes or the deadline moves. ``null``: none.
    overdue_label: Annotated[Label, AfterValidator(_own_label)] | None = "overdue"
    #: Put each issue in a milestone named for its deadline ("Due 2024-03-26"), made when missing.
    deadline_milestones: bool = False

    @property
    def target(self) -> str:
        """Where issues go: ``owner/repo``."""
        return self.repo


#: A configured team; ``tracker`` tells which kind.
Team = Annotated[JiraTeam | GitHubTeam, Field(discriminator="tracker")]


def _team_name(value: str) -> str:
    # Owners in definitions are matched exactly; hidden spaces would make that fail silently.
    if value != value.strip():
        raise ValueError(f'team name "{value}" starts or ends with a space; remove it')
    return value


TeamName = Annotated[str, StringConstraints(min_length=1, max_length=100), AfterValidator(_team_name)]


class TeamsFile(BaseModel):
    """The teams file as written. Use :class:`Teams` (from :func:`load_teams`) to look up."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    teams: dict[TeamName, Team] = Field(min_length=1)


class Teams(Mapping[str, JiraTeam | GitHubTeam]):
    """Configured teams by name: a read-only mapping with lookup helpers.

    It is a plain :class:`~collections.abc.Mapping` so the engine can take any mapping of
    name to team (tests build one from a dict).
    """

    __slots__ = ("_by_name",)

    def __init__(self, teams: Mapping[str, JiraTeam | GitHubTeam]) -> None:
        self._by_name = dict(teams)

    @classmethod
    def from_file(cls, parsed: TeamsFile) -> Teams:
        """The teams of a validated :class:`TeamsFile`."""
        return cls(parsed.teams)

    def __getitem__(self, name: str) -> JiraTeam | GitHubTeam:
        return self._by_name[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)

    def __repr__(self) -> str:
        return f"Teams({self._by_name!r})"

    @property
    def names(self) -> tuple[str, ...]:
        """Team names, sorted for messages."""
        return tuple(sorted(self._by_name))

    def on(self, tracker: Literal["jira", "github"]) -> dict[str, JiraTeam | GitHubTeam]:
        """The teams that use ``tracker``."""
        return {name: team for name, team in self._by_name.items() if team.tracker == tracker}

    def suggest(self, name: str) -> str | None:
        """The configured name ``name`` was most likely meant to be, if any is close."""
        return closest_name(name, self._by_name)


def closest_name(name: str, names: Iterable[str]) -> str | None:
    """The one of ``names`` closest to ``name`` (ignoring case), or None if none is close."""
    by_folded = {candidate.casefold(): candidate for candidate in names}
    close = difflib.get_close_matches(name.casefold(), list(by_folded), n=1, cutoff=0.6)
    return by_folded[close[0]] if close else None


def load_teams(path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> Teams:
    """Read and check the teams file; raise :class:`TeamsFileError` listing every problem."""
    try:
        doc = load_yaml(path, max_bytes=max_bytes)
    except YamlError as exc:
        raise TeamsFileError([exc]) from None
    return teams_from_document(doc)


def teams_from_document(doc: YamlDocument) -> Teams:
    """Check already-read teams data (e.g. from a test); raise :class:`TeamsFileError`."""
    errors = _misplaced_keys(doc)
    try:
        parsed = TeamsFile.model_validate(doc.data)
    except ValidationError as exc:
        # A key in the wrong kind of team has its own, clearer message already.
        errors = merge_errors(errors, errors_from_validation(exc, doc, model=TeamsFile))
    else:
        if not errors:
            return Teams.from_file(parsed)
    raise TeamsFileError(errors)


#: Keys that belong to the other kind of tracker, with what to write instead.
_WRONG_KIND = {
    "jira": {
        "repo": "only GitHub teams have a repo; a Jira team names its project key in 'project'",
    },
    "github": {
        "project": "only Jira teams have a project; a GitHub team names 'repo: owner/repo'",
        "issue_type": "issue_type applies to Jira teams only; remove it",
        **{
            key: f"{key} applies to Jira teams only; remove it"
            for key in (
                "tracking_issue_type",
                "priorities",
                "fields",
                "wont_fix_resolutions",
                "wont_fix_statuses",
                "transitions",
            )
        },
    },
}


def _misplaced_keys(doc: YamlDocument) -> list[SourceError]:
    """Keys of the other tracker kind, which pydantic would only call "unknown"."""
    teams = doc.data.get("teams")
    if not isinstance(teams, dict):
        return []
    errors: list[SourceError] = []
    for name, team in teams.items():
        if not isinstance(team, dict) or not isinstance(team.get("tracker"), str):
            continue
        for key, message in _WRONG_KIND.get(team["tracker"], {}).items():
            if key in team:
                errors.append(doc.error(("teams", name, key), message))
    return errors


__all__ = [
    "GITHUB_REPO",
    "JIRA_PROJECT_KEY",
    "GitHubTeam",
    "JiraTeam",
    "JiraTransitions",
    "Team",
    "Teams",
    "TeamsFile",
    "TeamsFileError",
    "closest_name",
    "load_teams",
    "teams_from_document",
]
