"""The redfish prober against a real ``sushy-emulator --fake`` on 127.0.0.1: auth, sessions, TLS, failures.

Basic auth is the emulator's own (a bcrypt htpasswd file). Sessions go through
tests/helpers/redfish_sessions.py because sushy-tools 2.2 has no SessionService. The emulator's
Storage answers HTTP 500 and its Memory link 404: a real partial failure, visible per section.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from inframind.exporters.probe.base import ProbeError
from inframind.exporters.redfish.prober import RedfishProber
from inframind.exporters.redfish.settings import Auth, Settings
from inframind.secrets import SecretRef
from tests.helpers.exposition import value
from tests.helpers.probes import ProbeExporter, probe_exporter
from tests.helpers.redfish import Certificates, make_certificates, start_emulator
from tests.helpers.redfish_sessions import SessionGateway
from tests.helpers.servers import Running

pytestmark = pytest.mark.integration
USER, PASSWORD = "monitor", "s3cret-bmc-pass"
HTTP = {"scheme": "http"}


@pytest.fixture(scope="module")
def password_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("secrets") / "bmc"
    path.write_text(PASSWORD + "\n")
    return path


def auth(password: Path) -> Auth:
    return Auth(USER, SecretRef("file", str(password)))


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """The emulator enforcing basic auth itself."""
    server = start_emulator(tmp_path_factory.mktemp("emulator-auth"), users={USER: PASSWORD})
    yield server
    server.stop()


@pytest.fixture(scope="module")
def open_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    server = start_emulator(tmp_path_factory.mktemp("emulator-open"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def tls_emulator(tmp_path_factory: pytest.TempPathFactory, certificates: Certificates) -> Iterator[Running]:
    server = start_emulator(tmp_path_factory.mktemp("emulator-tls"), tls=certificates)
    yield server
    server.stop()


@pytest.fixture
def gateway(open_emulator: Running) -> Iterator[SessionGateway]:
    front = SessionGateway(open_emulator.url, USER, PASSWORD, limit=2)
    yield front
    front.close()


@pytest.fixture(scope="module")
def exporter(password_file: Path) -> Iterator[ProbeExporter]:
    modules = {
        "rf": {"prober": "redfish", "timeout": "20s", "redfish": HTTP},
        "rf_nosession": {"prober": "redfish", "redfish": {**HTTP, "session_auth": False}},
    }
    auths = {
        "good": {"type": "redfish", "username": USER, "password": f"file:{password_file}"},
        "bad": {"type": "redfish", "username": USER, "password": "env:INFRAMIND_TEST_UNSET_BMC_PASSWORD"},
    }
    with probe_exporter(modules, auths) as running:
        yield running


def target(server: Running | SessionGateway) -> str:
    return server.url.split("://", 1)[1]


def test_basic_auth_and_a_partial_failure_through_the_exporter(exporter: ProbeExporter, guarded: Running) -> None:
    families = exporter.probe(target(guarded), "rf", auth="good")
    assert value(families, "probe_success") == 1.0
    assert value(families, "inframind_redfish_service_info", auth="basic", redfish_version="1.5.0") == 1.0
    system = next(
        s.labels["system"] for f in families for s in f.samples if s.name == "inframind_redfish_system_health"
    )
    assert value(families, "inframind_redfish_system_health_rollup", system=system) == 0.0  # spelled HealthRollUp
    assert value(families, "inframind_redfish_system_power_on", system=system) == 0.0
    cpu = {"name": "CPU Temp", "sensor": "0"}
    assert value(families, "inframind_redfish_temperature_celsius", **cpu) == 41.0
    assert value(families, "inframind_redfish_temperature_upper_threshold_celsius", level="critical", **cpu) == 45.0
    assert value(families, "inframind_redfish_fan_speed_rpm", name="BaseBoard System Fan") == 2100.0
    assert value(families, "inframind_redfish_manager_info", firmware_version="1.00", model="Joo Janta 200") == 1.0
    # Storage answers HTTP 500: that section fails, the others and the probe do not.
    assert value(families, "inframind_redfish_scrape_collector_success", collector="storage") == 0.0
    assert value(families, "inframind_redfish_scrape_collector_success", collector="thermal") == 1.0
    assert value(families, "inframind_redfish_scrape_collector_success", collector="systems") == 1.0
    assert value(families, "inframind_redfish_missing_resources", collector="systems") == 1.0  # Memory: 404


def test_rejected_credentials_are_an_auth_failure(
    exporter: ProbeExporter, guarded: Running, password_file: Path
) -> None:
    wrong = password_file.with_name("wrong")
    wrong.write_text("not-the-password")
    with pytest.raises(ProbeError) as err:
        RedfishProber().probe(target(guarded), Settings(scheme="http"), auth(wrong), 10)
    assert err.value.reason == "auth"
    assert f"rejected user {USER!r}" in err.value.message
    families = exporter.probe(target(guarded), "rf", auth="bad")  # its password reference resolves to nothing
    assert value(families, "probe_success") == 0.0
    assert value(exporter.metrics(), "inframind_probe_errors_total", module="rf", reason="auth") >= 1.0


def test_a_probe_logs_in_once_and_leaves_no_session(exporter: ProbeExporter, gateway: SessionGateway) -> None:
    families = exporter.probe(gateway.target, "rf", auth="good")
    assert value(families, "probe_success") == 1.0
    assert value(families, "inframind_redfish_service_info", auth="session") == 1.0
    assert (gateway.created, gateway.deleted, gateway.sessions) == (1, 1, {})
    assert gateway.requests["basic"] == 0 and gateway.requests["token"] > 5
    listed = requests.get(f"{gateway.url}/redfish/v1/SessionService/Sessions", auth=(USER, PASSWORD), timeout=5)
    assert listed.json()["Members"] == []


def test_a_guarded_service_root_is_read_with_credentials(open_emulator: Running, password_file: Path) -> None:
    front = SessionGateway(open_emulator.url, USER, PASSWORD, guard_root=True)
    try:
        families = RedfishProber().probe(
            front.target, Settings(scheme="http", sections=("chassis",)), auth(password_file), 10
        )
        assert value(families, "inframind_redfish_service_info", auth="session") == 1.0
        assert (front.requests["basic"], front.created, front.sessions) == (1, 1, {})  # the root, then a session
    finally:
        front.close()


def test_probes_never_exhaust_the_bmc_session_limit(gateway: SessionGateway, password_file: Path) -> None:
    settings = Settings(scheme="http", sections=("systems", "thermal"))
    prober = RedfishProber()
    with ThreadPoolExecutor(2) as pool:  # as many at once as the gateway allows, five rounds
        rounds = list(pool.map(lambda _: prober.probe(gateway.target, settings, auth(password_file), 20), range(10)))
    assert all(value(f, "inframind_redfish_service_info", auth="session") == 1.0 for f in rounds)
    assert (gateway.created, gateway.deleted, gateway.sessions, gateway.peak) == (10, 10, {}, 2)


def test_a_rejected_session_login_is_not_retried_as_basic(gateway: SessionGateway, password_file: Path) -> None:
    wrong = password_file.with_name("wrong-session")
    wrong.write_text("nope")
    with pytest.raises(ProbeError) as err:
        RedfishProber().probe(gateway.target, Settings(scheme="http"), auth(wrong), 10)
    assert err.value.reason == "auth"
    assert gateway.created == 0 and gateway.requests["basic"] == 0  # one failed login per probe, not two


def test_sessions_off_and_basic_fallback_off(
    exporter: ProbeExporter, gateway: SessionGateway, guarded: Running, password_file: Path
) -> None:
    families = exporter.probe(gateway.target, "rf_nosession", auth="good")
    assert value(families, "inframind_redfish_service_info", auth="basic") == 1.0
    assert gateway.created == 0 and gateway.requests["token"] == 0
    with pytest.raises(ProbeError) as err:  # the emulator itself advertises no SessionService
        RedfishProber().probe(target(guarded), Settings(scheme="http", basic_fallback=False), auth(password_file), 10)
    assert (err.value.reason, "no usable session login" in err.value.message) == ("auth", True)


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")  # skipping is the point here
def test_tls_is_verified_unless_told_otherwise(tls_emulator: Running, certificates: Certificates) -> None:
    prober, where = RedfishProber(), target(tls_emulator)
    with pytest.raises(ProbeError) as err:
        prober.probe(where, Settings(sections=("chassis",)), None, 10)
    assert err.value.reason == "tls"
    assert "certificate does not verify" in err.value.message and "ca_file" in err.value.message
    trusted = prober.probe(where, Settings(ca_file=str(certificates.ca), sections=("chassis",)), None, 10)
    assert value(trusted, "inframind_redfish_chassis_info", model="3500RX") == 1.0
    skipped = prober.probe(where, Settings(insecure_skip_verify=True, sections=("chassis",)), None, 10)
    assert value(skipped, "inframind_redfish_chassis_health", chassis="15693887-7984-9484-3272-842188918912") == 0.0


def test_a_closed_port_is_refused() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ProbeError) as err:
        RedfishProber().probe(f"127.0.0.1:{port}", Settings(), None, 5)
    assert err.value.reason == "refused"


@pytest.fixture
def listener() -> Iterator[tuple[socket.socket, int]]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    yield server, server.getsockname()[1]
    server.close()


def test_a_bmc_that_never_answers_times_out_within_the_deadline(listener: tuple[socket.socket, int]) -> None:
    start = time.monotonic()
    with pytest.raises(ProbeError) as err:
        RedfishProber().probe(f"127.0.0.1:{listener[1]}", Settings(scheme="http"), None, 1.5)
    assert err.value.reason == "timeout"
    assert time.monotonic() - start < 3.0  # the request timeout (10 s) is cut to the probe's deadline


def test_an_answer_that_is_not_json_is_a_protocol_failure(listener: tuple[socket.socket, int]) -> None:
    server, port = listener

    def answer() -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(65536)
            body = b"<html>iDRAC is starting</html>"
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
            )

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    with pytest.raises(ProbeError) as err:
        RedfishProber().probe(f"127.0.0.1:{port}", Settings(scheme="http"), None, 5)
    thread.join(5)
    assert (err.value.reason, "not JSON" in err.value.message) == ("protocol", True)
