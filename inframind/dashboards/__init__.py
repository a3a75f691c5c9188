"""Grafana dashboards and provisioning, built in code with Grafana's foundation SDK.

Every dashboard is a function returning a :class:`~inframind.dashboards.kit.Board`; :mod:`.build` renders them
(and the provisioning files) into ``grafana/``, where they are committed. Building in code keeps uids,
variables, selectors and links consistent across dashboards; the tests run every panel's PromQL against a real
VictoriaMetrics.
"""
