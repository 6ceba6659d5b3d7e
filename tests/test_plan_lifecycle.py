"""The planner on what happens to filed issues: moves, deletions, edits, withdrawals and
tracking issues the worker creates."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from connectors.base import IssueRef, IssueState, ItemKey, ItemStatus
from sync.issue_text import fingerprint
from sync.model import Priority
from sync.plan import (
    ClosePostMortem,
    CreateIssue,
    Definition,
    FollowMove,
    MoveIssue,
    Observations,
    PostReport,
    RecordItem,
    SetParent,
    UpdateIssue,
)
from sync.store import StoredItem
from tests.test_plan import K1, K2, NOW, PM, STORED_PM, kinds, run, snap, state, stored

TK = ItemKey.tracking("INC-1")
EPIC = IssueRef("jira", "PLAT", "PLAT-1", "1", "http://t/1")


def with_items(*updates: dict[str, object], **pm_updates: object) -> Definition:
    items = tuple(item.model_copy(update=u) for item, u in zip(PM.action_items, updates, strict=False))
    items += PM.action_items[len(items) :]
    return Definition(PM.model_copy(update={"action_items": items, **pm_updates}), "pm.yaml")


def both_open() -> Observations:
    return Observations(states={K1: state(K1, ItemStatus.OPEN, "To Do"), K2: state(K2, ItemStatus.OPEN, "To Do")})


def test_moved_issue_is_followed_under_its_new_key() -> None:
    moved = replace(state(K1, ItemStatus.OPEN, "To Do"), ref=IssueRef("jira", "OPS", "OPS-3", "7", "http://t/OPS-3"))
    actions = run(
        snap(stored(K1), stored(K2)), Observations(states={K1: moved, K2: state(K2, ItemStatus.OPEN, "To Do")})
    )
    assert kinds(actions) == ["FollowMove"]
    assert isinstance(actions[0], FollowMove) and actions[0].previous_key == "PLAT-7"


def test_gone_issue_is_recorded_never_refiled_never_finished() -> None:
    gone = IssueState(ref=stored(K1).ref(), status=ItemStatus.GONE, detail="gone from jira: 404")
    actions = run(
        snap(stored(K1), stored(K2, status=ItemStatus.COMPLETED, detail="x")),
        Observations(states={K1: gone, K2: state(K2, ItemStatus.COMPLETED)}),
    )
    assert kinds(actions) == ["RecordStatus"]  # no create, no close
    assert not any(isinstance(a, CreateIssue | ClosePostMortem | FollowMove) for a in actions)


def test_definition_edit_is_written_once() -> None:
    edited = with_items({"priority": Priority.LOW, "description": "Warn on big tables, and block them"})
    first = run(snap(stored(K1), stored(K2)), both_open(), edited)
    assert kinds(first) == ["RecordItem", "UpdateIssue"]
    update = first[1]
    assert isinstance(update, UpdateIssue) and update.issue.priority == "low"
    # Once written (pushed matches), nothing more; the tracker's status is never touched.
    after = replace(
        stored(K1),
        description=edited.postmortem.action_items[0].description,
        priority="low",
        pushed=fingerprint(edited.postmortem.action_items[0]),
    )
    assert kinds(run(snap(after, stored(K2)), both_open(), edited)) == []


def test_store_from_before_edits_were_tracked_records_without_writing() -> None:
    old = replace(stored(K1), pushed=None)
    assert kinds(run(snap(old, stored(K2)), both_open())) == ["RecordPushed"]


def test_withdrawn_item_is_not_filed_and_does_not_hold_the_postmortem_open() -> None:
    definition = with_items({"withdrawn": "superseded by the new queue design"})
    actions = run(
        snap(stored(K2, status=ItemStatus.COMPLETED, detail="closed"), pm=STORED_PM),
        Observations(searched=frozenset({K1}), states={K2: state(K2, ItemStatus.COMPLETED, "closed")}),
        definition,
    )
    assert "CreateIssue" not in kinds(actions)
    assert kinds(actions)[-2:] == ["ClosePostMortem", "PostReport"]


def test_withdrawn_filed_item_is_closed_as_wont_do_once() -> None:
    definition = with_items({"withdrawn": "superseded"})
    record = RecordItem(
        K1, PM.action_items[0].description, "Platform Team", "jira", "PLAT", "2024-03-26", "critical", "superseded"
    )
    filed = replace(stored(K1), withdrawn="superseded")
    actions = run(snap(filed, stored(K2)), both_open(), definition)
    assert kinds(actions) == ["MoveIssue"]
    move = actions[0]
    assert isinstance(move, MoveIssue) and move.goal == "wont-fix" and "superseded" in (move.comment or "")
    # Moved once: if people reopen it, it is theirs; the post-mortem waits for it.
    assert kinds(run(snap(replace(filed, moved_at=NOW), stored(K2)), both_open(), definition)) == []
    assert record.withdrawn == "superseded"


def test_withdrawn_item_whose_issue_is_gone_counts_as_finished() -> None:
    definition = with_items({"withdrawn": "superseded"})
    gone = IssueState(ref=stored(K1).ref(), status=ItemStatus.GONE, detail="gone")
    actions = run(
        snap(
            replace(stored(K1, status=ItemStatus.GONE, detail="gone"), withdrawn="superseded"),
            stored(K2, status=ItemStatus.COMPLETED, detail="x"),
        ),
        Observations(states={K1: gone, K2: state(K2, ItemStatus.COMPLETED, "x")}),
        definition,
    )
    assert "ClosePostMortem" in kinds(actions)
    assert "MoveIssue" not in kinds(actions)


def tracking_definition() -> Definition:
    return with_items(tracking_issue=None, create_tracking_issue="Platform Team")


def tracking_row(**changes: object) -> StoredItem:
    base = stored(K1)
    return replace(
        base,
        key=TK,
        description="Post-mortem INC-1: Payment outage",
        team="Platform Team",
        deadline=date(2024, 4, 2),
        priority="critical",
        issue_id="1",
        issue_key="PLAT-1",
        issue_url="http://t/1",
        pushed=None,
        **changes,
    )


def test_tracking_issue_is_created_first() -> None:
    actions = run(snap(pm=None), Observations(searched=frozenset({TK, K1, K2})), tracking_definition())
    creates = [a for a in actions if isinstance(a, CreateIssue)]
    assert [c.key for c in creates] == [TK, K1, K2]
    assert creates[0].issue.issue_type == "Epic" and creates[0].issue.deadline == date(2024, 4, 2)
    # Jira items go under it (resolved when filed); the GitHub item cannot.
    assert creates[1].parent == TK and creates[2].parent is None


def test_items_filed_before_the_tracking_issue_are_put_under_it_once() -> None:
    snapshot = snap(stored(K1), stored(K2))
    snapshot.tracking["INC-1"] = tracking_row()
    obs = Observations(states={**both_open().states, TK: IssueState(EPIC, ItemStatus.OPEN, "To Do")})
    actions = run(snapshot, obs, tracking_definition())
    parents = [a for a in actions if isinstance(a, SetParent)]
    assert [(p.key, p.parent) for p in parents] == [(K1, TK)]
    snapshot.items[K1] = replace(stored(K1), parent_key="PLAT-1")
    assert not [a for a in run(snapshot, obs, tracking_definition()) if isinstance(a, SetParent)]


def test_closing_posts_the_report_on_the_created_tracking_issue_and_moves_it_to_done() -> None:
    snapshot = snap(
        stored(K1, status=ItemStatus.COMPLETED, detail="x"), stored(K2, status=ItemStatus.COMPLETED, detail="x")
    )
    snapshot.items[K1] = replace(snapshot.items[K1], parent_key="PLAT-1")
    snapshot.tracking["INC-1"] = tracking_row()
    obs = Observations(
        states={
            K1: state(K1, ItemStatus.COMPLETED, "x"),
            K2: state(K2, ItemStatus.COMPLETED, "x"),
            TK: IssueState(EPIC, ItemStatus.OPEN, "To Do"),
        }
    )
    actions = run(snapshot, obs, tracking_definition())
    assert kinds(actions)[-3:] == ["ClosePostMortem", "PostReport", "MoveIssue"]
    report, move = actions[-2], actions[-1]
    assert isinstance(report, PostReport) and report.tracking_issue == "PLAT-1"
    assert isinstance(move, MoveIssue) and move.goal == "done" and move.key == TK


def test_a_withdrawal_whose_answer_was_lost_is_remembered_not_repeated() -> None:
    definition = with_items({"withdrawn": "superseded"})
    filed = replace(stored(K1), withdrawn="superseded")
    closed = Observations(states={K1: state(K1, ItemStatus.WONT_FIX, "Done / Won't Do"), K2: both_open().states[K2]})
    actions = run(snap(filed, stored(K2)), closed, definition)
    assert "RecordMoved" in kinds(actions) and "MoveIssue" not in kinds(actions)


def test_a_withdrawn_item_reopened_by_people_does_not_hold_or_reopen_the_postmortem() -> None:
    definition = with_items({"withdrawn": "superseded"})
    filed = replace(stored(K1), withdrawn="superseded", moved_at=NOW)
    done = replace(stored(K2, status=ItemStatus.COMPLETED, detail="x"))
    obs = Observations(states={K1: state(K1, ItemStatus.OPEN, "To Do"), K2: state(K2, ItemStatus.COMPLETED, "x")})
    assert kinds(run(snap(filed, done), obs, definition))[-2:] == ["ClosePostMortem", "PostReport"]
    closed_pm = replace(STORED_PM, state="closed", report_posted_at=NOW)
    assert "ReopenPostMortem" not in kinds(run(snap(filed, done, pm=closed_pm), obs, definition))
