"""The one retry policy: what is worth another attempt, how long to wait, what never repeats."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest
import requests
import responses

from connectors import waits
from connectors.base import IssueGone, IssueRef, PermanentError, TransientError
from connectors.errors import from_requests, from_status, retry_after_seconds
from connectors.github_tracker import GitHubTracker
from connectors.retry import RetryPolicy
from tests.e2e import World, kinds

NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (None, None),
        ({}, None),
        ({"Retry-After": "7"}, 7.0),
        ({"retry-after": "0"}, 1.0),  # "now" still gets a moment
        ({"Retry-After": format_datetime(datetime.fromtimestamp(NOW + 30, UTC), usegmt=True)}, 30.0),
        ({"Retry-After": "soon"}, 1.0),
        ({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW + 90))}, 90.0),  # GitHub: epoch seconds
        ({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": datetime.fromtimestamp(NOW + 45, UTC).isoformat()}, 45.0),
        ({"X-RateLimit-Remaining": "12", "X-RateLimit-Reset": str(int(NOW + 90))}, None),  # not exhausted
        ({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW - 5))}, 1.0),
        ({"Retry-After": "99999999"}, 3600.0),  # never believed beyond an hour
        ({"Retry-After": "inf"}, 3600.0),
        ({"Retry-After": "nan"}, 1.0),
        ({"Retry-After": "-5"}, 1.0),
        ({"Retry-After": "Fri, 31 Dec 9999 23:59:59 GMT"}, 3600.0),
        ({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW * 1000))}, 3600.0),  # milliseconds
    ],
)
def test_retry_after(headers: dict[str, str] | None, expected: float | None) -> None:
    assert retry_after_seconds(headers, now=NOW) == expected


@pytest.mark.parametrize(
    ("status", "headers", "kind", "not_processed"),
    [
        (400, None, PermanentError, False),
        (401, None, PermanentError, False),
        (403, None, PermanentError, False),
        (403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1"}, TransientError, True),  # GitHub primary limit
        (403, {"Retry-After": "60"}, TransientError, True),  # GitHub secondary limit
        (404, None, IssueGone, False),
        (410, None, IssueGone, False),
        (422, None, PermanentError, False),
        (429, {"Retry-After": "2"}, TransientError, True),
        (500, None, TransientError, False),
        (201, None, TransientError, False),  # created, but an answer the client could not use
        (302, None, TransientError, False),
        (502, None, TransientError, False),
        (503, None, TransientError, False),
    ],
)
def test_status_classification(status: int, headers: dict[str, str] | None, kind: type, not_processed: bool) -> None:
    error = from_status(status, "GET x", headers=headers)
    assert type(error) is kind
    assert getattr(error, "not_processed", False) is not_processed


@pytest.mark.parametrize(
    ("status", "detail", "headers", "wait"),
    [
        # A secondary limit with room left in the primary headers and no Retry-After: a minute.
        (
            403,
            "You have exceeded a secondary rate limit. Please wait a few minutes",
            {"X-RateLimit-Remaining": "4000"},
            60,
        ),
        (429, "You have exceeded a secondary rate limit", None, 60),
        (403, "You have exceeded a secondary rate limit", {"Retry-After": "7"}, 7),
    ],
)
def test_github_secondary_limits_are_waited_for(
    status: int, detail: str, headers: dict[str, str] | None, wait: float
) -> None:
    error = from_status(status, "POST issue", detail, headers=headers)
    assert isinstance(error, TransientError) and error.not_processed
    assert error.retry_after == wait


def test_a_403_that_is_not_a_limit_stays_a_refusal() -> None:
    error = from_status(
        403, "POST label", "Resource not accessible by personal access token", {"X-RateLimit-Remaining": "9"}
    )
    assert type(error) is PermanentError


def test_connection_never_made_is_safe_to_repeat_but_a_lost_answer_is_not() -> None:
    assert from_requests(requests.ConnectTimeout(), "POST issue").not_processed  # type: ignore[attr-defined]
    assert not from_requests(requests.ReadTimeout(), "POST issue").not_processed  # type: ignore[attr-defined]
    assert not from_requests(requests.ConnectionError("reset"), "POST issue").not_processed  # type: ignore[attr-defined]


def policy(sleeps: list[float]) -> RetryPolicy:
    return RetryPolicy(attempts=3, max_wait=30, total=120, base=0.5, sleep=sleeps.append)


@pytest.mark.parametrize(
    ("error", "write", "expected_calls"),
    [
        (TransientError("503"), False, 3),
        (TransientError("503"), True, 1),  # a write whose outcome is unknown is not repeated
        (TransientError("429", retry_after=2, not_processed=True), True, 3),
        (TransientError("429", retry_after=3600, not_processed=True), False, 1),  # too long: defer to a later cycle
        (PermanentError("400"), False, 1),
        (IssueGone("404"), False, 1),
    ],
)
def test_policy(error: Exception, write: bool, expected_calls: int) -> None:
    calls: list[int] = []
    sleeps: list[float] = []

    def fail() -> None:
        calls.append(1)
        raise error

    with pytest.raises(type(error)):
        policy(sleeps).call(fail, write=write)
    assert len(calls) == expected_calls
    assert len(sleeps) == expected_calls - 1


def test_backoff_doubles_and_retry_after_is_honoured() -> None:
    sleeps: list[float] = []
    errors = iter([TransientError("503"), TransientError("503"), None])

    def flaky() -> str:
        error = next(errors)
        if error:
            raise error
        return "ok"

    assert policy(sleeps).call(flaky) == "ok"
    assert sleeps == [0.5, 1.0]
    sleeps.clear()
    errors2 = iter([TransientError("429", retry_after=4, not_processed=True), None])

    def limited() -> str:
        error = next(errors2)
        if error:
            raise error
        return "ok"

    assert policy(sleeps).call(limited, write=True) == "ok"
    assert sleeps == [4]


@responses.activate
def test_github_rate_limit_403_is_waited_out_then_read_again() -> None:
    url = "https://ghe.example.com:443/api/v3/repos/acme/payments/issues/7"  # PyGithub spells the port out
    responses.get(
        url,
        status=403,
        json={"message": "API rate limit exceeded", "documentation_url": "https://docs.github.com/rest"},
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "0", "X-RateLimit-Limit": "5000"},
    )
    responses.get(url, status=200, json=_issue_json(url))
    sleeps: list[float] = []
    tracker = GitHubTracker(
        "https://ghe.example.com/api/v3", token="t0ken-for-tests", retry=policy(sleeps), seconds_between_writes=0
    )
    state = tracker.get_issue(IssueRef("github", "acme/payments", "acme/payments#7", "7", ""))
    assert state.detail == "open" and sleeps == [1.0]
    assert len(responses.calls) == 2


def _issue_json(url: str) -> dict[str, object]:
    return {
        "id": 1,
        "number": 7,
        "state": "open",
        "state_reason": None,
        "title": "t",
        "body": "b",
        "labels": [],
        "assignees": [],
        "html_url": "https://ghe.example.com/acme/payments/issues/7",
        "url": url,
        "updated_at": "2024-03-12T14:47:00Z",
        "closed_at": None,
        "created_at": "2024-03-12T14:47:00Z",
    }


def test_one_failed_read_does_not_fail_the_cycle(world: World) -> None:
    engine = world.engine()
    engine.run_cycle()
    world.emulator.faults.add(
        method="GET", path=r"^/rest/api/3/issue/", mode="status", status=503, times=1, server="jira"
    )
    world.emulator.faults.add(
        method="GET", path=r"^/repos/acme/payments/issues/", mode="status", status=502, times=1, server="github"
    )
    result = engine.run_cycle()
    assert result.ok, (result.read_errors, result.events)


def test_rate_limited_create_is_repeated_and_filed_once(world: World) -> None:
    world.emulator.faults.add(
        method="POST", path=r"^/rest/api/3/issue$", mode="status", status=429, retry_after=1, times=1, server="jira"
    )
    world.emulator.faults.add(
        method="POST",
        path=r"^/repos/acme/payments/issues$",
        mode="status",
        status=429,
        retry_after=1,
        times=1,
        server="github",
    )
    result = world.engine().run_cycle()
    assert result.ok and kinds(result).count("filed") == 9
    assert world.issue_count() == 9


def test_a_create_refused_with_a_long_wait_is_filed_next_cycle_without_waiting_for_grace(world: World) -> None:
    world.emulator.faults.add(
        method="POST", path=r"^/repos/acme/edge/issues$", mode="status", status=429, retry_after=600, times=1
    )
    engine = world.engine(grace=3600)
    first = engine.run_cycle()
    # GitHub asked for ten minutes: that item, and the GitHub creates after it, wait; not a failure.
    assert first.ok and "waiting" in kinds(first)
    waiting = kinds(first).count("waiting")
    assert kinds(first).count("filed") == 9 - waiting
    posts = [r for r in world.emulator.request_log if r.method == "POST" and r.path.endswith("/issues")]
    assert len([r for r in posts if r.status == 429]) == 1  # nothing more was sent while held
    engine.store.close()
    # GitHub certainly filed nothing: the next run files them at once, and only once.
    again = world.engine(grace=3600)
    second = again.run_cycle()
    assert kinds(second).count("filed") == waiting and "waiting" not in kinds(second)
    assert world.issue_count() == 9
    again.store.close()


def test_a_stopping_worker_does_not_wait_out_retry_after() -> None:
    calls = 0

    def limited() -> None:
        nonlocal calls
        calls += 1
        raise TransientError("GET x answered HTTP 429", status=429, retry_after=20.0, not_processed=True)

    timer = threading.Timer(0.2, waits.interrupt)
    timer.start()
    started = time.monotonic()
    try:
        with pytest.raises(TransientError, match="429"):
            RetryPolicy().call(limited)
    finally:
        timer.cancel()
        waits.resume()
    assert calls == 1  # no attempt after the stop request
    assert time.monotonic() - started < 5


def test_an_answer_that_is_not_json_is_said_plainly_and_its_outcome_unknown() -> None:
    error = from_requests(requests.exceptions.JSONDecodeError("Expecting value", "<html>", 0), "POST issue in PLAT")
    assert isinstance(error, TransientError) and not error.not_processed
    assert "POST issue in PLAT answered something that is not the tracker's JSON" in str(error)
