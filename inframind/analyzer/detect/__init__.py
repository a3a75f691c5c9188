"""Pure detectors: log templates and rates, anomalies, forecasts, failure risk.

Nothing in this package does IO (no files, sockets, HTTP or clock): detectors get plain dataclasses, strings and
numpy arrays from the service layer and return results or Findings, so they are tested without fakes and can run
in worker processes. Persistence and scheduling belong to the analyzer's service layer.
"""
