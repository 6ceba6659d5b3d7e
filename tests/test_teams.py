"""The teams file: typed teams, lookups, and every mistake reported with its line."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest
from pydantic import ValidationError

from config.teams import GitHubTeam, JiraTeam, Teams, TeamsFileError, load_teams

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "teams.yaml"

GOOD = """\
teams:
  Platform Team:
    tracker: jira
    project: PLAT
    labels: [postmortem]
  Payments Team:
    tracker: github
    repo: acme/payments
    labels: [postmortem]
"""


def _write(tmp_path: Path, text: str) -> Path:
    file = tmp_path / "teams.yaml"
    file.write_text(text, encoding="utf-8")
    return file


def test_good_file(tmp_path: Path) -> None:
    teams = load_teams(_write(tmp_path, GOOD))
    assert isinstance(teams, Mapping)
    assert len(teams) == 2
    assert teams.names == ("Payments Team", "Platform Team")
    platform = teams["Platform Team"]
    assert isinstance(platform, JiraTeam)
    assert (platform.tracker, platform.project, platform.target) == ("jira", "PLAT", "PLAT")
    assert platform.issue_type == "Task"
    assert platform.labels == ("postmortem",)
    payments = teams["Payments Team"]
    assert isinstance(payments, GitHubTeam)
    assert (payments.tracker, payments.target) == ("github", "acme/payments")
    assert "Payments Team" in teams
    assert "payments team" not in teams  # owners are matched exactly
    assert teams.get("Nobody") is None
    assert list(teams.on("github")) == ["Payments Team"]


def test_teams_are_frozen(tmp_path: Path) -> None:
    team = load_teams(_write(tmp_path, GOOD))["Platform Team"]
    assert isinstance(team, JiraTeam)
    with pytest.raises(ValidationError):
        team.project = "OTHER"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("Platfrom Team", "Platform Team"),
        ("platform team", "Platform Team"),
        ("Payments", "Payments Team"),
        ("Security Team", None),
    ],
)
def test_suggest(tmp_path: Path, written: str, meant: str | None) -> None:
    assert load_teams(_write(tmp_path, GOOD)).suggest(written) == meant


def test_example_file_loads() -> None:
    teams = load_teams(EXAMPLE)
    assert teams["Platform Team"].target == "PLAT"
    assert teams["Payments Team"].target == "acme/payments"
    assert {"Platform Team", "Payments Team"} <= set(teams)


def test_teams_from_a_plain_dict() -> None:
    team = GitHubTeam(tracker="github", repo="acme/edge")
    teams = Teams({"Edge Team": team})
    assert teams["Edge Team"] is team
    assert repr(teams).startswith("Teams(")


# (name, teams file, expected line, expected field, fragment of the message)
BAD_TEAMS: list[tuple[str, str, int | None, str | None, str]] = [
    ("empty file", "", None, None, "file is empty"),
    ("no teams key", "groups: {}\n", 1, "teams", "required field is missing"),
    (
        "misspelt teams key",
        "team:\n  A: {tracker: jira, project: AB}\n",
        1,
        "team",
        'did you mean "teams"',
    ),
    ("no teams", "teams: {}\n", 1, "teams", "needs at least 1 entry"),
    ("teams is a list", "teams:\n  - Platform Team\n", 1, "teams", "must be a mapping"),
    (
        "team is text",
        "teams:\n  Platform Team: PLAT\n",
        2,
        'teams["Platform Team"]',
        "must be a mapping",
    ),
    (
        "no tracker",
        "teams:\n  Ops:\n    project: OPS\n",
        2,
        "teams.Ops.tracker",
        "required field is missing",
    ),
    (
        "unknown tracker",
        "teams:\n  Ops:\n    tracker: gitlab\n",
        3,
        "teams.Ops.tracker",
        'must be one of: jira, github ("gitlab")',
    ),
    (
        "jira without project",
        "teams:\n  Ops:\n    tracker: jira\n",
        2,
        "teams.Ops.project",
        "required field is missing",
    ),
    (
        "jira project name, not key",
        "teams:\n  Ops:\n    tracker: jira\n    project: Ops\n",
        4,
        "teams.Ops.project",
        '"Ops" is not a Jira project key',
    ),
    (
        "jira key too short",
        "teams:\n  Ops:\n    tracker: jira\n    project: O\n",
        4,
        "teams.Ops.project",
        "not a Jira project key",
    ),
    (
        "jira with repo",
        "teams:\n  Ops:\n    tracker: jira\n    project: OPS\n    repo: a/b\n",
        5,
        "teams.Ops.repo",
        "only GitHub teams have a repo",
    ),
    (
        "jira label with space",
        "teams:\n  Ops:\n    tracker: jira\n    project: OPS\n    labels: [post mortem]\n",
        5,
        "teams.Ops.labels",
        "cannot contain spaces",
    ),
    (
        "github without repo",
        "teams:\n  Web:\n    tracker: github\n",
        2,
        "teams.Web.repo",
        "required field is missing",
    ),
    (
        "github repo without owner",
        "teams:\n  Web:\n    tracker: github\n    repo: web\n",
        4,
        "teams.Web.repo",
        "write it as owner/repo",
    ),
    (
        "github repo as url",
        "teams:\n  Web:\n    tracker: github\n    repo: https://github.com/acme/web\n",
        4,
        "teams.Web.repo",
        "write it as owner/repo",
    ),
    (
        "github with project",
        "teams:\n  Web:\n    tracker: github\n    repo: acme/web\n    project: WEB\n",
        5,
        "teams.Web.project",
        "only Jira teams have a project",
    ),
    (
        "github with issue_type",
        "teams:\n  Web:\n    tracker: github\n    repo: acme/web\n    issue_type: Bug\n",
        5,
        "teams.Web.issue_type",
        "Jira teams only",
    ),
    (
        "misspelt key",
        "teams:\n  Ops:\n    tracker: jira\n    project: OPS\n    lables: [x]\n",
        5,
        "teams.Ops.lables",
        'did you mean "labels"',
    ),
    (
        "empty label",
        "teams:\n  Ops:\n    tracker: jira\n    project: OPS\n    labels: ['']\n",
        5,
        "teams.Ops.labels[0]",
        "must not be empty",
    ),
    (
        "empty team name",
        "teams:\n  '': {tracker: jira, project: OPS}\n",
        2,
        'teams[""]',
        "must not be empty",
    ),
    (
        "team name with spaces around",
        "teams:\n  ' Ops ': {tracker: jira, project: OPS}\n",
        2,
        'teams[" Ops "]',
        "starts or ends with a space",
    ),
    (
        "same team twice",
        "teams:\n  Ops: {tracker: jira, project: OPS}\n  Ops: {tracker: jira, project: OPS2}\n",
        3,
        "teams.Ops",
        "already set on line 2",
    ),
]


@pytest.mark.parametrize(
    ("text", "line", "field", "fragment"),
    [case[1:] for case in BAD_TEAMS],
    ids=[case[0] for case in BAD_TEAMS],
)
def test_bad_teams_file(tmp_path: Path, text: str, line: int | None, field: str | None, fragment: str) -> None:
    file = _write(tmp_path, text)
    with pytest.raises(TeamsFileError) as caught:
        load_teams(file)
    errors = caught.value.errors
    assert all(e.path == str(file) for e in errors)
    matching = [e for e in errors if (e.line, e.field) == (line, field)]
    assert matching, errors
    assert fragment in matching[0].message


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = (
        "teams:\n"
        "  Ops:\n"
        "    tracker: jira\n"
        "    project: ops\n"  # 4
        "  Web:\n"
        "    tracker: github\n"
        "    repo: web\n"  # 7
        "  Data:\n"
        "    tracker: jira\n"
        "    project: DATA\n"
        "    repo: acme/data\n"  # 11
    )
    with pytest.raises(TeamsFileError) as caught:
        load_teams(_write(tmp_path, text))
    assert [(e.line, e.field) for e in caught.value.errors] == [
        (4, "teams.Ops.project"),
        (7, "teams.Web.repo"),
        (11, "teams.Data.repo"),
    ]
    assert str(caught.value).count("\n") == 2


def test_misspelt_required_key_is_one_error(tmp_path: Path) -> None:
    with pytest.raises(TeamsFileError) as caught:
        load_teams(_write(tmp_path, "team:\n  Ops: {tracker: jira, project: OPS}\n"))
    assert [e.message for e in caught.value.errors] == ['unknown field (did you mean "teams"?)']


def test_documented_example_in_config_loads() -> None:
    teams = load_teams(EXAMPLE.parent.parent / "config" / "teams.example.yaml")
    data = teams["Data Platform"]
    assert isinstance(data, JiraTeam)
    assert (data.project, data.issue_type) == ("DATA", "Story")


JIRA_RULES = """\
teams:
  Platform Team:
    tracker: jira
    project: PLAT
    priorities: {critical: Blocker}
    fields: {"Root cause category": Process, customfield_10420: [a, 2, 2.5]}
    wont_fix_statuses: [Abandoned]
    transitions: {done: "031"}
"""


def test_jira_rules_are_read(tmp_path: Path) -> None:
    file = tmp_path / "teams.yaml"
    file.write_text(JIRA_RULES)
    team = load_teams(file)["Platform Team"]
    assert isinstance(team, JiraTeam)
    assert team.priorities == {"critical": "Blocker"}
    assert team.fields == {"Root cause category": "Process", "customfield_10420": ["a", 2, 2.5]}
    assert team.wont_fix_statuses == ("Abandoned",) and team.transitions.done == "31"


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("true", "not true; put text in quotes"),
        (".nan", "not nan"),
        ('"a\\u0007b"', "must not contain control characters"),
        ("{a: 1}", "must be text, a number or a list of them"),
    ],
)
def test_jira_field_values_are_text_or_numbers(tmp_path: Path, value: str, fragment: str) -> None:
    file = tmp_path / "teams.yaml"
    file.write_text(JIRA_RULES.replace('Root cause category": Process', f'Root cause category": {value}'))
    with pytest.raises(TeamsFileError) as err:
        load_teams(file)
    assert fragment in str(err.value)


def test_teams_sharing_a_project_must_agree_and_are_told_what_differs(tmp_path: Path) -> None:
    from config.settings import SettingsError
    from sync.wiring import jira_rules

    file = tmp_path / "teams.yaml"
    file.write_text(
        JIRA_RULES
        + "  Data Team:\n    tracker: jira\n    project: PLAT\n    priorities: {critical: BLOCKER}\n"
        + "    wont_fix_statuses: [abandoned]\n    transitions: {done: '31'}\n"
        + '    fields: {"Root cause category": Process, customfield_10420: [a, 2, 2.5]}\n'
    )
    assert jira_rules(load_teams(file))["PLAT"].teams == ("Data Team", "Platform Team")
    file.write_text(JIRA_RULES + "  Data Team:\n    tracker: jira\n    project: PLAT\n")
    with pytest.raises(SettingsError) as err:
        jira_rules(load_teams(file))
    message = str(err.value)
    assert "Data Team, Platform Team all file into Jira project PLAT" in message
    assert "set fields, priorities, transitions, wont_fix_statuses differently" in message


def test_every_issue_type_of_teams_sharing_a_project_is_checked(tmp_path: Path) -> None:
    from sync.wiring import jira_rules

    file = tmp_path / "teams.yaml"
    file.write_text(
        "teams:\n"
        "  A Team:\n    tracker: jira\n    project: PLAT\n    issue_type: Bug\n"
        "  B Team:\n    tracker: jira\n    project: PLAT\n    tracking_issue_type: Initiative\n"
    )
    assert jira_rules(load_teams(file))["PLAT"].issue_types == ("Bug", "Task", "Initiative")


def test_teams_sharing_a_github_repository_must_agree(tmp_path: Path) -> None:
    from config.settings import SettingsError
    from sync.wiring import github_rules

    file = tmp_path / "teams.yaml"
    file.write_text(
        "teams:\n"
        "  A Team:\n    tracker: github\n    repo: acme/web\n    closed_without_reason: unknown\n"
        "  B Team:\n    tracker: github\n    repo: Acme/Web\n"
    )
    with pytest.raises(SettingsError) as err:
        github_rules(load_teams(file))
    assert "A Team, B Team all file into GitHub repository acme/web but set closed_without_reason" in str(err.value)


@pytest.mark.parametrize("label", ["PostMortem-Sync", "priority: high", "Priority:late"])
def test_the_overdue_label_cannot_be_one_the_worker_uses_for_something_else(tmp_path: Path, label: str) -> None:
    file = tmp_path / "teams.yaml"
    file.write_text(f'teams:\n  Web Team:\n    tracker: github\n    repo: acme/web\n    overdue_label: "{label}"\n')
    with pytest.raises(TeamsFileError) as err:
        load_teams(file)
    assert "a label postmortem-sync uses for something else" in str(err.value)
    assert err.value.errors[0].line == 5
