"""BMC event logs as LogEvents, exactly once: the IPMI SEL and Redfish LogServices, pulled with cursors.

The /probe scrape only counts entries (no side effects); these sources are the one place that reads them
for their content. Each is a :class:`~inframind.agent.source.PullSource` named ``sel:<asset>`` or
``redfish_log:<asset>``, built per inventory BMC by :func:`bmc_sources`.
"""

from inframind.agent.bmclogs.factory import bmc_sources
from inframind.agent.bmclogs.redfish_source import RedfishLogSource
from inframind.agent.bmclogs.sel_source import SelSource

__all__ = ["RedfishLogSource", "SelSource", "bmc_sources"]
