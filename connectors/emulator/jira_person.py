"""The :class:`~.server.Emulator`'s Jira methods: what people and admins do on the site.

People file, move, comment on, delete and restrict issues and move them between statuses
without going through the workflow's transitions; admins replace the priority scheme, add
custom fields and give projects workflows. Answers are JSON in the site's own API version
(v3 on Cloud, v2 on Data Center), as the bot would read it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .jira_api import JiraApp
from .jira_catalog import RESOLUTIONS, find_resolution
from .jira_json import JiraRenderer
from .jira_model import Deployment
from .jira_state import JiraState
from .jira_text import adf_paragraph

JsonDict = dict[str, Any]

#: Who comments when a person does: an Atlassian account id, or a Data Center user name.
HUMANS: dict[Deployment, str] = {"cloud": "5b10human0001", "datacenter": "jira.user"}

#: The plugin type Jira gives a custom field of each schema type.
_DEFAULT_PLUGIN_TYPE = {
    "string": "textfield",
    "number": "float",
    "date": "datepicker",
    "option": "select",
    "array": "multiselect",
    "any": "textfield",
}


class JiraPerson:
    """Mixed into ``Emulator``: acting in the Jira site as a person or an admin would."""

    jira_state: JiraState
    jira_app: JiraApp
    #: The bot's account id (Cloud) or user name (Data Center).
    jira_account_id: str

    @property
    def _jira(self) -> JiraRenderer:
        return self.jira_app.renderer

    @property
    def jira_deployment(self) -> Deployment:
        """``cloud`` or ``datacenter``."""
        return self.jira_state.deployment

    # --- site administration -------------------------------------------------------------

    def add_jira_project(self, key: str, name: str | None = None) -> JsonDict:
        """Create project ``key``; returns its JSON."""
        project = self.jira_state.add_project(key, name)
        with self.jira_state.lock:
            return self._jira.project(project)

    def jira_set_priorities(self, names: Sequence[str]) -> list[JsonDict]:
        """Replace the site's priority scheme (ids "1", "2", ... in order; the middle one is
        the default for new issues). Existing issues keep their priority. Returns the list."""
        scheme = self.jira_state.set_priorities(names)
        return [self._jira.priority(p) for p in scheme]

    def jira_add_field(
        self,
        name: str,
        *,
        schema_type: str = "string",
        custom: str | None = None,
        allowed_values: Sequence[str] | None = None,
        field_id: str | None = None,
    ) -> str:
        """Add a custom field (see :mod:`.jira_fields` for the types); returns its id. Without
        ``custom``, the plugin type Jira itself uses for ``schema_type``."""
        if custom is None:
            plugin = "com.atlassian.jira.plugin.system.customfieldtypes:"
            custom = plugin + _DEFAULT_PLUGIN_TYPE.get(schema_type, "textfield")
        with self.jira_state.lock:
            return self.jira_state.fields.add(
                name, schema_type=schema_type, custom=custom, allowed_values=allowed_values, field_id=field_id
            ).id

    @property
    def jira_epic_link_field(self) -> str | None:
        """Data Center's "Epic Link" field id (``None`` on Cloud, which uses ``parent``)."""
        return self.jira_state.epic_link_id

    @property
    def jira_epic_name_field(self) -> str | None:
        """Data Center's "Epic Name" field id (``None`` on Cloud)."""
        return self.jira_state.epic_name_id

    def jira_set_workflow(
        self,
        project_key: str,
        statuses: Sequence[tuple[str, str]],
        transitions: Sequence[Mapping[str, Any]],
    ) -> list[JsonDict]:
        """Give a project an explicit workflow (see :mod:`.jira_workflow`): ``statuses`` are
        ``(name, category)`` pairs, the first being where new issues start. Returns each
        transition's ``{"id", "name", "to", "from", "screen"}``."""
        workflow = self.jira_state.set_workflow(project_key, statuses, transitions)
        return [t.describe() for t in workflow.transitions]

    # --- issues ------------------------------------------------------------------------

    def jira_issues(self, project: str) -> list[JsonDict]:
        """Every issue of ``project`` as IssueBean JSON (all fields), oldest first."""
        with self.jira_state.lock:
            p = self.jira_state.project(project)
            return [self._jira.issue(i) for i in self.jira_state.issues(p)]

    def jira_issue(self, key: str) -> JsonDict:
        """One issue as IssueBean JSON (all fields), restricted or not."""
        with self.jira_state.lock:
            return self._jira.issue(self.jira_state.issue(key))

    def jira_create_issue(
        self,
        project: str,
        summary: str,
        description: str | None = None,
        *,
        labels: Iterable[str] = (),
        issuetype: str = "Task",
        priority: str | None = None,
        parent: str | None = None,
    ) -> str:
        """File an issue; ``description`` is plain text (made into ADF on Cloud). ``parent``
        is an epic's key (Cloud ``parent``, Data Center "Epic Link"). Returns the key."""
        dc = self.jira_state.deployment == "datacenter"
        fields: JsonDict = {
            "project": {"key": project},
            "issuetype": {"name": issuetype},
            "summary": summary,
            "labels": list(labels),
        }
        if description is not None:
            fields["description"] = description if dc else adf_paragraph(description)
        if priority is not None:
            fields["priority"] = {"name": priority}
        if parent is not None:
            if dc:
                fields[str(self.jira_state.epic_link_id)] = parent
            else:
                fields["parent"] = {"key": parent}
        if dc and issuetype.lower() == "epic":
            fields[str(self.jira_state.epic_name_id)] = summary
        return self.jira_state.create_issue(fields, self.jira_account_id, rich=not dc).key

    def jira_transition(
        self,
        key: str,
        status: str,
        *,
        category: str | None = None,
        resolution: str | None = None,
    ) -> JsonDict:
        """Move an issue to ``status`` (created in ``category`` if new), bypassing the
        workflow's transitions; returns its JSON. In a project with an explicit workflow the
        status must be one of the workflow's, unless ``category`` is given (it is then added).

        A status in category ``done`` sets the resolution (default ``Done``) and resolution
        date; any other status clears both.
        """
        with self.jira_state.lock:
            issue = self.jira_state.issue(key)
            target = self.jira_state.person_status(issue, status, category)
            found = None
            if resolution is not None:
                found = find_resolution({"name": resolution})
                if found is None:
                    known = ", ".join(r.name for r in RESOLUTIONS)
                    raise ValueError(f"unknown resolution {resolution!r} (known: {known})")
            self.jira_state.move(issue, target, found)
            return self._jira.issue(issue)

    def jira_add_comment(self, key: str, text: str) -> JsonDict:
        """Comment on an issue as a person (plain text, made into ADF on Cloud); returns the comment JSON."""
        dc = self.jira_state.deployment == "datacenter"
        with self.jira_state.lock:
            issue = self.jira_state.issue(key)
            body = text if dc else adf_paragraph(text)
            comment = self.jira_state.add_comment(issue, body, HUMANS[self.jira_state.deployment], rich=not dc)
            return self._jira.comment(issue, comment)

    def jira_children(self, epic_key: str) -> list[str]:
        """The keys of the epic's children (Cloud ``parent``, Data Center "Epic Link")."""
        with self.jira_state.lock:
            return [i.key for i in self.jira_state.children(self.jira_state.issue(epic_key))]

    def jira_move_issue(self, key: str, to_project: str) -> str:
        """Move an issue to another project; returns its new key. Its id stays, and its old key
        keeps finding it (reads, edits, comments, transitions), as Jira follows moved keys."""
        return self.jira_state.move_issue(key, to_project).key

    def jira_delete_issue(self, key: str) -> None:
        """Delete an issue: by id or any of its keys it answers 404, and searches skip it."""
        self.jira_state.delete_issue(key)

    def jira_restrict_issue(self, key: str, status: int | None = 404) -> None:
        """Put the issue under a security level the bot lacks: 404 for everything (or with
        ``status=403``, 403 on reads and 404 on writes) and absent from searches.
        ``status=None`` lifts the restriction."""
        self.jira_state.restrict_issue(key, status)
