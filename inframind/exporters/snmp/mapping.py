"""Answered var-binds -> metric families, as snmp_exporter maps them (pure: no IO, no pysnmp).

Each var-bind is matched to the metric whose OID prefixes it; the rest of its OID is the row's index,
decoded into labels, and lookups add labels read from other columns of the same row. Families are named,
typed and labelled as snmp_exporter names them, so its dashboards and rules read ours:

- ``gauge``/``counter``: the value (times ``scale`` plus ``offset``); counters keep the module's name
  (``ifHCInOctets``, no ``_total``), as snmp_exporter exposes them;
- ``DisplayString`` and the other text types: value 1 with the text in a label named like the metric;
- ``EnumAsInfo``: ``<name>_info`` with the enum name as label; ``EnumAsStateSet``: one 0/1 sample per state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from prometheus_client.core import GaugeMetricFamily, Metric

from inframind.exporters.snmp.oids import OidTuple
from inframind.exporters.snmp.settings import LookupDef, MetricDef, Settings, enum_map
from inframind.exporters.snmp.values import Value, as_number, as_text, sensor_value, split_index

Labels = dict[str, str]


@dataclass(frozen=True)
class _Lookup:
    labels: tuple[str, ...]
    labelname: str
    oid: OidTuple
    type: str
    enum: Mapping[int, str]


@dataclass(frozen=True)
class _Metric:
    """A metric definition prepared for matching: its OID as a tuple, its lookups resolved, enums as ints."""

    spec: MetricDef
    oid: OidTuple
    lookups: tuple[_Lookup, ...]
    enum: Mapping[int, str]
    row_kind: int
    """Metrics with the same indexes and lookups share one labels dict per row (computed once)."""

    @property
    def family_name(self) -> str:
        return f"{self.spec.name}_info" if self.spec.type == "EnumAsInfo" else self.spec.name


def _prepare(metric: MetricDef, shared: tuple[LookupDef, ...], kinds: dict[object, int]) -> _Metric:
    index_labels = {i.labelname for i in metric.indexes}
    applicable = [*metric.lookups, *(lk for lk in shared if set(lk.labels) <= index_labels)]
    lookups = tuple(
        _Lookup(lk.labels, lk.labelname, lk.oid.arcs, lk.type, enum_map(lk.enum_values)) for lk in applicable
    )
    signature = (
        tuple((i.labelname, i.type) for i in metric.indexes),
        tuple((lk.labels, lk.labelname, lk.oid, lk.type, tuple(sorted(lk.enum.items()))) for lk in lookups),
    )
    row_kind = kinds.setdefault(signature, len(kinds))
    return _Metric(metric, metric.oid.arcs, lookups, enum_map(metric.enum_values), row_kind)


class Mapper:
    """One module's metrics, prepared once and applied to every probe's answers."""

    def __init__(self, settings: Settings) -> None:
        kinds: dict[object, int] = {}
        self.metrics = [_prepare(m, settings.lookups, kinds) for m in settings.metrics]
        self._by_oid = {m.oid: m for m in self.metrics}
        self._lengths = sorted({len(m.oid) for m in self.metrics})

    def match(self, oid: OidTuple) -> _Metric | None:
        """The metric whose OID prefixes ``oid`` (the shortest, as snmp_exporter walks its metric tree)."""
        for length in self._lengths:
            metric = self._by_oid.get(oid[:length])
            if metric is not None and len(oid) > length:
                return metric
        return None

    def families(self, pdus: Mapping[OidTuple, Value]) -> list[Metric]:
        """Every family with at least one sample, in module order; rows sorted by their OID."""
        found: dict[str, Metric] = {}
        rows: dict[tuple[int, OidTuple], Labels] = {}
        for oid in sorted(pdus):
            metric = self.match(oid)
            if metric is None:
                continue
            suffix = oid[len(metric.oid) :]
            key = (metric.row_kind, suffix)
            labels = rows.get(key)
            if labels is None:
                labels = rows[key] = self._labels(metric, suffix, pdus)
            family = found.get(metric.family_name)
            if family is None:
                family = found[metric.family_name] = _family(metric)
            value = pdus[oid]
            if metric.spec.type in ("gauge", "counter"):
                number = _number(metric.spec, value, suffix, pdus)
                if number is not None:
                    family.add_sample(family.name, labels, number)
            else:
                _add_text(family, metric, labels, value)
        order = {m.family_name: n for n, m in enumerate(self.metrics)}
        return sorted((f for f in found.values() if f.samples), key=lambda f: order[f.name])

    @staticmethod
    def _labels(metric: _Metric, suffix: OidTuple, pdus: Mapping[OidTuple, Value]) -> Labels:
        labels: Labels = {}
        arcs: dict[str, OidTuple] = {}
        rest = suffix
        for index in metric.spec.indexes:
            text, taken, rest = split_index(rest, index.type)
            labels[index.labelname] = text
            arcs[index.labelname] = taken
        for lookup in metric.lookups:
            address = lookup.oid + tuple(a for label in lookup.labels for a in arcs[label])
            value = pdus.get(address)
            if value is None:
                labels[lookup.labelname] = ""
            elif lookup.enum and isinstance(value, int):
                labels[lookup.labelname] = lookup.enum.get(value, str(value))
            else:
                labels[lookup.labelname] = as_text(value, lookup.type)
        return labels


def _family(metric: _Metric) -> Metric:
    kind = "counter" if metric.spec.type == "counter" else "gauge"
    return Metric(metric.family_name, metric.spec.help or metric.spec.name, kind)


def _number(spec: MetricDef, value: Value, suffix: OidTuple, pdus: Mapping[OidTuple, Value]) -> float | None:
    """A numeric sample's value; None for a text or OID answer under a numeric metric (no sample)."""
    number = as_number(value)
    if number is None:
        return None
    if spec.sensor_scale is not None:
        scale, precision = spec.sensor_scale.scale.arcs, spec.sensor_scale.precision.arcs
        number = sensor_value(number, pdus.get(scale + suffix), pdus.get(precision + suffix))
    if spec.scale is not None:
        number *= spec.scale
    return number + spec.offset


def _add_text(family: Metric, metric: _Metric, labels: Labels, value: Value) -> None:
    spec = metric.spec
    name = family.name
    if spec.type == "EnumAsInfo":
        state = metric.enum.get(value, as_text(value, "gauge")) if isinstance(value, int) else as_text(value, "gauge")
        family.add_sample(name, {**labels, spec.name: state}, 1.0)
    elif spec.type == "EnumAsStateSet":
        current = value if isinstance(value, int) else None
        for number, state in metric.enum.items():
            family.add_sample(name, {**labels, spec.name: state}, 1.0 if number == current else 0.0)
        if current not in metric.enum:
            family.add_sample(name, {**labels, spec.name: as_text(value, "gauge")}, 1.0)
    else:
        family.add_sample(name, {**labels, spec.name: as_text(value, spec.type)}, 1.0)


def scrape_families(walk_seconds: float, pdus: int) -> list[Metric]:
    """snmp_exporter's own per-scrape figures, under its names (dashboards graph them)."""
    return [
        GaugeMetricFamily(
            "snmp_scrape_walk_duration_seconds", "Time the SNMP requests of this probe took.", value=walk_seconds
        ),
        GaugeMetricFamily("snmp_scrape_pdus_returned", "Var-binds the device returned.", value=float(pdus)),
    ]
