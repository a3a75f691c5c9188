"""What every /api/v1 list route shares: tenant scope, limit/offset pages, and validation errors without echoes.

- Pages: ``limit`` (1-1000, default 100) and ``offset`` (0-1,000,000) in; ``{items, total, limit, offset,
  next_offset}`` out, ``next_offset`` null on the last page.
- Scope: a viewer or operator reads only its own tenant (naming another is a 403); an admin reads every tenant,
  or the one it names.
- Validation errors (422) keep FastAPI's ``loc`` (which field) and ``msg`` (why) but drop the offending
  ``input``: it may be a password typed into the wrong field, and an error must never echo a credential.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, TypeVar

from fastapi import HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from inframind.analyzer.auth import Principal

T = TypeVar("T")
MAX_LIMIT = 1000
MAX_OFFSET = 1_000_000

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page (1-1000).")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip (0-1000000).")]
TenantParam = Annotated[
    str | None,
    Query(min_length=1, max_length=128, description="Admins: one tenant (default: all). Others: only their own."),
]
Name = Annotated[str, Query(min_length=1, max_length=256)]


class Problem(BaseModel):
    detail: str = Field(description="What is wrong and what to do.")


ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": Problem, "description": "Another tenant was named by a token that is not admin."},
    503: {"model": Problem, "description": "The data behind this route is not available on this analyzer."},
}


def scope_of(principal: Principal, tenant: str | None) -> str | None:
    """The tenant to read: the caller's own; an admin's choice (None: all)."""
    if principal.role == "admin":
        return tenant
    if tenant is not None and tenant != principal.tenant:
        raise HTTPException(403, f"a {principal.role} token reads only its own tenant ({principal.tenant})")
    return principal.tenant


def visible(principal: Principal, tenant: str) -> bool:
    """Whether the caller may see an object of ``tenant`` (others' objects answer 404, like missing ones)."""
    return principal.role == "admin" or tenant == principal.tenant


def page(items: Sequence[T], limit: int, offset: int, total: int | None = None) -> dict[str, Any]:
    """A page of ``items``; with ``total`` the items are already the page (the store paginated)."""
    if total is None:
        total, items = len(items), items[offset : offset + limit]
    following = offset + limit
    return {
        "items": list(items),
        "total": total,
        "limit": limit,
        "offset": offset,
        "next_offset": following if following < total else None,
    }


def unavailable(what: str) -> HTTPException:
    return HTTPException(503, what)


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    """422 with the field (``loc``), the reason (``msg``) and the error type, never the input."""
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(error.get("loc", ())), "msg": str(error.get("msg", "")), "type": str(error.get("type", ""))}
        for error in exc.errors()
    ]
    return JSONResponse({"detail": errors}, status_code=422)
