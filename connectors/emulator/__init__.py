"""A loopback emulator of the GitHub REST API and of a Jira site: Jira Cloud (REST v3 and v2)
or Jira Server/Data Center 9 (REST v2), per ``Emulator(jira_deployment=...)``.

It answers the routes our connectors use the way the vendors do (status codes, JSON shapes,
pagination, rate-limit headers, error bodies), so the real ``PyGithub`` and ``jira`` clients
work against it unchanged. The Jira site can be configured as real ones are: its priority
scheme, custom fields (epic fields on Data Center), per-project workflows with screens, and
issues that move, vanish or are hidden from the bot (:mod:`.jira_person`).

Used by ``postmortem-sync demo``, end-to-end tests and crash tests (``python -m
connectors.emulator``). See :class:`Emulator`, :mod:`.faults` for fault injection and
:mod:`.control` for the HTTP control API.
"""

from .faults import FaultRule, Faults
from .github_app_auth import AppIdentity
from .request_log import RequestRecord
from .server import Emulator

__all__ = ["AppIdentity", "Emulator", "FaultRule", "Faults", "RequestRecord"]
