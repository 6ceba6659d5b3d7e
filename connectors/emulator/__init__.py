"""A loopback emulator of the GitHub REST API and the Jira Cloud REST API (v3).

It answers the routes our connectors use the way the vendors do (status codes, JSON shapes,
pagination, rate-limit headers, error bodies), so the real ``PyGithub`` and ``jira`` clients
work against it unchanged. Used by ``postmortem-sync demo``, end-to-end tests and crash tests
(``python -m connectors.emulator``). See :class:`Emulator`, :mod:`.faults` for fault
injection and :mod:`.control` for the HTTP control API.
"""

from .faults import FaultRule, Faults
from .request_log import RequestRecord
from .server import Emulator

__all__ = ["Emulator", "FaultRule", "Faults", "RequestRecord"]
