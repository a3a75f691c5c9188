"""InfraMind Monitor: collect, watch and explain infrastructure, inside the Prometheus ecosystem."""

__version__ = "0.1.0"
