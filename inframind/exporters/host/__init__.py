"""Host collectors emitting node_exporter's metric names and labels, read from procfs and sysfs.

Each module provides ``create(config: ExporterConfig) -> Collector``; see :mod:`inframind.exporters.registry`.
"""
