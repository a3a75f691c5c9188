"""YAML with line numbers -> frozen dataclasses, collecting every error before failing.

Every YAML file the product reads (the main config, the inventory, web configs, log rules) goes through
here, so every error names the file, the line, the field and what was expected, and a user fixes all
problems of a file in one pass instead of one per run.

Field types understood by :func:`build`: ``str``, ``int``, ``float``, ``bool``, ``datetime``, ``X | None``,
``Literal[...]``, ``tuple[X, ...]``, ``dict[str, X]``, nested dataclasses, ``Annotated[float, DURATION]``
and any class with a ``from_config(value) -> instance`` classmethod that raises ``ValueError``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, get_args, get_origin

import yaml

T = TypeVar("T")
PathKey = tuple[str | int, ...]

DURATION = "duration"
"""Marker for ``Annotated[float, DURATION]``: seconds, written as ``30s``, ``5m``, ``1h30m`` or a number."""

Duration = Annotated[float, DURATION]

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}


def parse_duration(value: object) -> float:
    """Seconds from ``90``, ``"90s"``, ``"1m30s"``, ``"2h"``, ``"7d"``; raises ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30s, 5m or 1h")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        pos, total = 0, 0.0
        for m in _DURATION_PART.finditer(text):
            if m.start() != pos:
                break
            total += float(m.group(1)) * _DURATION_UNITS[m.group(2)]
            pos = m.end()
        if text and pos == len(text):
            return total
    raise ValueError(f"expected a duration such as 30s, 5m or 1h30m, got {value!r}")


@dataclass(frozen=True)
class Issue:
    """One problem found in one place of one source."""

    source: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return f"{where}: {self.field or '<top>'}: {self.message}" if self.field else f"{where}: {self.message}"


class ConfigError(Exception):
    """A source failed validation; holds every issue found, each with file, line and field."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


@dataclass(frozen=True)
class Origin:
    """Where each value of a loaded document came from, so later checks can point at lines too."""

    source: str = "<defaults>"
    lines: Mapping[PathKey, int] = field(default_factory=dict)
    overrides: Mapping[PathKey, str] = field(default_factory=dict)

    def locate(self, path: PathKey) -> tuple[str, int | None]:
        """The source and line of ``path`` (or of its nearest located parent)."""
        for n in range(len(path), -1, -1):
            prefix = path[:n]
            if prefix in self.overrides:
                return self.overrides[prefix], None
            if prefix in self.lines:
                return self.source, self.lines[prefix]
        return self.source, None

    def issue(self, path: PathKey, message: str) -> Issue:
        source, line = self.locate(path)
        return Issue(source, line, dotted(path), message)


def dotted(path: PathKey) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# ---------------------------------------------------------------- loading


def _walk_lines(node: yaml.Node, path: PathKey, lines: dict[PathKey, int]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                child = (*path, str(key_node.value))
                lines[child] = key_node.start_mark.line + 1
                _walk_lines(value_node, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk_lines(item, (*path, i), lines)


def parse_yaml(text: str, source: str) -> tuple[Any, Origin]:
    """Parse one YAML document with ``safe_load`` semantics and record the line of every key."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        if node is None:
            return None, Origin(source)
        loader = yaml.SafeLoader(text)
        try:
            data = loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise ConfigError([Issue(source, line, "", f"not valid YAML: {exc.problem or exc}")]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([Issue(source, None, "", f"not valid YAML: {exc}")]) from None
    lines: dict[PathKey, int] = {}
    _walk_lines(node, (), lines)
    return data, Origin(source, lines)


def load_yaml_file(path: str | Path) -> tuple[Any, Origin]:
    """Read and parse a YAML file; a missing or unreadable file is a ConfigError naming it."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([Issue(str(p), None, "", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([Issue(str(p), None, "", f"cannot read: {exc}")]) from None
    return parse_yaml(text, str(p))


# ---------------------------------------------------------------- building


class _Builder:
    def __init__(self, origin: Origin) -> None:
        self.origin = origin
        self.issues: list[Issue] = []

    def fail(self, path: PathKey, message: str) -> None:
        self.issues.append(self.origin.issue(path, message))

    def build(self, tp: Any, value: Any, path: PathKey) -> Any:  # noqa: PLR0912
        origin = get_origin(tp)
        if origin is Annotated:
            base, *meta = get_args(tp)
            if DURATION in meta:
                try:
                    return parse_duration(value)
                except ValueError as exc:
                    self.fail(path, str(exc))
                    return None
            return self.build(base, value, path)
        if origin in (typing.Union, types.UnionType):
            args = get_args(tp)
            if value is None and type(None) in args:
                return None
            rest = [a for a in args if a is not type(None)]
            if len(rest) == 1:
                return self.build(rest[0], value, path)
            for alternative in rest:  # the first alternative that accepts the value wins
                trial = _Builder(self.origin)
                result = trial.build(alternative, value, path)
                if not trial.issues:
                    return result
            self.fail(path, f"expected {' or '.join(_type_name(a) for a in rest)}, got {_kind(value)}")
            return None
        if origin is Literal:
            choices = get_args(tp)
            if value not in choices:
                self.fail(path, f"expected one of {', '.join(map(str, choices))}, got {value!r}")
            return value
        if origin is tuple:
            args = get_args(tp)
            if not isinstance(value, list):
                self.fail(path, f"expected a list, got {_kind(value)}")
                return ()
            return tuple(self.build(args[0], item, (*path, i)) for i, item in enumerate(value))
        if origin in (dict, Mapping):
            _, vt = get_args(tp)
            if not isinstance(value, dict):
                self.fail(path, f"expected a mapping, got {_kind(value)}")
                return {}
            return {str(k): self.build(vt, v, (*path, str(k))) for k, v in value.items()}
        from_config = getattr(tp, "from_config", None)
        if from_config is not None:
            try:
                return from_config(value)
            except ValueError as exc:
                self.fail(path, str(exc))
                return None
        if dataclasses.is_dataclass(tp) and isinstance(tp, type):
            return self.build_dataclass(tp, value, path)
        return self.build_scalar(tp, value, path)

    def build_scalar(self, tp: Any, value: Any, path: PathKey) -> Any:
        if tp is Any:
            return value
        if tp is bool:
            if not isinstance(value, bool):
                self.fail(path, f"expected true or false, got {value!r}")
            return value
        if tp is int:
            if isinstance(value, bool) or not isinstance(value, int):
                self.fail(path, f"expected an integer, got {value!r}")
            return value
        if tp is float:
            if isinstance(value, bool) or not isinstance(value, int | float):
                self.fail(path, f"expected a number, got {value!r}")
                return value
            return float(value)
        if tp is str:
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                self.fail(path, f"expected a string, got {_kind(value)}")
                return value
            return str(value)
        if tp is dt.datetime:
            return self.build_datetime(value, path)
        raise TypeError(f"unsupported field type {tp!r} at {dotted(path)}")

    def build_datetime(self, value: Any, path: PathKey) -> dt.datetime | None:
        if isinstance(value, dt.datetime):
            stamp = value
        elif isinstance(value, dt.date):
            stamp = dt.datetime(value.year, value.month, value.day)
        elif isinstance(value, str):
            try:
                stamp = dt.datetime.fromisoformat(value)
            except ValueError:
                self.fail(path, f"expected an ISO 8601 time such as 2027-01-31T00:00:00Z, got {value!r}")
                return None
        else:
            self.fail(path, f"expected an ISO 8601 time, got {_kind(value)}")
            return None
        return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)

    def build_dataclass(self, cls: type[Any], value: Any, path: PathKey) -> Any:
        if value is None:
            value = {}
        start = len(self.issues)
        if not isinstance(value, dict):
            self.fail(path, f"expected a mapping, got {_kind(value)}")
            return None
        hints = typing.get_type_hints(cls, include_extras=True)
        fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
        known = ", ".join(sorted(fields))
        for key in value:
            if str(key) not in fields:
                self.fail((*path, str(key)), f"unknown field; expected one of: {known}")
        kwargs: dict[str, Any] = {}
        for name, f in fields.items():
            if name in value:
                kwargs[name] = self.build(hints[name], value[name], (*path, name))
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                self.fail((*path, name), "required field is missing")
        if len(self.issues) > start:
            return None
        try:
            obj = cls(**kwargs)
        except ValueError as exc:
            self.fail(path, str(exc))
            return None
        check = getattr(obj, "check", None)
        if callable(check):
            for sub, message in check():
                self.fail((*path, *sub), message)
        return obj


def _type_name(tp: Any) -> str:
    origin = get_origin(tp)
    if origin is tuple:
        return f"a list of {_type_name(get_args(tp)[0])}"
    return {str: "a string", int: "an integer", float: "a number", bool: "true/false"}.get(tp, str(tp))


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", type(None): "nothing (null)"}.get(type(value), repr(value))


def build(cls: type[T], data: Any, origin: Origin | None = None, path: PathKey = ()) -> T:
    """Validate ``data`` into ``cls``; raises ConfigError with every issue found.

    A dataclass may define ``check(self) -> Iterable[tuple[PathKey, str]]`` for cross-field rules;
    each yielded pair becomes an issue located at that sub-path.
    """
    builder = _Builder(origin or Origin())
    obj = builder.build(cls, data, path)
    if builder.issues:
        raise ConfigError(sorted(builder.issues, key=lambda i: (i.source, i.line or 0)))
    return typing.cast(T, obj)


# ---------------------------------------------------------------- small value types


@dataclass(frozen=True)
class HostPort:
    """A ``host:port`` listen or target address (``:9100`` means every interface, as in Go exporters)."""

    host: str
    port: int

    @classmethod
    def from_config(cls, value: object) -> HostPort:
        return cls.parse(value)

    @classmethod
    def parse(cls, value: object) -> HostPort:
        if not isinstance(value, str) or ":" not in value:
            raise ValueError(f"expected HOST:PORT such as 127.0.0.1:9100, got {value!r}")
        host, _, port_text = value.rpartition(":")
        host = host.strip("[]") or "0.0.0.0"  # noqa: S104 - ':PORT' means all interfaces by convention # nosec B104
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise ValueError(f"expected a port between 1 and 65535 in {value!r}")
        return cls(host, int(port_text))

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def url_host(self) -> str:
        """The host as a client should dial it (all-interfaces binds are dialled on loopback)."""
        host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(self.host, self.host)  # noqa: S104 # nosec B104
        return f"[{host}]" if ":" in host else host


@dataclass(frozen=True)
class Regex:
    """A regular expression checked at load time, so a typo is a config error, not a crash later."""

    pattern: str

    @classmethod
    def from_config(cls, value: object) -> Regex:
        if not isinstance(value, str):
            raise ValueError(f"expected a regular expression string, got {value!r}")
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"invalid regular expression {value!r}: {exc}") from None
        return cls(value)

    @property
    def compiled(self) -> re.Pattern[str]:
        return _compile(self.pattern)

    def search(self, text: str) -> bool:
        return self.pattern != "" and self.compiled.search(text) is not None


_compiled_cache: dict[str, re.Pattern[str]] = {}


def _compile(pattern: str) -> re.Pattern[str]:
    rx = _compiled_cache.get(pattern)
    if rx is None:
        rx = _compiled_cache[pattern] = re.compile(pattern)
    return rx


def to_plain(obj: Any) -> Any:
    """The inverse of :func:`build` for display: plain YAML-safe values (secrets stay references)."""
    reference = getattr(obj, "reference", None)
    if isinstance(reference, str):
        return reference
    if isinstance(obj, HostPort):
        return str(obj)
    if isinstance(obj, Regex):
        return obj.pattern
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_plain(getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.init}
    if isinstance(obj, Mapping):
        return {str(k): to_plain(v) for k, v in obj.items()}
    if isinstance(obj, tuple | list):
        return [to_plain(v) for v in obj]
    if isinstance(obj, dt.datetime):
        return obj.isoformat()
    return obj
