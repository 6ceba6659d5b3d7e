"""Which Jira workflow transition moves an issue where the worker needs it. Pure.

The worker moves issues in two cases: a post-mortem's tracking issue to *done* when the
post-mortem closes, and a withdrawn action item's issue to *won't fix*. Workflows differ
per project, so the transition is chosen by where it leads (its target's status category
and name), never by its name; a team may pin one by id instead. A resolution is sent only
when the transition's screen has the field, and only a value the screen allows.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from connectors.status_mapping import WONT_FIX_RESOLUTIONS, WONT_FIX_STATUSES, normalise

Goal = Literal["done", "wont-fix", "open"]

#: Resolutions that mean "the work was done", most preferred first.
DONE_RESOLUTIONS: tuple[str, ...] = ("Done", "Fixed", "Resolved", "Complete", "Completed")
#: Resolutions preferred when withdrawing an item.
WONT_FIX_PREFERENCE: tuple[str, ...] = ("Won't Do", "Won't Fix", "Declined", "Cancelled", "Canceled")


@dataclass(frozen=True)
class Transition:
    """One transition available on an issue (``GET .../transitions?expand=transitions.fields``)."""

    id: str
    name: str
    to_status: str
    to_category: str
    resolution_on_screen: bool = False
    resolution_required: bool = False
    #: Resolution names the screen allows (empty: the screen lists none).
    resolutions: tuple[str, ...] = ()
    #: Other fields the screen requires: the worker cannot fill them in.
    other_required: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Transition:
        to = raw.get("to") or {}
        fields = raw.get("fields") or {}
        resolution = fields.get("resolution") if isinstance(fields, dict) else None
        allowed = (resolution or {}).get("allowedValues") or []
        return cls(
            id=str(raw.get("id", "")),
            name=str(raw.get("name", "?")),
            to_status=str(to.get("name", "?")),
            to_category=str((to.get("statusCategory") or {}).get("key", "")),
            resolution_on_screen=isinstance(resolution, dict),
            resolution_required=bool((resolution or {}).get("required")),
            resolutions=tuple(str(v.get("name")) for v in allowed if isinstance(v, dict) and v.get("name")),
            other_required=tuple(
                sorted(
                    str(fid)
                    for fid, spec in (fields.items() if isinstance(fields, dict) else [])
                    if fid != "resolution" and isinstance(spec, dict) and spec.get("required")
                )
            ),
        )

    def describe(self) -> str:
        extra = f", resolution: {', '.join(self.resolutions) or 'any'}" if self.resolution_on_screen else ""
        return f"{self.name} [id {self.id}] -> {self.to_status} ({self.to_category or '?'}{extra})"


@dataclass(frozen=True)
class Choice:
    """The transition to send, and the resolution to send with it (None: send none)."""

    transition: Transition
    resolution: str | None


class NoTransition(ValueError):
    """No available transition fits; the message lists the ones there are."""


def describe_all(transitions: Iterable[Transition]) -> str:
    listed = "; ".join(t.describe() for t in transitions)
    return listed or "none (this account may lack the Transition Issues permission)"


def choose_transition(
    transitions: Sequence[Transition],
    goal: Goal,
    *,
    configured_id: str | None = None,
    wont_fix_statuses: Collection[str] = WONT_FIX_STATUSES,
    wont_fix_resolutions: Collection[str] = WONT_FIX_RESOLUTIONS,
) -> Choice:
    """The transition (and resolution) that takes an issue to ``goal``, or :class:`NoTransition`."""
    wont_statuses = {normalise(s) for s in wont_fix_statuses}
    wont_resolutions = {normalise(r) for r in wont_fix_resolutions}
    if goal == "open":  # pinned ids are for done and won't fix
        # Back to work: a To Do status first, else an In Progress one; Jira clears the resolution.
        reopening = [
            t for t in transitions if normalise(t.to_category) in ("new", "indeterminate") and not t.other_required
        ]
        reopening.sort(key=lambda t: normalise(t.to_category) != "new")
        if reopening:
            return Choice(reopening[0], None)
        raise NoTransition(f"no transition leads back to an open status; available: {describe_all(transitions)}")
    if configured_id is not None:
        pinned = next((t for t in transitions if t.id == configured_id), None)
        if pinned is None:
            raise NoTransition(
                f"the configured {goal} transition {configured_id} is not available for this issue now; "
                f"available: {describe_all(transitions)}"
            )
        resolution, ok = _resolution(pinned, goal, wont_resolutions)
        if not ok:
            raise NoTransition(f"the configured {goal} transition {pinned.describe()} needs a resolution none fits")
        return Choice(pinned, resolution)

    done = [t for t in transitions if normalise(t.to_category) == "done" and not t.other_required]
    if goal == "done":
        candidates = [t for t in done if normalise(t.to_status) not in wont_statuses]
    else:
        # A status that itself says "won't do" first; then a done status whose screen
        # offers a won't-fix resolution.
        candidates = [t for t in done if normalise(t.to_status) in wont_statuses]
        candidates += [
            t
            for t in done
            if t not in candidates
            and t.resolution_on_screen
            and {normalise(r) for r in t.resolutions} & wont_resolutions
        ]
    for transition in candidates:
        resolution, ok = _resolution(transition, goal, wont_resolutions)
        if ok and (goal == "done" or resolution is not None or normalise(transition.to_status) in wont_statuses):
            return Choice(transition, resolution)
    wanted = "a done status" if goal == "done" else "a won't-do status, or a done status with a won't-fix resolution"
    raise NoTransition(f"no transition leads to {wanted}; available: {describe_all(transitions)}")


def _resolution(transition: Transition, goal: Goal, wont: set[str]) -> tuple[str | None, bool]:
    """(resolution to send, whether the transition can be used for ``goal``)."""
    if not transition.resolution_on_screen:
        return None, True
    allowed = list(transition.resolutions)
    if goal == "done":
        fitting = [r for r in allowed if normalise(r) not in wont]
        preference = DONE_RESOLUTIONS
    else:
        fitting = [r for r in allowed if normalise(r) in wont]
        preference = WONT_FIX_PREFERENCE
    by_norm = {normalise(r): r for r in fitting}
    for wanted in preference:
        if normalise(wanted) in by_norm:
            return by_norm[normalise(wanted)], True
    if fitting:
        return fitting[0], True
    return None, not transition.resolution_required
