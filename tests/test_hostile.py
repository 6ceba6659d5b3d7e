"""What went wrong once under attack, kept from coming back."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
import responses
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from config.settings import SettingsError, load_settings
from connectors.base import IssueRef, TrackerError
from connectors.github_tracker import GitHubTracker
from connectors.jira_tracker import JiraTracker
from connectors.retry import NO_RETRY
from tests.e2e import GITHUB_TOKEN, JIRA_EMAIL, JIRA_TOKEN, PAYMENT, World, github_number, issue_of, kinds

PAYMENT_FILE = "inc-2024-042-payment-pipeline.yaml"


def _html_server() -> tuple[str, object]:
    @Request.application
    def login_page(_request: Request) -> Response:
        return Response("<html><body>Please sign in</body></html>", mimetype="text/html")

    server = make_server("127.0.0.1", 0, login_page, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


def test_a_tracker_answering_html_affects_only_its_own_items(world: World) -> None:
    url, server = _html_server()
    try:
        result = world.engine(github_url=url).run_cycle()
        assert not result.ok
        assert kinds(result).count("filed") == 5  # every Jira item
        assert len(world.emulator.jira_issues("PLAT")) == 5
        assert any("not the GitHub API" in message for message in result.read_errors.values())
    finally:
        server.shutdown()  # type: ignore[attr-defined]


def test_run_refuses_a_github_url_that_answers_html(world: World) -> None:
    url, server = _html_server()
    try:
        env = world.env()
        env["PMSYNC_GITHUB_URL"] = url
        import subprocess
        import sys

        out = subprocess.run(
            [sys.executable, "-m", "sync.cli", "run"],
            env=env,
            cwd=world.workdir,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 2
        assert "not the GitHub API" in out.stderr and "PMSYNC_GITHUB_URL" in out.stderr
        assert "Traceback" not in out.stderr
    finally:
        server.shutdown()  # type: ignore[attr-defined]


def test_reused_id_for_another_incident_is_refused(world: World) -> None:
    engine = world.engine()
    engine.run_cycle()
    original = world.postmortems / PAYMENT_FILE
    text = original.read_text()
    original.unlink()  # archived
    new = world.postmortems / "2025" / "inc-2024-042.yaml"
    new.parent.mkdir()
    new.write_text(
        text.replace("2024-03-12T14:47:00Z", "2025-01-20T09:00:00Z").replace(
            "2024-03-12T15:52:00Z", "2025-01-20T10:00:00Z"
        )
    )
    result = engine.run_cycle()
    assert [e.field for e in result.definition_errors] == ["id"]
    assert "already belongs to the incident detected 2024-03-12 14:47 UTC" in str(result.definition_errors[0])
    assert engine.store.snapshot().postmortems[PAYMENT].source_path == str(original)


def test_moving_a_definition_to_another_file_is_fine(world: World) -> None:
    engine = world.engine()
    engine.run_cycle()
    original = world.postmortems / PAYMENT_FILE
    moved = world.postmortems / "archive" / PAYMENT_FILE
    moved.parent.mkdir()
    original.rename(moved)
    result = engine.run_cycle()
    assert result.ok and "filed" not in kinds(result)
    assert engine.store.snapshot().postmortems[PAYMENT].source_path == str(moved)


def test_a_copied_template_does_not_push_the_established_postmortem_out(world: World) -> None:
    engine = world.engine()
    engine.run_cycle()
    copy = world.postmortems / "aaa-draft.yaml"  # sorts first
    copy.write_text(
        (world.postmortems / PAYMENT_FILE).read_text().replace("2024-03-12T14:47:00Z", "2025-02-01T10:00:00Z")
    )
    result = engine.run_cycle()
    assert [str(e.path) for e in result.definition_errors] == [str(copy)]
    assert "already used by" in str(result.definition_errors[0])
    assert world.issue_count() == 9


def test_extreme_dates_do_not_break_other_postmortems(world: World) -> None:
    (world.postmortems / "ancient.yaml").write_text(
        "id: INC-0001\ntitle: Ancient\nseverity: P3\ndetected_at: 0001-01-01T00:00:00Z\n"
        "action_items:\n  - {id: AI-1, description: Old, owner: Payments Team, deadline: 2024-01-01, priority: low}\n"
    )
    result = world.engine().run_cycle()
    assert result.ok, (result.read_errors, result.events)
    assert world.issue_count() == 10


def test_a_pipe_in_the_definitions_folder_is_skipped_not_waited_on(world: World) -> None:
    os.mkfifo(world.postmortems / "zz-pipe.yaml")
    result = world.engine().run_cycle()
    assert [e.message for e in result.definition_errors] == ["not a regular file; skipped"]
    assert world.issue_count() == 9


def test_an_unwritable_report_fails_its_action_only(world: World) -> None:
    engine = world.engine()
    engine.run_cycle()
    (world.workdir / "reports" / f"{PAYMENT}.md").mkdir(parents=True)  # the report cannot be written
    for item_id in ("AI-1", "AI-2", "AI-4", "AI-5"):
        world.emulator.jira_transition(issue_of(engine, PAYMENT, item_id), "Done")
    world.emulator.github_set_state(*github_number(issue_of(engine, PAYMENT, "AI-3")), state="closed")
    cert = world.postmortems / "inc-2024-031-certificate-expiry.yaml"
    new_item = "  - {id: AI-9, description: New, owner: Edge Team, deadline: 2024-05-01, priority: low}\n"
    cert.write_text(cert.read_text().replace("action_items:\n", "action_items:\n" + new_item))
    result = engine.run_cycle()
    assert "error" in kinds(result) and "filed" in kinds(result)
    assert world.issue_count() == 10


def test_status_shows_titles_with_brackets(world: World) -> None:
    path = world.postmortems / PAYMENT_FILE
    path.write_text(
        path.read_text()
        .replace("\ntitle: Payment", "\ntitle: '[/api/v2] [bold] Payment", 1)
        .replace("transactions table\n", "transactions table'\n", 1)
    )
    assert world.cli("sync", "--once").returncode == 0
    out = world.cli("status")
    assert out.returncode == 0, out.stderr
    assert "[/api/v2] [bold]" in out.stdout


@pytest.mark.parametrize("token", ["ghp_unicode€secret", "two words", "tab\there", "new\nline"])
def test_tokens_with_impossible_characters_are_configuration_errors(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, token: str
) -> None:
    monkeypatch.setenv("PMSYNC_GITHUB_TOKEN", token)
    with pytest.raises(SettingsError) as err:
        load_settings(secrets_dir=tmp_path / "none")
    assert "PMSYNC_GITHUB_TOKEN" in str(err.value) and token not in str(err.value)


@responses.activate
def test_a_token_echoed_in_an_error_is_not_repeated() -> None:
    url = "https://ghe.example.com:443/api/v3/repos/acme/payments/issues/7"
    responses.get(url, status=422, json={"message": f"Validation Failed for token {GITHUB_TOKEN}", "errors": []})
    tracker = GitHubTracker("https://ghe.example.com/api/v3", token=GITHUB_TOKEN, retry=NO_RETRY)
    with pytest.raises(TrackerError) as err:
        tracker.get_issue(IssueRef("github", "acme/payments", "acme/payments#7", "7", ""))
    assert GITHUB_TOKEN not in str(err.value) and "[redacted]" in str(err.value)


@responses.activate
def test_jira_errors_of_any_shape_and_basic_auth_echoes_are_scrubbed() -> None:
    import base64

    basic = base64.b64encode(f"{JIRA_EMAIL}:{JIRA_TOKEN}".encode()).decode()
    _cloud_site()
    responses.get(
        "https://jira.example.com/rest/api/3/issue/10001",
        status=400,
        json={"errorMessages": [f"bad header Basic {basic}"], "errors": ["a list, not a map"]},
    )
    tracker = JiraTracker("https://jira.example.com", email=JIRA_EMAIL, token=JIRA_TOKEN, retry=NO_RETRY)
    with pytest.raises(TrackerError) as err:
        tracker.get_issue(IssueRef("jira", "PLAT", "PLAT-1", "10001", ""))
    assert basic not in str(err.value) and "a list, not a map" in str(err.value)


@responses.activate
def test_a_search_page_that_promises_more_without_a_token_is_incomplete() -> None:
    _cloud_site()
    responses.get("https://jira.example.com/rest/api/3/search/jql", json={"issues": [], "isLast": False})
    tracker = JiraTracker("https://jira.example.com", email=JIRA_EMAIL, token=JIRA_TOKEN, retry=NO_RETRY)
    from connectors.base import ItemKey

    with pytest.raises(TrackerError, match="incomplete"):
        tracker.find_by_marker("PLAT", [ItemKey("INC-1", "AI-1")], None)


def test_a_stop_request_leaves_the_rest_of_the_plan_for_the_next_run(world: World) -> None:
    engine = world.engine()
    calls = {"n": 0}

    def stop_after_three() -> bool:
        calls["n"] += 1
        return calls["n"] > 3

    engine.should_stop = stop_after_three
    engine.run_cycle()
    partial = world.issue_count()
    assert partial < 9
    engine.should_stop = lambda: False
    engine.run_cycle()
    assert world.issue_count() == 9


@responses.activate
def test_a_jira_site_hiding_server_info_must_be_told_its_deployment() -> None:
    from connectors.base import ItemKey, MisconfiguredError

    responses.get("https://jira.example.com/rest/api/2/serverInfo", status=404, json={"errorMessages": ["nope"]})
    responses.get("https://jira.example.com/rest/api/3/priority", json=[{"id": "1", "name": "High"}])
    responses.get("https://jira.example.com/rest/api/3/field", json=[])
    search = responses.get("https://jira.example.com/rest/api/3/search/jql", json={"issues": [], "isLast": True})
    guessing = JiraTracker("https://jira.example.com", email=JIRA_EMAIL, token=JIRA_TOKEN, retry=NO_RETRY)
    with pytest.raises(MisconfiguredError, match="set PMSYNC_JIRA_DEPLOYMENT"):
        guessing.find_by_marker("PLAT", [ItemKey("INC-1", "AI-1")], None)
    told = JiraTracker(
        "https://jira.example.com", email=JIRA_EMAIL, token=JIRA_TOKEN, retry=NO_RETRY, deployment="cloud"
    )
    assert told.find_by_marker("PLAT", [ItemKey("INC-1", "AI-1")], None) == {}
    assert search.call_count == 1


def _cloud_site() -> None:
    """What the connector reads about a Cloud site before anything else."""
    responses.get(
        "https://jira.example.com/rest/api/2/serverInfo",
        json={"baseUrl": "x", "version": "1", "deploymentType": "Cloud"},
    )
    responses.get("https://jira.example.com/rest/api/3/priority", json=[{"id": "1", "name": "High"}])
    responses.get("https://jira.example.com/rest/api/3/field", json=[])


@pytest.mark.parametrize("item_id", ["AI-_legacy_", "AI-__x__", "AI_1_", "a_b_c"])
def test_underscored_ids_survive_the_jira_marker_round_trip(world: World, item_id: str) -> None:
    path = world.postmortems / PAYMENT_FILE
    path.write_text(path.read_text().replace("  - id: AI-1\n", f"  - id: {item_id}\n", 1))
    world.emulator.faults.add(
        method="POST", path=r"^/rest/api/3/issue$", mode="commit_then_fail", times=1, server="jira"
    )
    engine = world.engine(grace=0)
    engine.run_cycle()
    engine.run_cycle()
    assert world.issue_count() == 9
    assert all(item.linked for item in engine.store.snapshot().items.values())


def test_an_unclosed_comment_in_markdown_is_an_error_not_lost_items(tmp_path: Path) -> None:
    from sync.loader import load_definitions

    source = Path(__file__).resolve().parents[1] / "examples" / "markdown" / "inc-2024-042-payment-pipeline.md"
    text = source.read_text()
    lines = text.splitlines(keepends=True)
    row = next(i for i, line in enumerate(lines) if line.startswith("| AI-2"))
    lines.insert(row, "<!-- AI-2: waiting on a vendor, see thread\n")
    (tmp_path / "pm.md").write_text("".join(lines))
    result = load_definitions([tmp_path], ["Platform Team", "Payments Team"])
    assert result.postmortems == []
    assert [(e.line, e.message) for e in result.errors] == [
        (row + 1, "an HTML comment starts here and is never closed with -->")
    ]


def test_markdown_with_old_mac_line_endings_is_not_skipped(tmp_path: Path) -> None:
    from sync.loader import load_definitions

    source = Path(__file__).resolve().parents[1] / "examples" / "markdown" / "inc-2024-042-payment-pipeline.md"
    (tmp_path / "pm.md").write_bytes(source.read_bytes().replace(b"\n", b"\r"))
    result = load_definitions([tmp_path], ["Platform Team", "Payments Team"])
    assert len(result.postmortems) + len(result.errors) >= 1


def test_a_store_reached_through_a_symlink_shares_the_lock(tmp_path: Path) -> None:
    from sqlalchemy import create_engine

    from sync.cycle_lock import cycle_lock

    (tmp_path / "state.db").touch()
    (tmp_path / "link.db").symlink_to(tmp_path / "state.db")
    with cycle_lock(create_engine(f"sqlite:///{tmp_path / 'state.db'}")) as held:
        assert held
        with cycle_lock(create_engine(f"sqlite:///{tmp_path / 'link.db'}")) as other:
            assert not other
    assert not list(tmp_path.glob("state.db*.lock"))  # `rm state.db*` leaves the lock alone


@responses.activate
def test_a_token_cut_by_truncation_is_still_scrubbed() -> None:
    url = "https://ghe.example.com:443/api/v3/repos/acme/payments/issues/7"
    responses.get(url, status=422, json={"message": "x" * 290 + f" token {GITHUB_TOKEN}", "errors": []})
    tracker = GitHubTracker("https://ghe.example.com/api/v3", token=GITHUB_TOKEN, retry=NO_RETRY)
    with pytest.raises(TrackerError) as err:
        tracker.get_issue(IssueRef("github", "acme/payments", "acme/payments#7", "7", ""))
    assert GITHUB_TOKEN[:10] not in str(err.value)


def test_control_characters_from_definitions_never_reach_the_terminal(world: World) -> None:
    path = world.postmortems / PAYMENT_FILE
    path.write_text(
        path.read_text()
        .replace("\ntitle: Payment", '\ntitle: "\\e[2J\\e]0;pwned\\aPayment', 1)
        .replace("transactions table\n", 'transactions table"\n', 1)
    )
    outputs = [world.cli("sync", "--once"), world.cli("status")]
    for out in outputs:
        assert out.returncode == 0, out.stdout + out.stderr
        assert "\x1b" not in out.stdout and "\x07" not in out.stdout


@responses.activate
def test_a_site_answering_404_to_discovery_makes_no_issue_gone() -> None:
    from connectors.base import IssueGone, MisconfiguredError

    responses.get("https://jira.example.com/wrong/rest/api/2/serverInfo", status=404, json={})
    responses.get("https://jira.example.com/wrong/rest/api/2/priority", status=404, json={})
    tracker = JiraTracker(
        "https://jira.example.com/wrong", email=None, token=JIRA_TOKEN, retry=NO_RETRY, deployment="datacenter"
    )
    with pytest.raises(MisconfiguredError, match="check PMSYNC_JIRA_URL") as err:
        tracker.get_issue(IssueRef("jira", "PLAT", "PLAT-1", "10001", ""))
    assert not isinstance(err.value, IssueGone)


@responses.activate
def test_a_site_echoing_the_credentials_in_its_version_is_scrubbed() -> None:
    import base64

    basic = base64.b64encode(f"{JIRA_EMAIL}:{JIRA_TOKEN}".encode()).decode()
    responses.get(
        "https://jira.example.com/rest/api/2/serverInfo",
        json={"baseUrl": "x", "version": f"9.1 Basic {basic} {JIRA_TOKEN}", "deploymentType": "Cloud"},
    )
    responses.get("https://jira.example.com/rest/api/3/priority", json=[])
    responses.get("https://jira.example.com/rest/api/3/field", json=[])
    responses.get("https://jira.example.com/rest/api/3/myself", json={"displayName": f"bot {JIRA_TOKEN}"})
    tracker = JiraTracker("https://jira.example.com", email=JIRA_EMAIL, token=JIRA_TOKEN, retry=NO_RETRY)
    info = tracker.probe()
    shown = info.detail + " ".join(info.extra.values())
    assert JIRA_TOKEN not in shown and basic[:20] not in shown


def test_log_scrubbing_knows_the_basic_form_of_the_jira_token() -> None:
    import base64

    from config.settings import Settings

    settings = Settings(jira_url="https://acme.atlassian.net", jira_email=JIRA_EMAIL, jira_token=JIRA_TOKEN)
    assert base64.b64encode(f"{JIRA_EMAIL}:{JIRA_TOKEN}".encode()).decode() in settings.secrets()


@pytest.mark.usefixtures("isolated_logging")
def test_a_client_librarys_logged_traceback_is_scrubbed(capsys: pytest.CaptureFixture[str]) -> None:
    import logging

    from sync.logs import configure_logging

    configure_logging(secrets=[GITHUB_TOKEN])
    try:
        raise RuntimeError(f"the tracker repeated token {GITHUB_TOKEN}")
    except RuntimeError:
        logging.getLogger("github.Requester").exception("request failed")
    err = capsys.readouterr().err
    assert "RuntimeError" in err and "[redacted]" in err
    assert GITHUB_TOKEN not in err


def test_a_tracking_issue_that_is_an_action_items_issue_gets_no_report(world: World) -> None:
    engine = world.engine()
    engine.run_cycle()
    other = issue_of(engine, "INC-2024-031", "AI-4")  # a GitHub issue the worker filed
    path = world.postmortems / PAYMENT_FILE
    path.write_text(path.read_text().replace("tracking_issue: acme/payments#1", f"tracking_issue: {other}"))
    for item in ("AI-1", "AI-2", "AI-3", "AI-4", "AI-5"):
        key = issue_of(engine, PAYMENT, item)
        if "#" in key:
            world.emulator.github_set_state(*github_number(key), state="closed", state_reason="completed")
        else:
            world.emulator.jira_transition(key, "Done")
    result = engine.run_cycle()
    assert "closed" in kinds(result) and "posted" not in kinds(result)
    said = " ".join(e.message for e in result.events if e.kind == "error")
    assert f"tracking_issue {other}" in said and "action item INC-2024-031/AI-4" in said
    assert world.emulator.github_issue(*github_number(other))["comments"] == 0
    engine.store.close()
