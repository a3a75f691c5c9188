"""HTTP side of delivery: Alertmanager's webhooks in (tickets, Telegram relay) and the feedback links.

- ``POST /api/v1/alertmanager/webhook`` (operator): opens, updates and resolves ITSM tickets (:mod:`.itsm.sync`);
- ``POST /api/v1/relay/telegram`` (operator): sends the notification to Telegram (:mod:`.relay`);
- ``GET /api/v1/feedback/link/{token}`` (public): a confirmation page; it changes nothing, because chat apps and
  mail scanners open links by themselves;
- ``POST /api/v1/feedback/link/{token}`` (public): carries out the action (:mod:`.feedback_actions`). The signed
  token is the authorization: it names one action on one alert and expires.

Alertmanager authenticates with a bearer token (``http_config.authorization`` in alertmanager.yml); alerts of
tenants the token may not act for are skipped. An error answer makes Alertmanager retry the notification.
"""

from __future__ import annotations

import dataclasses
import html
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from inframind.analyzer.api_common import visible
from inframind.analyzer.auth import Principal, current_principal, policy
from inframind.analyzer.feedback import FeedbackClaim, FeedbackTokenError
from inframind.analyzer.feedback_actions import FeedbackHandler, FeedbackUnavailable
from inframind.analyzer.itsm.sync import TicketSync
from inframind.analyzer.relay import RelayError, TelegramRelay
from inframind.analyzer.relay_webhook import WebhookError, WebhookMessage, parse_webhook
from inframind.analyzer.state import StateError
from inframind.secrets import SecretError

MAX_BODY = 8 * 2**20
MAX_NOTE = 500
_CALLER = Depends(current_principal)
TOKEN_STATUS = {"malformed": 404, "bad_signature": 403, "expired": 410, "unsupported": 400}
ACTION_TEXT = {
    "ack": ("Acknowledge", "Подтвердить получение"),
    "false_positive": ("Mark as false positive", "Отметить как ложное срабатывание"),
    "silence": ("Silence", "Заглушить"),
}


@dataclass
class DeliveryDeps:
    """What the delivery routes use; a part left None answers 503 (it is not configured)."""

    tickets: TicketSync | None = None
    relay: TelegramRelay | None = None
    feedback: FeedbackHandler | None = None


async def _message(request: Request) -> WebhookMessage:
    body = await request.body()
    if len(body) > MAX_BODY:
        raise HTTPException(413, f"a webhook body holds at most {MAX_BODY} bytes (set max_alerts in the receiver)")
    try:
        return parse_webhook(await request.json())
    except ValueError as exc:  # WebhookError, and JSON that does not parse
        detail = str(exc) if isinstance(exc, WebhookError) else "body: not JSON"
        raise HTTPException(422, detail) from None


def _describe(claim: FeedbackClaim) -> str:
    en, ru = ACTION_TEXT[claim.action]
    hours = f" for {claim.hours} h / на {claim.hours} ч" if claim.action == "silence" else ""
    target = ", ".join(f"{k}={v}" for k, v in sorted(claim.labels.items())) or claim.fingerprint
    return f"{en} / {ru}{hours}: {target}"


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    text = (
        '<!doctype html><html><head><meta charset="utf-8"><meta name="robots" content="noindex">'
        f"<title>{html.escape(title)}</title></head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return HTMLResponse(
        text, status_code=status, headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    )


def _token_error(exc: FeedbackTokenError) -> HTMLResponse:
    return _page(
        "Feedback link refused / Ссылка отклонена", f"<p>{html.escape(str(exc))}</p>", TOKEN_STATUS[exc.reason]
    )


def _handler(deps: DeliveryDeps) -> FeedbackHandler:
    if deps.feedback is None:
        raise HTTPException(503, "feedback links are not configured (analyzer.feedback.key)")
    return deps.feedback


def delivery_router(deps: DeliveryDeps) -> APIRouter:
    router = APIRouter()

    @router.post("/api/v1/alertmanager/webhook", openapi_extra=policy("operator"), tags=["delivery"])
    async def alertmanager_webhook(request: Request, principal: Principal = _CALLER) -> dict[str, Any]:
        """Alertmanager's webhook receiver: one ITSM ticket per incident and system, kept in step."""
        message = await _message(request)
        if deps.tickets is None:
            raise HTTPException(503, "no ITSM system is configured (analyzer.itsm)")
        try:
            report = await run_in_threadpool(deps.tickets.handle, message, lambda tenant: visible(principal, tenant))
        except StateError as exc:
            raise HTTPException(503, f"the state store is unavailable: {exc}") from None
        if report.failed:  # Alertmanager retries; what succeeded is not repeated
            raise HTTPException(502, {"failed": report.failed, "created": report.created})
        return dataclasses.asdict(report)

    @router.post("/api/v1/relay/telegram", openapi_extra=policy("operator"), tags=["delivery"])
    async def telegram_relay(request: Request, principal: Principal = _CALLER) -> dict[str, Any]:
        """Alertmanager's webhook -> Telegram: escaped, split under 4096 characters, with feedback links."""
        message = await _message(request)
        if deps.relay is None:
            raise HTTPException(503, "the Telegram relay is not configured (analyzer.relay)")
        tenants = {a.labels.get("tenant", "") for a in message.alerts}
        if not all(visible(principal, t) for t in tenants):
            raise HTTPException(403, f"this token acts only for tenant {principal.tenant}")
        try:
            report = await run_in_threadpool(deps.relay.handle, message)
        except RelayError as exc:
            raise HTTPException(502, str(exc)) from None
        return {"chat": report.chat, "parts": report.parts, "sent": report.sent, "skipped": report.skipped}

    @router.get("/api/v1/feedback/link/{token}", openapi_extra=policy("public"), tags=["feedback"],
                response_class=HTMLResponse)  # fmt: skip
    def feedback_confirm(token: str) -> HTMLResponse:
        """What the link would do, with a button that does it (opening a link must not act by itself)."""
        try:
            claim = _handler(deps).check(token)
        except FeedbackTokenError as exc:
            return _token_error(exc)
        except SecretError as exc:
            raise HTTPException(503, str(exc)) from None
        form = (
            f'<p>{html.escape(_describe(claim))}</p><form method="post">'
            f'<input type="text" name="note" maxlength="{MAX_NOTE}" placeholder="note / комментарий">'
            '<button type="submit">Confirm / Подтвердить</button></form>'
        )
        return _page("InfraMind feedback / Обратная связь", form)

    @router.post("/api/v1/feedback/link/{token}", openapi_extra=policy("public"), tags=["feedback"],
                 response_class=HTMLResponse)  # fmt: skip
    async def feedback_apply(token: str, request: Request) -> HTMLResponse:
        """Carry out the link's action once (a repeated click changes nothing)."""
        form = parse_qs((await request.body())[: 4 * MAX_NOTE].decode("utf-8", "replace"))
        note = (form.get("note") or [""])[0][:MAX_NOTE]
        try:
            outcome = await run_in_threadpool(_handler(deps).apply, token, note)
        except FeedbackTokenError as exc:
            return _token_error(exc)
        except (FeedbackUnavailable, SecretError, StateError) as exc:
            return _page("Not done yet / Пока не выполнено", f"<p>{html.escape(str(exc))}</p>", 503)
        done = "Already recorded / Уже учтено" if outcome.repeated else "Done / Готово"
        details = [f"{outcome.record.action} ({outcome.record.id})"]
        details += [f"silence {sid} on {peer}" for peer, sid in outcome.silences.items()]
        if outcome.marked:
            details.append("the detector's threshold for this asset and signal is raised")
        items = "".join(f"<li>{html.escape(d)}</li>" for d in details)
        return _page(done, f"<ul>{items}</ul>")

    return router
