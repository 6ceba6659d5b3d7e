"""``postmortem-sync demo``: a post-mortem's whole life against the built-in tracker emulator.

No credentials and no network beyond loopback: the emulator answers as Jira Cloud and
GitHub do, and the worker reaches it through the same ``jira`` and ``PyGithub`` clients it
uses in production. The demo then plays the teams working their issues.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.rule import Rule

import sync
from config.settings import Settings
from config.teams import load_teams
from connectors.base import ItemKey
from connectors.emulator import Emulator
from connectors.jira_site import Deployment
from sync.cycle import Engine
from sync.cycle_output import print_cycle
from sync.logs import configure_logging
from sync.status_view import collect, render
from sync.store import Store
from sync.wiring import build_engine

DEMO_GITHUB_TOKEN = "demo-github-token"  # noqa: S105 - the emulator's own, not a secret
DEMO_JIRA_EMAIL = "postmortem-sync@example.com"
DEMO_JIRA_TOKEN = "demo-jira-token"  # noqa: S105

PAYMENT_OUTAGE = "INC-2024-042"
#: The demo plays out in the weeks after the payment outage, not today, so the report's
#: "on time" and "late" mean something.
DEMO_START = datetime(2024, 3, 13, 9, 30, tzinfo=UTC)


class DemoClock:
    """Simulated time shared by the emulator and the worker: jumps forward between steps,
    and otherwise runs at the real pace so that every change gets a later timestamp."""

    def __init__(self, start: datetime) -> None:
        self._base = start.timestamp()
        self._origin = time.monotonic()

    def epoch(self) -> float:
        return self._base + (time.monotonic() - self._origin)

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.epoch(), tz=UTC)

    def jump_to(self, moment: datetime) -> None:
        self._base += max(0.0, moment.timestamp() - self.epoch())


def examples_dir() -> Path:
    """The bundled examples: packaged inside ``sync`` when installed, ``examples/`` in a checkout."""
    here = Path(sync.__file__).resolve().parent
    for candidate in (here / "_examples", here.parent / "examples"):
        if (candidate / "teams.yaml").is_file():
            return candidate
    raise FileNotFoundError("the example post-mortems are missing from this installation")


#: Left in a --workdir so a later demo may reuse it; any other non-empty folder is refused.
DEMO_MARKER = ".postmortem-sync-demo"


class DemoWorkdirError(Exception):
    """The folder given to ``--workdir`` holds something the demo would overwrite."""


@contextmanager
def _workdir(path: Path | None) -> Iterator[Path]:
    if path is not None:
        if path.exists() and not path.is_dir():
            raise DemoWorkdirError(f"{path} is not a folder: give the demo a new or empty folder")
        if path.exists() and any(path.iterdir()) and not (path / DEMO_MARKER).exists():
            raise DemoWorkdirError(
                f"{path} is not empty and was not made by the demo: the demo replaces its "
                "postmortems/, teams.yaml and database. Give it a new or empty folder."
            )
        path.mkdir(parents=True, exist_ok=True)
        (path / DEMO_MARKER).write_text("Made by `postmortem-sync demo`; it may overwrite this folder.\n")
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="postmortem-sync-demo-") as tmp:
        yield Path(tmp)


def _seed_trackers(emulator: Emulator, teams_file: Path, postmortems_dir: Path) -> None:
    """Create the projects and repositories the teams file names, and any tracking issues."""
    for team in load_teams(teams_file).values():
        if team.tracker == "jira":
            emulator.add_jira_project(team.target, name=team.target)
        else:
            emulator.add_github_repo(team.target)
    for path in sorted(postmortems_dir.glob("*.yaml")):
        match = re.search(r"^tracking_issue:\s*(\S+)", path.read_text(encoding="utf-8"), re.MULTILINE)
        if not match:
            continue
        ref = match.group(1).strip("'\"")
        title = f"Post-mortem tracking: {path.stem}"
        if "#" in ref:
            repo, number = ref.split("#")
            emulator.add_github_repo(repo)
            while len(emulator.github_issues(repo)) < int(number):
                emulator.github_create_issue(repo, title, "Follow-through of the post-mortem's action items.")
        else:
            project, number = ref.rsplit("-", 1)
            emulator.add_jira_project(project, name=project)
            while len(emulator.jira_issues(project)) < int(number):
                emulator.jira_create_issue(project, title)


def _issue_of(store: Store, pm_id: str, item_id: str) -> tuple[str, str]:
    item = store.snapshot().items[ItemKey(pm_id, item_id)]
    assert item.issue_key is not None and item.issue_id is not None
    return item.tracker, item.issue_key


class _Teams:
    """Plays the owning teams working their issues, as people would in each tracker."""

    def __init__(self, emulator: Emulator, store: Store, console: Console) -> None:
        self.emulator, self.store, self.console = emulator, store, console

    def jira(self, item_id: str, status: str, resolution: str | None = None, pm_id: str = PAYMENT_OUTAGE) -> None:
        _, key = _issue_of(self.store, pm_id, item_id)
        self.emulator.jira_transition(key, status=status, resolution=resolution)
        extra = f" (resolution: {resolution})" if resolution else ""
        self.console.print(f"  Jira    {key:<18} {item_id}: moved to {status}{extra}", markup=False)

    def github(self, item_id: str, state: str, reason: str | None = None, pm_id: str = PAYMENT_OUTAGE) -> None:
        _, key = _issue_of(self.store, pm_id, item_id)
        repo, number = key.split("#")
        self.emulator.github_set_state(repo, int(number), state=state, state_reason=reason)
        extra = f" as {reason.replace('_', ' ')}" if reason else ""
        self.console.print(f"  GitHub  {key:<18} {item_id}: {state}{extra}", markup=False)

    def github_label(self, item_id: str, label: str, pm_id: str = PAYMENT_OUTAGE) -> None:
        _, key = _issue_of(self.store, pm_id, item_id)
        repo, number = key.split("#")
        self.emulator.github_add_label(repo, int(number), label)
        self.console.print(f"  GitHub  {key:<18} {item_id}: labelled '{label}'", markup=False)


def _cycle(engine: Engine, console: Console, title: str) -> None:
    console.print(Rule(f"{title} ({engine.clock():%Y-%m-%d})", align="left"))
    print_cycle(engine.run_cycle(), console)
    console.print()


def run_demo(console: Console, workdir: Path | None = None, jira: Deployment = "cloud") -> int:
    """Run the demo end to end, with Jira as Cloud or as Data Center; returns the exit code."""
    source = examples_dir()
    clock = DemoClock(DEMO_START)
    with (
        _workdir(workdir) as work,
        Emulator(
            github_token=DEMO_GITHUB_TOKEN,
            jira_email=DEMO_JIRA_EMAIL,
            jira_token=DEMO_JIRA_TOKEN,
            jira_deployment=jira,
            clock=clock.epoch,
        ) as emulator,
    ):
        postmortems = work / "postmortems"
        if postmortems.exists():
            shutil.rmtree(postmortems)
        shutil.copytree(source / "postmortems", postmortems)
        teams_file = work / "teams.yaml"
        shutil.copyfile(source / "teams.yaml", teams_file)
        database = work / "postmortem-sync.db"
        database.unlink(missing_ok=True)
        _seed_trackers(emulator, teams_file, postmortems)

        console.print(Rule("postmortem-sync demo", style="bold"))
        configure_logging("warning")
        console.print(
            f"Tracker emulator on loopback: Jira {'Cloud' if jira == 'cloud' else 'Data Center'} at "
            f"{emulator.jira_url}, GitHub at {emulator.github_url}.\n"
            f"Definitions: {postmortems}\nTeams:       {teams_file}\n"
            "The worker talks to both through the real jira and PyGithub clients.\n"
            f"Simulated time: the demo starts on {DEMO_START:%Y-%m-%d}, the day after the payment outage.\n",
            markup=False,
        )
        settings = Settings(
            postmortems_dir=postmortems,
            teams_file=teams_file,
            database_url=f"sqlite:///{database}",
            reports_dir=work / "reports",
            jira_url=emulator.jira_url,
            # Cloud signs in with email + API token, Data Center with a personal access token.
            jira_email=DEMO_JIRA_EMAIL if jira == "cloud" else None,
            jira_token=DEMO_JIRA_TOKEN,
            github_url=emulator.github_url,
            github_token=DEMO_GITHUB_TOKEN,
            # Loopback only: no need to pace writes as GitHub asks real integrations to.
            github_seconds_between_writes=0,
            http_timeout=10,
        )
        engine = build_engine(settings)
        engine.create_grace = timedelta(seconds=30)
        engine.clock = clock.now
        teams = _Teams(emulator, engine.store, console)
        try:
            _cycle(engine, console, "1. Every action item is filed")

            clock.jump_to(datetime(2024, 3, 18, 16, 0, tzinfo=UTC))
            console.print(Rule("2. Five days later, the teams work", align="left"))
            teams.jira("AI-2", "Done")
            teams.jira("AI-4", "In Progress")
            teams.github_label("AI-3", "in progress")
            console.print()
            _cycle(engine, console, "3. Statuses are mirrored back")

            clock.jump_to(datetime(2024, 3, 25, 11, 0, tzinfo=UTC))
            console.print(Rule("4. A week later, the teams finish; one item is won't do", align="left"))
            teams.jira("AI-4", "Done")
            teams.jira("AI-1", "Done")
            teams.jira("AI-5", "Done", resolution="Won't Do")
            teams.github("AI-3", "closed", "completed")
            console.print()
            _cycle(engine, console, "5. The post-mortem closes; its report is posted")

            _cycle(engine, console, "6. Run again: nothing twice")

            store = engine.store
            closed = store.snapshot().postmortems[PAYMENT_OUTAGE]
            console.print(Rule("The follow-through report", align="left"))
            console.print(f"{closed.report_path}:\n", markup=False, soft_wrap=True)
            if closed.report_path:
                console.print(
                    Path(closed.report_path).read_text(encoding="utf-8"),
                    markup=False,
                    soft_wrap=True,
                )
            console.print(f"\nPosted as a comment at {closed.report_url}\n", markup=False)

            console.print(Rule("postmortem-sync status", align="left"))
            render(collect(store, clock.now().date()), console)
            ok = closed.state == "closed" and closed.report_posted_at is not None
        finally:
            engine.store.close()
            for tracker in engine.trackers.values():
                tracker.close()
        if workdir is not None:
            console.print(f"\nThe demo's files are kept in {work}.", markup=False)
        else:
            console.print("\nThe demo's files were in a temporary folder, now removed; use --workdir DIR to keep them.")
        console.print("\nDemo finished." if ok else "\nDemo did not reach the end.")
        return 0 if ok else 1
