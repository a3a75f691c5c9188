"""The ssh prober against a real sshd on 127.0.0.1 that runs on this very machine.

Because the target is this machine, the remote families can be checked against what the host
exporter's collectors read locally at the same moment: equal for what does not move (memory size,
boot time, filesystem size, CPUs, identity), within the drift of a few milliseconds for counters.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import requests
from prometheus_client import CollectorRegistry
from prometheus_client.core import Metric

from inframind.config import ExporterConfig
from inframind.exporters.host import cpu, diskstats, filesystem, meminfo, netdev, stat, uname
from inframind.exporters.probe.base import ProbeError
from inframind.exporters.probe.config import load_probe_config
from inframind.exporters.probe.handler import ProbeService
from inframind.exporters.server import ExporterHTTP, metrics_handler
from inframind.exporters.ssh import connection
from inframind.exporters.ssh.prober import SshProber
from inframind.exporters.ssh.script import build_script, new_nonce, split_sections
from inframind.exporters.ssh.settings import DEFAULT_COLLECTORS, Auth, PoolSettings, Settings
from inframind.schema import HostPort
from inframind.secrets import SecretRef
from tests.helpers.exposition import parse, value
from tests.helpers.hosttree import samples
from tests.helpers.procs import free_port, require_binary
from tests.helpers.ssh import Sshd, ensure_user, keygen, new_password, set_password

pytestmark = pytest.mark.integration
NO_POOL = Settings(pool=PoolSettings(enabled=False))


@dataclass(frozen=True)
class Target:
    sshd: Sshd
    key: Path
    known_hosts: Path

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.sshd.port}"

    def auth(self, **changes: object) -> Auth:
        auth = Auth(self.sshd.user, private_key=SecretRef("file", str(self.key)), known_hosts=str(self.known_hosts))
        return replace(auth, **changes)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    home = tmp_path_factory.mktemp("ssh")
    sshd = Sshd(ensure_user(), home / "logs")
    key = keygen(home / "id_ed25519")
    sshd.authorize(Path(f"{key}.pub"))
    sshd.start()
    known_hosts = home / "known_hosts"
    known_hosts.write_text(sshd.known_hosts_line())
    yield Target(sshd, key, known_hosts)
    sshd.cleanup()


def probe(target: Target, settings: Settings = NO_POOL, auth: Auth | None = None, timeout: float = 15) -> list[Metric]:
    prober = SshProber()
    try:
        return prober.probe(target.address, settings, auth or target.auth(), timeout)
    finally:
        prober.close()


def failure(target: str, settings: Settings, auth: Auth, timeout: float = 10) -> ProbeError:
    prober = SshProber()
    try:
        with pytest.raises(ProbeError) as err:
            prober.probe(target, settings, auth, timeout)
    finally:
        prober.close()
    return err.value


def test_key_auth_reads_what_the_host_exporter_reads_locally(target: Target) -> None:
    config = ExporterConfig()
    cpu_before = samples(cpu.create(config).collect())["node_cpu_seconds_total"]
    remote = samples(probe(target))
    local = samples(
        family
        for module in (meminfo, stat, uname, filesystem, netdev, diskstats)
        for family in module.create(config).collect()
    )
    cpu_after = samples(cpu.create(config).collect())["node_cpu_seconds_total"]
    for name in ("node_memory_MemTotal_bytes", "node_boot_time_seconds", "node_uname_info"):
        assert remote[name] == local[name], name
    root = next(k for k in local["node_filesystem_size_bytes"] if dict(k)["mountpoint"] == "/")
    assert remote["node_filesystem_size_bytes"][root] == local["node_filesystem_size_bytes"][root]
    assert abs(remote["node_filesystem_avail_bytes"][root] - local["node_filesystem_avail_bytes"][root]) < 64 << 20
    assert set(remote["node_cpu_seconds_total"]) == set(cpu_before)  # same CPUs and modes
    for series, seconds in remote["node_cpu_seconds_total"].items():
        if dict(series)["mode"] in ("user", "system", "idle"):  # iowait and steal may step back on their own
            assert cpu_before[series] - 0.1 <= seconds <= cpu_after[series] + 0.1, dict(series)
    for name in ("node_network_receive_bytes_total", "node_disk_reads_completed_total"):
        assert set(remote[name]) == set(local[name]), name
    success = {dict(k)["collector"]: v for k, v in remote["node_scrape_collector_success"].items()}
    assert success == {name: 0.0 if name == "mdadm" else 1.0 for name in DEFAULT_COLLECTORS}  # no md driver here
    assert remote["inframind_ssh_connection_reused"] == {frozenset(): 0.0}
    assert 0 < value(probe(target), "inframind_ssh_command_duration_seconds", command="collect") < 10


def test_what_sshd_says_on_stderr_never_lands_in_a_section(target: Target) -> None:
    """The test user has no home directory, so sshd says so on every session's stderr, at a moment of its
    choosing: mixed into stdout it once broke the meminfo section of one scrape in ten."""
    deadline = time.monotonic() + 15
    client = connection.connect("127.0.0.1", target.sshd.port, target.auth(), 5, deadline)
    try:
        nonce = new_nonce()
        output = connection.run(client, build_script(DEFAULT_COLLECTORS, nonce, 5, 20, sudo=False), deadline)
    finally:
        client.close()
    assert "Could not chdir to home directory" in output.stderr
    assert "Could not chdir" not in output.stdout
    assert {name for name, s in split_sections(output.stdout, nonce).items() if s.ok} >= {"meminfo", "stat", "uname"}


def test_password_auth_and_a_wrong_password(target: Target, monkeypatch: pytest.MonkeyPatch) -> None:
    password = new_password()
    set_password(target.sshd.user, password)
    try:
        monkeypatch.setenv("SSH_TEST_PASSWORD", password)
        monkeypatch.setenv("SSH_WRONG_PASSWORD", password + "x")
        by_password = target.auth(private_key=None, password=SecretRef("env", "SSH_TEST_PASSWORD"))
        assert value(probe(target, auth=by_password), "node_scrape_collector_success", collector="meminfo") == 1.0
        wrong = replace(by_password, password=SecretRef("env", "SSH_WRONG_PASSWORD"))
        err = failure(target.address, NO_POOL, wrong)
        assert err.reason == "auth" and "rejected the credentials of 'inframind-ssh'" in err.message
        assert password not in err.message
    finally:
        set_password(target.sshd.user, None)
    assert target.sshd.accepted() >= 1


def test_a_key_the_host_does_not_know_is_auth(target: Target, tmp_path: Path) -> None:
    stranger = keygen(tmp_path / "stranger")
    err = failure(target.address, NO_POOL, target.auth(private_key=SecretRef("file", str(stranger))))
    assert err.reason == "auth"
    missing = failure(target.address, NO_POOL, target.auth(private_key=SecretRef("file", str(tmp_path / "none"))))
    assert missing.reason == "auth" and f"file:{tmp_path / 'none'}" in missing.message


def test_an_encrypted_key_needs_its_passphrase(target: Target, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    locked = keygen(tmp_path / "id_locked", passphrase="correct horse battery")
    target.sshd.authorize(Path(f"{locked}.pub"))
    monkeypatch.setenv("SSH_TEST_PASSPHRASE", "correct horse battery")
    with_key = target.auth(private_key=SecretRef("file", str(locked)))
    passphrase = SecretRef("env", "SSH_TEST_PASSPHRASE")
    assert value(probe(target, auth=replace(with_key, passphrase=passphrase)), "node_load1") >= 0
    err = failure(target.address, NO_POOL, with_key)
    assert err.reason == "auth" and "is encrypted: set passphrase" in err.message


def test_closed_port_is_refused_and_silent_port_is_timeout(target: Target) -> None:
    assert failure(f"127.0.0.1:{free_port()}", NO_POOL, target.auth()).reason == "refused"
    with socket.socket() as silent:  # accepts the TCP connection, never says SSH-2.0
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        quick = replace(NO_POOL, connect_timeout=1.0)
        err = failure(f"127.0.0.1:{silent.getsockname()[1]}", quick, target.auth(), timeout=5)
    assert err.reason == "timeout"


def test_smartctl_refused_by_sudo_is_a_metric_not_a_failed_probe(target: Target) -> None:
    require_binary("sudo")  # the test user has no sudoers rule: `sudo -n` must refuse at once
    settings = replace(NO_POOL, collectors=(*DEFAULT_COLLECTORS, "smart"), use_sudo_for_smartctl=True)
    families = probe(target, settings)
    assert value(families, "inframind_ssh_smartctl_error", reason="sudo_refused") == 1.0
    assert value(families, "node_scrape_collector_success", collector="smart") == 0.0
    assert value(families, "node_scrape_collector_success", collector="meminfo") == 1.0
    assert value(families, "node_memory_MemTotal_bytes") > 0


@pytest.fixture
def exporter(target: Target, tmp_path: Path) -> Iterator[tuple[str, ProbeService]]:
    """/probe over HTTP with ssh_linux and two auths: one that knows the host key and one that does not."""
    (tmp_path / "empty_known_hosts").write_text("")
    common = {"type": "ssh", "username": target.sshd.user, "private_key": f"file:{target.key}"}
    config = ExporterConfig(
        auths={
            "known": {**common, "known_hosts": str(target.known_hosts)},
            "unknown": {**common, "known_hosts": str(tmp_path / "empty_known_hosts")},
        }
    )
    registry = CollectorRegistry(auto_describe=False, support_collectors_without_names=True)
    service = ProbeService(config, load_probe_config(config), registry)
    app = ExporterHTTP(HostPort("127.0.0.1", 0), {"/probe": service.handle, "/metrics": metrics_handler(registry)})
    app.start_background()
    host, port = app.address
    yield f"http://{host}:{port}", service
    app.shutdown()
    service.close()


def test_probe_endpoint(target: Target, exporter: tuple[str, ProbeService]) -> None:
    url, _ = exporter
    results: dict[str, dict[str, object]] = {}

    def scrape(auth: str) -> None:
        answer = requests.get(f"{url}/probe", params={"target": target.address, "module": "ssh_linux", "auth": auth})
        results[auth] = {name: family for name, family in parse(answer.text).items()}

    threads = [threading.Thread(target=scrape, args=(auth,)) for auth in ("known", "unknown")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results["known"]["probe_success"].value() == 1.0  # type: ignore[attr-defined]
    assert "node_memory_MemTotal_bytes" in results["known"]
    assert results["unknown"]["probe_success"].value() == 0.0  # type: ignore[attr-defined]
    assert "node_memory_MemTotal_bytes" not in results["unknown"]
    errors = parse(requests.get(f"{url}/metrics", timeout=5).text)["inframind_probe_errors_total"]
    assert errors.value(module="ssh_linux", reason="auth") == 1.0
