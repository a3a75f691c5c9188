"""SNMPv3 users and communities of the trap receiver, as pysnmp's engine wants them.

Secrets are resolved here, once, when the receiver is built; the resolved values live only in
:class:`ResolvedUser` (kept out of its repr) and in pysnmp's engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pysnmp.entity import config as snmp_config  # type: ignore[import-untyped, unused-ignore]
from pysnmp.proto import rfc1902  # type: ignore[import-untyped, unused-ignore]

from inframind.config import TrapSettings, TrapUser, parse_engine_id

AUTH_PROTOCOLS: Mapping[str, Any] = {
    "MD5": snmp_config.USM_AUTH_HMAC96_MD5,
    "SHA": snmp_config.USM_AUTH_HMAC96_SHA,
    "SHA224": snmp_config.USM_AUTH_HMAC128_SHA224,
    "SHA256": snmp_config.USM_AUTH_HMAC192_SHA256,
    "SHA384": snmp_config.USM_AUTH_HMAC256_SHA384,
    "SHA512": snmp_config.USM_AUTH_HMAC384_SHA512,
}
PRIV_PROTOCOLS: Mapping[str, Any] = {
    "DES": snmp_config.USM_PRIV_CBC56_DES,
    "AES": snmp_config.USM_PRIV_CFB128_AES,
    # net-snmp's AES-192/AES-256 extend short keys per draft-blumenthal-aes-usm (checked against snmptrap).
    "AES192": snmp_config.USM_PRIV_CFB192_AES_BLUMENTHAL,
    "AES256": snmp_config.USM_PRIV_CFB256_AES_BLUMENTHAL,
}


@dataclass(frozen=True)
class ResolvedUser:
    """A v3 user with its secrets resolved (kept out of repr)."""

    name: str
    auth: Any
    auth_key: str | None = field(repr=False)
    priv: Any
    priv_key: str | None = field(repr=False)
    engine_id: bytes | None

    @classmethod
    def resolve(cls, user: TrapUser, env: Mapping[str, str] | None) -> ResolvedUser:
        return cls(
            user.username,
            AUTH_PROTOCOLS[user.auth_protocol] if user.auth_protocol else snmp_config.USM_AUTH_NONE,
            user.auth_password.resolve(env) if user.auth_password else None,
            PRIV_PROTOCOLS[user.priv_protocol] if user.priv_protocol else snmp_config.USM_PRIV_NONE,
            user.priv_password.resolve(env) if user.priv_password else None,
            parse_engine_id(user.engine_id) if user.engine_id else None,
        )


def resolve_communities(settings: TrapSettings, env: Mapping[str, str] | None = None) -> list[str]:
    return [ref.resolve(env) for ref in settings.communities]


def add_credentials(engine: Any, communities: list[str], users: list[ResolvedUser]) -> None:
    """Register communities and users with a pysnmp engine (on the engine's loop thread)."""
    for i, community in enumerate(communities):
        snmp_config.add_v1_system(engine, f"community-{i}", community)  # the index, not the secret, names it
    for user in users:
        # Informs are sent to our engine (the sender discovers its id); traps come localized to the
        # sender's own engine id, so a user with an engine id is registered for both.
        for engine_id in (None, user.engine_id) if user.engine_id else (None,):
            snmp_config.add_v3_user(
                engine,
                user.name,
                user.auth,
                user.auth_key,
                user.priv,
                user.priv_key,
                securityEngineId=rfc1902.OctetString(engine_id) if engine_id else None,
            )
