"""What every psutil collector shares: the OS family, guarded psutil calls and the ignored-paths warning."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Literal, TypeVar

from inframind.config import ExporterConfig, HostPaths
from inframind.exporters.base import CollectorError

log = logging.getLogger("inframind.exporters.portable")
T = TypeVar("T")
OsFamily = Literal["linux", "bsd", "darwin", "windows", "other"]
_BSDS = ("freebsd", "openbsd", "netbsd", "dragonfly")


def os_family(system: str) -> OsFamily:
    """``sys.platform`` (``linux``, ``freebsd14``, ``darwin``, ``win32``) to the family whose psutil fields differ."""
    if system.startswith("linux"):
        return "linux"
    if system.startswith(_BSDS):
        return "bsd"
    if system == "darwin":
        return "darwin"
    if system in ("win32", "cygwin"):
        return "windows"
    return "other"


def read(collector: str, what: str, source: Callable[[], T]) -> T:
    """``source()``; any failure becomes a CollectorError naming the collector and the psutil call."""
    try:
        return source()
    except Exception as exc:  # psutil raises OSError, RuntimeError, NotImplementedError, psutil.Error
        raise CollectorError(f"{collector}: {what} failed: {type(exc).__name__}: {exc}") from exc


def warn_ignored_paths(config: ExporterConfig) -> None:
    """Called by every create(): a ``--path.*`` flag this backend cannot honour is reported once per process."""
    _warn_once(config.paths.procfs, config.paths.rootfs)


@functools.cache
def _warn_once(procfs: str, rootfs: str) -> None:
    default = HostPaths()
    ignored = [
        f"--path.{flag}={value}"
        for flag, value, usual in (("procfs", procfs, default.procfs), ("rootfs", rootfs, default.rootfs))
        if value != usual
    ]
    if ignored:
        log.warning(
            "%s %s not apply to the psutil host backend: it reports the host it runs on "
            "(use host_backend: procfs to read a mounted host tree)",
            " and ".join(ignored),
            "does" if len(ignored) == 1 else "do",
        )
