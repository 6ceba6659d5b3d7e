"""What the Jira connector learns about a site at start-up, and each project's rules. Pure.

A site is Jira Cloud (REST v3, Atlassian Document Format, cursor-paged ``/search/jql``,
email + API token) or Server/Data Center (REST v2, wiki-markup strings, offset-paged
``/search``, personal access token as bearer). :func:`detect_deployment` tells them apart
from ``serverInfo``, unless the settings say.

Teams configure, per Jira project, how our priorities map to the site's, extra fields to
set, which statuses and resolutions mean "won't fix", and which transitions to use
(:class:`JiraProjectRules`). :func:`resolve_project` checks those against the site's own
lists (:class:`SiteFacts`) and says what is wrong in words that name the setting.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from connectors.jira_fields import (
    EPIC_LINK_TYPE,
    EPIC_NAME_TYPE,
    FieldDef,
    FieldError,
    by_custom_type,
    field_value,
    resolve_field,
)
from connectors.jira_priorities import choose_priorities, unknown_overrides
from connectors.status_mapping import WONT_FIX_RESOLUTIONS, WONT_FIX_STATUSES

Deployment = Literal["cloud", "datacenter"]
DeploymentSetting = Literal["auto", "cloud", "datacenter"]


class SiteProblem(ValueError):
    """The site cannot be used as configured; the message says what to change."""


def detect_deployment(server_info: Mapping[str, Any] | None, setting: DeploymentSetting) -> Deployment:
    """Cloud or Data Center: the setting when it is not ``auto``, else what serverInfo says."""
    if setting != "auto":
        return setting
    kind = str((server_info or {}).get("deploymentType") or "")
    if kind.lower() == "cloud":
        return "cloud"
    if kind.lower() in ("server", "datacenter", "data center"):
        return "datacenter"
    raise SiteProblem(
        f"serverInfo does not say which Jira this is (deploymentType {kind or 'missing'}): "
        "set PMSYNC_JIRA_DEPLOYMENT to cloud or datacenter"
    )


@dataclass(frozen=True)
class JiraProjectRules:
    """A project's configuration from the teams file (all optional)."""

    #: Our priority (critical/high/medium/low) -> the site's priority name.
    priorities: Mapping[str, str] = field(default_factory=dict)
    #: Extra fields set on every issue: field id or name -> value.
    fields: Mapping[str, object] = field(default_factory=dict)
    wont_fix_resolutions: frozenset[str] = WONT_FIX_RESOLUTIONS
    wont_fix_statuses: frozenset[str] = WONT_FIX_STATUSES
    #: Transition ids to use instead of choosing by target status.
    done_transition: str | None = None
    wont_fix_transition: str | None = None
    #: The teams that file here, for messages.
    teams: tuple[str, ...] = ()
    #: The issue types the teams file here (checked against the project's own).
    issue_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class SiteFacts:
    """What discovery read from the site."""

    deployment: Deployment
    version: str
    #: (id, name) of each priority, in the site's order.
    priorities: tuple[tuple[str, str], ...]
    fields: tuple[FieldDef, ...]
    #: Issue type names of each configured project; None for a project that cannot be seen.
    projects: Mapping[str, tuple[str, ...] | None] = field(default_factory=dict)

    def epic_link(self) -> FieldDef | None:
        return by_custom_type(self.fields, EPIC_LINK_TYPE, "Epic Link") if self.deployment == "datacenter" else None

    def epic_name(self) -> FieldDef | None:
        return by_custom_type(self.fields, EPIC_NAME_TYPE, "Epic Name") if self.deployment == "datacenter" else None


@dataclass(frozen=True)
class ProjectSetup:
    """A project's rules resolved against the site: ids ready to send."""

    #: Our priority -> the site's priority id (missing: send none, the site's default applies).
    priority_ids: Mapping[str, str]
    #: Extra field id -> value shaped for the API.
    extra_fields: Mapping[str, object]


def resolve_project(project: str, rules: JiraProjectRules, facts: SiteFacts) -> ProjectSetup:
    """Check ``rules`` against the site; :class:`SiteProblem` lists every problem."""
    who = f"{', '.join(rules.teams) or 'the team'} (Jira project {project})"
    problems = [f"{who}: {p}" for p in unknown_overrides([n for _, n in facts.priorities], rules.priorities)]
    if project in facts.projects:
        types = facts.projects[project]
        if types is None:
            problems.append(f"{who}: the project {project} does not exist, or this account cannot see it")
        else:
            folded = {t.casefold() for t in types}
            problems += [
                f'{who}: issue type "{wanted}" is not one of the project\'s ({", ".join(types) or "none"})'
                for wanted in rules.issue_types
                if wanted.casefold() not in folded
            ]
    names = choose_priorities([n for _, n in facts.priorities], rules.priorities)
    ids_by_name = {name: pid for pid, name in facts.priorities}
    priority_ids = {ours: ids_by_name[name] for ours, name in names.items() if name and ids_by_name.get(name)}
    extra: dict[str, object] = {}
    for ref, value in rules.fields.items():
        try:
            target = resolve_field(ref, facts.fields)
            extra[target.id] = field_value(target, value)
        except FieldError as exc:
            problems.append(f"{who}: {exc}")
    try:
        facts.epic_link()
        facts.epic_name()
    except FieldError as exc:
        problems.append(str(exc))
    if problems:
        raise SiteProblem("; ".join(problems))
    return ProjectSetup(priority_ids=priority_ids, extra_fields=extra)


def priorities_from_json(raw: Sequence[Mapping[str, Any]]) -> tuple[tuple[str, str], ...]:
    """``GET /priority`` as (id, name) pairs; entries without an id or name are skipped."""
    return tuple((str(p["id"]), str(p["name"])) for p in raw if p.get("id") not in (None, "") and p.get("name"))
