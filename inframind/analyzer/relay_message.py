"""The Telegram text of one Alertmanager notification: every value escaped, recommendation and evidence in
full, runbook and dashboard links, and the signed feedback links of each alert.

Alertmanager's own Telegram receiver cuts a long text anywhere (breaking tags and entities), so the analyzer
renders the full text here and :func:`~inframind.analyzer.relay_html.split_message` cuts it safely. Texts from
alerts (summaries, recommendations in Russian or English) are escaped once, here; only our own tags remain.
Pure functions only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from inframind.analyzer.feedback import Link
from inframind.analyzer.relay_html import escape, link
from inframind.analyzer.relay_webhook import WebhookAlert, WebhookMessage

LinksFor = Callable[[WebhookAlert], Sequence[Link]]
ICONS = {"firing": "&#x1F534;", "resolved": "&#x2705;"}
"""As entities, so the template text stays ASCII."""
WORDS: dict[str, dict[str, str]] = {
    "en": {"next_step": "Next step", "evidence": "Evidence", "asset": "asset", "tenant": "tenant",
           "incident": "incident", "runbook": "runbook", "dashboard": "dashboard", "more": "more alerts not shown"},
    "ru": {"next_step": "Следующий шаг", "evidence": "Данные", "asset": "объект", "tenant": "тенант",
           "incident": "инцидент", "runbook": "runbook", "dashboard": "дашборд", "more": "оповещений не показано"},
}  # fmt: skip


def title(message: WebhookMessage) -> str:
    firing = sum(1 for a in message.alerts if a.firing)
    status = message.status.upper() + (f":{firing}" if message.status == "firing" else "")
    name = message.common_labels.get("alertname") or (
        message.alerts[0].labels.get("alertname", "") if message.alerts else ""
    )
    asset = message.common_labels.get("asset", "")
    return f"[{status}] {name}" + (f" on {asset}" if asset else "")


def _section(label: str, text: str) -> list[str]:
    return [f"<b>{escape(label)}:</b>", escape(text)] if text else []


def render_alert(alert: WebhookAlert, links: Sequence[Link] = (), language: str = "en") -> str:
    """One alert: status and severity, summary, recommendation, next step, evidence, numbers, links."""
    a, lab, w = alert.annotations, alert.labels, WORDS.get(language, WORDS["en"])
    lines = [f"{ICONS.get(alert.status, '')} <b>{escape(lab.get('severity', ''))}</b> {escape(a.get('summary', ''))}"]
    body = a.get("recommendation") or a.get("description", "")
    lines += [escape(body)] if body and body != a.get("summary") else []
    lines += _section(w["next_step"], a.get("next_step", ""))
    lines += _section(w["evidence"], a.get("evidence", ""))
    numbers = [f"{name} {a[name]}" for name in ("probability", "confidence", "score") if a.get(name)]
    if numbers:
        lines.append(escape(", ".join(numbers)))
    where = lab.get("asset", "")
    if where:
        tenant = f" ({w['tenant']} {lab['tenant']})" if lab.get("tenant") else ""
        lines.append(escape(f"{w['asset']}: {where}{tenant}"))
    if a.get("incident"):
        lines.append(escape(f"{w['incident']}: {a['incident']}"))
    refs = [link(a[k], w[name]) for k, name in (("runbook_url", "runbook"), ("dashboard_url", "dashboard")) if a.get(k)]
    if refs:
        lines.append(" | ".join(refs))
    if links and alert.firing:
        lines.append(" | ".join(link(item.url, item.title) for item in links))
    return "\n".join(lines)


def render_message(message: WebhookMessage, links_for: LinksFor | None = None, language: str = "en") -> str:
    """The whole notification: a bold title, then each alert (firing first), blank lines between."""
    ordered = sorted(message.alerts, key=lambda a: (not a.firing, a.labels.get("asset", "")))
    blocks = [f"<b>{escape(title(message))}</b>"]
    blocks += [render_alert(a, links_for(a) if links_for else (), language) for a in ordered]
    if message.truncated_alerts:
        words = WORDS.get(language, WORDS["en"])
        blocks.append(escape(f"(+{message.truncated_alerts} {words['more']})"))
    return "\n\n".join(blocks)
