"""The ``snmp`` prober: SNMP v1/v2c/v3 devices read through ``/probe``, with snmp_exporter's metric names.

- :mod:`.settings` — module (``snmp:`` block) and auth (``type: snmp``) config; dataclasses only, no pysnmp.
- :mod:`.oids`, :mod:`.values`, :mod:`.plan`, :mod:`.mapping` — pure code: what to request, and how
  answered var-binds become metric families.
- :mod:`.credentials` — an auth as pysnmp wants it, and pysnmp's values as plain ones.
- :mod:`.session` — the pysnmp 7 asyncio requests (the only module that talks to the network).
- :mod:`.prober` — one long-lived event loop thread and its engines, shared by all probes.
"""
