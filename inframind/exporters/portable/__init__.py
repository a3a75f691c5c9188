"""The ``psutil`` host backend: node_exporter's Linux metric names on any OS psutil supports.

For hosts without Linux procfs (FreeBSD/TrueNAS storage heads, macOS, Windows), and on Linux when
``exporter.host_backend: psutil`` forces it. Each module provides ``create(config) -> Collector`` and
emits the same family names, types and label names as its procfs twin in :mod:`inframind.exporters.host`,
so one dashboard and one rule set serve every host; a series psutil cannot give with the same meaning is
left out, never filled in. Each module's docstring says which OS field becomes which series.

psutil reads the host it runs on: on Linux it reads ``/proc`` through the process-wide
``psutil.PROCFS_PATH``, which this backend never changes, so ``--path.procfs`` and ``--path.rootfs`` do not
apply (a warning says so once). The ``time`` collector is shared with the procfs backend.
"""
