"""Post-mortem ids are permanent: checks that keep an id bound to one incident. Pure.

Issues carry their post-mortem's id in their marker, so the id is what ties a definition
to its issues. Two mistakes would silently break that tie, and both are refused with the
file and line of the ``id``:

- *An id changed* in a file whose items were already filed: the new id would look like a
  new post-mortem and file every item a second time.
- *An id re-used* by another file for a different incident (a copied template, a new
  incident written after the old file was archived): the new post-mortem would take over
  the old one's issues and state, and could be "closed" without filing anything.
  A different incident is told by its detection time; the same file may correct it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import timedelta

from config.yamlfile import SourceError
from sync.loader import LoadedPostMortem
from sync.store import Snapshot
from sync.wording import when

#: Detection times further apart than this are different incidents.
SAME_INCIDENT = timedelta(days=1)


def check_identity(
    loaded: Sequence[LoadedPostMortem], snapshot: Snapshot
) -> tuple[list[LoadedPostMortem], list[SourceError]]:
    """Split ``loaded`` into the definitions to sync and errors for the refused ones."""
    current = {lp.postmortem.id for lp in loaded}
    filed = {key.postmortem_id for key, item in snapshot.items.items() if item.linked}
    previous_by_source: dict[str, list[str]] = {}
    for pm in snapshot.postmortems.values():
        if pm.id not in current and pm.id in filed:
            previous_by_source.setdefault(os.path.normpath(pm.source_path), []).append(pm.id)
    kept: list[LoadedPostMortem] = []
    errors: list[SourceError] = []
    for lp in loaded:
        problem = _changed_id(lp, previous_by_source, snapshot) or _reused_id(lp, snapshot)
        if problem:
            errors.append(SourceError(str(lp.path), lp.lines.line_of(("id",)), "id", problem))
        else:
            kept.append(lp)
    return kept, errors


def _changed_id(lp: LoadedPostMortem, previous_by_source: dict[str, list[str]], snapshot: Snapshot) -> str | None:
    before = previous_by_source.get(os.path.normpath(lp.path))
    if not before or lp.postmortem.id in snapshot.postmortems:
        return None
    old = ", ".join(sorted(before))
    return (
        f'the post-mortem id changed from "{old}" to "{lp.postmortem.id}", but its action items '
        f'are already filed under "{old}": put the id back (ids are permanent), or the items '
        "would be filed a second time"
    )


def _reused_id(lp: LoadedPostMortem, snapshot: Snapshot) -> str | None:
    stored = snapshot.postmortems.get(lp.postmortem.id)
    if stored is None or stored.detected_at is None:
        return None
    if os.path.normpath(stored.source_path) == os.path.normpath(lp.path):
        return None  # the same file may correct its own times
    if abs(lp.postmortem.detected_at - stored.detected_at) <= SAME_INCIDENT:
        return None  # the same incident, moved to another file
    return (
        f'post-mortem id "{lp.postmortem.id}" already belongs to the incident detected '
        f"{when(stored.detected_at)} (first defined in {stored.source_path}); this file describes an "
        f"incident detected {when(lp.postmortem.detected_at)}: give it its own id"
    )
