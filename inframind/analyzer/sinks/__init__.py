"""Where the analyzer's outputs go: VictoriaMetrics (samples from agent events); Alertmanager and ITSM later."""
