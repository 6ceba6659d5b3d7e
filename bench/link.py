"""An action item and the issue it is linked to, as handed to a measured process."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Kind = Literal["jira", "github"]


@dataclass(frozen=True)
class Link:
    """An action item and the issue the store links it to."""

    postmortem_id: str
    item_id: str
    tracker: Kind
    target: str
    issue_id: str
    issue_key: str

    def to_json(self) -> dict[str, str]:
        return {
            "postmortem_id": self.postmortem_id,
            "item_id": self.item_id,
            "tracker": self.tracker,
            "target": self.target,
            "issue_id": self.issue_id,
            "issue_key": self.issue_key,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, str]) -> Link:
        tracker: Kind = "jira" if data["tracker"] == "jira" else "github"
        return cls(data["postmortem_id"], data["item_id"], tracker, data["target"], data["issue_id"], data["issue_key"])
