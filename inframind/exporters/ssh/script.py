"""The one shell script a scrape runs on the target, and the splitting of its output into sections.

The script is sent on the standard input of ``sh -s`` rather than as a command line, so the target's
login shell (bash, zsh, fish) never re-parses it. It is assembled from fixed snippets only: the config
chooses which snippets (by collector name), and the only values put into it are a random hex nonce and
numbers. Nothing from the config or the target becomes shell text, so there is nothing to inject.

Each section is framed by ``@@inframind-<nonce> begin <name>`` and ``... end <name> <exit status>``:
a file can never forge a frame without knowing the nonce, and a section that failed (no mdstat, no
permission) carries its exit status and error text for the collector's message.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from inframind.exporters.ssh.settings import CollectorName

SECTIONS: Mapping[str, str] = {
    "stat": "im_run stat cat /proc/stat",
    "meminfo": "im_run meminfo cat /proc/meminfo",
    "loadavg": "im_run loadavg cat /proc/loadavg",
    "diskstats": "im_run diskstats cat /proc/diskstats",
    "udev": "im_run udev im_udev",
    "netdev": "im_run netdev cat /proc/net/dev",
    "mdstat": "im_run mdstat cat /proc/mdstat",
    "mounts": "im_run mounts im_mounts",
    "statfs": "im_run statfs im_statfs",
    "uname": "im_run uname im_kernel",
    "smartscan": "im_run smartscan timeout {smartctl_timeout:g} {sudo}smartctl --scan-open --json",
}
"""Section name -> the fixed line that produces it."""

NEEDS: Mapping[CollectorName, tuple[str, ...]] = {
    "cpu": ("stat",),
    "stat": ("stat",),
    "meminfo": ("meminfo",),
    "loadavg": ("loadavg",),
    "diskstats": ("diskstats", "udev"),
    "netdev": ("netdev",),
    "mdadm": ("mdstat",),
    "filesystem": ("mounts", "statfs"),
    "uname": ("uname",),
    "smart": ("smartscan",),
}
"""Which sections each collector reads (``stat`` serves both cpu and stat)."""

PSEUDO_FS_TYPES = (
    "autofs|binfmt_misc|bpf|cgroup|cgroup2|configfs|debugfs|devpts|devtmpfs|efivarfs|fusectl|hugetlbfs|"
    "mqueue|nsfs|proc|pstore|rpc_pipefs|securityfs|selinuxfs|sysfs|tracefs"
)
"""Mount types the target does not stat: kernel views with no space of their own (autofs: a stat could
trigger a mount). They are excluded by default; one a user includes anyway shows ``device_error 1``."""

_PRELUDE = r"""main() {{
LC_ALL=C; export LC_ALL
PATH="$PATH:/usr/sbin:/sbin:/usr/local/sbin"; export PATH
exec 2>&1
m='@@inframind-{nonce}'
im_run() {{ n=$1; shift; echo "$m begin $n"; "$@"; rc=$?; echo; echo "$m end $n $rc"; }}
im_mounts() {{ cat /proc/1/mounts 2>/dev/null || cat /proc/mounts; }}
im_kernel() {{
  cat /proc/sys/kernel/ostype /proc/sys/kernel/osrelease /proc/sys/kernel/version \
      /proc/sys/kernel/hostname /proc/sys/kernel/domainname && uname -m
}}
im_udev() {{ grep -H '^E:' /run/udev/data/b* 2>/dev/null; return 0; }}
im_statfs() {{
  im_mounts | while read -r dev mp fs rest; do
    case $fs in {pseudo}) continue;; esac
    case $mp in
      *\\*) p=$(printf '%s\n' "$mp" | sed 's/\\040/ /g; s/\\011/\t/g');;
      *) p=$mp;;
    esac
    if out=$(timeout {stat_timeout:g} stat -f -c '%s %b %f %a %c %d' -- "$p" </dev/null 2>/dev/null); then
      printf '%s %s\n' "$mp" "$out"
    else
      printf '%s -\n' "$mp"
    fi
  done
}}
"""
_POSTLUDE = "}\nmain </dev/null\n"
"""The body is one function, so ``sh -s`` reads it whole before running it and no command can eat the
rest of the script from standard input. Mount points go through ``printf '%s'``, never ``echo``: dash's
echo would turn the table's ``\\040`` into a space and break the line's fields."""


def new_nonce() -> str:
    return secrets.token_hex(8)


def sections_for(collectors: Iterable[CollectorName]) -> list[str]:
    """The sections the collectors need, each once, in a fixed order."""
    wanted = {section for c in collectors for section in NEEDS[c]}
    return [name for name in SECTIONS if name in wanted]


def build_script(
    collectors: Iterable[CollectorName], nonce: str, stat_timeout: float, smartctl_timeout: float, sudo: bool
) -> str:
    """The script for these collectors; ``nonce`` must be hex (from :func:`new_nonce`)."""
    if not re.fullmatch(r"[0-9a-f]+", nonce):
        raise ValueError("the nonce must be lower-case hex")
    values = {
        "nonce": nonce,
        "pseudo": PSEUDO_FS_TYPES,
        "stat_timeout": float(stat_timeout),
        "smartctl_timeout": float(smartctl_timeout),
        "sudo": "sudo -n " if sudo else "",
    }
    lines = [SECTIONS[name].format(**values) for name in sections_for(collectors)]
    return _PRELUDE.format(**values) + "\n".join(lines) + "\n" + _POSTLUDE


@dataclass(frozen=True)
class Section:
    """What one section printed (standard error included) and how its command exited."""

    text: str
    status: int

    @property
    def ok(self) -> bool:
        return self.status == 0

    def failure(self) -> str:
        """A short description for a collector's error message."""
        said = " ".join(self.text.split())[:200]
        return f"exit status {self.status}" + (f": {said}" if said else "")


def split_sections(output: str, nonce: str) -> dict[str, Section]:
    """Sections found complete in ``output``; one cut off (a timeout) is absent, not partial."""
    marker = re.escape(f"@@inframind-{nonce}")
    found: dict[str, Section] = {}
    pattern = re.compile(rf"^{marker} begin (\S+)\n(.*?)^{marker} end \1 (\d+)$", re.MULTILINE | re.DOTALL)
    for match in pattern.finditer(output):
        body = match.group(2)
        text = body[:-1] if body.endswith("\n") else body  # the newline the script adds before `end`
        found[match.group(1)] = Section(text, int(match.group(3)))
    return found
