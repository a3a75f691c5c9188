"""The analyzer's ingest API: log event batches from the agent, and the endpoints earlier agents call.

- :mod:`.batch`: limits, the bounded body read, per-event rejections, the answer models;
- :mod:`.logs`: ``POST /api/v1/logs`` events (``LogEvent.to_dict()``);
- :mod:`.legacy`: ``POST /ingest/events`` events mapped to LogEvents and VictoriaMetrics samples;
- :mod:`.assets`: ``POST /assets`` request and answer;
- :mod:`.routes`: the router that wires them to the log store, the asset directory and VictoriaMetrics.
"""

from inframind.analyzer.ingest.batch import IngestLimits
from inframind.analyzer.ingest.routes import ingest_router

__all__ = ["IngestLimits", "ingest_router"]
