"""The Alertmanager config in git: every variable it uses is documented, and every alert value the Telegram
template prints goes through ``html`` (Telegram rejects a message whose HTML does not parse)."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "alertmanager" / "alertmanager.yml"
TEMPLATE = REPO / "alertmanager" / "templates" / "inframind.tmpl"


def test_every_variable_of_the_config_is_documented() -> None:
    names = set(re.findall(r"\$\{([A-Z_]+)", CONFIG.read_text()))
    readme = (REPO / "alertmanager" / "README.md").read_text()
    assert len(names) >= 20
    assert sorted(n for n in names if n not in readme) == []


def test_telegram_template_escapes_every_alert_value() -> None:
    text = TEMPLATE.read_text()
    block = text[text.index('define "inframind.telegram.message"') :]
    block = block[: block.index("{{- end }}")]
    actions = re.findall(r"\{\{-?\s*(.*?)\s*-?\}\}", block)
    printed = [a for a in actions if not re.match(r"(with|range|if|else|end|template|define)\b", a)]
    assert printed, "the template prints values"
    unescaped = [a for a in printed if not a.endswith("| html") and a not in (".Alerts.Firing | len",)
                 and not a.startswith(".Status")]  # fmt: skip
    assert unescaped == []
    # and the values printed inside with/range blocks are "." piped through html
    assert "{{ . }}" not in block


def test_email_has_html_and_text_parts_everywhere() -> None:
    config = CONFIG.read_text()
    assert config.count('{{ template "inframind.email.html" . }}\'') == config.count("email_configs:") == 5
