"""``RedfishLogSource``: every LogService of a BMC's Systems, Managers and Chassis as LogEvents.

One read is one session (the prober's client: login, TLS policy, memoized parallel GETs, logout even
after the deadline). For each log service its Entries collection is read page by page
(``Members@odata.nextLink``, or the collection-level ``@odata.nextLink`` some Intel firmware writes),
only as far as needed:

- newest-first services (iDRAC, some AMI): until a page reaches the cursor. A service read for the first
  time gives its newest ``max_entries`` entries; the older history is skipped (flagged
  ``history_skipped``), since reaching it would mean paging through all of it on every read.
- oldest-first services (iLO, OpenBMC, Intel): from the page the cursor was on (remembered), until
  ``max_entries`` new entries were seen or the log ends; from the first page when that page moved.

A page that repeats (a nextLink looping back), or a next page that is not there, ends the collection.
Which entries are new, and what clears and wraps look like, is :mod:`.redfish_entries`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from inframind.agent.bmclogs import redfish_entries as re_
from inframind.agent.bmclogs.polled import AssetRef, PolledSource, Read, ReadError
from inframind.agent.cursors import CursorStore
from inframind.exporters.probe.base import ProbeError
from inframind.exporters.redfish.client import RedfishClient
from inframind.exporters.redfish.parse import Json, items, link, text
from inframind.exporters.redfish.prober import base_url
from inframind.exporters.redfish.settings import Auth, Settings
from inframind.exporters.redfish.walk import MAX_PAGES, Walk
from inframind.secrets import SecretError

log = logging.getLogger(__name__)
OWNERS = ("Systems", "Managers", "Chassis")


class ServiceError(Exception):
    """One log service could not be read; the others still are."""


@dataclass
class Paged:
    entries: list[tuple[Json, str]]
    """Entries in the order read, each with the page it was on."""
    newest_first: bool | None
    stopped_early: bool
    """Pages remained when reading stopped (enough was read)."""
    hinted: bool
    """Reading started at the remembered page rather than the first."""


def _expanded(member: Json) -> bool:
    return any(not name.startswith("@odata.") for name in member)


class RedfishLogSource(PolledSource):
    """``redfish_log:<asset>``: one BMC's log services, at most one read per ``interval``."""

    def __init__(
        self,
        asset_name: str,
        target: str,
        settings: Settings,
        auth: Auth | None,
        cursors: CursorStore,
        *,
        asset: AssetRef,
        interval: float = 60.0,
        max_entries: int = 1000,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.target = target
        self.settings = settings
        self.auth = auth
        self.asset = asset
        self.max_entries = max_entries
        self.read_timeout = max(interval, settings.request_timeout)
        super().__init__(f"redfish_log:{asset_name}", self.read, cursors, interval, clock=clock, wall=wall)

    def read(self, stored: str | None) -> Read:
        """One read of every log service from the cursors in ``stored``; ReadError when the BMC is unusable."""
        positions = load_positions(stored)
        try:
            url = base_url(self.target, self.settings)
            credentials = (self.auth.username, self.auth.password.resolve()) if self.auth else None
        except (ProbeError, SecretError) as exc:
            raise ReadError(f"BMC {self.target}: {exc}") from None
        result = Read()
        with RedfishClient(url, self.settings, credentials, self._clock() + self.read_timeout, self._clock) as client:
            try:
                root = client.open()
            except ProbeError as exc:
                raise ReadError(exc.message) from None
            walk = Walk(client)
            services = log_services(walk, root)
            result.errors.extend(walk.failures)
            failed = 0
            for service in services:
                left = self.max_entries - len(result.items)
                if left <= 0:
                    break
                try:
                    self._service(walk, service, positions, left, result)
                except ServiceError as exc:
                    failed += 1
                    result.errors.append(str(exc))
        if failed and failed == len(services):
            raise ReadError(f"BMC {self.target}: no log service could be read: " + "; ".join(result.errors[:3]))
        result.cursor = dump_positions(positions)
        return result

    def _service(
        self, walk: Walk, service: Json, positions: dict[str, re_.ServiceCursor], left: int, out: Read
    ) -> None:
        """Append the service's new entries (at most ``left``) to ``out``, moving its cursor in ``positions``."""
        sid = text(service, "@odata.id")
        first = link(service, "Entries")
        if not sid or first is None:
            return
        cursor = positions.get(sid)
        paged = self._pages(walk, first, cursor, left)
        by_number = re_.numbered(
            [re_.entry_id(e) for e, _ in paged.entries] + ([cursor.id] if cursor and cursor.id else [])
        )
        selection = re_.select([e for e, _ in paged.entries], cursor, by_number)
        if selection.reset and (paged.hinted or paged.stopped_early):
            paged = self._pages(walk, first, None, left)
            selection = re_.Selection(
                re_.select([e for e, _ in paged.entries], None, by_number).entries, selection.reset
            )
        order = paged.newest_first if paged.newest_first is not None else (cursor.newest_first if cursor else None)
        chosen = selection.entries[:left]
        if order and paged.stopped_early and (cursor is None or not cursor.id or selection.reset):
            chosen = selection.entries[-left:]
            out.flags["history_skipped"] = out.flags.get("history_skipped", 0) + 1
        if selection.reset:
            out.flags[selection.reset] = out.flags.get(selection.reset, 0) + 1
            what = "cleared" if selection.reset == "log_cleared" else "wrapped past the cursor"
            log.warning("%s: log service %s was %s; reading it from its start", self.name, sid, what)
        page_of = {id(e): page for e, page in paged.entries}
        last_time = cursor.time if cursor and not selection.reset else None
        for entry in chosen:
            stamp = re_.created(entry)
            if stamp is None:
                out.flags["invalid_timestamp"] = out.flags.get("invalid_timestamp", 0) + 1
                stamp = dt.datetime.fromisoformat(last_time) if last_time else self._wall()
            last_time = stamp.isoformat()
            page = None if order else page_of.get(id(entry))
            positions[sid] = re_.ServiceCursor(re_.entry_id(entry), text(entry, "Created"), last_time, order, page)
            event = re_.to_event(entry, sid, stamp, self.asset, selection.reset)
            out.items.append((event, dump_positions(positions)))
        if not chosen:
            if cursor is None or not cursor.id or selection.reset:
                positions[sid] = re_.ServiceCursor("", "", None, order)
            else:
                positions[sid] = replace(cursor, newest_first=order)

    def _pages(self, walk: Walk, first: str, cursor: re_.ServiceCursor | None, left: int) -> Paged:
        """Read the collection's pages as far as the cursor and ``left`` require (module docstring)."""
        hinted = bool(cursor and cursor.id and cursor.page and cursor.newest_first is False)
        url: str | None = cursor.page if hinted and cursor else first
        found: list[tuple[Json, str]] = []
        seen_pages: set[str] = set()
        seen_entries: set[str] = set()
        order = cursor.newest_first if cursor else None
        while url is not None and url not in seen_pages and len(seen_pages) < MAX_PAGES:
            seen_pages.add(url)
            page = self._page(walk, url, required=not found and not hinted)
            entries = [] if page is None else self._members(walk, page)
            by_number = re_.numbered([re_.entry_id(e) for e in entries] + ([cursor.id] if cursor else []))
            mark = re_.cursor_key(cursor, by_number) if cursor and cursor.id else None
            if hinted and not found and (not entries or mark is None or re_.entry_key(entries[0], by_number) > mark):
                hinted, url, seen_pages = False, first, set()  # the remembered page moved: start over
                continue
            fresh = [e for e in entries if _identity(e) not in seen_entries]
            if entries and not fresh:
                break  # a next page that repeats one already read: the BMC ignores its own paging
            seen_entries.update(_identity(e) for e in fresh)
            order = re_.lists_newest_first(fresh, by_number) if order is None else order
            found.extend((e, url) for e in fresh)
            url = None if page is None else next_link(page)
            if order and mark is not None and any(re_.entry_key(e, by_number) <= mark for e in fresh):
                break
            if sum(1 for e, _ in found if mark is None or re_.entry_key(e, by_number) > mark) >= left:
                break
        return Paged(found, order, url is not None and url not in seen_pages, hinted)

    def _page(self, walk: Walk, url: str, required: bool) -> Json | None:
        """One page; a missing later page ends the collection, any other failure fails the service."""
        failures = len(walk.failures)
        page = walk.get(url)
        if page is None and (required or len(walk.failures) > failures):
            raise ServiceError(walk.failures[-1] if len(walk.failures) > failures else f"GET {url}: not found")
        return page

    @staticmethod
    def _members(walk: Walk, page: Json) -> list[Json]:
        """A page's entries, fetching those listed by link only. An entry that cannot be read fails the
        service (skipping it would move the cursor past it); one that is gone (404) is skipped."""
        members = [m for m in items(page, "Members") if _expanded(m) or isinstance(m.get("@odata.id"), str)]
        failures = len(walk.failures)
        fetched = iter(walk.get_each(m["@odata.id"] for m in members if not _expanded(m)))
        if len(walk.failures) > failures:
            raise ServiceError(walk.failures[-1])
        return [entry for entry in (m if _expanded(m) else next(fetched) for m in members) if entry]


def _identity(entry: Json) -> str:
    return text(entry, "@odata.id") or re_.entry_id(entry)


def next_link(page: Json) -> str | None:
    found = page.get("Members@odata.nextLink") or page.get("@odata.nextLink")
    return found if isinstance(found, str) and found else None


def log_services(walk: Walk, root: Json) -> list[Json]:
    """Every LogService of every system, manager and chassis, in that order."""
    owners = [owner for kind in OWNERS for owner in walk.members(link(root, kind))]
    walk.prefetch(link(owner, "LogServices") for owner in owners)
    return [service for owner in owners for service in walk.members(link(owner, "LogServices"))]


def load_positions(stored: str | None) -> dict[str, re_.ServiceCursor]:
    try:
        data: Any = json.loads(stored) if stored else {}
    except ValueError:
        log.warning("unreadable Redfish log cursor %r: reading every log service from its start", stored)
        data = {}
    services = data.get("services") if isinstance(data, dict) else None
    found = {sid: re_.ServiceCursor.from_dict(raw) for sid, raw in (services or {}).items()}
    return {sid: cursor for sid, cursor in found.items() if cursor is not None}


def dump_positions(positions: dict[str, re_.ServiceCursor]) -> str:
    return json.dumps({"services": {sid: c.to_dict() for sid, c in sorted(positions.items())}}, sort_keys=True)
