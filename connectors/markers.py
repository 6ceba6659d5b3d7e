"""The markers the worker leaves in what it creates, so it can find them again.

Every issue carries ``postmortem-sync:item <post-mortem id>/<item id>`` in its body (a
tracking issue the worker created: ``postmortem-sync:tracking <post-mortem id>``) and
every posted report carries ``postmortem-sync:report[<post-mortem id>][<edition>]``. After a crash, a
lost answer or a lost database, the worker searches for these before creating anything.
"""

from __future__ import annotations

import re

from connectors.base import ItemKey

#: The label every issue the worker files carries; marker searches are narrowed by it.
TRACKING_LABEL = "postmortem-sync"

_ID = r"[A-Za-z0-9][A-Za-z0-9._:-]*"
_ITEM_RE = re.compile(rf"postmortem-sync:(?:item ({_ID})/({_ID})|tracking ({_ID}))")


def item_marker(key: ItemKey) -> str:
    """``postmortem-sync:item PM/AI`` for an action item, ``postmortem-sync:tracking PM``
    for a tracking issue the worker created."""
    if key.is_tracking:
        return f"postmortem-sync:tracking {key.postmortem_id}"
    return f"postmortem-sync:item {key.postmortem_id}/{key.item_id}"


def report_marker(postmortem_id: str, edition: int = 0) -> str:
    """The marker of a post-mortem's closing report; ``edition`` counts reopenings, so a
    post-mortem that closes again gets a new report. Brackets keep ``INC-1`` from matching
    inside ``INC-10``."""
    return f"postmortem-sync:report[{postmortem_id}][{edition}]"


def withdrawn_marker(key: ItemKey) -> str:
    """The marker of the comment that says why an item was withdrawn."""
    return f"postmortem-sync:withdrawn[{key.postmortem_id}/{key.item_id}]"


def find_item_marker(text: str | None) -> ItemKey | None:
    """The item marker in ``text``, if any (the last one wins: it is appended last)."""
    if not text:
        return None
    matches = _ITEM_RE.findall(text)
    if not matches:
        return None
    pm_id, item_id, tracking_of = matches[-1]
    return ItemKey.tracking(tracking_of) if tracking_of else ItemKey(pm_id, item_id)


def closes_with(text: str | None, marker: str) -> bool:
    """Whether ``marker`` is on the last non-empty line of ``text``, where the worker puts it
    (pure). A marker quoted anywhere else (an action item's description in a report) does
    not count, so it cannot pass for a comment the worker posted."""
    lines = [line for line in (text or "").splitlines() if line.strip()]
    return bool(lines) and marker in lines[-1]
