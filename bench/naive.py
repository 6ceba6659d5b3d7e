"""The baseline: a simple poller that reads every linked issue, one GET each, every cycle.

It uses the same client libraries as the worker (``jira`` and ``PyGithub``), with their
retries off as the worker has them, and the same status mapping, and keeps the last status
of each issue in memory. It files nothing, loads no definitions and writes no state store:
it is only the reading a per-item poller does each cycle.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from github import Auth, Github
from github.Repository import Repository
from jira import JIRA

from bench.link import Link
from connectors.base import ItemStatus
from connectors.status_mapping import github_status, jira_status


@dataclass(frozen=True)
class PollResult:
    """One poll: how many issues were read and how many had changed since the last poll."""

    read: int
    changed: int


class NaivePoller:
    """Reads each issue in ``links`` by itself, every time :meth:`poll` is called."""

    def __init__(
        self,
        links: Sequence[Link],
        *,
        jira_url: str,
        jira_email: str,
        jira_token: str,
        github_url: str,
        github_token: str,
        timeout: float = 20.0,
    ) -> None:
        self.links = list(links)
        self._jira: Any = JIRA(
            server=jira_url,
            basic_auth=(jira_email, jira_token),
            options={"rest_api_version": "3"},
            max_retries=0,
            timeout=timeout,
            get_server_info=False,
        )
        # Lazy, so that reading an issue is exactly one GET (the repository is never fetched).
        self._github = Github(
            base_url=github_url,
            auth=Auth.Token(github_token),
            retry=None,
            timeout=round(timeout),
            lazy=True,
            seconds_between_requests=None,
            seconds_between_writes=None,
        )
        self._repos: dict[str, Repository] = {}
        self.statuses: dict[tuple[str, str], ItemStatus] = {}

    def _repo(self, name: str) -> Repository:
        if name not in self._repos:
            self._repos[name] = self._github.get_repo(name)
        return self._repos[name]

    def read(self, link: Link) -> ItemStatus:
        """The issue's status now: one GET."""
        if link.tracker == "jira":
            raw = self._jira.issue(link.issue_id, fields="status,resolution,updated").raw
            fields = raw.get("fields") or {}
            status = fields.get("status") or {}
            return jira_status(
                (status.get("statusCategory") or {}).get("key"),
                status.get("name"),
                (fields.get("resolution") or {}).get("name"),
            )
        issue = self._repo(link.target).get_issue(int(link.issue_id))
        return github_status(
            issue.state,
            issue.state_reason,
            labels=[label.name for label in issue.labels],
            has_assignee=bool(issue.assignees),
            assignee_means_in_progress=True,
        )

    def poll(self) -> PollResult:
        changed = 0
        for link in self.links:
            key = (link.postmortem_id, link.item_id)
            status = self.read(link)
            previous = self.statuses.get(key)
            if previous is not None and previous != status:
                changed += 1
            self.statuses[key] = status
        return PollResult(read=len(self.links), changed=changed)

    def close(self) -> None:
        self._jira.close()
        self._github.close()
