"""Run the emulator in the foreground: ``python -m connectors.emulator [options]``.

Prints ``GITHUB_URL=...`` and ``JIRA_URL=...`` lines (and writes them as JSON to
``--urls-file`` if given) once both servers listen, then serves until SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from .github_app_auth import AppIdentity
from .server import Emulator

_EPILOG = """\
The emulator starts empty: create the repositories and projects your teams file names,
either with --seed FILE, a JSON document such as
  {"github": {"repos": ["acme/payments"]}, "jira": {"projects": [{"key": "PLAT", "name": "Platform"}]}}
or through the control API (no auth), for example
  curl -X POST $GITHUB_URL/_emulator/github/repos -d '{"full_name": "acme/payments"}'
  curl -X POST $JIRA_URL/_emulator/jira/projects -d '{"key": "PLAT", "name": "Platform"}'
The control API also changes issues as a person in the tracker would:
  curl -X POST $GITHUB_URL/_emulator/github/repos/acme/payments/issues/2/state \\
       -d '{"state": "closed", "state_reason": "not_planned"}'
  curl -X POST $GITHUB_URL/_emulator/github/repos/acme/payments/issues/2/labels -d '{"labels": ["in progress"]}'
  curl -X POST $GITHUB_URL/_emulator/github/repos/acme/payments/issues/2/transfer -d '{"to": "acme/archive"}'
  curl -X POST $GITHUB_URL/_emulator/github/repos/acme/payments/settings -d '{"has_issues": false}'
(a "state_reason" of "" closes an issue with no reason, as issues closed before GitHub kept reasons read)
  curl -X POST $JIRA_URL/_emulator/jira/issues/PLAT-1/transition -d '{"status": "In Progress"}'
  curl -X POST $JIRA_URL/_emulator/jira/issues/PLAT-1/transition -d '{"status": "Done", "resolution": "Duplicate"}'
Statuses: To Do, In Progress, Done (others need "category": new, indeterminate or done).
Site administration: replace the priority scheme, add custom fields, give a project a workflow:
  curl -X POST $JIRA_URL/_emulator/jira/priorities -d '{"names": ["Blocker", "Critical", "Major", "Minor"]}'
  curl -X POST $JIRA_URL/_emulator/jira/fields -d '{"name": "Team", "schema_type": "option", "allowed_values": ["SRE"]}'
  curl -X PUT $JIRA_URL/_emulator/jira/projects/PLAT/workflow \\
       -d '{"statuses": [["Open", "new"], ["Closed", "done"]], "transitions": [{"name": "Close", "to": "Closed"}]}'
With --jira-deployment datacenter, Jira clients use REST v2 and "Authorization: Bearer $TOKEN".
With --github-enterprise, the GitHub API is under $GITHUB_URL (ending in /api/v3) and the host's
other paths answer as Enterprise Server's web pages. To sign in as a GitHub App, make a key pair
  openssl genrsa -out app.pem 2048 && openssl rsa -in app.pem -pubout -out app.pub
start with --github-app-id 12345 --github-app-public-key app.pub, and give postmortem-sync
PMSYNC_GITHUB_APP_ID=12345 and PMSYNC_GITHUB_APP_PRIVATE_KEY="$(cat app.pem)" instead of a token.
Resolutions: Done, Won't Do, Won't Fix, Duplicate, Cannot Reproduce, Declined.
Faults, to see what the worker does when a tracker misbehaves (each rule matches requests by
server, method and a path regex, for "times" requests or, with null, until removed):
  curl -X POST $JIRA_URL/_emulator/faults -d '{"server": "jira", "status": 503, "times": null}'
  curl -X POST $GITHUB_URL/_emulator/faults \\
       -d '{"server": "github", "method": "POST", "path": "/issues$", "status": 429, "retry_after": 20}'
  curl -X DELETE $JIRA_URL/_emulator/faults      # every rule gone, the tracker answers again
Modes ("mode", default "status": answer "status" without acting): "commit_then_fail" (act,
then answer "status"), "commit_then_drop" (act, then close the connection unanswered),
"commit_then_delay" (act, answer after "delay" seconds), "reset" (close the connection
without acting), "html" (a sign-in page with 200, as a single sign-on proxy answers), "delay"
(answer normally after "delay" seconds). --fault-rate fails that share of all requests at random.
Every route: python -c "import connectors.emulator.control as c; print(c.__doc__)"

Point postmortem-sync at it with PMSYNC_GITHUB_URL=$GITHUB_URL, PMSYNC_GITHUB_TOKEN,
PMSYNC_JIRA_URL=$JIRA_URL and PMSYNC_JIRA_TOKEN set to the values above, plus
PMSYNC_JIRA_EMAIL for Cloud (Data Center signs in with the token alone: leave it unset).
"""


class _Formatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """Keeps the epilog's layout and shows each option's default."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m connectors.emulator",
        description=__doc__,
        epilog=_EPILOG,
        formatter_class=_Formatter,
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (keep it on loopback)")
    p.add_argument("--github-port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--jira-port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--seed", type=Path, help="JSON seed document (repos, projects, issues)")
    p.add_argument("--github-token", default="gh-demo-token", help="the token GitHub clients must send")
    p.add_argument("--jira-email", default="bot@example.com", help="the email Jira clients must send")
    p.add_argument("--jira-token", default="jira-demo-token", help="the API token Jira clients must send")
    p.add_argument("--latency", type=float, default=0.0, help="seconds added to every request")
    p.add_argument("--fault-rate", type=float, default=0.0, help="share of requests to fail")
    p.add_argument("--fault-seed", type=int, default=None, help="seed for random faults")
    p.add_argument("--jira-rate-limit", type=int, default=None, help="requests per minute")
    p.add_argument(
        "--jira-deployment",
        choices=("cloud", "datacenter"),
        default="cloud",
        help="cloud: REST v3 + v2, email + API token; datacenter: Jira Data Center 9 (REST v2, the "
        "--jira-token as a personal access token sent as Bearer)",
    )
    p.add_argument(
        "--github-enterprise",
        action="store_true",
        help="answer as GitHub Enterprise Server: the API under /api/v3, web pages elsewhere",
    )
    p.add_argument("--github-app-id", type=int, help="let a GitHub App with this id sign in (with a JWT)")
    p.add_argument(
        "--github-app-public-key",
        type=Path,
        help="PEM file of the App's public key (openssl rsa -in app.pem -pubout); needs --github-app-id",
    )
    p.add_argument("--github-app-installation-id", type=int, default=1, help="the App's one installation")
    p.add_argument("--urls-file", type=Path, help="write {github_url, jira_url} JSON here")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    app = None
    if (args.github_app_id is None) != (args.github_app_public_key is None):
        parser.error("--github-app-id and --github-app-public-key go together")
    if args.github_app_id is not None:
        app = AppIdentity(args.github_app_id, args.github_app_public_key.read_text(), args.github_app_installation_id)
    emulator = Emulator(
        github_app=app,
        github_token=args.github_token,
        github_enterprise=args.github_enterprise,
        jira_email=args.jira_email,
        jira_token=args.jira_token,
        latency=args.latency,
        fault_rate=args.fault_rate,
        seed=args.fault_seed,
        jira_rate_limit=args.jira_rate_limit,
        host=args.host,
        github_port=args.github_port,
        jira_port=args.jira_port,
        jira_deployment=args.jira_deployment,
    )
    if args.seed is not None:
        emulator.load_seed(json.loads(args.seed.read_text()))
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    emulator.start()
    urls = {"github_url": emulator.github_url, "jira_url": emulator.jira_url}
    if args.urls_file is not None:
        tmp = args.urls_file.with_suffix(args.urls_file.suffix + ".tmp")
        tmp.write_text(json.dumps(urls))
        # Readers poll for the file; the rename makes it appear complete or not at all.
        tmp.replace(args.urls_file)
    print(f"GITHUB_URL={emulator.github_url}", flush=True)
    print(f"JIRA_URL={emulator.jira_url}", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
