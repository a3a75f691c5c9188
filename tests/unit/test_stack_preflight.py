"""Fail-fast checks of `inframind up` and the supervisor's pure parts: messages say what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from inframind.config import Config, StackBinaries
from inframind.stack.alertmanager import Rendered
from inframind.stack.components import StackPaths, plan
from inframind.stack.errors import StackError
from inframind.stack.preflight import check_paths, resolve_binaries
from inframind.stack.run import banner
from inframind.stack.supervisor import Policy, describe_exit, restart_delay

REPO = Path(__file__).resolve().parents[2]


def test_binaries_resolve_to_paths() -> None:
    found = resolve_binaries(StackBinaries(), which=lambda name: f"/usr/bin/{name}")
    assert found == {
        "victoriametrics": "/usr/bin/victoria-metrics",
        "vmalert": "/usr/bin/vmalert",
        "alertmanager": "/usr/bin/prometheus-alertmanager",
    }


def test_every_missing_binary_is_named_with_its_package_and_setting() -> None:
    binaries = StackBinaries(victoriametrics="/nonexistent/vm", alertmanager="am-missing")
    with pytest.raises(StackError) as err:
        resolve_binaries(binaries, which=lambda name: None if "/" in name or "missing" in name else name)
    message = str(err.value)
    assert "victoriametrics: executable '/nonexistent/vm' not found (stack.binaries.victoriametrics)" in message
    assert "apt-get install victoria-metrics" in message
    assert "alertmanager: executable 'am-missing' not found" in message
    assert "apt-get install prometheus-alertmanager" in message
    assert "vmalert" not in message


def test_project_rules_and_template_pass_the_path_check() -> None:
    check_paths(StackPaths(REPO / "var", REPO / "rules", REPO / "alertmanager"))


def test_missing_rules_and_template_are_reported_together(tmp_path: Path) -> None:
    (tmp_path / "rules" / "alerts").mkdir(parents=True)
    (tmp_path / "rules" / "alerts" / "a.yml").write_text("groups: []\n")
    with pytest.raises(StackError) as err:
        check_paths(StackPaths(tmp_path / "var", tmp_path / "rules", tmp_path / "am"))
    message = str(err.value)
    assert f"no rule files match {tmp_path}/rules/recording/*.yml" in message
    assert "alerts/*.yml" not in message
    assert f"{tmp_path}/am/alertmanager.yml not found (stack.alertmanager_dir" in message


def test_restart_delay_doubles_up_to_the_cap() -> None:
    policy = Policy(backoff_base=0.5, backoff_cap=3.0)
    assert [restart_delay(n, policy) for n in range(1, 7)] == [0.5, 1.0, 2.0, 3.0, 3.0, 3.0]


def test_exit_descriptions() -> None:
    assert describe_exit(0) == "exit code 0"
    assert describe_exit(2) == "exit code 2"
    assert describe_exit(-9) == "killed by SIGKILL"


def test_banner_lists_urls_jobs_and_receivers() -> None:
    paths = StackPaths(Path("/d/var"), Path("/d/rules"), Path("/d/am"))
    components = plan(Config(), paths, {"victoriametrics": "v", "vmalert": "a", "alertmanager": "m"}, "/py")
    scrape = {"scrape_configs": [{"job_name": "node", "static_configs": [{"targets": ["a", "b"]}]}]}
    rendered = Rendered("", ("default",), {"telegram": ("INFRAMIND_TELEGRAM_BOT_TOKEN",)})
    text = banner(paths, components, scrape, rendered)
    assert "victoriametrics  http://127.0.0.1:8428/vmui/" in text
    assert "exporter         http://127.0.0.1:10121/metrics" in text
    assert "scrape jobs (targets): node (2)" in text
    assert "receivers: default; disabled: telegram (set INFRAMIND_TELEGRAM_BOT_TOKEN)" in text
    assert "logs: /d/var/logs/<component>.log" in text
