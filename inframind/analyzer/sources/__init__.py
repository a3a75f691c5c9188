"""Where the analyzer reads from: the metrics store over the Prometheus HTTP API (:mod:`.promql`)."""
