"""Grafana provisioning: the three datasources the dashboards name by uid, and the file provider that loads them.

URLs are the service names of the compose stack (``deploy/compose``); Helm and other deployments mount their
own copy. The dashboards provider reads ``DASHBOARDS_PATH``, where the stack mounts ``grafana/dashboards``.

OpenSearch runs with its security plugin on (TLS on 9200, basic auth), so the datasource speaks HTTPS and takes
its credentials from the Grafana container's environment (Grafana expands ``$NAME`` in provisioning files;
the compose stacks set both variables). Its certificate is the OpenSearch image's generated demo one, which no
CA vouches for: ``tlsSkipVerify`` is the compose demo default, to be replaced by the CA (``tlsAuthWithCACert``
and ``secureJsonData.tlsCACert``, see grafana/README.md) once OpenSearch has a real certificate.
"""

from __future__ import annotations

from typing import Any

from inframind.dashboards.kit import ALERTMANAGER_UID, OPENSEARCH, OPENSEARCH_UID, VM, VM_UID

DASHBOARDS_PATH = "/var/lib/grafana/dashboards/inframind"
FOLDER = "InfraMind"
OPENSEARCH_AUTH_ENV = ("INFRAMIND_OPENSEARCH_USER", "INFRAMIND_OPENSEARCH_PASSWORD")
"""Environment variables of the Grafana container holding the OpenSearch datasource's basic-auth credentials."""
LOG_INDEX = "inframind-logs-*"
"""The OpenSearch log store's daily indices (``logstore.opensearch.index_prefix`` + ``-*``)."""


def datasources() -> dict[str, Any]:
    """VictoriaMetrics through Grafana's Prometheus datasource, the OpenSearch log store and Alertmanager."""
    return {
        "apiVersion": 1,
        "datasources": [
            {
                "name": "VictoriaMetrics",
                "uid": VM_UID,
                "type": VM.type_val,
                "access": "proxy",
                "url": "http://victoriametrics:8428",
                "isDefault": True,
                "editable": False,
                "jsonData": {"httpMethod": "POST", "timeInterval": "30s", "prometheusType": "Prometheus"},
            },
            {
                "name": "OpenSearch logs",
                "uid": OPENSEARCH_UID,
                "type": OPENSEARCH.type_val,
                "access": "proxy",
                "url": "https://opensearch:9200",
                "editable": False,
                "basicAuth": True,
                "basicAuthUser": f"${OPENSEARCH_AUTH_ENV[0]}",
                "secureJsonData": {"basicAuthPassword": f"${OPENSEARCH_AUTH_ENV[1]}"},
                "jsonData": {
                    "tlsSkipVerify": True,
                    "database": LOG_INDEX,
                    "flavor": "opensearch",
                    "version": "2.11.0",
                    "timeField": "timestamp",
                    "logMessageField": "message",
                    "logLevelField": "level",
                    "maxConcurrentShardRequests": 5,
                },
            },
            {
                "name": "Alertmanager",
                "uid": ALERTMANAGER_UID,
                "type": "alertmanager",
                "access": "proxy",
                "url": "http://alertmanager:9093",
                "editable": False,
                "jsonData": {"implementation": "prometheus", "handleGrafanaManagedAlerts": False},
            },
        ],
    }


def dashboard_provider() -> dict[str, Any]:
    """One file provider for the generated dashboards; the UI cannot overwrite them (git is the source)."""
    return {
        "apiVersion": 1,
        "providers": [
            {
                "name": "inframind",
                "orgId": 1,
                "folder": FOLDER,
                "folderUid": "inframind",
                "type": "file",
                "disableDeletion": True,
                "allowUiUpdates": False,
                "updateIntervalSeconds": 60,
                "options": {"path": DASHBOARDS_PATH, "foldersFromFilesStructure": False},
            }
        ],
    }
