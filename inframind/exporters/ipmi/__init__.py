"""IPMI over the LAN for /probe, as prometheus-community/ipmi_exporter's metric families.

``settings`` (light: config validation imports only it), ``runner`` (tool runs), ``freeipmi`` and
``ipmitool`` (commands, parsers and error meanings per driver), ``families`` (the exposition) and
``prober`` (one probe: commands in parallel, per-collector ``ipmi_up``).
"""
