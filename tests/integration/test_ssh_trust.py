"""Host key trust and kept connections against a real sshd on 127.0.0.1 (one per test: some restart it).

sshd logs one ``Accepted publickey`` line per SSH connection, which is how these tests count handshakes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from prometheus_client.core import Metric

from inframind.config import ExporterConfig
from inframind.exporters.probe.base import ProbeError
from inframind.exporters.ssh.prober import SshProber, create
from inframind.exporters.ssh.settings import Auth, PoolSettings, Settings
from inframind.secrets import SecretRef
from tests.helpers.exposition import value
from tests.helpers.procs import wait_until
from tests.helpers.ssh import Sshd, ensure_user, keygen

pytestmark = pytest.mark.integration
FAST = Settings(collectors=("meminfo", "loadavg"))


@pytest.fixture
def sshd(tmp_path: Path) -> Iterator[Sshd]:
    server = Sshd(ensure_user(), tmp_path / "logs")
    server.authorize(Path(f"{keygen(tmp_path / 'id_ed25519')}.pub"))
    server.start()
    yield server
    server.cleanup()


@pytest.fixture
def prober() -> Iterator[SshProber]:
    prober = create(ExporterConfig())
    yield prober
    prober.close()


def auth(tmp_path: Path, known_hosts: Path, tofu: bool = False) -> Auth:
    key = SecretRef("file", str(tmp_path / "id_ed25519"))
    return Auth("inframind-ssh", private_key=key, known_hosts=str(known_hosts), trust_on_first_use=tofu)


def scrape(prober: SshProber, sshd: Sshd, credentials: Auth, settings: Settings = FAST) -> list[Metric]:
    return prober.probe(f"127.0.0.1:{sshd.port}", settings, credentials, 10)


def refused(prober: SshProber, sshd: Sshd, credentials: Auth) -> ProbeError:
    with pytest.raises(ProbeError) as err:
        scrape(prober, sshd, credentials)
    return err.value


def test_an_unknown_host_is_refused_by_default(sshd: Sshd, prober: SshProber, tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    err = refused(prober, sshd, auth(tmp_path, known))
    assert err.reason == "auth"
    assert f"[127.0.0.1]:{sshd.port}" in err.message and "trust_on_first_use" in err.message
    assert not known.exists()  # nothing was pinned
    assert sshd.accepted() == 0  # refused before any credentials were sent


def test_trust_on_first_use_pins_and_then_refuses_a_changed_key(sshd: Sshd, prober: SshProber, tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    tofu = auth(tmp_path, known, tofu=True)
    no_pool = replace(FAST, pool=PoolSettings(enabled=False))
    scrape(prober, sshd, tofu, no_pool)
    assert known.read_text() == sshd.known_hosts_line()
    scrape(prober, sshd, tofu, no_pool)  # the pinned key matches: no second line
    assert known.read_text() == sshd.known_hosts_line()
    pinned = known.read_text()
    sshd.restart(new_host_key=True)
    err = refused(prober, sshd, tofu)
    assert err.reason == "auth" and "CHANGED" in err.message
    assert known.read_text() == pinned  # never silently re-pinned
    assert sshd.accepted() == 0  # the new server never saw our credentials


def test_scrapes_share_one_kept_connection(sshd: Sshd, prober: SshProber, tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    known.write_text(sshd.known_hosts_line())
    credentials = auth(tmp_path, known)
    first = scrape(prober, sshd, credentials)
    second = scrape(prober, sshd, credentials)
    assert (value(first, "inframind_ssh_connection_reused"), value(second, "inframind_ssh_connection_reused")) == (
        0.0,
        1.0,
    )
    results: list[float] = []

    def concurrent() -> None:
        results.append(value(scrape(prober, sshd, credentials), "node_scrape_collector_success", collector="meminfo"))

    threads = [threading.Thread(target=concurrent) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [1.0] * 6
    assert (sshd.accepted(), sshd.sessions()) == (1, 1)
    scrape(prober, sshd, credentials, replace(FAST, pool=PoolSettings(enabled=False)))
    scrape(prober, sshd, credentials, replace(FAST, pool=PoolSettings(enabled=False)))
    assert sshd.accepted() == 3  # without pooling, one handshake per scrape


def test_an_idle_connection_is_closed_and_a_stale_one_replaced(sshd: Sshd, prober: SshProber, tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    known.write_text(sshd.known_hosts_line())
    credentials = auth(tmp_path, known)
    short = replace(FAST, pool=PoolSettings(idle_timeout=1.5))
    scrape(prober, sshd, credentials, short)
    assert (prober.pool.size(), sshd.sessions()) == (1, 1)
    assert wait_until(lambda: prober.pool.size() == 0, timeout=5)  # closed without another scrape
    assert wait_until(lambda: sshd.sessions() == 0, timeout=5)
    assert value(scrape(prober, sshd, credentials), "inframind_ssh_connection_reused") == 0.0
    sshd.drop_sessions()  # the kept connection dies (the target rebooted, a firewall dropped it)
    families = scrape(prober, sshd, credentials)
    assert value(families, "inframind_ssh_connection_reused") == 0.0
    assert value(families, "node_scrape_collector_success", collector="meminfo") == 1.0
    assert sshd.accepted() == 3
