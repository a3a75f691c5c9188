"""The inventory as an *impact* graph: which asset's trouble can show up on which other asset, and by what path.

Every inventory edge is declared on the dependent asset (``srv-db-03: depends: {uses-lun: [lun-12]}``), so
``source --kind--> target`` reads "source depends on target", and trouble (the cause) flows the other way,
from target to source:

=============  ==========================================  =============================================
edge           declared as                                 causes flow
=============  ==========================================  =============================================
runs-on        vm/service ``runs-on`` hypervisor/host      host -> what runs on it (all symptoms)
powered-by     host/rack/shelf ``powered-by`` PDU/UPS      PDU/UPS -> what it powers (power, then all)
cooled-by      host/rack ``cooled-by`` CRAC/cooling unit   cooling -> what it cools (thermal symptoms)
uses-lun       host/vm ``uses-lun`` LUN                    LUN -> the hosts using it (I/O symptoms);
                                                           a LUN ``runs-on`` its shelf/controller
in-rack        host/shelf/switch ``in-rack`` rack          rack -> what stands in it (shared power and
                                                           airflow: thermal and power symptoms)
connected-to   host ``connected-to`` switch (or any link)  **both ways**: a link fault shows at either
                                                           end, so the earlier end ranks first; a path
                                                           crosses at most one link, and a link is never
                                                           the "shared dependency" of two assets (a core
                                                           switch would otherwise join every host)
=============  ==========================================  =============================================

Paths are written from the cause to the affected asset with the edge kind between each pair:
``("lun-12", "uses-lun", "srv-db-03")`` or ``("crac-3", "cooled-by", "R3", "in-rack", "R3-01")``.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable

from inframind.inventory import EdgeKind, Inventory

LINK: EdgeKind = "connected-to"
Path = tuple[str, ...]

_SYMPTOMS: dict[str, re.Pattern[str]] = {
    "cooled-by": re.compile(r"therm|temperat|celsius|fan|cool|airflow|overheat", re.I),
    "powered-by": re.compile(r"power|volt|psu|watt|\bups\b|outage|mains|brownout", re.I),
    "uses-lun": re.compile(r"iowait|\bi/?o\b|_io_|disk|lun|latency|queue|write|read|storage|scsi|multipath", re.I),
    "connected-to": re.compile(r"network|link|interface|packet|\bif_|carrier|drop|unreachable|timeout|crc", re.I),
}
_SYMPTOMS["in-rack"] = re.compile(f"{_SYMPTOMS['cooled-by'].pattern}|{_SYMPTOMS['powered-by'].pattern}", re.I)


def edge_relevance(kind: str, symptoms: str) -> float:
    """How well an edge explains the symptoms' text: 1.0 when it matches them (``runs-on`` carries everything),
    0.8 for a matching ``in-rack`` (a rack shares power and air, it is not the unit that supplies them), 0.4
    when it does not match (a PDU rarely explains a template change)."""
    pattern = _SYMPTOMS.get(kind)
    if pattern is not None and not pattern.search(symptoms):
        return 0.4
    return 0.8 if kind == "in-rack" else 1.0


def path_relevance(path: Path, symptoms: str) -> float:
    """Mean relevance of a path's edges; 1.0 for an empty path (the cause is on the asset itself)."""
    kinds = path[1::2]
    return sum(edge_relevance(k, symptoms) for k in kinds) / len(kinds) if kinds else 1.0


class ImpactGraph:
    """The dependency edges of an inventory, walkable from an affected asset up to what it depends on."""

    def __init__(self, inventory: Inventory | None) -> None:
        self._up: dict[str, list[tuple[str, str]]] = {}
        self._kinds: dict[str, str] = {}
        self._cache: dict[tuple[str, int, bool], dict[str, Path]] = {}
        if inventory is None:
            return
        self._kinds = {a.id: a.kind for a in inventory.assets.values()}
        for edge in inventory.edges:
            self._up.setdefault(edge.source, []).append((edge.target, edge.kind))
            if edge.kind == LINK:  # a link fault shows at either end
                self._up.setdefault(edge.target, []).append((edge.source, edge.kind))
        for targets in self._up.values():
            targets.sort()

    def kind_of(self, asset: str) -> str:
        """The asset's inventory kind (``lun``, ``rack`` ...), or empty when the inventory does not know it."""
        return self._kinds.get(asset, "")

    def upstream(self, asset: str, max_hops: int, *, links: bool = True) -> dict[str, Path]:
        """Every asset whose trouble can reach ``asset`` within ``max_hops`` edges, with the shortest path from it
        to ``asset``; ``links=False`` leaves out paths through ``connected-to``. Cached: the graph never changes."""
        key = (asset, max_hops, links)
        if key in self._cache:
            return self._cache[key]
        found: dict[str, Path] = {}
        queue: deque[tuple[str, Path, bool]] = deque([(asset, (asset,), False)])
        seen = {(asset, False)}
        while queue:
            node, path, crossed = queue.popleft()
            if len(path) // 2 >= max_hops:
                continue
            for target, kind in self._up.get(node, ()):
                is_link = kind == LINK
                if is_link and (crossed or not links):
                    continue
                state = (target, crossed or is_link)
                if state in seen or target == asset:
                    continue
                seen.add(state)
                longer = (target, kind, *path)
                found.setdefault(target, longer)
                queue.append((target, longer, crossed or is_link))
        self._cache[key] = found
        return found

    def path(self, cause: str, affected: str, max_hops: int) -> Path | None:
        """The shortest path from ``cause`` down to ``affected`` (``(asset,)`` when they are the same asset)."""
        if cause == affected:
            return (cause,)
        return self.upstream(affected, max_hops).get(cause)

    def common_upstream(self, assets: Iterable[str], max_hops: int) -> dict[str, dict[str, Path]]:
        """Assets (not among ``assets``) that two or more of ``assets`` depend on within ``max_hops``, each with
        its path down to every asset it reaches; links excluded."""
        assets = sorted(set(assets))
        reach: dict[str, dict[str, Path]] = {}
        for asset in assets:
            for up, path in self.upstream(asset, max_hops, links=False).items():
                reach.setdefault(up, {})[asset] = path
        return {up: paths for up, paths in reach.items() if len(paths) >= 2 and up not in assets}
