"""VictoriaMetrics for generated history: the session server keeps one day, a replayed month needs more.

Started on a free 127.0.0.1 port with a long retention (samples older than the retention are dropped on
import), stopped by PID like every server in :mod:`tests.helpers.servers`.
"""

from __future__ import annotations

from pathlib import Path

from tests.helpers.procs import free_port, require_binary
from tests.helpers.servers import Running


def start_history_vm(log_dir: Path, data_dir: Path, *extra: str) -> Running:
    port = free_port()
    argv = [
        require_binary("victoria-metrics"),
        f"-httpListenAddr=127.0.0.1:{port}",
        f"-storageDataPath={data_dir}",
        "-retentionPeriod=5y",
        "-search.latencyOffset=0s",
        "-selfScrapeInterval=0",
        *extra,
    ]
    server = Running("victoriametrics-history", argv, log_dir, f"http://127.0.0.1:{port}")
    server.wait_http(server.url + "/health")
    return server
