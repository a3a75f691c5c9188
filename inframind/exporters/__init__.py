"""Prometheus exporters: the host exporter's collectors, and (later) /probe modules for remote devices.

This package is what a monitored host installs (the ``exporters`` extra): it never imports the analyzer.
"""
