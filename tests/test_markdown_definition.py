"""Markdown post-mortems: same data as YAML, every problem on the Markdown file's own line."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from config.teams import GitHubTeam, JiraTeam, Teams, load_teams
from sync.loader import DefinitionError, find_definition_files, load_definitions, read_definition
from sync.markdown_definition import NO_FRONT_MATTER, MarkdownError, parse_markdown

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

TEAMS = Teams(
    {
        "Platform Team": JiraTeam(tracker="jira", project="PLAT"),
        "Payments Team": GitHubTeam(tracker="github", repo="acme/payments"),
    }
)

# A valid definition; each bad case below changes one part of it. Line numbers matter:
# they are written in the comments of the cases.
VALID = """\
---
id: INC-2024-200
severity: P2
detected_at: 2024-03-12T14:47:00Z
resolved_at: 2024-03-12T15:52:00Z
tracking_issue: acme/payments#12
---
# Incident: Checkout slowed down

## Summary

Checkout calls timed out
while a cache node restarted.

## Impact

- Duration: 1 h 5 min
- **Users affected:** ~1,347 users
- Revenue lost: $89,000.50 (estimate)

## Timeline (minute-by-minute)

- 2024-03-12T14:30:00Z \u2014 CI/CD system: Deploy started
- 2024-03-12T14:47:00Z - Monitoring: Latency alert: checkout p99 above 2 s

## Contributing Factors (NOT "root cause")

| Category | Description | Systemic |
|---|---|---|
| Tooling | No cache warm-up | yes |
| process | No canary for cache nodes | |

## What went well

- The alert fired within minutes.

## Action Items (with owner + deadline)

| id | Description | Owner | Deadline | Priority |
|----|-------------|-------|----------|----------|
| AI-1 | Warm the cache before a node rejoins. | Platform Team | 2024-03-26 | Critical |
| AI-2 | Alert on checkout latency. | Payments Team | 2024-04-02 | high |

## Lessons Learned

1. Caches need warming.
"""

ACTION_TABLE = """\
| id | Description | Owner | Deadline | Priority |
|----|-------------|-------|----------|----------|
| AI-1 | Warm the cache before a node rejoins. | Platform Team | 2024-03-26 | Critical |
| AI-2 | Alert on checkout latency. | Payments Team | 2024-04-02 | high |
"""


def _change(old: str, new: str) -> str:
    assert old in VALID, old
    return VALID.replace(old, new, 1)


def _write(folder: Path, name: str, text: str) -> Path:
    file = folder / name
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(text, encoding="utf-8")
    return file


def test_valid_markdown_reads_every_section(tmp_path: Path) -> None:
    pm = read_definition(_write(tmp_path, "inc.md", VALID), TEAMS).postmortem
    assert (pm.id, pm.title, pm.severity) == ("INC-2024-200", "Checkout slowed down", "P2")
    assert pm.summary == "Checkout calls timed out while a cache node restarted."
    assert (pm.impact.minutes, pm.impact.users_affected, pm.impact.revenue_lost) == (65, 1347, 89000.5)
    assert [(e.at, e.actor, e.description) for e in pm.timeline] == [
        (datetime(2024, 3, 12, 14, 30, tzinfo=UTC), "CI/CD system", "Deploy started"),
        (datetime(2024, 3, 12, 14, 47, tzinfo=UTC), "Monitoring", "Latency alert: checkout p99 above 2 s"),
    ]
    assert [(f.category.value, f.systemic) for f in pm.contributing_factors] == [("tooling", True), ("process", False)]
    assert pm.went_well == ("The alert fired within minutes.",)
    assert pm.lessons_learned == ("Caches need warming.",)
    assert [(i.id, i.owner, i.deadline, i.priority.value) for i in pm.action_items] == [
        ("AI-1", "Platform Team", date(2024, 3, 26), "critical"),
        ("AI-2", "Payments Team", date(2024, 4, 2), "high"),
    ]
    assert pm.tracking_issue == "acme/payments#12"


def test_field_lines_point_into_the_markdown() -> None:
    lines = parse_markdown(VALID, path="inc.md").lines
    assert lines.line_of(("severity",)) == 3
    assert lines.line_of(("title",)) == 8
    assert lines.line_of(("impact", "users_affected")) == 18
    assert lines.line_of(("timeline", 1, "at")) == 24
    assert lines.line_of(("action_items", 1, "deadline")) == 42


def test_the_markdown_example_equals_the_yaml_example() -> None:
    teams = load_teams(EXAMPLES / "teams.yaml")
    from_yaml = read_definition(EXAMPLES / "postmortems" / "inc-2024-042-payment-pipeline.yaml", teams)
    from_markdown = read_definition(EXAMPLES / "markdown" / "inc-2024-042-payment-pipeline.md", teams)
    assert from_markdown.postmortem == from_yaml.postmortem
    text = (EXAMPLES / "markdown" / "inc-2024-042-payment-pipeline.md").read_text()
    for name in ("Maria", "Raj"):  # blameless, like the YAML example
        assert name not in text


_NO_DEADLINE = ACTION_TABLE.replace(" Deadline |", "").replace("----------|", "", 1)
_NO_DEADLINE = "\n".join(
    line.replace(" 2024-03-26 |", "").replace(" 2024-04-02 |", "") for line in _NO_DEADLINE.split("\n")
)

BAD = {
    "no front matter": (
        VALID.split("---\n", 2)[2],
        (1, None, "no front matter: a Markdown post-mortem starts with --- ... ---"),
    ),
    "front matter never closed": (
        VALID.replace("---\n# Incident", "# Incident", 1),
        (1, None, "never closed by a --- line"),
    ),
    "bad YAML in the front matter": (
        _change("id: INC-2024-200", "id: INC: 2024"),
        (2, None, "a ':' is not allowed here"),
    ),
    "duplicate key in the front matter": (
        _change("tracking_issue: acme/payments#12", "severity: P3"),
        (6, "severity", 'duplicate key "severity": it is already set on line 3'),
    ),
    "bad value in the front matter": (
        _change("severity: P2", "severity: P9"),
        (3, "severity", "must be one of: P1, P2, P3, P4"),
    ),
    "missing field in the front matter": (
        _change("detected_at: 2024-03-12T14:47:00Z\n", ""),
        (1, "detected_at", "required field is missing"),
    ),
    "section field in the front matter": (
        _change("severity: P2", "severity: P2\nsummary: Slow"),
        (4, "summary", 'belongs in the "## Summary" section'),
    ),
    "missing Action Items section": (
        VALID.split("## Action Items")[0] + "## Lessons Learned\n\n- Warm caches.\n",
        (8, "action_items", 'no "## Action Items" section'),
    ),
    "missing column": (
        _change(ACTION_TABLE, _NO_DEADLINE),
        (39, "action_items", 'the table has no "Deadline" column (expected ID | Description | Owner | Deadline'),
    ),
    "unknown column": (
        _change("| Owner | Deadline |", "| Owner | Due |"),
        (39, "action_items", 'unknown column "Due" (expected one of: ID, Description'),
    ),
    "bad date in a table cell": (
        _change("2024-04-02", "2024-02-30"),
        (42, "action_items[1].deadline", 'not a valid date ("2024-02-30")'),
    ),
    "empty cell": (
        _change("| Payments Team | 2024-04-02 | high |", "| Payments Team | 2024-04-02 | |"),
        (42, "action_items[1].priority", "required field is missing"),
    ),
    "unknown owner": (
        _change("| Payments Team |", "| Payment Team |"),
        (42, "action_items[1].owner", 'owner "Payment Team" is not a configured team (did you mean "Payments Team"?)'),
    ),
    "duplicate item id": (
        _change("| AI-2 |", "| AI-1 |"),
        (
            42,
            "action_items[1].id",
            'action item id "AI-1" is used twice in this post-mortem (first at action_items[0], line 41)',
        ),
    ),
    "empty table": (
        _change(ACTION_TABLE, ACTION_TABLE.split("| AI-1")[0]),
        (39, "action_items", "needs at least 1 entry"),
    ),
    "text instead of a table": (
        _change("| id | Description", "Items below.\n\n| id | Description"),
        (
            39,
            "action_items",
            "expected only a table (ID | Description | Owner | Deadline | Priority | Withdrawn), found text",
        ),
    ),
    "unknown section": (
        _change("## Timeline (minute-by-minute)", "## Timline (minute-by-minute)"),
        (21, None, 'unknown section "Timline" (expected one of: Summary, Impact, Timeline'),
    ),
    "root cause section": (
        _change('## Contributing Factors (NOT "root cause")', "## Root Cause"),
        (26, None, 'list them under "## Contributing Factors"'),
    ),
    "repeated section": (
        _change("## Lessons Learned", "## What Went Well"),
        (44, None, 'section "What Went Well" appears twice (first on line 33)'),
    ),
    "second title": (
        _change("## Lessons Learned", "# Lessons Learned"),
        (44, None, 'only the title is a "#" heading'),
    ),
    "text before the first section": (
        _change("# Incident: Checkout slowed down\n", "# Incident: Checkout slowed down\nDraft.\n"),
        (9, None, 'text before the first "##" section is not read'),
    ),
    "malformed timeline entry": (
        _change("- 2024-03-12T14:47:00Z - Monitoring: ", "- 14:47 Monitoring "),
        (24, "timeline[1]", "write a timeline entry as"),
    ),
    "timeline time without a timezone": (
        _change("2024-03-12T14:47:00Z - Monitoring", "2024-03-12T14:47:00 - Monitoring"),
        (24, "timeline[1].at", "needs a timezone"),
    ),
    "unknown category": (
        _change("| process |", "| people |"),
        (31, "contributing_factors[1].category", "must be one of: tooling, process"),
    ),
    "impact that is no number": (
        _change("- Duration: 1 h 5 min", "- Duration: a while"),
        (17, "impact.minutes", 'must be a whole number ("a while")'),
    ),
    "unknown impact line": (
        _change("- Duration: 1 h 5 min", "- Orders: 1200"),
        (17, "impact", 'unknown impact line "Orders" (expected one of: Duration, Users affected, Revenue lost)'),
    ),
}


#: Cases that rightly report more than one problem; every other case reports exactly one.
ERROR_COUNTS = {"unknown column": 2}  # the unknown "Due" and the missing "Deadline"


@pytest.mark.parametrize("case", BAD)
def test_bad_markdown_is_reported_on_its_line(case: str, tmp_path: Path) -> None:
    text, (line, field, fragment) = BAD[case]
    path = _write(tmp_path, "inc.md", text)
    with pytest.raises(DefinitionError) as caught:
        read_definition(path, TEAMS)
    found = [(e.path, e.line, e.field, e.message) for e in caught.value.errors]
    assert any((p, n, f) == (str(path), line, field) and fragment in message for p, n, f, message in found), (
        f"expected line {line}, field {field}, {fragment!r}; got {found}"
    )
    assert len(found) == ERROR_COUNTS.get(case, 1), found


def test_an_error_reads_file_line_field_message(tmp_path: Path) -> None:
    path = _write(tmp_path, "postmortems/inc-7.md", _change("2024-04-02", "2024-02-30"))
    with pytest.raises(DefinitionError) as caught:
        read_definition(path, TEAMS)
    assert str(caught.value).startswith(f'{path}:42: action_items[1].deadline: not a valid date ("2024-02-30")')


def test_structural_problems_are_reported_together() -> None:
    text = _change("## Timeline (minute-by-minute)", "## Timline").replace("| Owner | Deadline |", "| Owner | Due |")
    with pytest.raises(MarkdownError) as caught:
        parse_markdown(text, path="inc.md")
    assert [(e.line, e.field) for e in caught.value.errors] == [
        (21, None),
        (39, "action_items"),
        (39, "action_items"),
    ]


def test_front_matter_title_wins_and_comments_are_ignored() -> None:
    text = _change("tracking_issue", "title: From the front matter\ntracking_issue").replace(
        "## Summary", "<!-- fill in the summary -->\n\n---\n\n## Summary"
    )
    assert parse_markdown(text).data["title"] == "From the front matter"


def test_a_folder_mixes_yaml_and_markdown(tmp_path: Path) -> None:
    yaml_example = EXAMPLES / "postmortems" / "inc-2024-042-payment-pipeline.yaml"
    _write(tmp_path, "a/inc-042.yaml", yaml_example.read_text())
    _write(tmp_path, "b/inc-200.md", VALID)
    _write(tmp_path, "README.md", "# Post-mortems\n\nOne file per incident.\n")
    forgot = _write(tmp_path, "c/inc-300.md", "# Incident: Forgot the front matter\n\n## Summary\n")
    teams = load_teams(EXAMPLES / "teams.yaml")

    files, _ = find_definition_files([tmp_path])
    assert [f.relative_to(tmp_path).as_posix() for f in files] == ["a/inc-042.yaml", "b/inc-200.md", "c/inc-300.md"]

    result = load_definitions([tmp_path], teams)
    assert sorted(lp.postmortem.id for lp in result.postmortems) == ["INC-2024-042", "INC-2024-200"]
    assert [(e.path, e.line, e.message) for e in result.errors] == [(str(forgot), 1, NO_FRONT_MATTER)]


def test_ids_are_unique_across_yaml_and_markdown(tmp_path: Path) -> None:
    _write(tmp_path, "a.md", VALID)
    second = _write(tmp_path, "b.yaml", "id: INC-2024-200\ntitle: Copy\n")
    result = load_definitions([tmp_path], TEAMS)
    assert [lp.path.name for lp in result.postmortems] == ["a.md"]
    (error,) = result.errors
    assert (error.path, error.line, error.field) == (str(second), 1, "id")
    assert f"is already used by {tmp_path / 'a.md'} (line 2)" in error.message


def test_a_markdown_file_named_explicitly_is_always_read(tmp_path: Path) -> None:
    readme = _write(tmp_path, "README.md", "# Post-mortems\n")
    result = load_definitions([readme], TEAMS)
    assert [(e.line, e.message) for e in result.errors] == [(1, NO_FRONT_MATTER)]


def test_a_withdrawn_column_is_optional_and_empty_cells_mean_not_withdrawn(tmp_path: Path) -> None:
    text = _change(
        ACTION_TABLE,
        ACTION_TABLE.replace("| Priority |", "| Priority | Withdrawn |", 1)
        .replace("|----------|\n", "|----------|-----------|\n", 1)
        .replace("| Critical |", "| Critical | superseded by AI-2 |")
        .replace("| high |", "| high | |"),
    )
    pm = read_definition(_write(tmp_path, "inc.md", text), TEAMS).postmortem
    assert [(i.id, i.withdrawn) for i in pm.action_items] == [("AI-1", "superseded by AI-2"), ("AI-2", None)]
    tracked = _change("tracking_issue: acme/payments#12", "create_tracking_issue: Platform Team")
    assert read_definition(_write(tmp_path, "t.md", tracked), TEAMS).postmortem.create_tracking_issue == "Platform Team"
