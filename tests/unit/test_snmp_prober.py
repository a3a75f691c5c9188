"""The prober's own bookkeeping, without a device: engines per credential set, default auth, secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from inframind.exporters.probe.base import ProbeError
from inframind.exporters.snmp import prober
from inframind.exporters.snmp.prober import Engines, resolve
from inframind.exporters.snmp.settings import Auth
from inframind.schema import build


def test_idle_v3_engines_are_pruned_but_the_shared_one_stays(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prober, "IDLE_ENGINES", 2)
    engines = Engines()
    shared = engines.acquire(())
    engines.release(())
    busy = engines.acquire(("busy",))
    for n in range(5):
        engines.acquire((f"user{n}",))
        engines.release((f"user{n}",))
    assert engines.acquire(()) is shared  # never pruned, even when idle
    assert engines.acquire(("busy",)) is busy  # in use: kept
    idle = [k for k in engines._slots if k not in ((), ("busy",))]
    assert len(idle) == 3  # pruned to two when user4 was made, then user4 itself went idle
    assert ("user4",) in idle and ("user0",) not in idle  # the least recently used go first
    engines.close()
    assert not engines._slots


def test_no_auth_is_v2c_public_and_secrets_are_read_now(tmp_path: Path) -> None:
    default = resolve(None)
    assert (default.version, default.community, default.engine_key) == ("2c", "public", ())
    secret = tmp_path / "community"
    secret.write_text("first\n")
    auth = build(Auth, {"community": f"file:{secret}", "retries": 3, "max_repetitions": 10})
    assert resolve(auth).community == "first"
    secret.write_text("second\n")
    resolved = resolve(auth)
    assert (resolved.community, resolved.retries, resolved.max_repetitions) == ("second", 3, 10)
    secret.unlink()
    with pytest.raises(ProbeError) as err:
        resolve(auth)
    assert err.value.reason == "auth"
    assert f"file:{secret}" in err.value.message
