"""ServiceNow incidents from InfraMind incidents over the Table API (``/api/now/table/incident``): create with
``correlation_id`` set to the incident, add work notes on changes, resolve (state 6) with a close code.

Basic auth with a user and a password given as a secret reference, resolved at each use. No ServiceNow instance
runs in the tests: they replay recorded exchanges (tests/fixtures/itsm/).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from inframind.analyzer.itsm.content import TicketContent
from inframind.analyzer.itsm.http import ItsmError, ItsmHttp
from inframind.analyzer.state import Ticket
from inframind.config.delivery import ServiceNowSettings

TABLE = "/api/now/table/incident"
RESOLVED = "6"
SHORT_DESCRIPTION = 160
URGENCY = {"critical": "1", "warning": "2", "info": "3"}
"""Severity -> urgency and impact (1 high, 2 medium, 3 low): priority follows from both."""


class ServiceNowTickets:
    name = "servicenow"

    def __init__(self, settings: ServiceNowSettings, timeout: float = 15.0, retries: int = 4,
                 sleep: Callable[[float], None] | None = None) -> None:  # fmt: skip
        self.settings = settings
        self._timeout, self._retries, self._sleep = timeout, retries, sleep

    def _http(self) -> ItsmHttp:
        auth = (self.settings.username, self.settings.password.resolve())
        http = ItsmHttp("ServiceNow", self.settings.url, auth, self._timeout, self._retries)
        if self._sleep is not None:
            http.sleep = self._sleep
        return http

    def _url(self, sys_id: str) -> str:
        return f"{self.settings.url.rstrip('/')}/incident.do?sys_id={sys_id}"

    @staticmethod
    def sys_id(ticket: Ticket) -> str:
        """The record's sys_id, kept in the ticket URL this class builds (the key is the human number)."""
        ids = parse_qs(urlsplit(ticket.url).query).get("sys_id") or [""]
        if not ids[0]:
            raise ItsmError(f"ServiceNow ticket {ticket.key} has no sys_id in its URL {ticket.url}")
        return ids[0]

    def find(self, content: TicketContent) -> tuple[str, str] | None:
        """An active incident whose ``correlation_id`` is this incident."""
        query = {"sysparm_query": f"correlation_id={content.key}^active=true^ORDERBYsys_created_on",
                 "sysparm_fields": "sys_id,number", "sysparm_limit": "1"}  # fmt: skip
        answer = self._http().request("GET", TABLE, params=query)
        results = answer.get("result") if isinstance(answer, dict) else None
        if not results or not isinstance(results[0], dict) or not results[0].get("sys_id"):
            return None
        return str(results[0]["number"]), self._url(str(results[0]["sys_id"]))

    def create(self, content: TicketContent) -> tuple[str, str]:
        body: dict[str, Any] = {
            "short_description": content.summary[:SHORT_DESCRIPTION],
            "description": content.description,
            "urgency": URGENCY.get(content.severity, "2"),
            "impact": URGENCY.get(content.severity, "2"),
            "correlation_id": content.key,
            "correlation_display": "InfraMind",
        }
        if self.settings.assignment_group:
            body["assignment_group"] = self.settings.assignment_group
        if self.settings.caller_id:
            body["caller_id"] = self.settings.caller_id
        answer = self._http().request("POST", TABLE, body, {"sysparm_fields": "sys_id,number"})
        result = answer.get("result") if isinstance(answer, dict) else None
        if not isinstance(result, dict) or not result.get("sys_id") or not result.get("number"):
            raise ItsmError("ServiceNow created an incident but answered without its sys_id and number")
        return str(result["number"]), self._url(str(result["sys_id"]))

    def update(self, ticket: Ticket, content: TicketContent) -> None:
        level = URGENCY.get(content.severity, "2")
        body = {"work_notes": "Updated by InfraMind:\n" + content.description, "urgency": level, "impact": level}
        self._http().request("PATCH", f"{TABLE}/{self.sys_id(ticket)}", body, {"sysparm_fields": "sys_id,number"})

    def resolve(self, ticket: Ticket, content: TicketContent) -> None:
        notes = "Every alert of this incident has ended (InfraMind).\n" + content.description
        body = {"state": RESOLVED, "close_code": self.settings.close_code, "close_notes": notes}
        self._http().request("PATCH", f"{TABLE}/{self.sys_id(ticket)}", body, {"sysparm_fields": "sys_id,number,state"})
