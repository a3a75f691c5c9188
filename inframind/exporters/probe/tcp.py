"""The ``tcp`` prober: is a management port open, and when does its TLS certificate expire?

The smallest real prober, and a useful one: BMC web interfaces and switch management planes fail
quietly, and their certificates expire unwatched. Families use blackbox_exporter's names
(``probe_ip_protocol``, ``probe_dns_lookup_time_seconds``, ``probe_ssl_earliest_cert_expiry``,
``probe_tls_version_info``) so existing dashboards read them.
"""

from __future__ import annotations

import socket
import ssl
import time
from dataclasses import dataclass

from prometheus_client.core import GaugeMetricFamily, Metric

from inframind.config import ExporterConfig
from inframind.exporters.probe.base import ProbeError


@dataclass(frozen=True)
class Settings:
    port: int | None = None
    """Port when the target gives none (``10.0.0.5`` with ``port: 443``)."""
    tls: bool = False
    insecure_skip_verify: bool = False
    """Read the certificate even when it does not verify (its expiry is still worth knowing)."""


Auth = None


def split_target(target: str, default_port: int | None) -> tuple[str, int]:
    """``host:port``, ``[v6]:port`` or a bare host with the module's port."""
    host, port = target, default_port
    if target.startswith("["):
        host, _, rest = target[1:].partition("]")
        port = int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else default_port
    elif target.count(":") == 1:
        host, _, port_text = target.partition(":")
        if not port_text.isdigit():
            raise ProbeError("protocol", f"target {target!r}: the port must be a number")
        port = int(port_text)
    if port is None:
        raise ProbeError("protocol", f"target {target!r} has no port and the module sets none")
    return host, port


class TcpProber:
    def probe(self, target: str, settings: Settings, auth: None, timeout: float) -> list[Metric]:
        host, port = split_target(target, settings.port)
        deadline = time.monotonic() + timeout
        start = time.monotonic()
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise ProbeError("unreachable", f"cannot resolve {host}: {exc.strerror}") from None
        lookup = time.monotonic() - start
        family, _, _, _, address = infos[0]
        families: list[Metric] = [
            GaugeMetricFamily("probe_dns_lookup_time_seconds", "Seconds the name lookup took.", value=lookup),
            GaugeMetricFamily(
                "probe_ip_protocol", "IP version used (4 or 6).", value=6.0 if family == socket.AF_INET6 else 4.0
            ),
        ]
        try:
            sock = socket.create_connection(
                (str(address[0]), int(address[1])), timeout=max(deadline - time.monotonic(), 0.01)
            )
        except TimeoutError:
            raise ProbeError("timeout", f"connect to {host}:{port} timed out") from None
        except ConnectionRefusedError:
            raise ProbeError("refused", f"{host}:{port} refused the connection") from None
        except OSError as exc:
            raise ProbeError("unreachable", f"cannot connect to {host}:{port}: {exc.strerror}") from None
        with sock:
            if settings.tls:
                families.extend(self._tls(sock, host, settings, deadline))
        return families

    @staticmethod
    def _tls(sock: socket.socket, host: str, settings: Settings, deadline: float) -> list[Metric]:
        context = ssl.create_default_context()
        if settings.insecure_skip_verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        sock.settimeout(max(deadline - time.monotonic(), 0.01))
        try:
            with context.wrap_socket(sock, server_hostname=host) as tls:
                der = tls.getpeercert(binary_form=True)
                version = tls.version() or "unknown"
        except ssl.SSLCertVerificationError as exc:
            raise ProbeError("tls", f"certificate of {host} does not verify: {exc.verify_message}") from None
        except (ssl.SSLError, OSError) as exc:
            raise ProbeError("tls", f"TLS handshake with {host} failed: {exc}") from None
        info = GaugeMetricFamily("probe_tls_version_info", "TLS version negotiated; always 1.", labels=["version"])
        info.add_metric([version], 1.0)
        families: list[Metric] = [info]
        if der:
            expiry = _not_after(der)
            families.append(
                GaugeMetricFamily(
                    "probe_ssl_earliest_cert_expiry", "Unix time the server certificate expires.", value=expiry
                )
            )
        return families

    def close(self) -> None:
        return None


def _not_after(der: bytes) -> float:
    """The certificate's expiry as Unix time (parsed without verifying: an untrusted cert still expires)."""
    from cryptography import x509

    return x509.load_der_x509_certificate(der).not_valid_after_utc.timestamp()


def create(config: ExporterConfig) -> TcpProber:
    return TcpProber()
