"""`inframind up`: VictoriaMetrics, vmalert, Alertmanager, the exporter and the analyzer on 127.0.0.1.

- :mod:`.components`: what runs, with which flags (pure)
- :mod:`.scrape`: the stack's scrape config, built on :mod:`inframind.targets` (pure)
- :mod:`.alertmanager`: the Alertmanager config rendered from the template and the environment (pure)
- :mod:`.preflight`: missing binaries, busy ports, missing rules, before anything starts
- :mod:`.supervisor`: child processes, readiness, restarts with backoff, shutdown by PID
- :mod:`.run`: :func:`run_stack`, which ties them together
"""

from inframind.stack.errors import StackError
from inframind.stack.run import run_stack

__all__ = ["StackError", "run_stack"]
