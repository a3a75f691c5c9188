"""Jira issues from incidents over the REST API (v2 for Data Center and Cloud, v3 for Cloud with Atlassian
Document Format): create, comment on changes, and resolve through the project's workflow transition.

Cloud authenticates with the account's e-mail and an API token (basic auth); Data Center with a personal access
token (bearer). The token is a secret reference resolved at each use. No Jira server runs in the tests: they
replay recorded exchanges (tests/fixtures/itsm/).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from requests.auth import AuthBase

from inframind.analyzer.itsm.content import TicketContent
from inframind.analyzer.itsm.http import BearerAuth, ItsmError, ItsmHttp
from inframind.analyzer.state import Ticket
from inframind.config.delivery import JiraSettings


def adf(text: str) -> dict[str, Any]:
    """Plain text as an Atlassian Document Format document: one paragraph per line (empty lines dropped)."""
    paragraphs = [{"type": "paragraph", "content": [{"type": "text", "text": line}]} for line in text.splitlines()
                  if line.strip()]  # fmt: skip
    return {"type": "doc", "version": 1, "content": paragraphs}


def incident_label(key: str) -> str:
    """A Jira label naming the incident (labels hold no spaces), to find its issue by hand or by JQL."""
    return "inframind-" + re.sub(r"[^A-Za-z0-9_.-]", "_", key)[:200]


class JiraTickets:
    name = "jira"

    def __init__(self, settings: JiraSettings, timeout: float = 15.0, retries: int = 4,
                 sleep: Callable[[float], None] | None = None) -> None:  # fmt: skip
        self.settings = settings
        self._timeout, self._retries, self._sleep = timeout, retries, sleep
        self._api = f"/rest/api/{settings.api_version}"

    def _http(self) -> ItsmHttp:
        token = self.settings.token.resolve()
        auth: AuthBase | tuple[str, str] = (
            (self.settings.username, token) if self.settings.username else BearerAuth(token)
        )
        http = ItsmHttp("Jira", self.settings.url, auth, self._timeout, self._retries)
        if self._sleep is not None:
            http.sleep = self._sleep
        return http

    def _text(self, text: str) -> Any:
        return adf(text) if self.settings.api_version == 3 else text

    def find(self, content: TicketContent) -> tuple[str, str] | None:
        """An unresolved issue of the project labelled with the incident (JQL search; Cloud's v3 uses
        ``/search/jql``, which replaced ``/search`` there)."""
        jql = (f'project = "{self.settings.project}" AND labels = "{incident_label(content.key)}" '
               "AND statusCategory != Done ORDER BY created ASC")  # fmt: skip
        path = f"{self._api}/search/jql" if self.settings.api_version == 3 else f"{self._api}/search"
        answer = self._http().request("GET", path, params={"jql": jql, "fields": "key", "maxResults": "1"})
        issues = answer.get("issues") if isinstance(answer, dict) else None
        if not issues or not isinstance(issues[0], dict) or not isinstance(issues[0].get("key"), str):
            return None
        key = issues[0]["key"]
        return key, f"{self.settings.url.rstrip('/')}/browse/{key}"

    def create(self, content: TicketContent) -> tuple[str, str]:
        fields: dict[str, Any] = {
            "project": {"key": self.settings.project},
            "summary": content.summary,
            "description": self._text(content.description),
            "issuetype": {"name": self.settings.issue_type},
            "labels": [*self.settings.labels, incident_label(content.key)],
        }
        priority = self.settings.priorities.get(content.severity)
        if priority:
            fields["priority"] = {"name": priority}
        answer = self._http().request("POST", f"{self._api}/issue", {"fields": fields})
        if not isinstance(answer, dict) or not isinstance(answer.get("key"), str):
            raise ItsmError("Jira created an issue but answered without its key")
        key = answer["key"]
        return key, f"{self.settings.url.rstrip('/')}/browse/{key}"

    def update(self, ticket: Ticket, content: TicketContent) -> None:
        http = self._http()
        fields: dict[str, Any] = {"summary": content.summary}
        priority = self.settings.priorities.get(content.severity)
        if priority:
            fields["priority"] = {"name": priority}
        http.request("PUT", f"{self._api}/issue/{ticket.key}", {"fields": fields})
        http.request("POST", f"{self._api}/issue/{ticket.key}/comment",
                     {"body": self._text("Updated by InfraMind:\n" + content.description)})  # fmt: skip

    def resolve(self, ticket: Ticket, content: TicketContent) -> None:
        http = self._http()
        note = "Resolved: every alert of this incident has ended.\n" + content.description
        http.request("POST", f"{self._api}/issue/{ticket.key}/comment", {"body": self._text(note)})
        answer = http.request("GET", f"{self._api}/issue/{ticket.key}/transitions")
        transitions = answer.get("transitions", []) if isinstance(answer, dict) else []
        wanted = self.settings.resolve_transition.lower()
        chosen = next((t for t in transitions if str(t.get("name", "")).lower() == wanted
                       or str((t.get("to") or {}).get("name", "")).lower() == wanted), None)  # fmt: skip
        if chosen is None:
            names = ", ".join(str(t.get("name")) for t in transitions) or "none"
            raise ItsmError(f"Jira issue {ticket.key} has no transition {self.settings.resolve_transition!r} "
                            f"(available: {names}); set analyzer.itsm.jira.resolve_transition")  # fmt: skip
        http.request("POST", f"{self._api}/issue/{ticket.key}/transitions", {"transition": {"id": str(chosen["id"])}})
