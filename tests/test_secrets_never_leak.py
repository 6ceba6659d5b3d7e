"""No credential ever leaves the worker: not on its terminal, in its logs, files, state store,
reports, or anything it sends a tracker, whatever the trackers answer.

Each test sets recognisable secrets, runs the product as users do (CLI processes with JSON
and console logs at debug level, and the engine in-process), makes the trackers misbehave
(errors that repeat the caller's credentials back, refused credentials, connection resets,
a bad setting, an exception escaping), and then scans everything produced for every form a
secret can take: raw, ``Bearer``/``token``/``Basic`` headers, base64 of ``email:token``,
URL-quoted, the private key's PEM lines, and every JWT and installation token that went
over the wire. A failure names the secret and where it was found, never its value.
"""

from __future__ import annotations

import base64
import io
import json
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest

from connectors.base import IssueRef, TrackerError
from connectors.emulator import AppIdentity
from sync.logs import configure_logging
from tests.e2e import JIRA_EMAIL, PAYMENT, World, make_world, rsa_key_pair

MARKER = "LEAKCANARY"
GITHUB_TOKEN = "ghp_LEAKCANARYgithub0token0000000000000001"
WRONG_GITHUB_TOKEN = "ghp_LEAKCANARYwrong0github0token000000002"
# Jira Cloud API tokens end in "=" and a checksum; Data Center tokens are base64 with "/" and "+".
JIRA_CLOUD_TOKEN = "ATATT3xFfGF0LEAKCANARYjiraCloudToken0003=1A2B3C4D"
WRONG_JIRA_CLOUD_TOKEN = "ATATT3xFfGF0LEAKCANARYwrongCloudToken004=5E6F7A8B"
JIRA_DC_PAT = "LEAKCANARY/jiraDataCenterPAT+0005/NzY1NDMyMTA5ODc2"
WRONG_JIRA_DC_PAT = "LEAKCANARY/wrongDataCenterPAT+0006/MTIzNDU2Nzg5MA"
APP_ID = 515151
INSTALLATION = 88


# -- the secrets, in every form they can take -------------------------------------------


class Canaries:
    """Every secret value to look for, each under a label that names it without showing it."""

    def __init__(self) -> None:
        # A fragment every token above carries: even a cut-off token is found.
        self.forms: dict[str, str] = {f"a fragment of a configured token ({len(MARKER)} chars)": MARKER}

    def add(self, label: str, value: str) -> None:
        for name, form in (
            (label, value),
            (f"{label}, URL-quoted", quote(value, safe="")),
            (f"{label}, form-quoted", quote_plus(value)),
            (f"{label}, JSON-escaped", json.dumps(value)[1:-1]),
        ):
            if form not in self.forms.values():
                self.forms[name] = form

    def token(self, label: str, value: str, email: str | None = None) -> None:
        """A token as it is set, as it travels in each ``Authorization`` scheme, and, with an
        email, as the base64 ``email:token`` of HTTP Basic."""
        self.add(label, value)
        self.add(f"Bearer <{label}>", f"Bearer {value}")
        self.add(f"token <{label}>", f"token {value}")
        if email is not None:
            basic = base64.b64encode(f"{email}:{value}".encode()).decode()
            self.add(f"base64 email:<{label}>", basic)
            # Its end encodes only the token: found even when the start is cut off.
            self.add(f"the last 24 chars of base64 email:<{label}>", basic[-24:])
            self.add(f"base64 email:<{label}> without padding", basic.rstrip("="))

    def private_key(self, label: str, pem: str) -> None:
        self.add(label, pem)
        self.add(f"{label} on one line", pem.replace("\n", "\\n"))
        body = [line for line in pem.splitlines() if line and "-----" not in line]
        for n, line in enumerate(body, 1):
            if len(line) >= 20:
                self.forms[f"{label}, PEM line {n}"] = line

    def credentials_seen(self, wires: Iterable[Wire]) -> None:
        """Whatever the worker signed in with: App JWTs and installation tokens included."""
        for wire in wires:
            for n, header in enumerate(sorted(wire.credentials), 1):
                scheme, _, value = header.partition(" ")
                what = "JWT" if value.startswith("eyJ") else "credential"
                label = f"{wire.server} {what} #{n} ({scheme})"
                self.add(label, value)
                if what == "JWT":
                    self.forms[f"{label}, signature"] = value.rsplit(".", 1)[-1]


def canaries() -> Canaries:
    """Every token this module sets, in every form."""
    found = Canaries()
    found.token("the GitHub token", GITHUB_TOKEN)
    found.token("the wrong GitHub token", WRONG_GITHUB_TOKEN)
    found.token("the Jira Cloud API token", JIRA_CLOUD_TOKEN, email=JIRA_EMAIL)
    found.token("the wrong Jira Cloud API token", WRONG_JIRA_CLOUD_TOKEN, email=JIRA_EMAIL)
    found.token("the Jira personal access token", JIRA_DC_PAT)
    found.token("the wrong Jira personal access token", WRONG_JIRA_DC_PAT)
    return found


#: Known before anything runs: masked in whatever a failing test shows.
KNOWN = canaries()


# -- what the trackers see and say ----------------------------------------------------------


WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Wire:
    """In front of one emulator server: keeps each credential and request that arrives, and
    repeats the caller's credentials (as sent, URL-quoted and decoded) in every error answer,
    as a misbehaving tracker or proxy might."""

    def __init__(self, server: str, app: WsgiApp) -> None:
        self.server = server
        self.app = app
        self.echoed = 0
        #: Which forms of the credentials led an echo at least once.
        self.echoed_forms: set[str] = set()
        self.credentials: set[str] = set()
        #: (what, text) of every request: its target and body, as the tracker received them.
        self.received: list[tuple[str, str]] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_emulator"):
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        query = environ.get("QUERY_STRING", "")
        target = path + (f"?{query}" if query else "")
        method = environ["REQUEST_METHOD"]
        auth = environ.get("HTTP_AUTHORIZATION", "")
        if auth:
            self.credentials.add(auth)
        self.received.append(
            (f"the {self.server} request {method} {target}", f"{target}\n{body.decode('utf-8', 'replace')}")
        )
        if not auth:
            return self.app(environ, start_response)
        answer: dict[str, Any] = {}

        def keep(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            answer.update(status=status, headers=headers)
            return lambda _data: None

        data = b"".join(self.app(environ, keep))
        if int(answer["status"].split()[0]) >= 400:
            data = self._with_echo(data, f"{method} {target}", auth)
        headers = [(k, v) for k, v in answer["headers"] if k.lower() != "content-length"]
        start_response(answer["status"], [*headers, ("Content-Length", str(len(data)))])
        return [data]

    def _with_echo(self, data: bytes, request: str, auth: str) -> bytes:
        try:
            body = json.loads(data)
        except ValueError:
            return data
        if not isinstance(body, dict):
            return data
        said = {"as sent": auth, "URL-quoted": quote(auth, safe=""), "form-quoted": quote_plus(auth)}
        scheme, _, value = auth.partition(" ")
        if scheme.lower() == "basic":
            decoded = base64.b64decode(value).decode()
            said.update({"decoded": decoded, "decoded and URL-quoted": quote(decoded, safe="")})
        # Each answer leads with another form, so that every form is repeated where a long
        # message is cut short.
        names = list(said)
        first = self.echoed % len(names)
        names = names[first:] + names[:first]
        self.echoed += 1
        self.echoed_forms.add(names[0])
        echo = f"{request} refused for Authorization: {' | '.join(said[n] for n in names)}"
        if self.server == "github":
            body["message"] = f"{echo} ({body.get('message') or ''})"
        else:
            messages = body.get("errorMessages")
            body["errorMessages"] = [echo, *(messages if isinstance(messages, list) else [])]
        return json.dumps(body).encode()


def wire_up(world: World) -> dict[str, Wire]:
    wires = {}
    for name, server in world.emulator._servers.items():
        wires[name] = Wire(name, server.app)
        server.app = wires[name]
    return wires


# -- what the worker produced ------------------------------------------------------------------


@dataclass
class Outputs:
    """Every text the worker produced, by where it was found."""

    texts: list[tuple[str, str]] = field(default_factory=list)

    def __repr__(self) -> str:  # never the texts: they are scanned for secrets
        return f"Outputs({len(self.texts)} texts, {sum(len(t) for _, t in self.texts)} chars)"

    def add(self, where: str, text: str) -> None:
        self.texts.append((where, text))

    def process(self, what: str, out: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
        self.add(f"stdout of `{what}`", out.stdout)
        self.add(f"stderr of `{what}`", out.stderr)
        return out

    def text(self) -> str:
        return "\n".join(text for _, text in self.texts)

    def files(self, root: Path, inputs: Iterable[Path]) -> None:
        """Every file under ``root`` that is not one of the ``inputs``; an SQLite database
        also with the text of every row."""
        skip = [p.resolve() for p in inputs]
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            if any(path.resolve() == s or s in path.resolve().parents for s in skip):
                continue
            raw = path.read_bytes()
            self.add(f"the file {path.relative_to(root)}", raw.decode("latin-1"))
            if raw.startswith(b"SQLite format 3"):
                self.add(f"the rows of {path.relative_to(root)}", _rows(path))

    def emulator(self, world: World, wires: Mapping[str, Wire]) -> None:
        """What the trackers received and now hold: every request, issue and comment."""
        for wire in wires.values():
            self.texts += wire.received
        emulator = world.emulator
        for key in ("PLAT",):
            self.add(f"the Jira issues of {key}", json.dumps(emulator.jira_issues(key)))
        with emulator.github_state.lock:
            for repo in ("acme/payments", "acme/edge"):
                held = asdict(emulator.github_state.any_repo(repo))
                self.add(f"the GitHub repository {repo}", json.dumps(held, default=str))


def _rows(path: Path) -> str:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return "\n".join(f"{t}: {row!r}" for t in tables for row in db.execute(f'SELECT * FROM "{t}"'))
    finally:
        db.close()


#: Whatever looks like a credential, for output shown when a test fails: anything with a
#: token's prefix or marker in it, and long runs of base64 (PEM lines, Basic credentials).
CREDENTIALISH = re.compile(r"[\w+/=%.-]*(?:LEAKCANARY|gh[pousr]_|eyJ)[\w+/=%.-]*|[A-Za-z0-9+/=]{32,}")


def masked(text: str) -> str:
    """``text`` safe to show: every known secret form replaced by its label, and whatever
    else looks like a credential by ``▒``."""
    for label, value in sorted(KNOWN.forms.items(), key=lambda pair: -len(pair[1])):
        text = text.replace(value, f"<{label}>")
    return CREDENTIALISH.sub("▒", text)


def _before(text: str, at: int, width: int = 40) -> str:
    """The text just before offset ``at``, masked. Runs touching either end are dropped: the
    one cut by the excerpt's edge, and the one the secret found at ``at`` may belong to."""
    start = max(0, at - 2 * width)
    window = re.sub(r"[^\s|,:;\"']*$", "", text[start:at].replace("\n", " "))
    if start > 0:
        window = re.sub(r"^[^\s|,:;\"']*", "", window)
    return masked(window)[-width:]


def leaks(outputs: Outputs, canaries: Canaries) -> list[str]:
    """Where each secret form was found: output, line, column and a masked excerpt."""
    found = []
    for where, text in outputs.texts:
        for label, value in canaries.forms.items():
            at = text.find(value)
            if at < 0:
                continue
            line = text.count("\n", 0, at) + 1
            column = at - (text.rfind("\n", 0, at) + 1) + 1
            found.append(f"{label} in {where}, line {line} column {column}, after {_before(text, at)!r}")
    return found


def assert_no_leak(outputs: Outputs, canaries: Canaries) -> None:
    found = leaks(outputs, canaries)
    shown = found[:40] + ([f"... and {len(found) - 40} more"] if len(found) > 40 else [])
    assert not found, "secrets leaked:\n  " + "\n  ".join(shown)


# -- running the worker ---------------------------------------------------------------------


@dataclass
class Worker:
    """Runs ``postmortem-sync`` in its own process with these secrets; keeps all it says."""

    world: World
    outputs: Outputs
    settings: dict[str, str] = field(repr=False)

    def env(self, **more: str) -> dict[str, str]:
        tmp = self.world.workdir / "tmp"
        tmp.mkdir(exist_ok=True)
        # Temporary files the worker (or a client library) writes land in the workdir, scanned too.
        return {**self.world.env(), "TMPDIR": str(tmp), **self.settings, **more}

    def cli(self, *args: str, **more: str) -> subprocess.CompletedProcess[str]:
        return self._run(["-m", "sync.cli", *args], " ".join(["postmortem-sync", *args]), more)

    def _run(self, argv: list[str], name: str, more: dict[str, str]) -> subprocess.CompletedProcess[str]:
        out = subprocess.run(
            [sys.executable, *argv],
            env=self.env(**more),
            cwd=self.world.workdir,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        return self.outputs.process(name, out)

    def run_until(self, says: str, *, boot: str | None = None, **more: str) -> subprocess.CompletedProcess[str]:
        """``run``, stopped with SIGTERM once its log says ``says``; ``boot``: Python code to
        start it with instead of ``-m sync.cli``."""
        logs = self.world.workdir.parent / "run-logs"
        logs.mkdir(exist_ok=True)
        out_path, err_path = logs / "stdout", logs / "stderr"
        start = ["-c", boot] if boot is not None else ["-m", "sync.cli"]
        with out_path.open("w") as out_file, err_path.open("w") as err_file:
            process = subprocess.Popen(
                [sys.executable, *start, "run"],
                env=self.env(PMSYNC_POLL_INTERVAL="5", **more),
                cwd=self.world.workdir,
                stdout=out_file,
                stderr=err_file,
                text=True,
            )
            try:
                deadline = time.monotonic() + 40
                while says not in err_path.read_text() and process.poll() is None:
                    assert time.monotonic() < deadline, "run never said " + repr(says)
                    time.sleep(0.1)
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=30)
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait()
        done = subprocess.CompletedProcess(["run"], process.returncode, out_path.read_text(), err_path.read_text())
        what = "postmortem-sync run" + (" (with a bug)" if boot is not None else "")
        return self.outputs.process(what, done)

    def with_bug(self, *args: str, **more: str) -> subprocess.CompletedProcess[str]:
        """``postmortem-sync ARGS`` with :data:`BUG` in it."""
        return self._run(["-c", BUG, *args], " ".join(["postmortem-sync", *args, "(with a bug)"]), more)


#: The worker with a bug where it records a failed action: the exception it raises escapes
#: the cycle, while the tracker's error (and the vendor library's, with the answer's body)
#: is still being handled, so both ride along in its traceback.
BUG = """
import sys

import sync.apply
from sync.cli import main


def _failed(self, action, message):
    raise RuntimeError("a bug while recording a failed action")


sync.apply.Applier._failed = _failed
sys.exit(main(sys.argv[1:]))
"""


def expect(out: subprocess.CompletedProcess[str], code: int, *phrases: str) -> None:
    """The process exited with ``code`` and said every phrase; if not, fail showing what it
    said, masked (a test that fails here may have found a leak as well)."""
    said = out.stdout + out.stderr
    ok = out.returncode == code and all(phrase in said for phrase in phrases)
    assert ok, f"exit code {out.returncode}, expected {code} and {phrases}; it said:\n{masked(said)}"


def json_lines(stderr: str) -> list[dict[str, Any]]:
    events = []
    for line in stderr.splitlines():
        if line.startswith("{"):
            events.append(json.loads(line))
    return events


@pytest.fixture
def cloud(tmp_path: Path) -> Iterator[World]:
    """Jira Cloud and GitHub, signing in with an API token + email and a personal token."""
    world = make_world(tmp_path / "work")
    world.emulator.github_app.token = GITHUB_TOKEN
    world.emulator.jira_app.token = JIRA_CLOUD_TOKEN
    yield world
    world.emulator.stop()


def _close_everything(world: World) -> None:
    """The teams finish every item, so both post-mortems close and their reports go out."""
    for issue in world.emulator.jira_issues("PLAT"):
        world.emulator.jira_transition(issue["key"], "Done")
    for repo in ("acme/payments", "acme/edge"):
        for issue in world.emulator.github_issues(repo):
            if "postmortem-sync" in (issue.get("body") or "") and issue["state"] == "open":
                world.emulator.github_set_state(repo, issue["number"], state="closed", state_reason="completed")


def test_cloud_and_github_tokens_never_leak_from_any_command(cloud: World) -> None:
    world, outputs = cloud, Outputs()
    wires = wire_up(world)
    faults = world.emulator.faults
    worker = Worker(
        world,
        outputs,
        {
            "PMSYNC_JIRA_TOKEN": JIRA_CLOUD_TOKEN,
            "PMSYNC_GITHUB_TOKEN": GITHUB_TOKEN,
            "PMSYNC_LOG_LEVEL": "debug",
            "PMSYNC_LOG_FORMAT": "json",
            "PMSYNC_CREATE_GRACE_SECONDS": "0",
        },
    )
    console = {"PMSYNC_LOG_FORMAT": "console"}

    expect(worker.cli("validate"), 0)

    # Reads refused with the credentials repeated back: a dry run reports them.
    faults.add(server="jira", mode="status", status=403, path=r"/search", times=None)
    faults.add(server="github", mode="status", status=500, path=r"^/search/issues", times=None)
    dry = worker.cli("sync", "--dry-run")
    expect(dry, 1)
    faults.reset()

    # A bug lets an exception escape while a refused write is being handled.
    faults.add(server="jira", mode="status", status=403, method="POST", path=r"/issue$", times=None)
    escaped = worker.with_bug("sync", "--once", **console)
    expect(escaped, 1, "RuntimeError: a bug while recording")
    faults.reset()

    # Writes refused (403, 500, 401) and a connection reset, in a cycle logged as JSON.
    faults.add(server="jira", mode="status", status=500, method="POST", path=r"/issue$", times=1)
    faults.add(server="jira", mode="status", status=401, method="POST", path=r"/issue$", times=1)
    faults.add(server="github", mode="status", status=403, method="POST", path=r"/issues$", times=1)
    faults.add(server="github", mode="reset", method="POST", path=r"/issues$", times=1)
    first = worker.cli("sync", "--once")
    expect(first, 1)
    faults.reset()
    second = worker.cli("sync", "--once", **console)
    expect(second, 0)
    assert world.issue_count() == 9

    # Every item done: the reports are written, and posting the payment one fails once.
    _close_everything(world)
    faults.add(server="github", mode="status", status=500, method="POST", path=r"/comments$", times=None)
    closing = worker.cli("sync", "--once")
    expect(closing, 1)
    faults.reset()
    posted = worker.cli("sync", "--once", **console)
    expect(posted, 0)
    expect(worker.cli("status", **console), 0)
    expect(worker.cli("status", "--json"), 0)

    # Wrong credentials, refused by the trackers, which repeat them back.
    wrong = {"PMSYNC_GITHUB_TOKEN": WRONG_GITHUB_TOKEN, "PMSYNC_JIRA_TOKEN": WRONG_JIRA_CLOUD_TOKEN}
    refused = worker.cli("sync", "--once", **wrong)
    expect(refused, 1)
    stopped = worker.cli("run", **wrong, **console)
    expect(stopped, 2)

    # A bad setting stops start-up: a URL with the token in it, a token with a space in it.
    with_password = world.emulator.jira_url.replace("://", f"://bot:{quote(JIRA_CLOUD_TOKEN, safe='')}@")
    bad_url = worker.cli("sync", "--once", PMSYNC_JIRA_URL=with_password)
    expect(bad_url, 2, "must not hold a user name or password")
    bad_token = worker.cli("status", PMSYNC_GITHUB_TOKEN=f"{GITHUB_TOKEN} {GITHUB_TOKEN}", **console)
    expect(bad_token, 2, "PMSYNC_GITHUB_TOKEN")

    # The long-running worker, one of its reads refused, stopped after its first cycle.
    faults.add(server="github", mode="status", status=500, method="GET", path=r"/issues/", times=2)
    ran = worker.run_until("cycle finished")
    expect(ran, 0)

    outputs.files(world.workdir, [world.postmortems, world.teams_file, world.workdir / "no-secrets"])
    outputs.emulator(world, wires)
    look_for = canaries()
    look_for.credentials_seen(wires.values())
    assert_no_leak(outputs, look_for)

    # Not vacuous: the credentials travelled in the forms scanned for, the trackers repeated
    # them in their errors, the worker said so (scrubbed), and the reports went out.
    basic = base64.b64encode(f"{JIRA_EMAIL}:{JIRA_CLOUD_TOKEN}".encode()).decode()
    sent = f"Basic {basic}" in wires["jira"].credentials and f"token {GITHUB_TOKEN}" in wires["github"].credentials
    assert sent, "the tokens did not travel as HTTP Basic (Jira) and `token` (GitHub)"
    assert wires["jira"].echoed_forms == {"as sent", "URL-quoted", "form-quoted", "decoded", "decoded and URL-quoted"}
    assert wires["github"].echoed_forms == {"as sent", "URL-quoted", "form-quoted"}
    assert "JIRAError" in escaped.stderr and "Traceback" in escaped.stderr
    statuses = {(r.server, r.status) for r in world.emulator.request_log}
    assert {("jira", 401), ("jira", 403), ("jira", 500), ("github", 401), ("github", 403), ("github", 0)} <= statuses
    everything = outputs.text()
    assert "[redacted]" in everything
    assert "HTTP 401" in everything and "HTTP 403" in everything and "HTTP 500" in everything
    events = json_lines(first.stderr)
    assert events and any(e.get("level") == "error" for e in events)
    assert json_lines(ran.stderr) and json_lines(dry.stderr)
    reports = sorted((world.workdir / "reports").glob("*.md"))
    assert len(reports) == 2 and all(r.read_text() for r in reports)
    tracking = world.emulator.github_state.any_repo("acme/payments").issues[1]
    assert any(PAYMENT in c.body for c in tracking.comments)
    assert "worker started" in ran.stderr and "worker stopped" in ran.stderr
    assert sum(len(text) for _, text in outputs.texts) > 50_000


def test_a_data_center_personal_access_token_never_leaks(tmp_path: Path) -> None:
    world, outputs = make_world(tmp_path / "work", jira_deployment="datacenter"), Outputs()
    try:
        world.emulator.github_app.token = GITHUB_TOKEN
        world.emulator.jira_app.token = JIRA_DC_PAT
        wires = wire_up(world)
        faults = world.emulator.faults
        worker = Worker(
            world,
            outputs,
            {"PMSYNC_JIRA_TOKEN": JIRA_DC_PAT, "PMSYNC_GITHUB_TOKEN": GITHUB_TOKEN, "PMSYNC_LOG_LEVEL": "debug"},
        )
        faults.add(server="jira", mode="status", status=401, method="GET", path=r"/search$", times=1)
        dry = worker.cli("sync", "--dry-run", PMSYNC_LOG_FORMAT="json")
        expect(dry, 1)
        faults.add(server="jira", mode="status", status=500, method="POST", path=r"/issue$", times=1)
        faults.add(server="jira", mode="status", status=403, method="POST", path=r"/issue$", times=1)
        faults.add(server="jira", mode="reset", method="POST", path=r"/issue$", times=1)
        once = worker.cli("sync", "--once")
        expect(once, 1)
        faults.reset()
        expect(worker.cli("status", "--json"), 0)
        wrong = worker.cli("run", PMSYNC_JIRA_TOKEN=WRONG_JIRA_DC_PAT, PMSYNC_LOG_FORMAT="json")
        expect(wrong, 2, "PMSYNC_JIRA_TOKEN")

        outputs.files(world.workdir, [world.postmortems, world.teams_file, world.workdir / "no-secrets"])
        outputs.emulator(world, wires)
        look_for = canaries()
        look_for.credentials_seen(wires.values())
        assert_no_leak(outputs, look_for)

        sent = {f"Bearer {JIRA_DC_PAT}", f"Bearer {WRONG_JIRA_DC_PAT}"} <= wires["jira"].credentials
        assert sent, "the personal access tokens did not travel as Bearer"
        assert wires["jira"].echoed_forms == {"as sent", "URL-quoted", "form-quoted"}
        statuses = {r.status for r in world.emulator.request_log if r.server == "jira"}
        assert {0, 401, 403, 500} <= statuses
        everything = outputs.text()
        assert "[redacted]" in everything and "HTTP 401" in everything and "HTTP 500" in everything
        assert "refused the start-up check" in wrong.stderr
        assert world.issue_count() >= 4  # the rest of the cycle went on
    finally:
        world.emulator.stop()


def test_a_github_app_key_and_the_tokens_it_buys_never_leak(tmp_path: Path) -> None:
    (private, public), (other, _) = rsa_key_pair(), rsa_key_pair()
    world = make_world(tmp_path / "work", github_app=AppIdentity(APP_ID, public, installation_id=INSTALLATION))
    outputs = Outputs()
    try:
        world.emulator.jira_app.token = JIRA_CLOUD_TOKEN
        wires = wire_up(world)
        faults = world.emulator.faults
        # The key as the README advises: a file in the secrets folder.
        secrets = world.workdir / "secrets"
        secrets.mkdir()
        (secrets / "pmsync_github_app_private_key").write_text(private)
        worker = Worker(
            world,
            outputs,
            {
                "PMSYNC_SECRETS_DIR": str(secrets),
                "PMSYNC_GITHUB_TOKEN": "",
                "PMSYNC_GITHUB_APP_ID": str(APP_ID),
                "PMSYNC_JIRA_TOKEN": JIRA_CLOUD_TOKEN,
                "PMSYNC_LOG_LEVEL": "debug",
                "PMSYNC_LOG_FORMAT": "json",
                "PMSYNC_CREATE_GRACE_SECONDS": "0",
            },
        )
        # The installation token refused once (the JWT repeated back), then writes refused
        # and a read reset (the installation token repeated back).
        tokens_path = rf"^/app/installations/{INSTALLATION}/access_tokens$"
        faults.add(server="github", mode="status", status=500, method="POST", path=tokens_path, times=1)
        faults.add(server="github", mode="status", status=403, method="POST", path=r"/issues$", times=2)
        faults.add(server="github", mode="status", status=500, method="POST", path=r"/labels$", times=1)
        faults.add(server="github", mode="reset", method="GET", path=r"/issues", times=1)
        once = worker.cli("sync", "--once")
        expect(once, 1)
        faults.reset()

        # A bug lets an exception escape the cycle: `sync` stops, `run` logs it and goes on.
        faults.add(server="github", mode="status", status=403, method="POST", path=r"/issues$", times=None)
        escaped = worker.with_bug("sync", "--once")
        expect(escaped, 1, "RuntimeError: a bug while recording")
        logged = worker.run_until("cycle failed", boot=BUG)
        expect(logged, 0)
        faults.reset()
        expect(worker.cli("status", "--json"), 0)

        # A key that is not the App's: GitHub refuses its JWT and repeats it back.
        wrong = worker.cli("sync", "--once", PMSYNC_GITHUB_APP_PRIVATE_KEY=other)
        expect(wrong, 2, "PMSYNC_GITHUB_APP_PRIVATE_KEY")
        # Half a key is a bad setting: start-up stops without quoting it.
        half = "\n".join(private.splitlines()[:12])
        cut = worker.cli("validate", PMSYNC_GITHUB_APP_PRIVATE_KEY=half, PMSYNC_LOG_FORMAT="console")
        expect(cut, 2, "PEM")

        outputs.files(world.workdir, [world.postmortems, world.teams_file, world.workdir / "no-secrets", secrets])
        outputs.emulator(world, wires)
        look_for = canaries()
        look_for.private_key("the GitHub App's private key", private)
        look_for.private_key("another private key", other)
        look_for.credentials_seen(wires.values())
        app_tokens = world.emulator.github_app.app_tokens
        assert app_tokens is not None
        for n, token in enumerate(sorted(app_tokens._tokens), 1):
            look_for.token(f"installation token #{n}", token)
        assert_no_leak(outputs, look_for)

        seen = wires["github"].credentials
        used = all(f"token {t}" in seen for t in app_tokens._tokens)
        assert app_tokens.issued >= 2 and used, "installation tokens were not issued and used"
        assert sum(1 for header in seen if header.startswith("Bearer eyJ")) >= 2  # the App's JWTs, both keys
        assert wires["github"].echoed_forms == {"as sent", "URL-quoted", "form-quoted"}
        statuses = {r.status for r in world.emulator.request_log if r.server == "github"}
        assert {0, 401, 403, 500} <= statuses
        everything = outputs.text()
        assert "[redacted]" in everything and "HTTP 403" in everything
        assert "Traceback" in escaped.stderr and "GithubException" in escaped.stderr
        failed = [e for e in json_lines(logged.stderr) if e["event"].startswith("cycle failed")]
        assert failed and "GithubException" in failed[0]["exception"]
        assert world.issue_count() >= 5
    finally:
        world.emulator.stop()


@pytest.mark.usefixtures("isolated_logging")
def test_in_process_runs_log_and_raise_nothing_secret(
    cloud: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine in this process: its logs (captured), its results, and the exceptions the
    trackers raise and that escape a cycle, as the worker and the interpreter print them."""
    import sync.apply
    from sync.worker import Worker as Loop

    world, outputs = cloud, Outputs()
    wires = wire_up(world)
    faults = world.emulator.faults
    overrides = {"jira_token": JIRA_CLOUD_TOKEN, "github_token": GITHUB_TOKEN}
    configure_logging("debug", "json", world.settings(**overrides).secrets())
    engine = world.engine(grace=0, **overrides)

    faults.add(server="jira", mode="status", status=403, method="POST", path=r"/issue$", times=None)
    faults.add(server="github", mode="status", status=401, method="POST", path=r"/issues$", times=2)
    faults.add(server="github", mode="reset", method="POST", path=r"/issues$", times=1)
    result = engine.run_cycle()
    ok = result.ok
    assert not ok
    outputs.add("the cycle's events", repr(result.events))
    outputs.add("the cycle's read errors", repr(result.read_errors))

    faults.add(server="jira", mode="status", status=500, method="GET", path=r"/issue/", times=None)
    raised: list[TrackerError] = []
    for tracker, ref in (
        ("jira", IssueRef("jira", "PLAT", "PLAT-1", "10000", "")),
        ("github", IssueRef("github", "acme/payments", "acme/payments#1", "1", "")),
    ):
        if tracker == "github":
            faults.add(server="github", mode="status", status=403, method="GET", path=r"/issues/1$", times=None)
        with pytest.raises(TrackerError) as info:
            engine.trackers[tracker].get_issue(ref)
        raised.append(info.value)
        outputs.add(f"the {tracker} error raised", f"{info.value}\n{info.value!r}\n{info.value.args!r}")

    # A bug lets an exception escape the cycle: the worker logs it, the CLI lets it go.
    def _failed(self: object, action: object, message: str) -> None:
        raise RuntimeError("a bug while recording a failed action")

    monkeypatch.setattr(sync.apply.Applier, "_failed", _failed)
    Loop(engine, 5).cycle()
    with pytest.raises(RuntimeError) as escaped:
        engine.run_cycle()
    engine.store.close()
    sys.excepthook(escaped.type, escaped.value, escaped.tb)
    logs = capsys.readouterr()
    outputs.add("the logs (standard error)", logs.err)
    outputs.add("standard output", logs.out)
    outputs.files(world.workdir, [world.postmortems, world.teams_file, world.workdir / "no-secrets"])
    outputs.emulator(world, wires)
    look_for = canaries()
    look_for.credentials_seen(wires.values())
    assert_no_leak(outputs, look_for)

    events = json_lines(logs.err)
    assert any(e["event"] == "action failed" and "HTTP 403" in e["error"] for e in events)
    assert any(e["event"].startswith("cycle failed") and "JIRAError" in e["exception"] for e in events)
    assert "Traceback" in logs.err and "RuntimeError: a bug while recording" in logs.err
    assert all("[redacted]" in str(exc) for exc in raised)
    said = " ".join(event.message for event in result.events)
    assert "HTTP 401" in said and "HTTP 403" in said
