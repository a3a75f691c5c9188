"""A private PostgreSQL 15 cluster on 127.0.0.1 for the tests: initdb in a temp dir, the postmaster started as
the ``postgres`` user (initdb and postgres refuse root) as our direct child, so it is stopped by its own PID.

Each test gets its own schema (``fresh_dsn``), which is far quicker than a database per test.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.helpers.procs import free_port, wait_until


def _binary(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if found is None:
        pytest.fail(f"{name} not found: install the Debian package `postgresql` (make test does this as root)")
    return found


def _as_postgres() -> dict[str, Any]:
    """Run children as the postgres user when we are root (PostgreSQL refuses to run as root)."""
    return {"user": "postgres", "group": "postgres"} if os.geteuid() == 0 else {}


class PostgresCluster:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="inframind-pg-"))
        self.data, self.log_path = self.dir / "data", self.dir / "postgres.log"
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self.port = free_port()
        subprocess.run(
            [_binary("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "--locale=C", "-E", "UTF8"],
            check=True, capture_output=True, timeout=120, **_as_postgres(),
        )  # fmt: skip
        self._log = self.log_path.open("ab")
        argv = [_binary("postgres"), "-D", str(self.data), "-k", str(self.dir), "-h", "127.0.0.1", "-p",
                str(self.port), "-c", "fsync=off", "-c", "max_connections=200"]  # fmt: skip
        self.proc = subprocess.Popen(
            argv, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True, **_as_postgres()
        )
        self.dsn = f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"
        if not wait_until(self._ready, timeout=30, interval=0.1):
            self.stop()
            pytest.fail(f"PostgreSQL did not start on 127.0.0.1:{self.port}:\n{self.log_tail()}")

    def _ready(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(f"postgres exited with {self.proc.returncode}:\n{self.log_tail()}")
        try:
            with psycopg.connect(self.dsn, connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return True
        except psycopg.OperationalError:
            return False

    def fresh_dsn(self) -> str:
        """A DSN whose tables land in a new, empty schema."""
        schema = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")  # generated identifier
        return f"{self.dsn} options='-csearch_path={schema}'"

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "<no log>"

    def stop(self) -> None:
        """Fast shutdown of exactly our postmaster (SIGINT), then the temp dir goes."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster()
    yield cluster
    cluster.stop()
