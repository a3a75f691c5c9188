"""``SelSource``: a BMC's IPMI System Event Log as LogEvents, read with FreeIPMI's ``ipmi-sel``.

Each read costs the BMC as little as the SEL allows: ``ipmi-sel --info`` first (one request), and nothing
more when its entry count and last addition and erase times are what they were when the source caught
up. Otherwise the entries from the cursor's record id on (``--display-range``: FreeIPMI starts at that
record, so a BMC with a thousand entries is not walked for three new ones), and the whole SEL only when
that range cannot be trusted (see :mod:`inframind.agent.bmclogs.sel`).

Tools run as the ipmi prober runs them (:mod:`inframind.exporters.ipmi.runner`): no shell, the password
on stdin, an empty FreeIPMI config and interpretation files, killed at the deadline. The SDR is cached in
a private directory (sensor names need it; FreeIPMI notices when the BMC's SDR changes). The module's
session settings apply (interface, port, workarounds, timeout); its ``driver`` does not: the SEL is
always read with FreeIPMI, whose listing has the record ids, states and ranges this source relies on.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from inframind.agent.bmclogs import sel
from inframind.agent.bmclogs.polled import AssetRef, PolledSource, Read, ReadError
from inframind.agent.cursors import CursorStore
from inframind.exporters.ipmi import freeipmi
from inframind.exporters.ipmi.prober import make_call
from inframind.exporters.ipmi.readings import OutputError
from inframind.exporters.ipmi.runner import Call, Command, find_tool, run
from inframind.exporters.ipmi.settings import Auth, Settings
from inframind.exporters.probe.base import ProbeError

log = logging.getLogger(__name__)
TOOL = "ipmi-sel"


class SelSource(PolledSource):
    """``sel:<asset>``: one BMC's SEL, at most one read per ``interval``, each taking at most an interval."""

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
        tz: dt.tzinfo = dt.UTC,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.target = target
        self.settings = settings
        self.auth = auth
        self.asset = asset
        self.max_entries = max_entries
        self.tz = tz
        self.read_timeout = max(interval, settings.command_timeout)
        self.last_listing = ""
        """What the last read listed: ``none`` (--info unchanged), ``range`` (from the cursor) or ``full``."""
        self.workdir = Path(tempfile.mkdtemp(prefix="inframind-sel-"))
        (self.workdir / freeipmi.EMPTY_CONFIG).touch(mode=0o600)
        super().__init__(f"sel:{asset_name}", self.read, cursors, interval, clock=clock, wall=wall)

    def read(self, stored: str | None) -> Read:
        """One read of the SEL from the cursor ``stored``; ReadError when the BMC cannot be read."""
        deadline = self._clock() + self.read_timeout
        try:
            call = make_call(self.target, self.settings, self.auth, self.settings.command_timeout, self.workdir)
        except ProbeError as exc:
            raise ReadError(f"BMC {self.target}: {exc.message}") from None
        cursor = sel.SelCursor.from_json(stored)
        if stored and cursor is None:
            log.warning("%s: stored cursor %r is unreadable; reading the SEL from its start", self.name, stored)
        try:
            info = sel.parse_info(self._tool(call, deadline, "--info", "--ignore-sdr-cache"))
        except OutputError as exc:
            raise ReadError(f"BMC {self.target}: unexpected ipmi-sel --info output: {exc}") from None
        if sel.unchanged(cursor, info):
            self.last_listing = "none"
            return Read(cursor=stored)
        erased = sel.erased_since(cursor, info)
        selection: sel.Selection | None = None
        malformed = 0
        if cursor is not None and cursor.record_id and not erased:
            rows, malformed = self._listing(call, deadline, cursor.record_id)
            self.last_listing = "range"
            after = sel.after_range(rows, cursor, info, self.tz)
            selection = None if after is None else sel.Selection(after)
        if selection is None:
            rows, malformed = self._listing(call, deadline, None)
            self.last_listing = "full"
            selection = sel.resume(rows, cursor, erased)
        if selection.reset:
            log.warning("%s: the SEL was %s since the last read; reading it from its start", self.name,
                        "cleared" if selection.reset == "log_cleared" else "overwritten (wrapped)")  # fmt: skip
        items, after_all, stand_ins = sel.to_events(
            selection, cursor, info, limit=self.max_entries, asset=self.asset, tz=self.tz, now=self._wall()
        )
        flags = {name: n for name, n in ((selection.reset, 1), ("invalid_timestamp", stand_ins)) if name and n}
        return Read(items, after_all.to_json(), flags, {"malformed": malformed} if malformed else {})

    def _listing(self, call: Call, deadline: float, start: int | None) -> tuple[list[sel.SelRow], int]:
        args = listing_args(str(self.workdir / freeipmi.EMPTY_CONFIG), call.sdr_cache, start)
        return sel.parse_listing(self._tool(call, deadline, *args))

    def _tool(self, call: Call, deadline: float, *args: str) -> str:
        path = find_tool(TOOL)
        if path is None:
            raise ReadError(f"{TOOL} is not installed (Debian package freeipmi-tools)")
        argv, stdin = freeipmi.common_args(TOOL, call)
        done = run(Command("sel", "log", (path, *argv[1:], *args), stdin), deadline)
        if not done.ok:
            failure = freeipmi.classify(done)
            raise ReadError(f"BMC {self.target}: {TOOL} failed ({failure.reason}): {failure.message}")
        return done.stdout

    def close(self) -> None:
        super().close()
        shutil.rmtree(self.workdir, ignore_errors=True)


def listing_args(empty_config: str, sdr_cache: str, start: int | None) -> list[str]:
    """``ipmi-sel`` arguments for a listing (from record id ``start`` on, or all of it), besides the session's."""
    args = [
        *sel.LISTING_ARGS,
        f"--event-state-config-file={empty_config}",
        f"--sdr-cache-directory={sdr_cache}",
        "--sdr-cache-recreate",
        "--quiet-cache",
        "--interpret-oem-data",
    ]
    if start is not None:
        args.append(f"--display-range={start}-{sel.RANGE_END}")
    return args
