"""A Jira site's facts (deployment, priorities, fields) against each project's rules. Pure."""

from __future__ import annotations

from datetime import date

import pytest

from connectors.jira_fields import FieldDef, FieldError, field_value, resolve_field
from connectors.jira_site import (
    JiraProjectRules,
    SiteFacts,
    SiteProblem,
    detect_deployment,
    priorities_from_json,
    resolve_project,
)

FIELDS = (
    FieldDef("summary", "Summary", schema_type="string"),
    FieldDef("customfield_10100", "Team", True, "option", None, "x:select"),
    FieldDef("customfield_10101", "Team", True, "string", None, "y:textfield"),
    FieldDef("customfield_10102", "Root cause category", True, "option"),
    FieldDef("customfield_10103", "Components touched", True, "array", "option"),
    FieldDef("customfield_10104", "Story Points", True, "number"),
    FieldDef("customfield_10105", "Review date", True, "date"),
    FieldDef("customfield_10106", "Reviewers", True, "array", "user"),
    FieldDef("customfield_10107", "Sprint", True, "array", "json"),
)
FACTS = SiteFacts("cloud", "1001", (("1", "Blocker"), ("2", "Critical"), ("3", "Major"), ("4", "Minor")), FIELDS)


@pytest.mark.parametrize(
    ("info", "setting", "expected"),
    [
        ({"deploymentType": "Cloud"}, "auto", "cloud"),
        ({"deploymentType": "Server"}, "auto", "datacenter"),
        ({"deploymentType": "DataCenter"}, "auto", "datacenter"),
        ({"deploymentType": "Cloud"}, "datacenter", "datacenter"),
        (None, "cloud", "cloud"),
        (None, "auto", SiteProblem),
        ({"deploymentType": "Something"}, "auto", SiteProblem),
    ],
)
def test_detect_deployment(info: dict[str, str] | None, setting: str, expected: object) -> None:
    if expected is SiteProblem:
        with pytest.raises(SiteProblem, match="PMSYNC_JIRA_DEPLOYMENT"):
            detect_deployment(info, setting)  # type: ignore[arg-type]
    else:
        assert detect_deployment(info, setting) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("customfield_10100", "customfield_10100"),
        ("root cause CATEGORY", "customfield_10102"),
        (
            "Team",
            'field name "Team" is ambiguous on this site: it names customfield_10100 (x:select), '
            "customfield_10101 (y:textfield)",
        ),
        ("Story Point", 'no field called "Story Point" on this site (did you mean "Story Points"?)'),
        ("Nothing like it", 'no field called "Nothing like it" on this site'),
    ],
)
def test_resolve_field(ref: str, expected: str) -> None:
    if expected.startswith("customfield"):
        assert resolve_field(ref, FIELDS).id == expected
    else:
        with pytest.raises(FieldError) as err:
            resolve_field(ref, FIELDS)
        assert str(err.value).startswith(expected)


@pytest.mark.parametrize(
    ("field_id", "value", "expected"),
    [
        ("customfield_10102", "Process", {"value": "Process"}),
        ("customfield_10103", ["api", "db"], [{"value": "api"}, {"value": "db"}]),
        ("customfield_10103", "api", [{"value": "api"}]),
        ("customfield_10104", 3, 3),
        ("customfield_10104", "3", FieldError),
        ("customfield_10104", True, FieldError),
        ("customfield_10105", "2024-03-26", "2024-03-26"),
        ("customfield_10105", date(2024, 3, 26), "2024-03-26"),
        ("customfield_10105", "26/03/2024", FieldError),
        ("customfield_10101", "SRE", "SRE"),
        ("customfield_10101", ["a"], FieldError),
        ("customfield_10106", ["jdoe"], [{"name": "jdoe"}]),
        ("customfield_10107", ["x"], FieldError),
        ("summary", "x", FieldError),
    ],
)
def test_field_value(field_id: str, value: object, expected: object) -> None:
    field = next(f for f in FIELDS if f.id == field_id)
    if expected is FieldError:
        with pytest.raises(FieldError):
            field_value(field, value)
    else:
        assert field_value(field, value) == expected


def test_project_rules_resolve_to_ids() -> None:
    rules = JiraProjectRules(
        priorities={"critical": "blocker"},
        fields={"Root cause category": "Process", "customfield_10104": 2},
        teams=("Platform Team",),
    )
    setup = resolve_project("PLAT", rules, FACTS)
    # critical from the override; the others from the defaults this site has (Major, Minor...).
    assert setup.priority_ids == {"critical": "1", "high": "3", "medium": "3", "low": "4"}
    assert setup.extra_fields == {"customfield_10102": {"value": "Process"}, "customfield_10104": 2}


def test_every_problem_of_a_project_is_named() -> None:
    rules = JiraProjectRules(priorities={"high": "Urgent"}, fields={"Team": "SRE"}, teams=("Platform Team",))
    with pytest.raises(SiteProblem) as err:
        resolve_project("PLAT", rules, FACTS)
    message = str(err.value)
    assert (
        'Platform Team (Jira project PLAT): priority high is mapped to "Urgent", which this site does not have'
        in message
    )
    assert "it has: Blocker, Critical, Major, Minor" in message
    assert 'field name "Team" is ambiguous' in message


def test_no_priority_is_sent_with_an_empty_id() -> None:
    facts = SiteFacts("datacenter", "9", priorities_from_json([{"id": "", "name": "High"}, {"name": "Low"}]), ())
    assert facts.priorities == ()
    assert resolve_project("PLAT", JiraProjectRules(), facts).priority_ids == {}


def test_two_epic_link_fields_are_refused_on_data_center() -> None:
    epic = "com.pyxis.greenhopper.jira:gh-epic-link"
    facts = SiteFacts(
        "datacenter",
        "9",
        (),
        (
            FieldDef("customfield_1", "Epic Link", True, "any", None, epic),
            FieldDef("customfield_2", "Epic Link", True, "any", None, epic),
        ),
    )
    with pytest.raises(SiteProblem, match="2 Epic Link fields"):
        resolve_project("PLAT", JiraProjectRules(), facts)
