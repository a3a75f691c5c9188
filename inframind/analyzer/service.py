"""Running the analyzer process: the API server now; the detector loop joins in a later issue."""

from __future__ import annotations

import logging
import signal
import socket
from contextlib import ExitStack
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from inframind.config import Config
from inframind.schema import HostPort

if TYPE_CHECKING:
    from inframind.analyzer.api import Deps

log = logging.getLogger(__name__)
STATE_FILE = "state.db"


def _stopped(signum: int, _frame: FrameType | None) -> None:
    log.info("analyzer stopped on %s", signal.Signals(signum).name)


def _bind(address: HostPort) -> socket.socket:
    """Bind before uvicorn does, so a busy port is our clear error rather than uvicorn's exit code 3."""
    family = socket.AF_INET6 if ":" in address.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((address.host, address.port))
    except OSError as exc:
        sock.close()
        raise OSError(exc.errno, f"cannot listen on {address}: {exc.strerror}") from None
    sock.listen(128)
    return sock


def open_deps(config: Config, resources: ExitStack) -> Deps:
    """The log store, the asset state and the inventory, opened once; ``resources`` closes them.

    A store that cannot be opened is a startup error (the message names it), not a silent 503 later.
    """
    from inframind.analyzer.api import Deps
    from inframind.analyzer.assets import AssetRegistry, AssetStateError
    from inframind.inventory import load_inventory
    from inframind.logstore import LogStoreError, open_store

    inventory = load_inventory(config.inventory) if config.inventory else None
    state_dir = Path(config.analyzer.state_dir)
    vm_url = config.analyzer.victoriametrics_url
    try:
        logstore = open_store(config.logstore)
    except LogStoreError as exc:
        raise OSError(f"cannot open the log store ({config.logstore.type}): {exc}") from None
    resources.callback(logstore.close)
    try:
        assets = AssetRegistry(state_dir / STATE_FILE)
    except AssetStateError as exc:
        raise OSError(str(exc)) from None
    resources.callback(assets.close)
    return Deps(
        logstore=logstore,
        assets=assets,
        inventory=inventory,
        metrics_import_url=vm_url,
        ingest_limits=config.analyzer.ingest,
    )


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
    with ExitStack() as resources:
        app = create_app(config.analyzer, open_deps(config, resources))
        server = uvicorn.Server(
            uvicorn.Config(
                app, host=address.host, port=address.port, log_config=None, access_log=False, server_header=False
            )
        )
        log.info("analyzer API on http://%s:%d (OpenAPI at /docs)", address.url_host, address.port)
        # uvicorn drains on SIGINT/SIGTERM, restores the previous handlers and re-raises the signal; with
        # these in place the re-raised signal is a no-op and the process exits 0 after a clean shutdown.
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, _stopped)
        server.run(sockets=[_bind(address)])
