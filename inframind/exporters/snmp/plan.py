"""What a module asks a device for: GET batches and OID ranges to walk, planned once per module (pure).

Three choices make a probe cheaper and faster than walking each ``walk:`` subtree in turn:

- Only the columns some metric, lookup or sensor scale uses are walked; contiguous columns are walked as
  one range, so a table read whole costs no extra requests.
- The ranges are cut at column boundaries into up to ``parallel`` chains walked concurrently: a walk is a
  chain of dependent requests (each starts where the last answer ended), so one chain leaves the agent
  idle while an answer travels and is decoded; several chains keep it busy.
- In a chain's last column, GETBULK asks only for the rows left (:class:`BulkSizer`).

A metric without indexes is a scalar: its instance ``oid.0`` is fetched with GET, never walked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from inframind.exporters.snmp.oids import OidTuple, is_under, subtree_end
from inframind.exporters.snmp.settings import Settings

GET_BATCH = 16
"""Var-binds per GET request: small enough for any agent's PDU size limit."""


@dataclass(frozen=True)
class Plan:
    gets: tuple[tuple[OidTuple, ...], ...]
    """GET requests, each a batch of instance OIDs."""
    chains: tuple[tuple[OidTuple, OidTuple], ...]
    """``[start, stop)`` OID ranges, each walked by one chain of GETBULK (or GETNEXT) requests."""
    parallel: int
    max_repetitions: int | None = None
    """The module's GETBULK size, overriding the auth's."""


def needed_oids(settings: Settings) -> tuple[set[OidTuple], set[OidTuple]]:
    """(column or subtree OIDs that must be walked, scalar instance OIDs that must be fetched)."""
    walked: set[OidTuple] = set()
    scalars: set[OidTuple] = {g.arcs for g in settings.get}
    for metric in settings.metrics:
        if metric.indexes:
            walked.add(metric.oid.arcs)
        else:
            scalars.add((*metric.oid.arcs, 0))
        walked.update(lookup.oid.arcs for lookup in metric.lookups)
        if metric.sensor_scale is not None:
            walked.update((metric.sensor_scale.scale.arcs, metric.sensor_scale.precision.arcs))
    walked.update(lookup.oid.arcs for lookup in settings.lookups if _used(settings, lookup.labels))
    return walked, scalars


def _used(settings: Settings, labels: Iterable[str]) -> bool:
    """Whether a module-level lookup applies to any metric (else its column need not be read)."""
    wanted = set(labels)
    return any(wanted <= {i.labelname for i in m.indexes} for m in settings.metrics)


def runs(walks: Iterable[OidTuple], needed: set[OidTuple]) -> list[list[tuple[OidTuple, OidTuple]]]:
    """Per walk, the needed OIDs under it as runs of contiguous segments ``[oid, end of oid's subtree)``."""
    found: list[list[tuple[OidTuple, OidTuple]]] = []
    for walk in sorted(walks):
        inside = sorted(n for n in needed if is_under(n, walk))
        segments = [(n, subtree_end(n)) for n in inside if not any(o != n and is_under(n, o) for o in inside)]
        current: list[tuple[OidTuple, OidTuple]] = []
        for segment in segments:
            if current and current[-1][1] != segment[0]:
                found.append(current)
                current = []
            current.append(segment)
        if current:
            found.append(current)
    return found


def split(found: list[list[tuple[OidTuple, OidTuple]]], parallel: int) -> list[tuple[OidTuple, OidTuple]]:
    """Halve the run with most segments until there are ``parallel`` chains or nothing left to cut."""
    pieces = [list(run) for run in found]
    while len(pieces) < parallel:
        widest = max(range(len(pieces)), key=lambda i: len(pieces[i]), default=None)
        if widest is None or len(pieces[widest]) < 2:
            break
        run = pieces.pop(widest)
        half = len(run) // 2
        pieces[widest:widest] = [run[:half], run[half:]]
    pieces.sort(key=len, reverse=True)  # the longest chains start first
    return [(piece[0][0], piece[-1][1]) for piece in pieces]


def make_plan(settings: Settings) -> Plan:
    walked, scalars = needed_oids(settings)
    walks = [w.arcs for w in settings.walk]
    chains = split(runs(walks, walked), settings.parallel)
    instances = sorted(s for s in scalars if not any(start <= s < stop for start, stop in chains))
    batches = tuple(tuple(instances[i : i + GET_BATCH]) for i in range(0, len(instances), GET_BATCH))
    return Plan(batches, tuple(chains), settings.parallel, settings.max_repetitions)


class BulkSizer:
    """How many rows the next GETBULK of a chain asks for.

    The module's size, except in the chain's last column once an earlier column's row count is known: then
    just the rows left plus one to see the column end. Every row past the chain's end costs the agent as
    much as a useful one, and with several chains per probe that waste would add up to a few percent of
    the agent's work. A wrong guess (a sparse column) costs one more request, never a missed row.
    """

    def __init__(self, stop: OidTuple, max_repetitions: int) -> None:
        self.stop = stop
        self.width = len(stop)  # the chain's columns have the length of its stop OID
        self.max_repetitions = max_repetitions
        self.column: OidTuple | None = None
        self.rows = 0
        self.expected: int | None = None

    def seen(self, oid: OidTuple) -> None:
        column = oid[: self.width]
        if column != self.column:
            if self.column is not None:
                self.expected = self.rows
            self.column, self.rows = column, 0
        self.rows += 1

    def size(self) -> int:
        if self.expected is None or self.column is None or subtree_end(self.column) != self.stop:
            return self.max_repetitions
        left = self.expected - self.rows
        if left < 0:  # longer than the estimate: it says nothing about the rest
            return self.max_repetitions
        return min(self.max_repetitions, left + 1)
