"""The analyzer: reads the metric and log stores, turns what it sees into findings, and delivers them.

Heavy dependencies live here (the ``analyzer`` extra); nothing under exporters/ or agent/ imports it.
"""
