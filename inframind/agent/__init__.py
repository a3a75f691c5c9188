"""The agent: reads event sources with cursors and ships LogEvents to a log store.

Sources (files, journald, syslog, SNMP traps, BMC event logs, Windows EventLog) each map what they read
into :class:`inframind.events.LogEvent` once; the pipeline (:mod:`.pipeline`) keeps the events in a disk
buffer until the sink has them. It runs on monitored hosts and collectors beside the exporter, so it
installs with the light extra and never imports :mod:`inframind.analyzer`.
"""
