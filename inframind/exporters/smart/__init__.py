"""SMART health via smartctl, as prometheus-community/smartctl_exporter's metric families.

``parse`` turns smartctl JSON into readings (pure), ``runner`` runs smartctl, ``families`` builds the
exposition, and ``collector`` ties them together with a background refresh. The registry imports this
package and calls :func:`create`.
"""

from inframind.exporters.smart.collector import SmartCollector, create

__all__ = ["SmartCollector", "create"]
