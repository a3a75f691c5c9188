"""Datasource uids the dashboards use, importable without Grafana's SDK (``inframind vmauth datasources``)."""

VM_UID = "inframind-victoriametrics"
