"""template_report: the library call behind `inframind logs templates FILE`."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest

from inframind.analyzer.template_report import format_rows, template_report

SYSLOG = [
    "Jun 14 15:16:01 combo sshd[19939]: Failed password for root from 10.0.0.1 port 22 ssh2",
    "Jun 14 15:16:02 combo sshd[19940]: Failed password for admin from 10.0.0.2 port 2222 ssh2",
    "Jun 14 15:16:03 combo sshd[19941]: Failed password for oracle from 10.0.0.3 port 51000 ssh2",
    "Jun 14 15:16:04 combo kernel: EXT4-fs error (device sda1): ext4_find_entry:1455",
    "Jun 14 15:16:05 combo sshd[19942]: Failed password for test from 10.0.0.4 port 4000 ssh2",
]


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_rows_sorted_by_count_with_ids_shares_and_first_examples(tmp_path: Path) -> None:
    rows = template_report(write(tmp_path / "auth.log", SYSLOG), "syslog")
    assert [(r.template, r.count) for r in rows] == [
        ("Failed password for <*> from <IP> port <NUM> ssh2", 4),
        ("EXT4-fs error (device sda1): ext4_find_entry:<NUM>", 1),
    ]
    assert rows[0].share == pytest.approx(0.8)
    assert rows[0].example == "Failed password for root from 10.0.0.1 port 22 ssh2"
    assert len(rows[0].template_id) == 16
    table = format_rows(rows, top=1)
    assert "Failed password for <*> from <IP> port <NUM> ssh2" in table
    assert "... 1 more templates" in table


def test_raw_format_keeps_the_header_in_the_template(tmp_path: Path) -> None:
    rows = template_report(write(tmp_path / "auth.log", SYSLOG[:1]), "raw")
    assert rows[0].template == "<DATETIME> combo sshd[<NUM>]: Failed password for root from <IP> port <NUM> ssh2"


def test_gzip_loghub_format_and_progress(tmp_path: Path) -> None:
    path = tmp_path / "hdfs.log.gz"
    lines = [f"081109 2036{i:02d} 148 INFO dfs.DataNode: Receiving block blk_{i}77 src: /10.0.0.{i}:5{i}"
             for i in range(50)]  # fmt: skip
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    progress = io.StringIO()
    rows = template_report(path, "loghub:<Date> <Time> <Pid> <Level> <Component>: <Content>", progress=progress)
    assert [(r.template, r.count) for r in rows] == [("Receiving block <BLK> src: <IP>:<PORT>", 50)]
    assert progress.getvalue().endswith("50 lines 100.0% (" + progress.getvalue().split("(")[-1])
    assert progress.getvalue().endswith("\n")


def test_undecodable_bytes_do_not_stop_the_report(tmp_path: Path) -> None:
    path = tmp_path / "mixed.log"
    path.write_bytes(b"disk \xff\xfe failed on sda\nservice started\n")
    assert sorted(r.template for r in template_report(path)) == ["disk \ufffd\ufffd failed on sda", "service started"]


def test_errors_name_the_problem(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not found"):
        template_report(tmp_path / "missing.log")
    with pytest.raises(ValueError, match="unknown log format"):
        template_report(write(tmp_path / "x.log", ["a"]), "xml")
