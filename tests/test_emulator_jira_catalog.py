"""Per-site catalogs: priority schemes, custom fields and Cloud epics (``parent``)."""

from __future__ import annotations

from typing import Any

import jira
import pytest
import requests

from connectors.emulator import Emulator
from tests.emulator_fixtures import JIRA_EMAIL, JIRA_TOKEN, PROJECT, adf, emulator, jc

__all__ = ["emulator", "jc"]

HIERARCHY = "Given parent work item does not belong to appropriate hierarchy."


def _fields(summary: str, **extra: Any) -> dict[str, Any]:
    return {"project": {"key": PROJECT}, "issuetype": {"name": "Task"}, "summary": summary, **extra}


def _errors(exc: pytest.ExceptionInfo[jira.JIRAError]) -> dict[str, str]:
    assert exc.value.status_code == 400
    errors: dict[str, str] = exc.value.response.json()["errors"]
    return errors


# --- priorities ------------------------------------------------------------------------------


def test_priority_scheme_can_be_replaced(emulator: Emulator, jc: jira.JIRA) -> None:
    old = jc.create_issue(fields=_fields("before", priority={"name": "Highest"}), prefetch=False).key
    listed = emulator.jira_set_priorities(["Blocker", "Critical", "Major", "Minor", "Trivial"])
    assert [(p["id"], p["name"]) for p in listed] == [
        ("1", "Blocker"),
        ("2", "Critical"),
        ("3", "Major"),
        ("4", "Minor"),
        ("5", "Trivial"),
    ]
    assert [(p.id, p.name) for p in jc.priorities()] == [(p["id"], p["name"]) for p in listed]
    assert jc.priority("2").name == "Critical"
    assert jc.create_issue(fields=_fields("default"), prefetch=False).key == "PLAT-2"
    assert jc.issue("PLAT-2").fields.priority.name == "Major"  # the middle one
    assert jc.create_issue(fields=_fields("by id", priority={"id": "1"})).fields.priority.name == "Blocker"
    assert jc.create_issue(fields=_fields("by name", priority={"name": "minor"})).fields.priority.id == "4"
    assert jc.issue(old).fields.priority.name == "Highest"  # existing issues keep theirs
    for bad in ({"name": "High"}, {"id": "9"}, {"id": ""}):
        with pytest.raises(jira.JIRAError) as exc:
            jc.create_issue(fields=_fields("x", priority=bad), prefetch=False)
        assert set(_errors(exc)) == {"priority"}
    with pytest.raises(jira.JIRAError) as edit:
        jc.issue(old).update(fields={"priority": {"id": ""}})
    assert set(_errors(edit)) == {"priority"}
    found = jc.enhanced_search_issues("priority = Major", fields=["summary"])
    assert [i.key for i in found] == ["PLAT-2"]
    with pytest.raises(jira.JIRAError):
        jc.enhanced_search_issues("priority = Medium")
    assert emulator.jira_set_priorities(["P1", "P2", "P3", "P4"])[1]["name"] == "P2"
    assert jc.create_issue(fields=_fields("four")).fields.priority.name == "P2"
    with pytest.raises(ValueError):
        emulator.jira_set_priorities([])


# --- custom fields ---------------------------------------------------------------------------


def test_custom_fields_are_listed_like_jira(emulator: Emulator, jc: jira.JIRA) -> None:
    team = emulator.jira_add_field(
        "Team",
        schema_type="option",
        custom="com.atlassian.jira.plugin.system.customfieldtypes:select",
        allowed_values=["SRE", "Payments"],
    )
    twin = emulator.jira_add_field("Team")
    tags = emulator.jira_add_field(
        "Areas",
        schema_type="array",
        custom="com.atlassian.jira.plugin.system.customfieldtypes:multiselect",
        allowed_values=["api", "db"],
    )
    fixed = emulator.jira_add_field("Story Points", schema_type="number", field_id="customfield_10016")
    assert (team, twin, tags, fixed) == (
        "customfield_10100",
        "customfield_10101",
        "customfield_10102",
        "customfield_10016",
    )
    by_id = {f["id"]: f for f in jc.fields()}
    assert by_id[team] == {
        "id": team,
        "key": team,
        "name": "Team",
        "custom": True,
        "orderable": True,
        "navigable": True,
        "searchable": True,
        "clauseNames": ["cf[10100]", "Team"],
        "schema": {
            "type": "option",
            "custom": "com.atlassian.jira.plugin.system.customfieldtypes:select",
            "customId": 10100,
        },
    }
    assert by_id[twin]["name"] == "Team"
    assert by_id[tags]["schema"]["items"] == "option"
    assert by_id[fixed]["schema"]["customId"] == 10016
    assert by_id["summary"]["custom"] is False
    assert by_id["parent"]["clauseNames"] == ["parent"]
    with pytest.raises(ValueError):
        emulator.jira_add_field("Again", field_id=fixed)
    with pytest.raises(ValueError):
        emulator.jira_add_field("Odd", schema_type="user")


def test_custom_field_values_are_checked_stored_and_selected(emulator: Emulator, jc: jira.JIRA) -> None:
    team = emulator.jira_add_field("Team", schema_type="option", allowed_values=["SRE", "Payments"])
    areas = emulator.jira_add_field("Areas", schema_type="array", allowed_values=["api", "db"])
    points = emulator.jira_add_field("Points", schema_type="number")
    start = emulator.jira_add_field("Start", schema_type="date")
    note = emulator.jira_add_field("Note")
    notes = emulator.jira_add_field(
        "Notes", custom="com.atlassian.jira.plugin.system.customfieldtypes:textarea", schema_type="string"
    )
    values = {
        team: {"value": "SRE"},
        areas: [{"value": "api"}, {"id": "10003"}],
        points: 3,
        start: "2024-03-01",
        note: "one line",
        notes: adf("many lines"),
    }
    key = jc.create_issue(fields=_fields("with fields", **values), prefetch=False).key
    raw = jc.issue(key).raw["fields"]
    assert raw[team] == {
        "self": f"{emulator.jira_url}/rest/api/3/customFieldOption/10000",
        "value": "SRE",
        "id": "10000",
    }
    assert [o["value"] for o in raw[areas]] == ["api", "db"]
    assert (raw[points], raw[start], raw[note], raw[notes]) == (3, "2024-03-01", "one line", adf("many lines"))
    assert set(jc.issue(key, fields=team).raw["fields"]) == {team}
    navigable = jc.enhanced_search_issues("project = PLAT", fields=["*navigable"], json_result=True)
    assert isinstance(navigable, dict)
    assert navigable["issues"][0]["fields"][points] == 3
    plain = emulator.jira_create_issue(PROJECT, "no custom values")
    assert jc.issue(plain).raw["fields"][team] is None  # *all lists them, empty

    jc.issue(key).update(fields={team: {"id": "10001"}, points: None})
    raw = jc.issue(key).raw["fields"]
    assert (raw[team]["value"], raw[points]) == ("Payments", None)
    assert [i.key for i in jc.enhanced_search_issues("Team = Payments", fields=["summary"])] == [key]
    assert [i.key for i in jc.enhanced_search_issues("cf[10101] = db", fields=["summary"])] == [key]
    assert [i.key for i in jc.enhanced_search_issues('Note ~ "line"', fields=["summary"])] == [key]

    bad = [
        (team, {"value": "Ops"}, "Option value 'Ops' is not valid"),
        (team, {"id": "99"}, "Option id '99' is not valid"),
        (areas, {"value": "api"}, "data was not an array"),
        (areas, [{"value": "web"}], "Option value 'web' is not valid"),
        (points, "3", "Operation value must be a number"),
        (start, "03/01/2024", "Error parsing date string: 03/01/2024"),
        (note, 5, "Operation value must be a string"),
        (notes, "plain", "Operation value must be an Atlassian Document (see the Atlassian Document Format)"),
        (
            "customfield_19999",
            "x",
            "Field 'customfield_19999' cannot be set. It is not on the appropriate screen, or unknown.",
        ),
    ]
    for fid, value, message in bad:
        with pytest.raises(jira.JIRAError) as exc:
            jc.create_issue(fields=_fields("bad", **{fid: value}), prefetch=False)
        assert _errors(exc) == {fid: message}, fid
        with pytest.raises(jira.JIRAError) as edit:
            jc.issue(key).update(fields={fid: value})
        assert _errors(edit) == {fid: message}, fid


# --- Cloud epics -----------------------------------------------------------------------------


def test_cloud_children_link_to_epics_with_parent(emulator: Emulator, jc: jira.JIRA) -> None:
    assert emulator.jira_epic_link_field is None and emulator.jira_epic_name_field is None
    epic = jc.create_issue(fields={**_fields("Reliability"), "issuetype": {"name": "Epic"}}, prefetch=False)
    child = jc.create_issue(fields=_fields("child", parent={"key": epic.key}), prefetch=False).key
    by_id = jc.create_issue(fields=_fields("by id", parent={"id": epic.id}), prefetch=False).key
    loose = jc.create_issue(fields=_fields("loose"), prefetch=False).key
    assert "parent" not in jc.issue(loose).raw["fields"]
    parent = jc.issue(child).raw["fields"]["parent"]
    assert (parent["id"], parent["key"], parent["self"]) == (
        epic.id,
        epic.key,
        f"{emulator.jira_url}/rest/api/3/issue/{epic.id}",
    )
    assert set(parent["fields"]) == {"summary", "status", "priority", "issuetype"}
    assert parent["fields"]["issuetype"]["hierarchyLevel"] == 1
    jc.issue(loose).update(fields={"parent": {"key": epic.key}})
    assert emulator.jira_children(epic.key) == [child, by_id, loose]
    found = jc.enhanced_search_issues(f"parent = {epic.key} ORDER BY key ASC", fields=["summary"])
    assert [i.key for i in found] == [child, by_id, loose]
    jc.issue(loose).update(fields={"parent": None})
    assert emulator.jira_children(epic.key) == [child, by_id]
    assert "parent" not in jc.issue(loose).raw["fields"]

    for ref, message in [
        ({"key": "PLAT-99"}, "Could not find issue by id or key."),
        ({"key": loose}, HIERARCHY),
        ({"id": "10099"}, "Could not find issue by id or key."),
    ]:
        with pytest.raises(jira.JIRAError) as exc:
            jc.create_issue(fields=_fields("x", parent=ref), prefetch=False)
        assert _errors(exc) == {"parent": message}
    with pytest.raises(jira.JIRAError) as epic_in_epic:
        jc.create_issue(fields={**_fields("x"), "issuetype": {"name": "Epic"}, "parent": {"key": epic.key}})
    assert _errors(epic_in_epic) == {"parent": HIERARCHY}
    with pytest.raises(jira.JIRAError) as itself:
        jc.issue(epic.key).update(fields={"parent": {"key": epic.key}})
    assert _errors(itself) == {"parent": HIERARCHY}
    made = emulator.jira_create_issue(PROJECT, "by a person", parent=epic.key)
    assert made in emulator.jira_children(epic.key)


def test_v2_field_list_is_the_same(emulator: Emulator) -> None:
    emulator.jira_add_field("Team")
    v2 = requests.get(f"{emulator.jira_url}/rest/api/2/field", auth=(JIRA_EMAIL, JIRA_TOKEN), timeout=5).json()
    v3 = requests.get(f"{emulator.jira_url}/rest/api/3/field", auth=(JIRA_EMAIL, JIRA_TOKEN), timeout=5).json()
    assert v2 == v3
