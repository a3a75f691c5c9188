"""Assets that agents register over the API (``POST /assets``), kept in the analyzer's state file.

The inventory (YAML in git) stays the curated source of truth; registrations add what agents know about
themselves. :class:`AssetDirectory` merges the two for resolving a name (asset id, host name or address)
to an asset: the inventory first, then registrations. Asset ids are unique across tenants, as in the
inventory, so a tenant can never take over (or learn the labels of) another tenant's asset.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from inframind.inventory import Asset, AssetKind, Inventory

SCHEMA = """
CREATE TABLE IF NOT EXISTS assets (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    kind TEXT NOT NULL,
    site TEXT NOT NULL,
    rack TEXT NOT NULL,
    role TEXT NOT NULL,
    addresses TEXT NOT NULL,
    labels TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS asset_names (
    name TEXT NOT NULL,
    tenant TEXT NOT NULL,
    asset_id TEXT NOT NULL,
    PRIMARY KEY (name, asset_id)
);
CREATE INDEX IF NOT EXISTS asset_names_asset ON asset_names (asset_id);
"""
_COLUMNS = "a.id, a.tenant, a.kind, a.site, a.rack, a.role, a.addresses, a.labels, a.updated_at"


class AssetConflict(Exception):
    """The asset id belongs to another tenant (in the inventory or registered by it)."""


class AssetStateError(Exception):
    """The state file could not be read or written; the message names it."""


@dataclass(frozen=True)
class RegisteredAsset:
    asset: Asset
    updated_at: dt.datetime


def _names(asset: Asset) -> set[str]:
    """What resolves to the asset: its id and addresses, case-insensitive like :meth:`Inventory.by_address`."""
    return {name.lower() for name in (asset.id, *asset.addresses) if name}


def _from_row(row: tuple[Any, ...]) -> RegisteredAsset:
    asset = Asset(
        id=row[0],
        tenant=row[1],
        kind=cast(AssetKind, row[2]),
        site=row[3],
        rack=row[4],
        role=row[5],
        addresses=tuple(json.loads(row[6])),
        labels=json.loads(row[7]),
    )
    return RegisteredAsset(asset, dt.datetime.fromisoformat(row[8]))


class AssetRegistry:
    """Registered assets in one SQLite file (safe to share between request threads)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None, timeout=30)
            self._db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise AssetStateError(f"cannot open the analyzer state {self.path}: {exc}") from None
        self._lock = threading.Lock()

    def register(self, asset: Asset, now: dt.datetime) -> RegisteredAsset:
        """Insert or replace ``asset`` (its names with it); :class:`AssetConflict` if another tenant owns the id."""
        addresses, labels = json.dumps(list(asset.addresses)), json.dumps(dict(asset.labels), sort_keys=True)
        stamp = now.astimezone(dt.UTC).isoformat()
        row = (asset.id, asset.tenant, asset.kind, asset.site, asset.rack, asset.role, addresses, labels, stamp)
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                owner = self._db.execute("SELECT tenant FROM assets WHERE id = ?", (asset.id,)).fetchone()
                if owner is not None and owner[0] != asset.tenant:
                    self._db.execute("ROLLBACK")
                    raise AssetConflict(f"asset id {asset.id!r} is registered by another tenant")
                self._db.execute(
                    "INSERT INTO assets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                    "kind = excluded.kind, site = excluded.site, rack = excluded.rack, role = excluded.role, "
                    "addresses = excluded.addresses, labels = excluded.labels, updated_at = excluded.updated_at",
                    row,
                )
                self._db.execute("DELETE FROM asset_names WHERE asset_id = ?", (asset.id,))
                self._db.executemany(
                    "INSERT INTO asset_names (name, tenant, asset_id) VALUES (?, ?, ?)",
                    [(name, asset.tenant, asset.id) for name in sorted(_names(asset))],
                )
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise AssetStateError(f"cannot store asset {asset.id!r} in {self.path}: {exc}") from None
        return RegisteredAsset(asset, now.astimezone(dt.UTC))

    def _rollback(self) -> None:
        try:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
        except sqlite3.ProgrammingError:  # a closed connection has nothing to roll back
            return

    def resolve(self, name: str, tenant: str | None) -> RegisteredAsset | None:
        """The asset called ``name`` (id first, then address; newest registration wins) in ``tenant``
        (None: any tenant)."""
        sql = (
            f"SELECT {_COLUMNS} FROM asset_names n JOIN assets a ON a.id = n.asset_id WHERE n.name = ?"  # noqa: S608
            + (" AND n.tenant = ?" if tenant is not None else "")
            + " ORDER BY lower(a.id) = n.name DESC, a.updated_at DESC LIMIT 1"
        )
        params = (name.lower(), tenant) if tenant is not None else (name.lower(),)
        with self._lock:
            try:
                row = self._db.execute(sql, params).fetchone()
            except sqlite3.Error as exc:
                raise AssetStateError(f"cannot read assets from {self.path}: {exc}") from None
        return _from_row(row) if row else None

    def list(self, tenant: str | None = None) -> list[RegisteredAsset]:
        """Every registered asset (of ``tenant``; None: all), by id (for the asset listing of the API)."""
        sql = f"SELECT {_COLUMNS} FROM assets a" + (" WHERE a.tenant = ?" if tenant is not None else "")  # noqa: S608
        with self._lock:
            try:
                rows = self._db.execute(sql + " ORDER BY a.id", (tenant,) if tenant is not None else ()).fetchall()
            except sqlite3.Error as exc:
                raise AssetStateError(f"cannot read assets from {self.path}: {exc}") from None
        return [_from_row(row) for row in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()


class AssetDirectory:
    """Name -> asset over the inventory and the registrations, scoped to a tenant."""

    def __init__(self, inventory: Inventory | None, registry: AssetRegistry | None) -> None:
        self.inventory = inventory
        self.registry = registry

    def resolve(self, name: str, tenant: str | None) -> Asset | None:
        """The asset ``name`` stands for in ``tenant`` (None: any tenant), or None when none is known there."""
        if not name:
            return None
        if self.inventory is not None:
            asset = self.inventory.by_address(name)
            if asset is not None and tenant in (None, asset.tenant):
                return asset
        found = self.registry.resolve(name, tenant) if self.registry is not None else None
        if found is None:
            return None
        curated = self.inventory.assets.get(found.asset.id) if self.inventory is not None else None
        return curated if curated is not None and curated.tenant == found.asset.tenant else found.asset

    def register(self, asset: Asset, now: dt.datetime) -> RegisteredAsset:
        if self.registry is None:
            raise AssetStateError("the analyzer has no state file for registered assets (analyzer.state_dir)")
        curated = self.inventory.assets.get(asset.id) if self.inventory is not None else None
        if curated is not None and curated.tenant != asset.tenant:
            raise AssetConflict(f"asset id {asset.id!r} belongs to another tenant in the inventory")
        return self.registry.register(asset, now)
