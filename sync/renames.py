"""A definition whose post-mortem id changed after its items were filed.

Issues carry their post-mortem's id in their marker, so a changed id would look like a new
post-mortem and file every item a second time. Such a definition is refused until the id
is put back. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence

from config.yamlfile import SourceError
from sync.loader import LoadedPostMortem
from sync.store import Snapshot


def refuse_renamed(
    loaded: Sequence[LoadedPostMortem], snapshot: Snapshot
) -> tuple[list[LoadedPostMortem], list[SourceError]]:
    """Split ``loaded`` into the definitions to sync and errors for renamed ones."""
    current = {lp.postmortem.id for lp in loaded}
    filed = {key.postmortem_id for key, item in snapshot.items.items() if item.linked}
    previous_by_source: dict[str, list[str]] = {}
    for pm in snapshot.postmortems.values():
        if pm.id not in current and pm.id in filed:
            previous_by_source.setdefault(pm.source_path, []).append(pm.id)
    kept: list[LoadedPostMortem] = []
    errors: list[SourceError] = []
    for lp in loaded:
        before = previous_by_source.get(str(lp.path))
        if before and lp.postmortem.id not in snapshot.postmortems:
            old = ", ".join(sorted(before))
            errors.append(
                SourceError(
                    str(lp.path),
                    lp.lines.line_of(("id",)),
                    "id",
                    f'the post-mortem id changed from "{old}" to "{lp.postmortem.id}", but its action items '
                    f'are already filed under "{old}": put the id back (ids are permanent), or the items '
                    "would be filed a second time",
                )
            )
        else:
            kept.append(lp)
    return kept, errors
