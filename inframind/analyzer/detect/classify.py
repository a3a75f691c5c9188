"""Severity and service impact of a log template, from its level, its words, its source and the asset's criticality.

Pure and cached: a template's verdict depends only on (level, template text, source, provider, event id), so
it is computed once per distinct combination, and the asset's criticality (data from the inventory) adjusts
it afterwards.

How the severity is reached, as a rank from 0 to 3:

- the level: debug/info/notice 0, warning 1, error 2, critical 3;
- the template's words (its constant text, so the words that define the class): *strong* words 3 (panic,
  fatal, corrupt, I/O error, medium error, uncorrectable, hardware error, machine check, out of memory, bad
  sector ...), *error* words 2 (fail, error, timeout, denied, refused, unreachable, degraded, not responding,
  abort, exception, lost, offline, invalid ...), *soft* words 1 (warning, retry, unable, cannot, reset, down ...);
- the rank is the larger of the two, then the asset's criticality moves it: ``high`` and ``critical`` raise a
  rank of 2 or more by one (an error on a database server is critical), ``low`` lowers it by one;
- rank 0 is ``info``, 1 and 2 are ``warning``, 3 is ``critical``.

Labels: ``category`` (storage, memory, network, auth, hardware, kernel, application: from the source, the
event id, the provider and the template's words, the most specific first) and ``impact``: ``outage`` (something
stopped: panic, crash, unreachable, offline, killed), ``data`` (data at risk: corruption, I/O and medium errors,
or any error of the storage category), ``security`` (a failed or refused authentication), ``degraded``
(timeouts, retries, resets, degraded arrays), ``risk`` (any other problem word or level) or ``none``.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass

from inframind.analyzer.detect.loghits import TemplateHit
from inframind.analyzer.findings import Severity

LEVEL_RANK = {"debug": 0, "info": 0, "notice": 0, "warning": 1, "error": 2, "critical": 3}
SEVERITY_RANK: dict[str, int] = {"info": 0, "warning": 1, "critical": 2}


def _words(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(patterns), re.IGNORECASE)


STRONG = _words(
    r"\bpanic", r"\bfatal\b", r"\bcorrupt", r"\bI/O error", r"\bmedium error", r"\buncorrectable", r"\bunrecoverable",
    r"\bhardware error", r"\bmachine check", r"\bdata loss", r"\bout of memory\b", r"\boom[-_ ]kill",
    r"\bkernel bug", r"\bsegfault", r"\bcritical\b", r"\bfailed command", r"\bbad (?:block|sector)",
    r"\bread-only file ?system",
)  # fmt: skip
ERROR = _words(
    r"\bfail(?:s|ed|ure|ures|ing)?\b", r"\berrors?\b", r"\btime[d ]?out\b", r"\btimed out\b", r"\bdenied\b",
    r"\brefused\b", r"\bunreachable\b", r"\bdegraded\b", r"\bnot responding\b", r"\babort(?:ed|ing)?\b",
    r"\bexception\b", r"\blost\b", r"\boffline\b", r"\binvalid\b", r"\bcrash(?:ed)?\b", r"\bunexpected(?:ly)?\b",
    r"\bkill(?:ed)?\b", r"\bviolation\b", r"\bEmask\b",
)  # fmt: skip
SOFT = _words(
    r"\bwarn(?:ing)?\b", r"\bretr(?:y|ying|ies)\b", r"\bunable\b", r"\bcannot\b", r"\bcan't\b", r"\bcould not\b",
    r"\bmissing\b", r"\bslow\b", r"\bdeprecated\b", r"\breset(?:ting)?\b", r"\bdown\b", r"\bthrottl",
    r"\bover-?temperature\b",
)  # fmt: skip

OUTAGE = _words(
    r"\bpanic", r"\bfatal\b", r"\bcrash", r"\bnot responding\b", r"\bunreachable\b", r"\boffline\b", r"\bkilled\b",
    r"\bshut ?down\b.*\bunexpected", r"\bunexpected(?:ly)?\b.*\bshut ?down", r"\bkernel bug", r"\bsegfault",
    r"\boom[-_ ]kill", r"\bout of memory\b",
)  # fmt: skip
DATA = _words(
    r"\bcorrupt", r"\bI/O error", r"\bmedium error", r"\buncorrectable", r"\bbad (?:block|sector)",
    r"\bread-only file ?system", r"\bdata loss", r"\bfailed command",
)  # fmt: skip
DEGRADED = _words(
    r"\bdegraded\b", r"\btime[d ]?out\b", r"\btimed out\b", r"\bretr(?:y|ying|ies)\b", r"\bslow\b",
    r"\breset(?:ting)?\b", r"\blost\b", r"\brefused\b", r"\bthrottl",
)  # fmt: skip

CATEGORIES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("memory", _words(r"\bout of memory\b", r"\boom\b", r"\boom[-_]kill", r"\bedac\b", r"\becc\b", r"\bmce\b",
                      r"\bmachine check", r"\bmemory\b", r"\bdimm\b", r"\bpage allocation")),
    ("storage", _words(r"\bdisks?\b", r"\bsd[a-z]{1,2}\d*\b", r"\bnvme", r"\bata\d", r"\bscsi", r"\bblk_", r"\bI/O\b",
                       r"\bsectors?\b", r"\bext[234]-fs", r"\bxfs\b", r"\bbtrfs\b", r"\bntfs\b", r"\braid",
                       r"\bmd\d", r"\bmd/raid", r"\bmdadm", r"\bvolume", r"\bsmart(?:d|ctl)?\b", r"\blun\b",
                       r"\bmultipath", r"\bfile ?system", r"\bstorport", r"\bhba\b", r"\bbad block")),
    ("auth", _words(r"\bauth", r"\bpassword", r"\blog ?on\b", r"\blogins?\b", r"\bpam_", r"\bsudo\b", r"\bsu\b",
                    r"\bsshd\b", r"\bkerberos", r"\bldap", r"\binvalid user", r"\baccess denied",
                    r"\bpermission denied", r"\bcredential", r"\baccount\b")),
    ("network", _words(r"\blink\b", r"\beth\d", r"\ben[ops]\w+", r"\bnic\b", r"\bcarrier", r"\bbond\d",
                       r"\binterface", r"\bnetwork", r"\bconnection", r"\btcp\b", r"\budp\b", r"\bdns\b",
                       r"\bunreachable\b", r"\bnot responding\b", r"\bvlan", r"\bsocket", r"\bport\b")),
    ("hardware", _words(r"\bfans?\b", r"\bpsu\b", r"\bpower supply", r"\bthermal", r"\btemperature", r"\bvoltage",
                        r"\bchassis", r"\bbmc\b", r"\bipmi", r"\bsensor", r"\bbattery", r"\bups\b",
                        r"\bkernel-power\b")),
)  # fmt: skip
BMC_SOURCES = frozenset({"sel", "redfish_log"})
EVENT_CATEGORIES = {
    **dict.fromkeys(("7", "11", "15", "51", "55", "57", "98", "129", "153", "157"), "storage"),
    **dict.fromkeys(("4625", "4624", "4648", "4740", "4771", "4776"), "auth"),
    **dict.fromkeys(("41", "6008"), "hardware"),
}


@dataclass(frozen=True)
class Classification:
    severity: Severity
    impact: str
    category: str
    rank: int
    """0..3 before the asset's criticality: what the template says by itself (2 and more: an error)."""

    @property
    def labels(self) -> dict[str, str]:
        return {"impact": self.impact, "category": self.category}

    @property
    def is_error(self) -> bool:
        return self.rank >= 2


def _severity(rank: int) -> Severity:
    return "info" if rank <= 0 else "warning" if rank <= 2 else "critical"


def _category(text: str, source: str, event_id: str | None) -> str:
    if source in BMC_SOURCES:
        return "memory" if CATEGORIES[0][1].search(text) else "hardware"
    if source == "eventlog" and event_id in EVENT_CATEGORIES:
        return EVENT_CATEGORIES[event_id]
    for name, pattern in CATEGORIES:
        if pattern.search(text):
            return name
    return "kernel" if text.lower().startswith("kernel") else "application"


@functools.lru_cache(maxsize=65536)
def classify_template(
    level: str, template: str, source: str = "", provider: str | None = None, event_id: str | None = None
) -> Classification:
    """What a template says by itself (criticality ``medium``)."""
    words = 3 if STRONG.search(template) else 2 if ERROR.search(template) else 1 if SOFT.search(template) else 0
    rank = max(LEVEL_RANK.get(level, 0), words)
    category = _category(f"{provider or ''} {template}".strip(), source, event_id)
    if rank == 0:
        impact = "none"
    elif OUTAGE.search(template):
        impact = "outage"
    elif DATA.search(template) or (category == "storage" and rank >= 2):
        impact = "data"
    elif category == "auth" and rank >= 2:
        impact = "security"
    elif DEGRADED.search(template):
        impact = "degraded"
    else:
        impact = "risk"
    return Classification(_severity(rank), impact, category, rank)


def with_criticality(verdict: Classification, criticality: str) -> Classification:
    """Raise an error on a high/critical asset by one step, lower anything on a low one by one."""
    rank = verdict.rank
    if criticality in ("high", "critical") and rank >= 2:
        rank += 1
    elif criticality == "low":
        rank -= 1
    return dataclasses.replace(verdict, severity=_severity(min(rank, 3)))


def classify(hit: TemplateHit, criticality: str = "medium") -> Classification:
    base = classify_template(hit.level, hit.template, hit.source, hit.provider, hit.event_id)
    return with_criticality(base, criticality)


def at_least(severity: Severity, floor: Severity) -> bool:
    return SEVERITY_RANK[severity] >= SEVERITY_RANK[floor]
