"""A controllable prober for testing the /probe mechanism itself (timeouts, caching, limits, errors).

It is a test double of the Prober protocol only; every real prober is tested against a real server.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from prometheus_client.core import GaugeMetricFamily, Metric

from inframind.config import ExporterConfig
from inframind.exporters.probe.base import ProbeError
from inframind.secrets import SecretRef


@dataclass(frozen=True)
class Settings:
    sleep: float = 0.0
    fail: str | None = None
    """A ProbeError reason to raise, or ``bug`` to raise a plain exception."""


@dataclass(frozen=True)
class Auth:
    username: str
    password: SecretRef


class FakeProber:
    def __init__(self) -> None:
        self.calls: list[tuple[str, float]] = []
        self.lock = threading.Lock()
        self.closed = False

    def probe(self, target: str, settings: Settings, auth: Auth | None, timeout: float) -> list[Metric]:
        with self.lock:
            self.calls.append((target, timeout))
        time.sleep(settings.sleep)
        if settings.fail == "bug":
            raise RuntimeError("a bug in the prober")
        if settings.fail:
            raise ProbeError(settings.fail, f"{target} failed on purpose")
        family = GaugeMetricFamily("fake_value", "A value from the fake target.", labels=["user"])
        family.add_metric([auth.username if auth else ""], float(len(self.calls)))
        return [family]

    def close(self) -> None:
        self.closed = True


INSTANCES: list[FakeProber] = []


def create(config: ExporterConfig) -> FakeProber:
    prober = FakeProber()
    INSTANCES.append(prober)
    return prober
