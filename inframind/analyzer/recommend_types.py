"""What a recommendation is rendered from besides its finding: the inventory, the incident, the other findings of
that incident, and what the context layer measured in the stores (plain numbers, grouped by what they are about).

Shared by the pure side (:mod:`.recommend_facts`, :mod:`.recommend`) and the IO side (:mod:`.recommend_context`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from inframind.analyzer.findings import Finding
from inframind.analyzer.incidents import Incident
from inframind.inventory import Inventory


@dataclass(frozen=True)
class Context:
    inventory: Inventory | None = None
    incident: Incident | None = None
    related: tuple[Finding, ...] = ()
    """The other findings of the incident (or, without one, the active findings near the asset)."""
    measured: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Raw measurements by topic: ``rise`` (the finding's series), ``lun`` (the LUN behind a host device),
    ``rack`` (a rack's day of BMC events), ``drive`` (a drive's Redfish location)."""
