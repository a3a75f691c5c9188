"""The smart collector: smartctl runs in a background thread, a scrape only reads its latest snapshot.

smartctl takes seconds per disk and can wake sleeping disks, so it must not run per scrape (and never
twice at once when several scrapers poll). A daemon thread refreshes every ``interval`` and rescans for
devices every ``rescan_interval``; ``collect()`` builds families from the snapshot it left. Per-device
trouble (timeouts, fatal exit bits) shows as metrics; only "nothing can be read at all" (no smartctl, no
permission) fails the collector, so ``node_scrape_collector_success{collector="smart"}`` is 0.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from prometheus_client.core import Metric

from inframind.config import ExporterConfig, SmartSettings
from inframind.exporters.base import CollectorError
from inframind.exporters.smart.families import DeviceState, Snapshot, build_families
from inframind.exporters.smart.parse import PERMISSION_DENIED, is_permission_error
from inframind.exporters.smart.readings import DeviceRef, ScanEntry, parse_device_spec
from inframind.exporters.smart.runner import (
    SmartctlRunner,
    find_smartctl,
    missing_smartctl_message,
    permission_message,
)

log = logging.getLogger(__name__)

FIRST_SCRAPE_WAIT = 5.0
"""Seconds the first scrape waits for the first refresh, so it does not come back empty."""
MIN_INTERVAL = 0.5
"""A floor for ``interval``, so a 0 in the config cannot keep smartctl running back to back."""
CLOSE_WAIT = 2.0
"""Seconds close() waits for the thread; the daemon thread cannot outlive the process anyway."""


def create(config: ExporterConfig) -> SmartCollector:
    return SmartCollector(config.smart)


class SmartCollector:
    name = "smart"

    def __init__(
        self,
        settings: SmartSettings,
        *,
        first_scrape_wait: float = FIRST_SCRAPE_WAIT,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self._first_scrape_wait = first_scrape_wait
        self._wall_clock = wall_clock
        self._fixed = [parse_device_spec(spec) for spec in settings.devices] or None
        self._devices: list[DeviceRef] | None = self._fixed
        self._errors: dict[tuple[str, str], int] = {}
        self._last_reason: dict[str, str | None] = {}
        self._skipped_logged: set[tuple[str, str]] = set()
        self._snapshot = Snapshot()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._first_done = threading.Event()
        self._thread: threading.Thread | None = None
        self._runner: SmartctlRunner | None = None
        self._closed = False

    # ------------------------------------------------------------ scrape side

    def collect(self) -> list[Metric]:
        """Families from the latest snapshot; raises CollectorError when smartctl cannot read anything."""
        if self.start():
            self._first_done.wait(self._first_scrape_wait)
        snapshot = self.snapshot()
        if snapshot.fatal is not None:
            raise CollectorError(snapshot.fatal)
        return build_families(snapshot)

    def snapshot(self) -> Snapshot:
        with self._lock:
            return self._snapshot

    # ------------------------------------------------------------ background side

    def start(self) -> bool:
        """Start the refresh thread once (the first collect calls this); False once closed."""
        with self._lock:
            if self._closed:
                return False
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="smartctl-refresh", daemon=True)
                self._thread.start()
            return True

    def close(self) -> None:
        """Stop refreshing and kill a smartctl run in progress; CollectorSet.close() calls this."""
        with self._lock:
            self._closed = True
            thread, runner = self._thread, self._runner
        self._stop.set()
        if runner is not None:
            runner.cancel()
        if thread is not None:
            thread.join(CLOSE_WAIT)

    def _loop(self) -> None:
        next_scan = 0.0
        while not self._stop.is_set():
            now = time.monotonic()
            rescan = now >= next_scan
            try:
                self.refresh(rescan=rescan)
            except Exception:  # the thread must outlive any surprise in smartctl's output
                log.exception("smart: refresh failed")
            finally:
                self._first_done.set()
            if rescan:
                rescan_interval = self.settings.rescan_interval
                next_scan = now + rescan_interval if rescan_interval > 0 else float("inf")
            self._stop.wait(max(self.settings.interval, MIN_INTERVAL))

    def refresh(self, rescan: bool = True) -> None:
        """One refresh: find devices (on ``rescan``, unless configured), run smartctl on each, publish."""
        executable = find_smartctl(self.settings.smartctl)
        if executable is None:
            self._publish_fatal(missing_smartctl_message(self.settings.smartctl))
            return
        runner = SmartctlRunner(executable, self.settings.timeout, self.settings.powermode_check)
        with self._lock:
            if self._closed:
                return
            self._runner = runner
        denied: list[str] = []
        scan_version = None
        if self._fixed is None and (rescan or self._devices is None):
            scan = runner.scan()
            if scan.problem is not None:
                if self._devices is None:
                    self._publish_fatal(scan.problem)
                    return
                log.warning("smart: keeping the previous device list: %s", scan.problem)
            else:
                self._devices = self._usable(scan.entries, denied)
                scan_version = scan.version
        devices = self._devices or []
        states = []
        version = None  # like smartctl_exporter: the version the first device report names
        for device in devices:
            if self._stop.is_set():
                return  # closing: do not publish a half-done refresh
            outcome = runner.read(device)
            version = version or outcome.version
            states.append(DeviceState(device, outcome.exit_status, outcome.readings, outcome.reason, outcome.detail))
            if outcome.reason is not None:
                key = (device.label, outcome.reason)
                self._errors[key] = self._errors.get(key, 0) + 1
            if outcome.reason == PERMISSION_DENIED:
                denied.append(f"{device.name} ({outcome.detail})")
        fatal = None
        if denied and not any(state.readings is not None for state in states):
            fatal = permission_message(denied[0])
        self._log_changes(states, quiet=fatal is not None)
        snapshot = Snapshot(tuple(states), version or scan_version, dict(self._errors), self._wall_clock(), fatal)
        with self._lock:
            self._snapshot = snapshot

    def _usable(self, entries: Sequence[ScanEntry], denied: list[str]) -> list[DeviceRef]:
        """Devices --scan-open could open; the others are noted (permission) or logged once (no medium...)."""
        devices = []
        for entry in entries:
            device, error = entry.device, entry.open_error
            include, exclude = self.settings.device_include, self.settings.device_exclude
            if (include.pattern and not include.search(device.label)) or exclude.search(device.label):
                continue
            if error is None:
                devices.append(device)
            elif is_permission_error(error):
                denied.append(f"{device.name} ({error})")
            elif (device.name, error) not in self._skipped_logged:
                self._skipped_logged.add((device.name, error))
                log.info("smart: skipping %s, smartctl cannot open it: %s", device.name, error)
        return devices

    def _publish_fatal(self, message: str) -> None:
        with self._lock:
            old = self._snapshot
            self._snapshot = Snapshot(old.devices, old.version, dict(self._errors), old.refreshed_at, message)

    def _log_changes(self, states: Sequence[DeviceState], quiet: bool) -> None:
        """One line when a device stops giving readings and one when it is back, not one per refresh."""
        for state in states:
            label = state.device.label
            before = self._last_reason.get(label)
            self._last_reason[label] = state.reason
            if state.reason == before or quiet:
                continue
            if state.reason is not None:
                log.warning("smart: no readings from %s (%s): %s", label, state.reason, state.detail)
            elif before is not None:
                log.info("smart: readings from %s again", label)
