"""Choosing the Jira transition that moves an issue to done or won't fix, case by case."""

from __future__ import annotations

import pytest

from connectors.jira_transitions import Choice, NoTransition, Transition, choose_transition

START = Transition("11", "Start", "In Progress", "indeterminate")
DONE = Transition("31", "Done", "Done", "done")
DONE_SCREEN = Transition("31", "Resolve", "Done", "done", True, True, ("Done", "Won't Do", "Duplicate"))
DONE_SCREEN_OPTIONAL = Transition("31", "Resolve", "Done", "done", True, False, ("Fixed", "Won't Fix"))
DONE_ONLY_WONT = Transition("32", "Reject", "Closed", "done", True, True, ("Won't Do",))
WONT_STATUS = Transition("41", "Won't do", "Won't Do", "done")
CLOSED_ANY = Transition("51", "Close", "Closed", "done", True, False, ())
NEEDS_FIELD = Transition("61", "Ship", "Shipped", "done", other_required=("customfield_10300",))
REOPEN = Transition("71", "Reopen", "To Do", "new")

CASES = [
    # (transitions, goal, configured id, expected choice or error fragment)
    ([START, DONE], "done", None, Choice(DONE, None)),
    ([START, DONE_SCREEN], "done", None, Choice(DONE_SCREEN, "Done")),
    ([DONE_SCREEN_OPTIONAL], "done", None, Choice(DONE_SCREEN_OPTIONAL, "Fixed")),
    ([WONT_STATUS, DONE], "done", None, Choice(DONE, None)),
    ([DONE_ONLY_WONT], "done", None, "no transition leads to a done status"),
    ([START], "done", None, "Start [id 11] -> In Progress"),
    ([], "done", None, "Transition Issues permission"),
    ([NEEDS_FIELD], "done", None, "no transition leads"),
    ([START, DONE, WONT_STATUS], "wont-fix", None, Choice(WONT_STATUS, None)),
    ([START, DONE_SCREEN], "wont-fix", None, Choice(DONE_SCREEN, "Won't Do")),
    ([DONE_SCREEN_OPTIONAL], "wont-fix", None, Choice(DONE_SCREEN_OPTIONAL, "Won't Fix")),
    ([START, DONE], "wont-fix", None, "won't-do status"),
    ([CLOSED_ANY], "wont-fix", None, "available: Close [id 51]"),
    ([START, DONE], "done", "11", Choice(START, None)),
    ([START, DONE], "done", "99", "configured done transition 99 is not available"),
    ([DONE_SCREEN], "wont-fix", "31", Choice(DONE_SCREEN, "Won't Do")),
    ([DONE_ONLY_WONT], "done", "32", "needs a resolution none fits"),
    # Back open when a post-mortem reopens: To Do first, else In Progress; a pinned id is for done.
    ([START, REOPEN, DONE], "open", None, Choice(REOPEN, None)),
    ([START, DONE], "open", None, Choice(START, None)),
    ([DONE, WONT_STATUS], "open", None, "no transition leads back to an open status"),
    ([START, REOPEN], "open", "11", Choice(REOPEN, None)),
]


@pytest.mark.parametrize(("transitions", "goal", "configured", "expected"), CASES)
def test_choose_transition(
    transitions: list[Transition], goal: str, configured: str | None, expected: Choice | str
) -> None:
    if isinstance(expected, Choice):
        assert choose_transition(transitions, goal, configured_id=configured) == expected  # type: ignore[arg-type]
    else:
        with pytest.raises(NoTransition, match=expected.replace("[", r"\[").replace("]", r"\]")):
            choose_transition(transitions, goal, configured_id=configured)  # type: ignore[arg-type]


def test_team_overrides_decide_what_counts_as_wont_fix() -> None:
    abandoned = Transition("71", "Abandon", "Abandoned", "done")
    with pytest.raises(NoTransition):
        choose_transition([abandoned], "wont-fix")
    choice = choose_transition([abandoned], "wont-fix", wont_fix_statuses={"Abandoned"})
    assert choice.transition is abandoned
    # ...and such a status no longer counts as done.
    with pytest.raises(NoTransition):
        choose_transition([abandoned], "done", wont_fix_statuses={"Abandoned"})


def test_transition_from_jira_json() -> None:
    raw = {
        "id": "31",
        "name": "Resolve",
        "to": {"name": "Done", "statusCategory": {"key": "done"}},
        "hasScreen": True,
        "fields": {
            "resolution": {
                "required": True,
                "allowedValues": [{"id": "1", "name": "Done"}, {"id": "2", "name": "Won\u2019t Do"}],
            },
            "customfield_1": {"required": False},
            "customfield_2": {"required": True},
        },
    }
    t = Transition.from_json(raw)
    assert (t.id, t.to_status, t.to_category) == ("31", "Done", "done")
    assert t.resolution_on_screen and t.resolution_required
    assert t.resolutions == ("Done", "Won\u2019t Do")
    assert t.other_required == ("customfield_2",)
    # A typographic apostrophe still counts as "Won't Do".
    plain = Transition.from_json({**raw, "fields": {"resolution": raw["fields"]["resolution"]}})  # type: ignore[index]
    assert choose_transition([plain], "wont-fix").resolution == "Won\u2019t Do"
