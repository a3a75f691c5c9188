"""Reading procfs and sysfs for the host collectors.

Why not psutil: node_exporter's semantics need what psutil does not give (every meminfo field, the
in-flight and weighted diskstats columns, mdstat, hwmon under ``--path.sysfs``, udev data), its per-CPU
list is positional where node_exporter labels by the ``cpuN`` number, and ``psutil.PROCFS_PATH`` is a
process-wide global that would need a lock around every call. Reading the kernel files directly costs
one ``open`` per file per scrape and honours every ``--path.*`` flag.

Every failure becomes a :class:`CollectorError` that names the collector and the file, so the log line
says what to fix; :class:`~inframind.exporters.base.CollectorSet` turns it into ``success 0``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from prometheus_client.core import Metric

from inframind.exporters.base import CollectorError


def join(base: str, *parts: str) -> str:
    """``base`` + ``parts`` as one normalised path, even when a part starts with ``/`` (like Go's filepath.Join)."""
    return os.path.normpath("/".join((base, *parts)))


def cannot_read(collector: str, path: str, reason: str) -> CollectorError:
    return CollectorError(f"{collector}: cannot read {path}: {reason}")


def read_text(collector: str, path: str) -> str:
    """The whole file; a missing or unreadable file is a CollectorError naming it."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError as exc:
        raise cannot_read(collector, path, exc.strerror or str(exc)) from None


def read_attribute(path: str) -> str | None:
    """A small sysfs attribute without its trailing newlines, or None if it cannot be read.

    One bounded ``read`` like node_exporter's, because some hwmon drivers answer EAGAIN forever.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        raw = os.read(fd, 4096)
    except OSError:
        return None
    finally:
        os.close(fd)
    return raw.decode("utf-8", errors="replace").strip("\n")


def to_int(collector: str, path: str, text: str, where: str) -> int:
    """An unsigned decimal counter from a kernel file; anything else is a CollectorError."""
    try:
        return int(text)
    except ValueError:
        raise cannot_read(collector, path, f"{where}: expected an integer, got {text!r}") from None


def nonempty(families: Iterable[Metric]) -> list[Metric]:
    """Only families with samples: an empty family would print a HELP/TYPE with no series."""
    return [f for f in families if f.samples]
