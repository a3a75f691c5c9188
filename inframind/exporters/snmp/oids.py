"""Numeric object identifiers as tuples of ints: parsed once at config load, compared as tuples at probe time.

Only numeric OIDs are accepted: pysnmp 7 ships no MIBs beyond the SNMP framework ones, so a name such as
``IF-MIB::ifHCInOctets`` could not be resolved at probe time; failing at load time says so up front.
Tuple comparison in Python is lexicographic, which is exactly SNMP's OID ordering.
"""

from __future__ import annotations

from dataclasses import dataclass

OidTuple = tuple[int, ...]


def parse_oid(text: str) -> OidTuple:
    """``1.3.6.1.2.1.2`` (a leading dot is allowed) as a tuple; raises ValueError naming what was wrong."""
    digits = text.strip().removeprefix(".")
    parts = digits.split(".")
    if len(parts) < 2 or not all(p.isdigit() for p in parts):
        raise ValueError(
            f"expected a numeric OID such as 1.3.6.1.2.1.2, got {text!r} "
            "(MIB names are not resolved: pysnmp ships no MIBs, so write the numbers)"
        )
    return tuple(int(p) for p in parts)


def format_oid(arcs: OidTuple) -> str:
    return ".".join(map(str, arcs))


def subtree_end(arcs: OidTuple) -> OidTuple:
    """The first OID after every OID under ``arcs`` (``1.3.6.1.2.1.2`` -> ``1.3.6.1.2.1.3``)."""
    return (*arcs[:-1], arcs[-1] + 1)


def is_under(arcs: OidTuple, prefix: OidTuple) -> bool:
    return arcs[: len(prefix)] == prefix


@dataclass(frozen=True)
class Oid:
    """An OID in config: written ``1.3.6.1.2.1.31.1.1.1.6``, held as a tuple."""

    arcs: OidTuple

    @classmethod
    def from_config(cls, value: object) -> Oid:
        if not isinstance(value, str):
            raise ValueError(f"expected a numeric OID string such as 1.3.6.1.2.1.2, got {value!r}")
        return cls(parse_oid(value))

    def __str__(self) -> str:
        return format_oid(self.arcs)
