"""Workflows: which statuses a project's issues can be in and which transitions lead where.

A project without an explicit workflow uses the site's simplified all-to-all workflow: one
global transition into every status (id = the status's ``transition_id``), no screens;
entering a done status sets the resolution (``Done`` unless the request names one).

An explicit workflow (:func:`build_workflow`) lists its statuses (the first is where new
issues start) and its transitions, each from some statuses or global (from every other
status), optionally with a screen. Only fields on a transition's screen can be set while
transitioning, and a done status entered without a resolution on the screen gets none, as
in team-managed projects.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .jira_catalog import RESOLUTIONS, Resolution, Status, find_resolution


@dataclass
class Transition:
    """One workflow transition."""

    id: str
    name: str
    to: Status
    #: ``None``: global, available from every other status.
    sources: tuple[Status, ...] | None
    screen: tuple[str, ...] = ()
    #: Resolutions offered on the screen.
    resolutions: tuple[Resolution, ...] = RESOLUTIONS
    required: tuple[str, ...] = ()

    @property
    def has_screen(self) -> bool:
        """True when the transition shows a screen."""
        return bool(self.screen)

    def available_from(self, status: Status) -> bool:
        """True if an issue in ``status`` can take this transition."""
        if self.sources is None:
            return status is not self.to
        return any(s is status for s in self.sources)

    def describe(self) -> dict[str, Any]:
        """A summary for the person who set the workflow up."""
        return {
            "id": self.id,
            "name": self.name,
            "to": self.to.name,
            "from": None if self.sources is None else [s.name for s in self.sources],
            "screen": list(self.screen),
        }


@dataclass
class Workflow:
    """A project's explicit workflow."""

    statuses: list[Status]
    transitions: list[Transition] = field(default_factory=list)

    @property
    def initial(self) -> Status:
        """Where new issues start."""
        return self.statuses[0]

    def has_status(self, status: Status) -> bool:
        """True if the workflow uses ``status``."""
        return any(s is status for s in self.statuses)


def default_transitions(statuses: Sequence[Status]) -> list[Transition]:
    """The simplified workflow's transitions: a global one into each status."""
    return [Transition(s.transition_id, s.name, s, None) for s in statuses]


def build_workflow(
    statuses: Sequence[Status],
    specs: Sequence[Mapping[str, Any]],
    next_id: Callable[[], str],
) -> Workflow:
    """A workflow from statuses (already resolved) and transition dicts::

        {"name", "to", "from": [names] | None, "id"?, "screen"?: [fields],
         "resolutions"?: [names], "required"?: [fields]}

    ``ValueError`` names the first problem.
    """
    if not statuses:
        raise ValueError("a workflow needs at least one status")
    by_name = {s.name.lower(): s for s in statuses}
    if len(by_name) != len(statuses):
        raise ValueError("a workflow lists each status once")

    def status_named(name: object, where: str) -> Status:
        found = by_name.get(str(name).strip().lower())
        if found is None:
            known = ", ".join(s.name for s in statuses)
            raise ValueError(f"{where}: status {name!r} is not in the workflow (its statuses: {known})")
        return found

    transitions: list[Transition] = []
    for spec in specs:
        unknown = set(spec) - {"name", "to", "from", "id", "screen", "resolutions", "required"}
        if unknown:
            raise ValueError(f"unknown transition keys {sorted(unknown)}")
        name = str(spec.get("name") or "").strip()
        if not name:
            raise ValueError("every transition needs a name")
        where = f"transition {name!r}"
        if "to" not in spec:
            raise ValueError(f"{where} needs a target status ('to')")
        to = status_named(spec["to"], where)
        raw_from = spec.get("from")
        if isinstance(raw_from, str):
            raw_from = [raw_from]
        sources = None if raw_from is None else tuple(status_named(n, where) for n in raw_from)
        screen = tuple(str(f) for f in spec.get("screen") or ())
        required = tuple(str(f) for f in spec.get("required") or ())
        missing = [f for f in required if f not in screen]
        if missing:
            raise ValueError(f"{where}: required fields {missing} are not on its screen")
        resolutions = RESOLUTIONS
        if spec.get("resolutions") is not None:
            chosen = []
            for res_name in spec["resolutions"]:
                found = find_resolution({"name": res_name})
                if found is None:
                    raise ValueError(f"{where}: unknown resolution {res_name!r}")
                chosen.append(found)
            resolutions = tuple(chosen)
        tid = str(spec["id"]) if spec.get("id") is not None else next_id()
        if any(t.id == tid for t in transitions):
            raise ValueError(f"{where}: transition id {tid} is used twice")
        transitions.append(Transition(tid, name, to, sources, screen, resolutions, required))
    return Workflow(list(statuses), transitions)


def resolution_problem(transition: Transition, value: object) -> str | None:
    """Why ``value`` cannot be the resolution set by ``transition``; ``None`` if it can."""
    found = find_resolution(value)
    if found is None:
        return "Specify a valid resolution"
    if found not in transition.resolutions:
        return f"Resolution '{found.name}' is not valid for the transition '{transition.name}'."
    return None
