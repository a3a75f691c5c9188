"""The sections: which links each one follows, and which parser reads what it finds.

Each section gets its own :class:`Walk`, which records failed reads instead of raising, so a section
keeps whatever it could read and reports its success apart from the others. Collections are read with
their pages (``Members@odata.nextLink``) and with members the BMC already expanded inline used as given.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Future

from inframind.exporters.redfish import parse, parse_env, parse_storage
from inframind.exporters.redfish.client import RedfishClient, ResourceError
from inframind.exporters.redfish.parse import Json, ident, items, link, links, number, text
from inframind.exporters.redfish.readings import Readings
from inframind.exporters.redfish.settings import Settings

MAX_PAGES = 100
"""Pages followed per collection: a BMC whose nextLink loops must not hold a probe to its deadline."""


def _expanded(member: Json) -> bool:
    return any(not key.startswith("@odata.") for key in member)


class Walk:
    """One section's reads through the shared client."""

    def __init__(self, client: RedfishClient) -> None:
        self.client = client
        self.failures: list[str] = []
        self.missing = 0

    def _wait(self, future: Future[Json]) -> Json | None:
        try:
            return future.result()
        except ResourceError as exc:
            if exc.missing:
                self.missing += 1
            else:
                self.failures.append(exc.message)
            return None

    def prefetch(self, paths: Iterable[str | None]) -> None:
        """Start reads now so the section's next steps find them done (one round trip, not several)."""
        for path in paths:
            if path is not None:
                self.client.submit(path)

    def get(self, path: str | None) -> Json | None:
        return None if path is None else self._wait(self.client.submit(path))

    def get_each(self, paths: Iterable[str | None]) -> list[Json]:
        """One resource per path, in parallel; ``{}`` where there is no path or the read failed."""
        futures = [None if p is None else self.client.submit(p) for p in paths]
        return [{} if f is None else (self._wait(f) or {}) for f in futures]

    def collection(self, path: str | None, limit: int | None = None) -> tuple[list[Json], float | None]:
        """Up to ``limit`` members and the count the first page reports."""
        page, pages = self.get(path), 0
        reported = number(page, "Members@odata.count")
        inline: list[Json] = []
        refs: list[str] = []
        while page is not None:
            for member in items(page, "Members"):
                if limit is not None and len(inline) + len(refs) >= limit:
                    break
                if _expanded(member):
                    inline.append(member)
                elif isinstance(member.get("@odata.id"), str):
                    refs.append(member["@odata.id"])
            following = page.get("Members@odata.nextLink")
            pages += 1
            full = limit is not None and len(inline) + len(refs) >= limit
            if full or not isinstance(following, str) or pages >= MAX_PAGES:
                break
            page = self.get(following)
        return inline + [m for m in self.get_each(refs) if m], reported

    def members(self, path: str | None) -> list[Json]:
        return self.collection(path)[0]


Collect = Callable[[Walk, Json, Settings, Readings], None]


def _systems(walk: Walk, root: Json) -> list[Json]:
    return walk.members(link(root, "Systems"))


def _chassis(walk: Walk, root: Json) -> list[Json]:
    return walk.members(link(root, "Chassis"))


def _managers(walk: Walk, root: Json) -> list[Json]:
    return walk.members(link(root, "Managers"))


def collect_systems(walk: Walk, root: Json, settings: Settings, out: Readings) -> None:
    systems = _systems(walk, root)
    walk.prefetch(link(s, key) for s in systems for key in ("Processors", "Memory"))
    for system in systems:
        sid = ident(system)
        out.systems.append(parse.system(system))
        out.processors.extend(parse.processor(sid, p) for p in walk.members(link(system, "Processors")))
        out.memory.extend(parse.memory(sid, m) for m in walk.members(link(system, "Memory")))


def collect_chassis(walk: Walk, root: Json, settings: Settings, out: Readings) -> None:
    out.chassis.extend(parse.chassis(c) for c in _chassis(walk, root))


def collect_managers(walk: Walk, root: Json, settings: Settings, out: Readings) -> None:
    out.managers.extend(parse.manager(m) for m in _managers(walk, root))


def _classic(settings: Settings, chassis: Json, key: str) -> bool:
    return settings.sensor_source == "classic" or (settings.sensor_source == "auto" and link(chassis, key) is not None)


def collect_thermal(walk: Walk, root: Json, settings: Settings, out: Readings) -> None:
    for chassis in _chassis(walk, root):
        cid = ident(chassis)
        if _classic(settings, chassis, "Thermal"):
            thermal = walk.get(link(chassis, "Thermal")) or {}
            out.temperatures.extend(parse_env.classic_temperatures(cid, thermal))
            out.fans.extend(parse_env.classic_fans(cid, thermal))
            continue
        walk.prefetch([link(chassis, "Sensors"), link(chassis, "ThermalSubsystem")])
        sensors = walk.members(link(chassis, "Sensors"))
        out.temperatures.extend(parse_env.sensor_temperature(cid, s) for s in sensors if parse_env.is_temperature(s))
        subsystem = walk.get(link(chassis, "ThermalSubsystem")) or {}
        out.fans.extend(parse_env.subsystem_fan(cid, f) for f in walk.members(link(subsystem, "Fans")))


def collect_power(walk: Walk, root: Json, settings: Settings, out: Readings) -> None:
    for chassis in _chassis(walk, root):
        cid = ident(chassis)
        if _classic(settings, chassis, "Power"):
            power = walk.get(link(chassis, "Power")) or {}
            out.power_supplies.extend(parse_env.classic_power_supplies(cid, power))
            out.power_controls.extend(parse_env.classic_power_controls(cid, power))
            continue
        walk.prefetch([link(chassis, "PowerSubsystem"), link(chassis, "EnvironmentMetrics")])
        subsystem = walk.get(link(chassis, "PowerSubsystem")) or {}
        supplies = walk.members(link(subsystem, "PowerSupplies"))
        metrics = walk.get_each(link(s, "Metrics") for s in supplies)
        out.power_supplies.extend(
            parse_env.subsystem_power_supply(cid, s, m) for s, m in zip(supplies, metrics, strict=True)
        )
        environment = parse_env.environment_power(cid, walk.get(link(chassis, "EnvironmentMetrics")) or {})
        if environment is not None:
            out.power_controls.append(environment)


def collect_storage(walk: Walk, root: Json, settings: Settings, out: Readings) -> None:
    for system in _systems(walk, root):
        sid = ident(system)
        subsystems = walk.members(link(system, "Storage"))
        walk.prefetch(link(st, key) for st in subsystems for key in ("Controllers", "Volumes"))
        walk.prefetch(path for st in subsystems for path in links(st, "Drives"))
        for st in subsystems:
            stid = ident(st)
            out.storage.append(parse_storage.storage(sid, st))
            inline = items(st, "StorageControllers")
            controllers = inline or walk.members(link(st, "Controllers"))
            out.controllers.extend(parse_storage.controller(sid, stid, c, str(i)) for i, c in enumerate(controllers))
            out.drives.extend(parse_storage.drive(sid, stid, d) for d in walk.get_each(links(st, "Drives")) if d)
            out.volumes.extend(parse_storage.volume(sid, stid, v) for v in walk.members(link(st, "Volumes")))


def collect_logs(walk: Walk, root: Json, settings: Settings, out: Readings) -> None:
    owners = [*_systems(walk, root), *_managers(walk, root), *_chassis(walk, root)]
    walk.prefetch(link(owner, "LogServices") for owner in owners)
    services = [s for owner in owners for s in walk.members(link(owner, "LogServices"))]
    for service in services:
        entries, reported = walk.collection(link(service, "Entries"), limit=settings.log_entry_limit)
        out.logs.append(parse.log_service(text(service, "@odata.id"), reported, entries))


def collect_firmware(walk: Walk, root: Json, settings: Settings, out: Readings) -> None:
    update = walk.get(link(root, "UpdateService")) or {}
    inventory = link(update, "FirmwareInventory") or link(update, "SoftwareInventory")
    out.firmware.extend(parse.firmware(f) for f in walk.members(inventory))


SECTIONS: dict[str, Collect] = {
    "systems": collect_systems,
    "chassis": collect_chassis,
    "managers": collect_managers,
    "thermal": collect_thermal,
    "power": collect_power,
    "storage": collect_storage,
    "logs": collect_logs,
    "firmware": collect_firmware,
}
"""Each section's collector; the prober runs them concurrently over one client."""
