"""What both fake services share: the per-request pipeline around a vendor's router.

Each request goes: control API (``/_emulator/...``, no faults, not logged) or else global
latency, then the first matching fault rule, then the vendor app's own ``dispatch`` (auth,
rate limit, routing), then the fault's after-effects, then the request log.
"""

from __future__ import annotations

import json
import logging
import socket
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, NoReturn

from werkzeug.wrappers import Request, Response

from .faults import Faults, ServerName
from .request_log import RequestLog

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

JsonDict = dict[str, Any]

logger = logging.getLogger(__name__)

CONTROL_PREFIX = "/_emulator"


class ConnectionDropped(ConnectionAbortedError):
    """Raised inside the WSGI app so the server closes the socket without answering.

    Werkzeug treats ``ConnectionError`` from the app as a client that went away: it
    neither logs a traceback nor tries to send a 500 page.
    """


def drop_connection(environ: WSGIEnvironment) -> NoReturn:
    """Shut the client's socket down so it sees a connection closed without a response."""
    sock = environ.get("werkzeug.socket")
    if isinstance(sock, socket.socket):
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    raise ConnectionDropped("connection dropped by fault injection")


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response; ``data`` of ``None`` means an empty body (204/304)."""
    body = b"" if data is None else json.dumps(data, separators=(",", ":")).encode()
    response = Response(body, status=status, headers=headers)
    if data is not None:
        response.headers["Content-Type"] = "application/json;charset=utf-8"
    else:
        response.headers.pop("Content-Type", None)
    return response


def read_json(request: Request) -> Any:
    """The request body parsed as JSON (``None`` when empty); ``ValueError`` if malformed."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return None
    return json.loads(raw)


ControlHandler = Callable[[Request], Response]


#: What a single sign-on proxy in front of a tracker answers once its session has expired.
SIGN_IN_PAGE = "<!DOCTYPE html><html><head><title>Sign in</title></head><body><form>Sign in</form></body></html>"


class ServiceApp(ABC):
    """A fake vendor API as a WSGI app; subclasses provide routing and error bodies."""

    name: ServerName

    def __init__(
        self,
        *,
        faults: Faults,
        log: RequestLog,
        control: ControlHandler,
        latency: float = 0.0,
    ) -> None:
        self.faults = faults
        self.log = log
        self.control = control
        self.latency = latency
        self.base_url = ""
        #: Where the API lives below the host (GitHub Enterprise Server: ``/api/v3``); other
        #: paths answer as the product's web pages do (:meth:`outside_api`).
        self.api_prefix = ""

    @abstractmethod
    def dispatch(self, request: Request) -> Response:
        """Answer one request exactly as the vendor would (auth, limits, routing)."""

    @abstractmethod
    def fault_response(self, status: int, retry_after: int | None) -> Response:
        """The vendor's answer for an injected failure with this status."""

    def outside_api(self, request: Request) -> Response:
        """The answer to a path outside :attr:`api_prefix`: the web UI's, not the API's."""
        return Response("<!DOCTYPE html><html><body>Not Found</body></html>", 404, mimetype="text/html")

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        path = request.path
        prefix = self.api_prefix
        if prefix and (path == prefix or path.startswith(prefix + "/")):
            environ["PATH_INFO"] = path[len(prefix) :] or "/"
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + prefix
            request = Request(environ)
            path = request.path
        elif prefix and not (path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")):
            self.log.append(self.name, request.method, path, 302)
            return self.outside_api(request)(environ, start_response)
        if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
            return self.control(request)(environ, start_response)
        if self.latency > 0:
            time.sleep(self.latency)
        rule = self.faults.pick(self.name, request.method, path)
        if rule is not None and rule.delay > 0 and rule.mode != "commit_then_delay":
            time.sleep(rule.delay)
        if rule is not None and rule.mode == "reset":
            self.log.append(self.name, request.method, path, 0)
            drop_connection(environ)
        if rule is not None and rule.mode == "status":
            response = self.fault_response(rule.answer_status, rule.retry_after)
        elif rule is not None and rule.mode == "html":
            response = Response(SIGN_IN_PAGE, 200, mimetype="text/html")
        else:
            try:
                response = self.dispatch(request)
            except Exception:
                # An emulator bug must look like a vendor 500, not a Werkzeug HTML page.
                logger.exception("emulator error on %s %s", request.method, path)
                response = self.fault_response(500, None)
            if rule is not None and rule.mode == "commit_then_fail":
                response = self.fault_response(rule.answer_status, rule.retry_after)
            elif rule is not None and rule.mode == "commit_then_drop":
                self.log.append(self.name, request.method, path, 0)
                drop_connection(environ)
            elif rule is not None and rule.mode == "commit_then_delay":
                # Done, but the answer is late: a client that dies meanwhile never hears it.
                time.sleep(rule.delay)
        self.log.append(self.name, request.method, path, response.status_code)
        return response(environ, start_response)
