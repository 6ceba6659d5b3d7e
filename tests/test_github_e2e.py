"""GitHub as organisations run it, end to end: the real PyGithub client over HTTP to the emulator."""

from __future__ import annotations

import json

from connectors.base import ItemKey, ItemStatus
from tests.e2e import CERT, PAYMENT, World, github_number, issue_of, kinds


def test_a_transferred_issue_is_followed_to_its_new_repository_before_anything_is_written(world: World) -> None:
    emu = world.emulator
    emu.add_github_repo("acme/payments-archive")
    engine = world.engine()
    engine.run_cycle()
    old = issue_of(engine, PAYMENT, "AI-3")
    repo, number = github_number(old)
    new_number = emu.github_transfer_issue(repo, number, "acme/payments-archive")
    new = f"acme/payments-archive#{new_number}"

    emu.clear_request_log()
    result = engine.run_cycle()
    assert result.ok, [e.message for e in result.events if e.kind == "error"]
    assert "moved" in kinds(result)
    stored = engine.store.snapshot().items[ItemKey(PAYMENT, "AI-3")]
    assert (stored.issue_key, stored.target, stored.issue_id) == (new, "acme/payments-archive", str(new_number))
    # Nothing but reads went to the old address.
    old_path = f"/repos/{repo}/issues/{number}"
    assert all(r.method == "GET" for r in emu.request_log if r.path.startswith(old_path))

    # An edit of the definition is written to the issue where it is now, once.
    path = world.postmortems / "inc-2024-042-payment-pipeline.yaml"
    path.write_text(path.read_text().replace("    deadline: 2024-04-02\n", "    deadline: 2024-04-16\n"))
    emu.clear_request_log()
    edited = engine.run_cycle()
    assert "updated" in kinds(edited)
    assert "2024-04-16" in emu.github_issue("acme/payments-archive", new_number)["body"]
    assert not [r for r in emu.request_log if r.method != "GET" and r.path.startswith(old_path)]

    # Its status is read from there, and the old repository files nothing in its place.
    emu.github_set_state("acme/payments-archive", new_number, state="closed", state_reason="completed")
    engine.run_cycle()
    assert engine.store.snapshot().items[ItemKey(PAYMENT, "AI-3")].status is ItemStatus.COMPLETED
    marked = [i for i in emu.github_issues("acme/payments") if f"{PAYMENT}/AI-3" in (i["body"] or "")]
    assert marked == []
    engine.store.close()


def test_a_deleted_issue_is_gone_never_done_and_never_filed_again(world: World) -> None:
    emu = world.emulator
    engine = world.engine()
    engine.run_cycle()
    repo, number = github_number(issue_of(engine, CERT, "AI-1"))
    emu.github_delete_issue(repo, number)
    before = len(emu.github_issues(repo))
    result = engine.run_cycle()
    assert not result.ok
    assert result.attention[f"{CERT}/AI-1"].startswith(f"{repo}#{number} is gone from its tracker")
    assert engine.store.snapshot().items[ItemKey(CERT, "AI-1")].status is ItemStatus.GONE
    engine.run_cycle()
    assert len(emu.github_issues(repo)) == before
    status = json.loads(world.cli("status", "--json").stdout)
    cert = next(pm for pm in status["postmortems"] if pm["id"] == CERT)
    assert next(i for i in cert["items"] if i["id"] == "AI-1")["status"] == "gone"
    engine.store.close()


def test_an_issue_out_of_the_tokens_sight_is_gone(world: World) -> None:
    emu = world.emulator
    emu.add_github_repo("acme/secret")
    engine = world.engine()
    engine.run_cycle()
    repo, number = github_number(issue_of(engine, PAYMENT, "AI-3"))
    # Transferred to a repository the worker's token cannot read: the redirect leads to a 404.
    emu.github_transfer_issue(repo, number, "acme/secret")
    emu.github_set_repo("acme/secret", visible=False)
    engine.run_cycle()
    stored = engine.store.snapshot().items[ItemKey(PAYMENT, "AI-3")]
    assert stored.status is ItemStatus.GONE and stored.issue_key == f"{repo}#{number}"
    engine.store.close()
