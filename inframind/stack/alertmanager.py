"""Render ``alertmanager/alertmanager.yml`` with the environment into the file Alertmanager reads.

The template in git holds no secret, only placeholders in string values:

- ``${NAME}``: required. A receiver that uses an unset (or empty) required variable is *disabled*: it is
  left out of the rendered file together with every route that sends to it, so Telegram or email switch
  on simply by setting their variables. Outside receivers, a missing required variable is an error.
- ``${NAME:-default}``: optional. A key whose whole value renders empty is dropped (``auth_password``).
- ``|int`` / ``|bool`` after the name (``${CHAT_ID|int}``, ``${TLS:-true|bool}``) convert a value that
  is the whole string, because Alertmanager wants a number for ``chat_id`` and a boolean for ``require_tls``.

``INFRAMIND_GRAFANA_URL`` is the Grafana base URL the notification texts put before relative dashboard links
(``/d/inframind-host?...``); it must be a plain http(s) URL (it lands in Telegram's HTML unescaped), and a
trailing ``/`` is dropped so links do not start with ``//d/``.

:func:`render` is pure (template text + environment mapping -> YAML text); the stack writes its result
with mode 0600 (:func:`inframind.stack.files.write_atomic`), since it holds tokens and passwords.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}|]*))?(?:\|(int|bool))?\}")
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}
GRAFANA_URL = "INFRAMIND_GRAFANA_URL"
_BASE_URL = re.compile(r"https?://[^\s\"'<>&{}\\]+")
HEADER = (
    "# Rendered by `inframind up` from {source} and the environment. Do not edit: it is\n"
    "# rewritten at every start and may hold secrets (mode 0600, never commit it).\n"
)


class RenderError(ValueError):
    """The template or a variable is unusable; the message names the variable, never its value."""


@dataclass(frozen=True)
class Rendered:
    text: str
    enabled: tuple[str, ...]
    disabled: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Disabled receiver -> the required variables it lacks (to tell the user what to set)."""


def _value(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name)
    return value if value else None


def _required(node: Any) -> set[str]:
    """Names of required placeholders (no default) anywhere under ``node``."""
    if isinstance(node, str):
        return {m.group(1) for m in _PLACEHOLDER.finditer(node) if m.group(2) is None}
    if isinstance(node, Mapping):
        return set().union(*(_required(v) for v in node.values())) if node else set()
    if isinstance(node, list):
        return set().union(*(_required(v) for v in node)) if node else set()
    return set()


def _convert(name: str, text: str, kind: str | None) -> Any:
    if kind == "int":
        if not re.fullmatch(r"-?\d+", text.strip()):
            raise RenderError(f"{name}: expected an integer")
        return int(text)
    if kind == "bool":
        word = text.strip().lower()
        if word not in _TRUE | _FALSE:
            raise RenderError(f"{name}: expected true or false")
        return word in _TRUE
    return text


def _substitute_string(text: str, env: Mapping[str, str]) -> Any:
    whole = _PLACEHOLDER.fullmatch(text)
    if whole:
        name, default, kind = whole.groups()
        value = _value(env, name)
        if value is None:
            if default is None:
                raise RenderError(f"{name} is not set")
            value = default
        return _convert(name, value, kind) if value != "" else ""

    def one(m: re.Match[str]) -> str:
        name, default, kind = m.groups()
        if kind:
            raise RenderError(f"{name}: |{kind} only works when the placeholder is the whole value")
        value = _value(env, name)
        if value is None and default is None:
            raise RenderError(f"{name} is not set")
        return value if value is not None else (default or "")

    return _PLACEHOLDER.sub(one, text)


def _substitute(node: Any, env: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        return _substitute_string(node, env)
    if isinstance(node, list):
        return [_substitute(v, env) for v in node]
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            new = _substitute(value, env)
            if new == "" and isinstance(value, str) and _PLACEHOLDER.fullmatch(value):
                continue  # an unset optional setting: leave Alertmanager's default
            out[key] = new
        return out
    return node


def _prune_routes(route: dict[str, Any], disabled: set[str]) -> dict[str, Any]:
    children = [r for r in route.get("routes") or [] if r.get("receiver") not in disabled]
    pruned = dict(route)
    if "routes" in route:
        pruned["routes"] = [_prune_routes(r, disabled) for r in children]
        if not pruned["routes"]:
            del pruned["routes"]
    return pruned


def _grafana_url(env: Mapping[str, str]) -> Mapping[str, str]:
    """``env`` with the Grafana base URL checked and its trailing slashes dropped."""
    value = _value(env, GRAFANA_URL)
    if value is None:
        return env
    if not _BASE_URL.fullmatch(value):
        raise RenderError(f"{GRAFANA_URL}: expected an http(s) URL without spaces, quotes, <, >, & or braces")
    return {**env, GRAFANA_URL: value.rstrip("/")}


def render(template_text: str, env: Mapping[str, str], templates_dir: str | None = None) -> Rendered:
    """Fill the template from ``env``; relative ``templates:`` globs are made absolute under ``templates_dir``
    (the rendered file lives elsewhere, and Alertmanager resolves them from the file's own directory)."""
    env = _grafana_url(env)
    try:
        doc = yaml.safe_load(template_text)
    except yaml.YAMLError as exc:
        raise RenderError(f"the template is not valid YAML: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("receivers"), list):
        raise RenderError("the template needs a mapping with a receivers: list")
    if not isinstance(doc.get("route"), dict):
        raise RenderError("the template needs a route: mapping")
    if not all(isinstance(r, dict) and r.get("name") for r in doc["receivers"]):
        raise RenderError("every receiver of the template needs to be a mapping with a name")
    disabled: dict[str, tuple[str, ...]] = {}
    kept = []
    for receiver in doc["receivers"]:
        missing = sorted(n for n in _required(receiver) if _value(env, n) is None)
        if missing:
            disabled[str(receiver.get("name"))] = tuple(missing)
        else:
            kept.append(receiver)
    root = doc["route"].get("receiver")
    if root in disabled:
        raise RenderError(f"the top-level route's receiver {root!r} is disabled: set {', '.join(disabled[root])}")
    doc["receivers"] = kept
    doc["route"] = _prune_routes(doc["route"], set(disabled))
    rendered = _substitute(doc, env)
    if templates_dir is not None and isinstance(rendered.get("templates"), list):
        rendered["templates"] = [str(Path(templates_dir) / t) for t in rendered["templates"]]
    text = yaml.safe_dump(rendered, sort_keys=False, allow_unicode=True)
    return Rendered(text, tuple(str(r.get("name")) for r in kept), disabled)


def render_file(template: Path, env: Mapping[str, str]) -> Rendered:
    """Read ``template`` and render it; template globs resolve from the template's directory."""
    try:
        text = template.read_text(encoding="utf-8")
    except OSError as exc:
        raise RenderError(f"cannot read {template}: {exc.strerror or exc}") from None
    rendered = render(text, env, str(template.resolve().parent))
    header = HEADER.format(source=template)
    return Rendered(header + rendered.text, rendered.enabled, rendered.disabled)
