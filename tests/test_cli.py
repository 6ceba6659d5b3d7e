"""The command line as a person uses it: help, validate, status, exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sync.demo import examples_dir
from tests.e2e import World, make_world


def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sync.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=60,
        check=False,
    )


def test_help_lists_every_command() -> None:
    out = run("--help")
    assert out.returncode == 0
    for command in ("run", "sync", "status", "validate", "demo", "PMSYNC_JIRA_TOKEN"):
        assert command in out.stdout


def test_validate_examples_passes() -> None:
    source = examples_dir()
    out = run("validate", str(source / "postmortems"), "--teams", str(source / "teams.yaml"))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "2 valid, 0 problems" in out.stdout


def test_validate_leaves_out_the_teams_file_when_it_sits_among_the_definitions(tmp_path: Path) -> None:
    source = examples_dir()
    shutil.copytree(source / "postmortems", tmp_path / "config")
    shutil.copyfile(source / "teams.yaml", tmp_path / "config" / "teams.yaml")
    out = run("validate", str(tmp_path / "config"), "--teams", str(tmp_path / "config" / "teams.yaml"))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "2 valid, 0 problems" in out.stdout


def test_status_json_into_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    # `status --json | head`: the reader is gone before the worker writes.
    child = subprocess.Popen(
        [sys.executable, "-m", "sync.cli", "status", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()
    stderr = child.stderr.read().decode()
    child.wait(timeout=60)
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr


def test_validate_reports_file_line_and_field(tmp_path: Path) -> None:
    source = examples_dir()
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "id: INC-1\ntitle: T\nseverity: P2\ndetected_at: 2024-03-01T10:00:00Z\naction_items:\n"
        "  - id: AI-1\n    description: D\n    owner: Platform Team\n    deadline: 2024-02-30\n    priority: high\n"
    )
    out = run("validate", str(bad), str(tmp_path / "missing.yaml"), "--teams", str(source / "teams.yaml"))
    assert out.returncode == 1
    assert f"{bad}:9: action_items[0].deadline" in out.stdout
    assert "missing.yaml: no such file or folder" in out.stdout


def test_validate_without_teams_file_checks_everything_but_owners(tmp_path: Path) -> None:
    out = run("validate", str(examples_dir() / "postmortems"), cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "owners are not checked" in out.stdout and "--teams" in out.stdout
    assert "2 valid, 0 problems" in out.stdout


def test_dry_run_on_a_new_store_creates_nothing(tmp_path: Path) -> None:

    world = make_world(tmp_path)
    try:
        out = world.cli("sync", "--dry-run")
        assert out.returncode == 0, out.stderr
        assert not (world.workdir / "state.db").exists()
    finally:
        world.emulator.stop()


def test_wrong_urls_name_the_setting(tmp_path: Path) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("PMSYNC_")}
    env.update(
        {
            "PMSYNC_JIRA_URL": "http://127.0.0.1:9/rest/api/3",
            "PMSYNC_JIRA_TOKEN": "tok3n-value",
            "PMSYNC_JIRA_EMAIL": "a@b.c",
        }
    )
    out = run("sync", "--once", cwd=tmp_path, env=env)
    assert out.returncode == 2 and "without the REST path" in out.stderr


def test_bad_settings_exit_2_with_a_hint(tmp_path: Path) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("PMSYNC_")}
    env.update({"PMSYNC_JIRA_URL": "https://acme.atlassian.net", "PMSYNC_JIRA_TOKEN": "secret-token-123456"})
    out = run("sync", "--once", cwd=tmp_path, env=env)
    assert out.returncode == 2
    assert "PMSYNC_JIRA_EMAIL" in out.stderr and "secret-token-123456" not in out.stderr + out.stdout
    assert "Traceback" not in out.stderr


def test_team_on_unconfigured_tracker_stops_start_up(world: World) -> None:
    env = world.env()
    del env["PMSYNC_GITHUB_TOKEN"]
    out = subprocess.run(
        [sys.executable, "-m", "sync.cli", "sync", "--once"],
        env=env,
        cwd=world.workdir,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 2
    assert "Edge Team, Payments Team use github" in out.stderr and "PMSYNC_GITHUB_TOKEN" in out.stderr


def test_status_table_and_json(world: World) -> None:
    assert world.cli("sync", "--once").returncode == 0
    table = world.cli("status")
    assert table.returncode == 0
    assert "INC-2024-042" in table.stdout and "PLAT-" in table.stdout and "Last good cycle finished" in table.stdout
    data = json.loads(world.cli("status", "--json").stdout)
    assert data["last_good_cycle_finished_at"] is not None
    payment = next(pm for pm in data["postmortems"] if pm["id"] == "INC-2024-042")
    assert payment["state"] == "open" and len(payment["items"]) == 5
    assert {i["status"] for i in payment["items"]} == {"open"}
    assert {i["team"] for i in payment["items"]} == {"Platform Team", "Payments Team"}


def test_status_on_an_empty_store(tmp_path: Path) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("PMSYNC_")}
    (tmp_path / "none").mkdir()
    env["PMSYNC_SECRETS_DIR"] = str(tmp_path / "none")
    out = run("status", cwd=tmp_path, env=env)
    assert out.returncode == 0 and "No state store yet at postmortem-sync.db" in out.stdout
    assert json.loads(run("status", "--json", cwd=tmp_path, env=env).stdout)["postmortems"] == []
    assert not (tmp_path / "postmortem-sync.db").exists()  # reading creates nothing


def test_sync_once_exit_code_says_a_definition_failed(world: World) -> None:
    (world.postmortems / "bad.yaml").write_text("id: [unclosed\n")
    out = world.cli("sync", "--once")
    assert out.returncode == 1
    assert "bad.yaml:" in out.stdout and "invalid definition skipped" in out.stdout
    assert world.issue_count() == 9


@pytest.mark.parametrize("jira", ["cloud", "datacenter"])
def test_the_demo_reaches_the_end_on_either_jira(jira: str, tmp_path: Path) -> None:
    import io

    from rich.console import Console

    from sync.demo import run_demo

    out = io.StringIO()
    assert run_demo(Console(file=out, width=120), workdir=tmp_path / "demo", jira=jira) == 0  # type: ignore[arg-type]
    text = out.getvalue()
    assert ("Jira Cloud" if jira == "cloud" else "Jira Data Center") in text
    assert "filed 9" in text and "report posted on acme/payments#1" in text
    assert "nothing changed in the trackers" in text and "Demo finished." in text


@pytest.mark.parametrize("content", [b"garbage, not a database\n", b"SQLite format 3\x00" + b"\x00" * 200])
@pytest.mark.parametrize("command", [("status",), ("sync", "--once")])
def test_a_damaged_state_store_is_a_configuration_error_not_a_traceback(
    world: World, content: bytes, command: tuple[str, ...]
) -> None:
    (world.workdir / "state.db").write_bytes(content)
    out = world.cli(*command)
    assert out.returncode == 2, out.stdout + out.stderr
    assert "PMSYNC_DATABASE_URL" in out.stderr and "cannot be read" in out.stderr
    assert "Traceback" not in out.stderr


def test_validate_refuses_a_teams_file_given_but_missing(world: World) -> None:
    out = world.cli("validate", "--teams", str(world.workdir / "nope.yaml"), str(world.postmortems))
    assert out.returncode == 2 and "--teams" in out.stderr and "nope.yaml" in out.stderr


def test_validate_says_when_a_folder_holds_no_definitions(world: World) -> None:
    empty = world.workdir / "empty"
    empty.mkdir()
    out = world.cli("validate", str(empty))
    assert out.returncode == 1 and "No definitions found" in out.stdout
