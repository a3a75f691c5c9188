"""What every ingest batch shares: size limits, a bounded body read, per-event rejections, the answer models.

The body is read by the handler itself (not by FastAPI's body parameter) so that the token is checked
before a byte is read, a body over the limit is refused while streaming (a chunked upload has no
Content-Length to trust), and one bad event is a rejection in the report rather than a 422 for all.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import HTTPException, Request
from pydantic import BaseModel, Field, ValidationError

from inframind.analyzer.auth import Principal
from inframind.config import IngestSettings
from inframind.events import LogEvent

T = TypeVar("T")
RETRY_AFTER_SECONDS = 5
PLACEHOLDER_TENANT = "default"
"""LogEvent's default tenant: what an agent sends when it does not know its tenant; it means "the caller's"."""


IngestLimits = IngestSettings
"""The analyzer config's ``ingest:`` limits (one definition, in inframind.config)."""


class Rejected(Exception):
    """One event cannot be taken; the message is the reason given back to the sender."""


class Rejection(BaseModel):
    index: int = Field(description="Position of the event in the request's `events` list.")
    reason: str


class IngestReport(BaseModel):
    written: int = Field(description="Events stored by this request.")
    duplicates: int = Field(description="Valid events already stored (same fingerprint): a resend is harmless.")
    rejected: list[Rejection] = Field(description="Events not taken and why; the others were stored.")


class Problem(BaseModel):
    detail: str


def batch_body(item: type[BaseModel], limits: IngestLimits, what: str) -> dict[str, Any]:
    """OpenAPI for a ``{"events": [item, ...]}`` body read by the handler itself (see the module doc)."""
    events = {"type": "array", "maxItems": limits.max_events, "items": item.model_json_schema()}
    schema = {"type": "object", "required": ["events"], "properties": {"events": events}}
    description = f"{what}; at most {limits.max_events} events and {limits.max_body_bytes} bytes per request."
    content = {"application/json": {"schema": schema}}
    return {"requestBody": {"required": True, "description": description, "content": content}}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "The body is not JSON."},
    413: {"model": Problem, "description": "The body or the number of events is over the limit: send smaller batches."},
    422: {"description": 'The body is not an object with an `"events"` list.'},
    503: {"model": Problem, "description": "A store is down; no log event was written. Retry after Retry-After s."},
}


def too_large(detail: str) -> HTTPException:
    return HTTPException(413, detail)


def unavailable(detail: str) -> HTTPException:
    return HTTPException(503, detail, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


async def read_events(request: Request, limits: IngestLimits) -> list[Any]:
    """The raw ``events`` list of a ``{"events": [...]}`` body, within the limits (413 otherwise)."""
    declared = request.headers.get("content-length", "")
    over = f"the body is larger than {limits.max_body_bytes} bytes; send smaller batches"
    if declared.isdigit() and int(declared) > limits.max_body_bytes:
        raise too_large(over)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limits.max_body_bytes:
            raise too_large(over)
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise HTTPException(400, f"the body is not JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("events"), list):
        raise HTTPException(422, 'expected a JSON object {"events": [...]}')
    events: list[Any] = data["events"]
    if len(events) > limits.max_events:
        raise too_large(f"{len(events)} events in one request; at most {limits.max_events} are taken at once")
    return events


def explain(exc: ValidationError) -> str:
    """A pydantic error as one line a sender can act on: ``level: Input should be ...; message: ...``."""
    parts = []
    for error in exc.errors(include_url=False, include_input=False):
        where = ".".join(str(p) for p in error["loc"])
        parts.append(f"{where}: {error['msg']}" if where else str(error["msg"]))
    return "; ".join(parts)


def settle_tenant(named: str | None, principal: Principal) -> str:
    """The tenant an event is stored under: the caller's, or (admins only) the one the event names."""
    if not named or named in (PLACEHOLDER_TENANT, principal.tenant):
        return principal.tenant
    if principal.role == "admin":
        return named
    raise Rejected(f"tenant {named!r} is not yours: this token writes to tenant {principal.tenant!r}")


def check_message_size(message: str, limits: IngestLimits) -> None:
    size = len(message.encode("utf-8", "surrogatepass"))
    if size > limits.max_message_bytes:
        raise Rejected(f"message: {size} bytes, over the limit of {limits.max_message_bytes}")


def check_encodable(event: LogEvent) -> LogEvent:
    """JSON allows lone surrogates (``"\\ud800"``) that no store can encode: one such event would fail the
    whole batch's write on every retry, so it is refused here instead."""
    try:
        event.to_json().encode("utf-8")
    except UnicodeEncodeError:
        raise Rejected("text that is not valid Unicode (a lone UTF-16 surrogate)") from None
    return event


def sort_out(raw: list[Any], accept: Callable[[Any], T]) -> tuple[list[T], list[Rejection]]:
    """``accept`` applied to every event: what it returns, and a rejection for each it refuses."""
    taken: list[T] = []
    rejected: list[Rejection] = []
    for index, item in enumerate(raw):
        try:
            taken.append(accept(item))
        except ValidationError as exc:
            rejected.append(Rejection(index=index, reason=explain(exc)))
        except (Rejected, ValueError, OverflowError) as exc:
            rejected.append(Rejection(index=index, reason=str(exc)))
    return taken, rejected
