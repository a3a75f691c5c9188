"""Resolved credentials as pysnmp wants them, and pysnmp's values as plain ones (the pysnmp type boundary).

Kept apart from the request code so both can be tested without a network: what an auth becomes on the wire
(community or USM user and protocols), which engine serves it, and how each SMI type reads as a plain value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pyasn1.type import univ
from pysnmp.hlapi.v3arch.asyncio import CommunityData, UsmUserData
from pysnmp.hlapi.v3arch.asyncio import auth as usm
from pysnmp.proto import rfc1902

from inframind.exporters.snmp.values import COUNTER64_WRAP, Value, decode_opaque

AUTH_PROTOCOLS = {
    "MD5": usm.USM_AUTH_HMAC96_MD5,
    "SHA": usm.USM_AUTH_HMAC96_SHA,
    "SHA224": usm.USM_AUTH_HMAC128_SHA224,
    "SHA256": usm.USM_AUTH_HMAC192_SHA256,
    "SHA384": usm.USM_AUTH_HMAC256_SHA384,
    "SHA512": usm.USM_AUTH_HMAC384_SHA512,
}
PRIV_PROTOCOLS = {
    "DES": usm.USM_PRIV_CBC56_DES,
    "AES": usm.USM_PRIV_CFB128_AES,
    "AES192": usm.USM_PRIV_CFB192_AES_BLUMENTHAL,
    "AES256": usm.USM_PRIV_CFB256_AES_BLUMENTHAL,
    "AES192C": usm.USM_PRIV_CFB192_AES,
    "AES256C": usm.USM_PRIV_CFB256_AES,
}


@dataclass(frozen=True)
class Credentials:
    """An auth with its secrets read: resolved at each probe, never stored beyond it."""

    version: str
    community: str = ""
    username: str = ""
    security_level: str = "noAuthNoPriv"
    auth_protocol: str | None = None
    auth_key: str | None = None
    priv_protocol: str | None = None
    priv_key: str | None = None
    context_name: str = ""
    retries: int = 1
    max_repetitions: int = 25

    def __repr__(self) -> str:
        return f"Credentials(version={self.version!r}, username={self.username!r}, <secrets redacted>)"

    @property
    def engine_key(self) -> tuple[str | None, ...]:
        """Which engine serves these credentials: v1/v2c share one, each v3 user and key set has its own
        (pysnmp keeps USM users by name and caches keys localized per device, so two key sets for one user
        name must not meet in one engine)."""
        if self.version != "3":
            return ()
        return (self.username, self.auth_protocol, self.auth_key, self.priv_protocol, self.priv_key)

    def auth_data(self) -> CommunityData | UsmUserData:
        if self.version != "3":
            return CommunityData(self.community, mpModel=0 if self.version == "1" else 1)
        options: dict[str, Any] = {}
        if self.auth_protocol and self.security_level != "noAuthNoPriv":
            options.update(authKey=self.auth_key, authProtocol=AUTH_PROTOCOLS[self.auth_protocol])
        if self.priv_protocol and self.security_level == "authPriv":
            options.update(privKey=self.priv_key, privProtocol=PRIV_PROTOCOLS[self.priv_protocol])
        return UsmUserData(self.username, **options)  # noqa: S509 - the device's security level decides


def _converter(cls: type) -> Callable[[Any], Value | None]:
    """How values of one pysnmp class become plain values (decided once per class)."""
    if issubclass(cls, univ.Null):  # also noSuchObject, noSuchInstance, endOfMibView (Null is an OctetString)
        return lambda v: None
    if issubclass(cls, rfc1902.Counter64):
        return lambda v: int(v) % COUNTER64_WRAP
    if issubclass(cls, univ.Integer):
        return int
    if issubclass(cls, rfc1902.Opaque):
        return lambda v: decode_opaque(v.asOctets())
    if issubclass(cls, univ.OctetString):
        return lambda v: bytes(v.asOctets())
    if issubclass(cls, univ.ObjectIdentifier):
        return lambda v: tuple(v.asTuple())
    return lambda v: None


_CONVERTERS: dict[type, Callable[[Any], Value | None]] = {}


def plain(value: Any) -> Value | None:
    """A var-bind value as int, float, bytes or OID tuple; None for the no-value markers."""
    cls = type(value)
    convert = _CONVERTERS.get(cls)
    if convert is None:
        convert = _CONVERTERS[cls] = _converter(cls)
    return convert(value)
