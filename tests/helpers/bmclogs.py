"""Helpers for the BMC event log source tests: drive ipmi_sim's SEL, edit Redfish captures, poll sources.

- The SEL: :func:`set_sel_clock` gives the simulator's SEL a calendar time (it starts counting from its
  own start, which ``ipmi-sel`` prints as ``PostInit``), :func:`clear_sel` clears it as an operator would,
  :func:`cross` moves CPU Temp across its thresholds and waits for the simulator to log it.
- Redfish: entry collections of a served copy of a capture are edited in place (sushy-static reads its
  files on each request): :func:`write_entries` with pages, newest-first order, one more entry.
- Sources: :func:`next_batch` and :func:`read_quietly` poll a source the way the pipeline does.
"""

from __future__ import annotations

import datetime as dt
import json
import struct
import time
from pathlib import Path
from typing import Any, Literal

from inframind.agent.bmclogs.polled import AssetRef, PolledSource
from inframind.agent.source import Batch
from inframind.exporters.ipmi import freeipmi
from inframind.exporters.ipmi.prober import make_call
from inframind.exporters.ipmi.runner import Command, find_tool, run
from inframind.exporters.ipmi.settings import Auth, Settings
from inframind.secrets import SecretRef
from tests.helpers.ipmi import PASSWORD, USERNAME, IpmiSim
from tests.helpers.procs import require_binary

Json = dict[str, Any]
SIM_SETTINGS = Settings(workaround_flags=("opensesspriv",))
ASSET = AssetRef(host="127.0.0.1", asset_id="bmc-sim", tenant="acme")


Privilege = Literal["user", "operator", "admin"]


def sim_auth(directory: Path, privilege: Privilege = "user", password: str = PASSWORD) -> Auth:
    """The simulator's account, its password in a ``file:`` secret (mode 0600) as a deployment would keep it."""
    directory.mkdir(parents=True, exist_ok=True)
    secret = directory / f"bmc-{privilege}.pw"
    secret.write_text(password)
    secret.chmod(0o600)
    return Auth(USERNAME, SecretRef("file", str(secret)), privilege=privilege)


def ipmi_tool(sim: IpmiSim, tool: str, *args: str, privilege: Privilege = "operator") -> str:
    """Run a FreeIPMI tool against the simulator as the sources do (password on stdin); its stdout."""
    require_binary(tool)
    path = find_tool(tool)
    assert path is not None
    (sim.directory / freeipmi.EMPTY_CONFIG).touch(mode=0o600)
    call = make_call(sim.target, SIM_SETTINGS, sim_auth(sim.directory, privilege), 10.0, sim.directory)
    argv, stdin = freeipmi.common_args(tool, call)
    done = run(Command("test", tool, (path, *argv[1:], *args), stdin), time.monotonic() + 20)
    assert done.ok, f"{tool} {' '.join(args)} failed: {done.stderr}"
    return done.stdout


def set_sel_clock(sim: IpmiSim, when: dt.datetime | None = None) -> None:
    """Set SEL Time (IPMI netfn 0Ah, command 49h): seconds since 1970, little-endian; default now."""
    seconds = int((when or dt.datetime.now(dt.UTC)).timestamp())
    ipmi_tool(sim, "ipmi-raw", "00", "0a", "49", *(f"{b:02x}" for b in struct.pack("<I", seconds)))


def clear_sel(sim: IpmiSim) -> None:
    """``ipmi-sel --clear``: needs operator privilege (a user-level session is refused)."""
    ipmi_tool(sim, "ipmi-sel", "--clear")


def sel_count(sim: IpmiSim) -> int:
    info = ipmi_tool(sim, "ipmi-sel", "--info", "--ignore-sdr-cache", privilege="user")
    return int(next(line for line in info.splitlines() if line.startswith("Number of log entries")).split(":")[1])


def cross(sim: IpmiSim, raw: int, new_entries: int, timeout: float = 10.0) -> None:
    """Move CPU Temp to ``raw`` and wait until the simulator has logged ``new_entries`` more SEL entries."""
    before = sel_count(sim)
    sim.set_reading("CPU Temp", raw)
    deadline = time.monotonic() + timeout
    while sel_count(sim) < before + new_entries:
        assert time.monotonic() < deadline, f"ipmi_sim logged fewer than {new_entries} entries within {timeout}s"
        time.sleep(0.2)


# ---------------------------------------------------------------- polling


def next_batch(source: PolledSource, timeout: float = 30.0, max_events: int = 100_000) -> Batch:
    """Poll until the source hands out a batch (its read runs in the background)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        batch = source.poll(max_events)
        if batch is not None:
            return batch
        time.sleep(0.02)
    raise AssertionError(f"{source.name} gave no events within {timeout}s; stats: {source.stats.snapshot()}")


def read_quietly(source: PolledSource, reads: int = 1, timeout: float = 30.0) -> None:
    """Poll until ``reads`` more reads finished, asserting that none of them handed out an event."""
    target = source.reads + reads
    deadline = time.monotonic() + timeout
    while source.reads < target:
        assert time.monotonic() < deadline, f"{source.name} finished no read within {timeout}s"
        batch = source.poll(100_000)
        assert batch is None, f"{source.name} handed out {[e.record_id for e in batch.events]}"
        time.sleep(0.02)
    assert source.poll(100_000) is None


def drain(source: PolledSource, timeout: float = 30.0) -> list[Any]:
    """Every event of the next read, committed batch by batch."""
    batch = next_batch(source, timeout)
    events = list(batch.events)
    batch.commit()
    while (more := source.poll(100_000)) is not None:
        events.extend(more.events)
        more.commit()
    return events


# ---------------------------------------------------------------- Redfish captures


def entries_dir(root: Path, collection: str) -> Path:
    """The folder of ``collection`` (``/redfish/v1/...``) in a tree served from ``root`` (= /redfish/v1)."""
    return root / collection.removeprefix("/redfish/v1").strip("/")


def read_entries(root: Path, collection: str) -> list[Json]:
    members: list[Json] = json.loads((entries_dir(root, collection) / "index.json").read_text())["Members"]
    return members


def write_entries(root: Path, collection: str, members: list[Json], page_size: int | None = None) -> None:
    """Rewrite a collection in place (atomically per file), in pages of ``page_size`` linked by
    ``Members@odata.nextLink`` to ``<collection>?$skip=N`` (sushy-static reads the query as a folder)."""
    size = page_size or max(len(members), 1)
    starts = list(range(0, max(len(members), 1), size))
    for n, start in enumerate(starts):
        uri = collection if start == 0 else f"{collection}?$skip={start}"
        page: Json = {"@odata.id": uri, "Members@odata.count": len(members), "Members": members[start : start + size]}
        if n + 1 < len(starts):
            page["Members@odata.nextLink"] = f"{collection}?$skip={starts[n + 1]}"
        folder = entries_dir(root, uri)
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / "index.json.tmp"
        tmp.write_text(json.dumps(page, indent=1))
        tmp.replace(folder / "index.json")


def new_entry(template: Json, entry_id: str, created: str, message: str, severity: str = "Critical") -> Json:
    """An entry like ``template`` (a real one of the same service) with a new id, time, text and severity."""
    entry: Json = json.loads(json.dumps(template))
    base = template["@odata.id"].rsplit("/", 1)[0]
    entry.update({"@odata.id": f"{base}/{entry_id}", "Id": entry_id, "Created": created, "Message": message})
    entry["Severity"] = severity
    return entry
