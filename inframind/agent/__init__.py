"""The agent: reads event sources with cursors and ships LogEvents to a log store.

Sources (SNMP traps now; files, journald, syslog later) each map what they read into
:class:`inframind.events.LogEvent` once; the agent keeps the events in its spool until the shipper has
delivered them. It runs on monitored hosts and collectors beside the exporter, so it installs with the
light extra and never imports :mod:`inframind.analyzer`.
"""
