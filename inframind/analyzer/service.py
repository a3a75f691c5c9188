"""Running the analyzer process: the API server now; the detector loop joins in a later issue."""

from __future__ import annotations

import logging

from inframind.config import Config
from inframind.schema import HostPort

log = logging.getLogger(__name__)


def run_analyzer(config: Config, listen: HostPort | None = None) -> None:
    """Serve the API until SIGINT/SIGTERM (uvicorn handles both and drains requests)."""
    import uvicorn
    from prometheus_client import disable_created_metrics

    from inframind.analyzer.api import create_app

    # *_created series double the exposition and no dashboard reads them.
    disable_created_metrics()  # type: ignore[no-untyped-call]

    address = listen or config.analyzer.listen
    if not config.analyzer.tokens:
        log.warning(
            "no API tokens configured: only /health, /metrics and /docs are reachable; "
            "create one with `inframind tokens generate`"
        )
    app = create_app(config.analyzer)
    server = uvicorn.Server(
        uvicorn.Config(
            app, host=address.host, port=address.port, log_config=None, access_log=False, server_header=False
        )
    )
    log.info("analyzer API on http://%s:%d (OpenAPI at /docs)", address.url_host, address.port)
    server.run()
    if server.started is False:
        raise OSError(f"cannot listen on {address}: the port is in use or not permitted")
