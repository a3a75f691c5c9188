"""Kernel and host identity as ``node_uname_info``, from ``os.uname()`` plus the NIS domain name.

node_exporter calls uname(2), whose ``domainname`` Python's ``os.uname`` omits; the kernel shows the
same value for the caller's UTS namespace in ``/proc/sys/kernel/domainname``. That is the exporter's own
``/proc`` on purpose, not ``--path.procfs``: like uname(2), it describes the namespace we run in.
"""

from __future__ import annotations

import os

from prometheus_client.core import GaugeMetricFamily, Metric

from inframind.config import ExporterConfig
from inframind.exporters.host.files import read_text

DOMAINNAME = "/proc/sys/kernel/domainname"


class UnameCollector:
    name = "uname"

    def __init__(self, domainname_path: str = DOMAINNAME) -> None:
        self.domainname_path = domainname_path

    def collect(self) -> list[Metric]:
        u = os.uname()
        domainname = read_text(self.name, self.domainname_path).strip("\n")
        return [
            uname_family(
                sysname=u.sysname,
                release=u.release,
                version=u.version,
                machine=u.machine,
                nodename=u.nodename,
                domainname=domainname,
            )
        ]


def uname_family(*, sysname: str, release: str, version: str, machine: str, nodename: str, domainname: str) -> Metric:
    """``node_uname_info`` from its six values (here from uname(2); from a remote host's for the ssh prober)."""
    info = GaugeMetricFamily(
        "node_uname_info",
        "Kernel and host identity from uname; always 1.",
        labels=["sysname", "release", "version", "machine", "nodename", "domainname"],
    )
    info.add_metric([sysname, release, version, machine, nodename, domainname], 1.0)
    return info


def create(config: ExporterConfig) -> UnameCollector:
    return UnameCollector()
