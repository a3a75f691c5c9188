"""Kernel and host identity as ``node_uname_info``, from ``platform.uname()`` plus the NIS domain name.

``os.uname()`` on Unix (called per scrape, so a renamed host shows at once; ``platform.uname()`` caches)
and ``platform.uname()`` on Windows, which has no uname: the labels read ``Linux``/``FreeBSD``/
``Darwin``/``Windows`` as each kernel names itself. The domain name is libc's
getdomainname(3) where libc has one (Linux, BSD, macOS; on Linux the same value node_exporter reads from
uname(2)); an unset domain and Windows, which has no NIS domain, read ``(none)`` as Linux shows it, so
dashboards see one spelling. psutil itself has no identity call, hence the standard library.
"""

from __future__ import annotations

import ctypes
import os
import platform
from collections.abc import Callable

from prometheus_client.core import GaugeMetricFamily, Metric

from inframind.config import ExporterConfig
from inframind.exporters.base import CollectorError
from inframind.exporters.portable.common import warn_ignored_paths

NO_DOMAIN = "(none)"
_DOMAIN_BUFFER = 256  # HOST_NAME_MAX + 1 is 65 on Linux, MAXHOSTNAMELEN 256 on the BSDs


def libc_getdomainname() -> Callable[[ctypes.Array[ctypes.c_char], int], int] | None:
    """libc's getdomainname, or None where there is no such libc function (Windows)."""
    if os.name != "posix":
        return None
    function: Callable[[ctypes.Array[ctypes.c_char], int], int] | None = getattr(
        ctypes.CDLL(None, use_errno=True), "getdomainname", None
    )
    return function


class UnameCollector:
    name = "uname"

    def __init__(self, getdomainname: Callable[[ctypes.Array[ctypes.c_char], int], int] | None = None) -> None:
        self.getdomainname = getdomainname

    def domainname(self) -> str:
        if self.getdomainname is None:
            return NO_DOMAIN
        buffer = ctypes.create_string_buffer(_DOMAIN_BUFFER)
        if self.getdomainname(buffer, _DOMAIN_BUFFER) != 0:
            raise CollectorError(f"uname: getdomainname failed: {os.strerror(ctypes.get_errno())}")
        return buffer.value.decode("utf-8", errors="replace") or NO_DOMAIN

    def collect(self) -> list[Metric]:
        if hasattr(os, "uname"):
            u = os.uname()
            identity = [u.sysname, u.release, u.version, u.machine, u.nodename]
        else:
            w = platform.uname()
            identity = [w.system, w.release, w.version, w.machine, w.node]
        info = GaugeMetricFamily(
            "node_uname_info",
            "Kernel and host identity from uname; always 1.",
            labels=["sysname", "release", "version", "machine", "nodename", "domainname"],
        )
        info.add_metric([*identity, self.domainname()], 1.0)
        return [info]


def create(config: ExporterConfig) -> UnameCollector:
    warn_ignored_paths(config)
    return UnameCollector(libc_getdomainname())
