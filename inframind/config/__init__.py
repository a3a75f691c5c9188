"""The main configuration: one YAML file plus ``INFRAMIND__SECTION__FIELD`` environment overrides.

Everything has a default, so every long-running command starts with no file at all. ``inframind.yml`` in
the working directory is read when present; ``--config FILE`` names another (which must then exist).
Errors name the file (or the environment variable), the line and the field: see :mod:`inframind.schema`.
"""

from inframind.config.agent import AgentConfig, TrapSettings, TrapUser, parse_engine_id
from inframind.config.analyzer import (
    ANALYZER_PORT,
    ROLES,
    AnalyzerConfig,
    ApiToken,
    IngestSettings,
    LogAnalysisSettings,
    MetricAnalysisSettings,
    Role,
)
from inframind.config.exporter import (
    EXPORTER_PORT,
    DiskstatsSettings,
    ExporterConfig,
    FilesystemSettings,
    HostPaths,
    NetdevSettings,
    ProbeSettings,
    SmartSettings,
)
from inframind.config.load import DEFAULT_CONFIG_FILE, ENV_PREFIX, Config, LogSettings, load_config
from inframind.config.logstore import LogStoreConfig, OpenSearchStoreSettings, SQLiteStoreSettings
from inframind.config.stack import StackBinaries, StackConfig, StackPorts

__all__ = [
    "ANALYZER_PORT",
    "DEFAULT_CONFIG_FILE",
    "ENV_PREFIX",
    "EXPORTER_PORT",
    "ROLES",
    "AgentConfig",
    "AnalyzerConfig",
    "ApiToken",
    "Config",
    "DiskstatsSettings",
    "ExporterConfig",
    "FilesystemSettings",
    "HostPaths",
    "IngestSettings",
    "LogAnalysisSettings",
    "LogSettings",
    "LogStoreConfig",
    "MetricAnalysisSettings",
    "NetdevSettings",
    "OpenSearchStoreSettings",
    "ProbeSettings",
    "Role",
    "SQLiteStoreSettings",
    "SmartSettings",
    "StackBinaries",
    "StackConfig",
    "StackPorts",
    "TrapSettings",
    "TrapUser",
    "load_config",
    "parse_engine_id",
]
