"""The ``postmortem-sync`` command line.

Exit codes: 0 all good; 1 the command ran but something needs attention (an invalid
definition, a tracker call that failed); 2 the configuration is wrong and nothing ran.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Collection, Iterator, Mapping, Sequence
from pathlib import Path

from rich.console import Console
from rich.text import Text
from sqlalchemy.exc import ArgumentError

from config.settings import Settings, SettingsError, environment_names, load_settings, unknown_settings
from config.teams import TeamsFileError, load_teams
from config.yamlfile import SourceError
from connectors.base import MisconfiguredError, PermanentError, TrackerError
from sync.cycle_output import print_cycle
from sync.logs import configure_logging
from sync.wording import plural

EXIT_OK, EXIT_PROBLEMS, EXIT_CONFIG = 0, 1, 2

DESCRIPTION = """\
Files every action item of your blameless post-mortems as an issue in the owning team's
tracker (Jira or GitHub), mirrors each issue's status back, and closes the post-mortem with
a follow-through report once every item is completed or won't be done.

Configuration comes from PMSYNC_* environment variables, a .env file in the working
directory, or a secrets directory (PMSYNC_SECRETS_DIR, default /run/secrets). Start with
`postmortem-sync demo` to watch the whole life cycle against a built-in tracker emulator.
"""

EPILOG = """\
settings (environment variables):
  PMSYNC_POSTMORTEMS_DIR  folder of post-mortem definitions (default ./postmortems)
  PMSYNC_TEAMS_FILE       teams file mapping teams to trackers (default ./teams.yaml)
  PMSYNC_DATABASE_URL     state store (default sqlite:///postmortem-sync.db)
  PMSYNC_REPORTS_DIR      where follow-through reports go (default ./reports)
  PMSYNC_POLL_INTERVAL    seconds between cycles of `run` (default 300)
  PMSYNC_JIRA_URL, PMSYNC_JIRA_EMAIL, PMSYNC_JIRA_TOKEN (Cloud: email + API token;
                          Server/Data Center: a personal access token, no email)
  PMSYNC_JIRA_DEPLOYMENT  auto (default), cloud or datacenter
  PMSYNC_GITHUB_URL (default https://api.github.com), PMSYNC_GITHUB_TOKEN
  PMSYNC_TIMEZONE         whose calendar decides overdue items (default UTC)

exit codes: 0 ok, 1 something needs attention, 2 configuration error
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="postmortem-sync",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="sync every PMSYNC_POLL_INTERVAL seconds until stopped (SIGTERM)",
        description="Run one sync cycle every PMSYNC_POLL_INTERVAL seconds (default 300, at least 5) "
        "until SIGTERM or Ctrl-C. A failing cycle is logged and the next one runs on schedule.",
    )
    run.add_argument("--max-cycles", type=int, default=None, help=argparse.SUPPRESS)

    sync = sub.add_parser(
        "sync",
        help="run one sync cycle (--once) or show what it would do (--dry-run)",
        description="One sync cycle: file new action items, mirror statuses, close finished post-mortems "
        "and post their reports. Exit code 0 when everything worked, 1 when something needs attention "
        "(an invalid definition, an item that could not be read or filed), 2 on a configuration error.",
    )
    mode = sync.add_mutually_exclusive_group()
    mode.add_argument(
        "--once",
        action="store_true",
        help="run one cycle and exit; the exit code says whether it succeeded (default)",
    )
    mode.add_argument("--dry-run", action="store_true", help="read the trackers, print the plan, change nothing")

    status = sub.add_parser(
        "status",
        help="show post-mortems, their action items and the worker's health",
        description="Show what the state store knows: each post-mortem, its action items with their "
        "issues, statuses and deadlines (overdue ones marked), and when the last good cycle finished. "
        "Reads only the store; run `sync --once` first.",
    )
    status.add_argument("--json", action="store_true", help="print JSON for scripts")

    validate = sub.add_parser(
        "validate",
        help="check post-mortem definition files; exit 1 if any is invalid",
        description="Check definition files (YAML, or Markdown with front matter) and folders of them: "
        "every field, and every owner against the teams file. Each problem names its file, line "
        "and field. Touches no tracker and no state store.",
    )
    validate.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="definition files or folders (default: PMSYNC_POSTMORTEMS_DIR or ./postmortems)",
    )
    validate.add_argument(
        "--teams",
        type=Path,
        default=None,
        help="teams file (default: PMSYNC_TEAMS_FILE or ./teams.yaml)",
    )

    demo = sub.add_parser(
        "demo",
        description="Start the built-in tracker emulator on loopback (Jira and GitHub), sync the example "
        "post-mortems through the real jira and PyGithub clients, play the teams working their items, and "
        "show the payment-outage post-mortem closing and its report being posted. No credentials needed.",
        help="watch a post-mortem's whole life against a built-in tracker emulator (no credentials)",
    )
    demo.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="keep the demo's files here (default: a temporary folder)",
    )
    demo.add_argument(
        "--jira",
        choices=("cloud", "datacenter"),
        default="cloud",
        help="let the emulator answer as Jira Cloud (default) or Jira Data Center",
    )
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("postmortem-sync")
    except PackageNotFoundError:
        return "unknown"


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    console = Console(highlight=False)
    err = Console(stderr=True, highlight=False)
    try:
        if args.command == "demo":
            from sync.demo import DemoWorkdirError, run_demo

            try:
                return run_demo(console, workdir=args.workdir, jira=args.jira)
            except DemoWorkdirError as exc:
                _error(err, "demo", exc)
                return EXIT_CONFIG
        for warning in unknown_settings(environment_names()):
            err.print(f"warning: {warning}", markup=False, highlight=False)
        settings = load_settings()
        configure_logging(settings.log_level, settings.log_format, settings.secrets())
        if args.command == "validate":
            if args.teams is not None and not args.teams.is_file():
                raise SettingsError(f"--teams: {args.teams} is not a file; give the teams file the worker uses")
            return _validate(args.paths or [settings.postmortems_dir], args.teams or settings.teams_file, console)
        if args.command == "status":
            return _status(settings, console, as_json=args.json)
        if args.command == "sync":
            return _sync(settings, console, dry_run=args.dry_run)
        if args.command == "run":
            return _run(settings, console, args.max_cycles)
    except SettingsError as exc:
        _error(err, "configuration error", exc)
        return EXIT_CONFIG
    except (TeamsFileError, SourceError) as exc:
        _error(err, "teams file error", exc)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return EXIT_PROBLEMS
    except BrokenPipeError:
        # The reader went away (`status --json | head`): nothing more to say, and nothing to
        # flush at exit either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_PROBLEMS
    return EXIT_CONFIG


def _error(err: Console, label: str, exc: BaseException) -> None:
    # The message may hold brackets (paths, ids): never read it as markup.
    err.print(Text(f"{label}: ", style="red") + Text(str(exc)), soft_wrap=True)


class AnyName(Collection[str]):
    """Stands for a teams file when there is none: every owner passes the team check."""

    def __contains__(self, name: object) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def _validate(paths: Sequence[Path], teams_file: Path, console: Console) -> int:
    from sync.loader import load_definitions
    from sync.wiring import jira_rules

    teams: Collection[str]
    if teams_file.is_file():
        teams = load_teams(teams_file)
        jira_rules(teams)  # teams sharing a Jira project must agree
    else:
        console.print(
            f"Note: no teams file at {teams_file}, so owners are not checked against configured teams "
            "(pass --teams FILE or set PMSYNC_TEAMS_FILE).",
            markup=False,
            soft_wrap=True,
        )
        teams = AnyName()
    missing = [p for p in paths if not p.exists()]
    for path in missing:
        console.print(f"✗ {path}: no such file or folder", soft_wrap=True, markup=False)
    result = load_definitions([p for p in paths if p.exists()], teams, exclude=[teams_file])
    for loaded in result.postmortems:
        console.print(
            f"✓ {loaded.path}: {loaded.postmortem.id} ({plural(len(loaded.postmortem.action_items), 'action item')})",
            soft_wrap=True,
            markup=False,
        )
    for error in result.errors:
        console.print(f"✗ {error}", soft_wrap=True, markup=False)
    bad = len(result.errors) + len(missing)
    if not bad and not result.postmortems:
        where = ", ".join(str(p) for p in paths)
        console.print(f"No definitions found in {where} (*.yaml, *.yml and *.md files).", markup=False, soft_wrap=True)
        return EXIT_PROBLEMS
    console.print(f"{len(result.postmortems)} valid, {bad} problem{'s' if bad != 1 else ''}.")
    return EXIT_PROBLEMS if bad else EXIT_OK


def _sqlite_file_missing(database_url: str) -> bool:
    from sqlalchemy.engine import make_url

    try:
        url = make_url(database_url)
    except ArgumentError as exc:
        raise SettingsError(f"PMSYNC_DATABASE_URL: {exc}") from None
    database = url.database or ""
    return url.get_backend_name() == "sqlite" and database not in ("", ":memory:") and not Path(database).exists()


def _status(settings: Settings, console: Console, *, as_json: bool) -> int:
    from sqlalchemy.engine import make_url

    from sync.status_view import collect, render, today_in
    from sync.wiring import open_store

    if _sqlite_file_missing(settings.database_url):
        # Reading must not create an empty store as a side effect.
        database = make_url(settings.database_url).database
        if as_json:
            print(json.dumps({"last_cycle": None, "last_good_cycle_finished_at": None, "postmortems": []}, indent=2))
        else:
            console.print(f"No state store yet at {database}: run `postmortem-sync sync --once` first.", markup=False)
        return EXIT_OK
    store = open_store(settings.database_url)
    try:
        data = collect(store, today_in(settings.zone))
    finally:
        store.close()
    if as_json:
        print(json.dumps(data, indent=2))
    else:
        render(data, console)
    return EXIT_OK


def _probe(
    engine_trackers: dict[str, object],
    console: Console,
    *,
    strict: bool = True,
    left_alone: Mapping[str, str] | None = None,
) -> None:
    """Check each tracker. A configuration that does not fit a tracker stops start-up;
    with ``strict``, so does any refusal (bad credentials); otherwise the cycle runs and
    the other trackers' items still sync. A tracker in ``left_alone`` (its circuit breaker
    is open) is not called."""
    for kind, tracker in engine_trackers.items():
        if left_alone and kind in left_alone:
            console.print(f"! {left_alone[kind]}; not checked", markup=False, soft_wrap=True)
            continue
        try:
            info = tracker.probe()  # type: ignore[attr-defined]
        except MisconfiguredError as exc:
            raise SettingsError(f"{kind}: {exc}") from exc
        except PermanentError as exc:
            if strict:
                raise SettingsError(f"{kind} refused the start-up check: {exc}") from exc
            console.print(f"! {kind} refused the start-up check ({exc})", markup=False)
        except TrackerError as exc:
            later = "the worker will keep trying" if strict else "its items wait while it stays down"
            console.print(f"! {kind} is not answering yet ({exc}); {later}", markup=False)
        else:
            console.print(f"{kind}: {info.url} ({info.detail})", markup=False)


def _sync(settings: Settings, console: Console, *, dry_run: bool) -> int:
    from sync.wiring import build_engine
    from sync.worker import Worker

    if dry_run and _sqlite_file_missing(settings.database_url):
        # A dry run changes nothing, not even by creating an empty store.
        settings = settings.model_copy(update={"database_url": "sqlite://"})
    engine = build_engine(settings)
    try:
        # A teams file that does not fit a site (an unknown priority, an ambiguous field)
        # stops here, before anything is filed.
        _probe(dict(engine.trackers), console, strict=False, left_alone=engine.left_alone())
        result = Worker(engine, settings.poll_interval).run_once(dry_run=dry_run)
    finally:
        engine.store.close()
    print_cycle(result, console)
    return EXIT_OK if result.ok else EXIT_PROBLEMS


def _run(settings: Settings, console: Console, max_cycles: int | None) -> int:
    from sync.wiring import build_engine
    from sync.worker import Worker

    engine = build_engine(settings)
    _probe(dict(engine.trackers), console, left_alone=engine.left_alone())
    try:
        Worker(engine, settings.poll_interval).run(max_cycles=max_cycles)
    finally:
        engine.store.close()
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
