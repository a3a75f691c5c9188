"""The ``ssh`` prober: node_exporter's Linux families for a host that runs no agent, read over SSH.

``settings`` holds the light config types (imported when a config is validated), ``script`` the fixed
remote shell script and the splitting of its output, ``families`` and ``smart`` turn that output into
families with the host exporter's and the smart collector's own parsers, ``hostkeys`` checks and pins
host keys, ``connection`` and ``pool`` hold paramiko, and ``prober`` ties them together.
"""
