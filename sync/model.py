"""The post-mortem and its parts, as authors write them.

These models know nothing of Jira or GitHub. They validate the *shape* of a definition;
cross-checks that need outside knowledge (is the owner a configured team? is the id unique
across files?) live in :mod:`sync.loader`.
"""

from __future__ import annotations

import enum
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

#: Ids appear in issue markers and file names: printable, no whitespace, no slash.
IDENTIFIER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"
#: ``owner/repo#N`` (GitHub) or ``KEY-N`` (Jira).
TRACKING_ISSUE_PATTERN = r"^([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+#[1-9][0-9]*|[A-Z][A-Z0-9_]+-[1-9][0-9]*)$"


def _date_not_number(value: Any) -> Any:
    # Pydantic reads a bare number as a Unix timestamp, so a typo such as `deadline: 20240326`
    # would silently become a date in 1970. A definition spells dates out.
    if isinstance(value, int | float):
        raise ValueError(f"must be a date such as 2024-03-26, not the number {value}")
    return value


def _lower(value: Any) -> Any:
    # "High" and "high" are the same priority, in YAML as in a Markdown table.
    return value.strip().lower() if isinstance(value, str) else value


def _a_reason(value: Any) -> Any:
    # `withdrawn:` with nothing after it is YAML's null, and `withdrawn: yes` a boolean: neither
    # says why, and neither may silently mean "not withdrawn".
    if value is None or isinstance(value, bool):
        raise ValueError("give the reason the item was dropped as text, e.g. withdrawn: superseded by AI-4")
    return value


def _timestamp_not_number(value: Any) -> Any:
    if isinstance(value, int | float):
        raise ValueError(f"must be a date and time such as 2024-03-12T14:47:00Z, not the number {value}")
    return value


def _not_a_bool(value: Any) -> Any:
    # Pydantic would read `true` as 1 in a count.
    if isinstance(value, bool):
        raise ValueError(f"must be a number, not {str(value).lower()}")
    return value


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Identifier = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=IDENTIFIER_PATTERN),
]
#: A calendar date (``2024-03-26``).
Day = Annotated[date, BeforeValidator(_date_not_number)]
#: A moment with its UTC offset (``2024-03-12T14:47:00Z``). A time without an offset is
#: refused rather than guessed: the author's local time and UTC can be hours apart.
Timestamp = Annotated[AwareDatetime, BeforeValidator(_timestamp_not_number)]
Count = Annotated[int, BeforeValidator(_not_a_bool), Field(ge=0)]
Amount = Annotated[float, BeforeValidator(_not_a_bool), Field(ge=0)]

Severity = Literal["P1", "P2", "P3", "P4"]


class Priority(enum.StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class FactorCategory(enum.StrEnum):
    TOOLING = "tooling"
    PROCESS = "process"
    MONITORING = "monitoring"
    TESTING = "testing"
    COMMUNICATION = "communication"
    DESIGN = "design"


class _Strict(BaseModel):
    # Unknown keys are errors: a misspelt field must not be silently ignored.
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Impact(_Strict):
    minutes: Count | None = None
    users_affected: Count | None = None
    revenue_lost: Amount | None = None


class TimelineEntry(_Strict):
    at: Timestamp
    #: A role or a system ("On-call", "CI/CD system"), never a person.
    actor: Text
    description: Text


class ContributingFactor(_Strict):
    description: Text
    category: FactorCategory
    systemic: bool = False


#: Issue text stays well inside the trackers' limits (Jira: 32,767 characters per field).
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]


class ActionItem(_Strict):
    id: Identifier
    description: LongText
    #: A team from the teams file, never an individual.
    owner: Text
    deadline: Day
    priority: Annotated[Priority, BeforeValidator(_lower)]
    #: Why the item was dropped after it was agreed. A withdrawn item is not filed; if its
    #: issue exists, the worker closes it as won't do, once, with this reason.
    withdrawn: Annotated[
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)] | None,
        BeforeValidator(_a_reason),
    ] = None


class PostMortem(_Strict):
    id: Identifier
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=250)]
    severity: Severity
    detected_at: Timestamp
    resolved_at: Timestamp | None = None
    impact: Impact = Impact()
    summary: Annotated[str, StringConstraints(max_length=20_000)] = ""
    timeline: tuple[TimelineEntry, ...] = ()
    contributing_factors: tuple[ContributingFactor, ...] = ()
    went_well: tuple[Text, ...] = ()
    went_wrong: tuple[Text, ...] = ()
    action_items: tuple[ActionItem, ...] = Field(min_length=1)
    lessons_learned: tuple[Text, ...] = ()
    #: ``owner/repo#N`` (GitHub) or ``KEY-N`` (Jira): where the closing report is posted.
    tracking_issue: (
        Annotated[
            str,
            StringConstraints(strip_whitespace=True, pattern=TRACKING_ISSUE_PATTERN),
        ]
        | None
    ) = None
    #: A team from the teams file in whose tracker the worker creates the tracking issue
    #: (a Jira Epic with the items under it), instead of naming an existing one.
    create_tracking_issue: Text | None = None

    @model_validator(mode="after")
    def _check_consistency(self) -> PostMortem:
        seen: set[str] = set()
        for index, item in enumerate(self.action_items):
            if item.id in seen:
                raise DuplicateItemId(item.id, index)
            seen.add(item.id)
        if self.resolved_at is not None and self.resolved_at < self.detected_at:
            raise FieldProblem(("resolved_at",), "is earlier than detected_at")
        if self.tracking_issue and self.create_tracking_issue:
            raise FieldProblem(
                ("create_tracking_issue",),
                "cannot be used together with tracking_issue: name an existing issue or ask for one, not both",
            )
        return self

    def item(self, item_id: str) -> ActionItem:
        for candidate in self.action_items:
            if candidate.id == item_id:
                return candidate
        raise KeyError(item_id)


class FieldProblem(ValueError):
    """A whole-model check that failed because of one field; ``loc`` says which.

    Pydantic reports errors of a model validator against the model itself, so without this
    the author would not be pointed at the line to fix.
    """

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc


class DuplicateItemId(FieldProblem):
    """Two action items of one post-mortem share an id; carries the index of the second."""

    def __init__(self, item_id: str, index: int) -> None:
        super().__init__(
            ("action_items", index, "id"),
            f'action item id "{item_id}" is used twice in this post-mortem',
        )
        self.item_id = item_id
        self.index = index
