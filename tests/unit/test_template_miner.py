"""The streaming miner: grouping, renames, stable ids, parameters, read-only matching, the LRU bound."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from inframind.analyzer.detect.templates import MinerConfig, Param, TemplateMiner, snapshot, template_id

SSH = [
    "Failed password for root from 10.0.0.1 port 22 ssh2",
    "Failed password for admin from 10.0.0.2 port 2222 ssh2",
    "Failed password for oracle from 192.168.7.9 port 51000 ssh2",
    "Accepted password for deploy from 10.0.0.3 port 40001 ssh2",
]


def test_lines_of_one_event_share_a_template_and_variables_become_wildcards() -> None:
    miner = TemplateMiner()
    results = [miner.add(line) for line in SSH]
    assert results[0].change == "created"
    assert results[0].template == "Failed password for root from <IP> port <NUM> ssh2"
    assert results[1].change == "updated"
    assert results[1].template == "Failed password for <*> from <IP> port <NUM> ssh2"
    assert results[1].changed_from == (results[0].template_id,)
    assert results[2].change == "none" and results[2].template_id == results[1].template_id
    assert results[3].template == "Accepted password for deploy from <IP> port <NUM> ssh2"
    assert [t.size for t in miner.templates()] == [3, 1]


def test_template_id_is_the_hash_of_the_template_text() -> None:
    miner = TemplateMiner()
    result = miner.add("disk sda1 is failing")
    assert result.template_id == template_id("disk sda1 is failing")
    assert len(result.template_id) == 16


def test_words_that_differ_mean_different_events() -> None:
    miner = TemplateMiner()
    ids = {miner.add(line).template_id for line in ["Link ok", "Link error", "Link ok", "Link in reset"]}
    assert {t.text for t in miner.templates()} == {"Link ok", "Link error", "Link in reset"}
    assert len(ids) == 3


def test_a_value_that_held_for_many_lines_is_text_until_the_newcomer_varies_too() -> None:
    miner = TemplateMiner()
    for i in range(30):
        miner.add(f"open through proxy 10.0.0.{i}:80 HTTPS")
    socks = miner.add("open through proxy 10.0.1.1:80 SOCKS5")
    assert socks.change == "created"  # HTTPS never varied in 30 lines: SOCKS5 is another event
    miner.add("open through proxy 10.0.1.2:80 SOCKS4")  # now the newcomer's last word varies...
    texts = {t.text for t in miner.templates()}
    assert texts == {"open through proxy <IP>:<PORT> <*>"}  # ...so it is a value, and the two templates heal


def test_params_are_the_values_behind_placeholders_and_wildcards() -> None:
    miner = TemplateMiner()
    miner.add("session opened for user=root from 10.1.1.1 in 35ms")
    result = miner.add("session opened for user=backup from 10.1.1.2 in 7ms")
    assert result.template == "session opened for user=<*> from <IP> in <DURATION>"
    assert result.params == (Param("*", "backup"), Param("IP", "10.1.1.2"), Param("DURATION", "7ms"))


def test_match_is_read_only_and_extracts_params() -> None:
    miner = TemplateMiner()
    for line in SSH:
        miner.add(line)
    before = json.dumps(snapshot(miner), sort_keys=True)
    found = miner.match("Failed password for guest from 172.16.0.5 port 2200 ssh2")
    assert found is not None
    assert found.template == "Failed password for <*> from <IP> port <NUM> ssh2"
    assert found.params == (Param("*", "guest"), Param("IP", "172.16.0.5"), Param("NUM", "2200"))
    assert miner.match("Accepted publickey for deploy from 10.0.0.3 port 1 ssh2") is None  # would need learning
    assert miner.match("kernel: something else entirely") is None
    assert json.dumps(snapshot(miner), sort_keys=True) == before
    assert miner.stats.lines == len(SSH)


def test_resolve_follows_generalizations() -> None:
    miner = TemplateMiner()
    first = miner.add("job 1 finished by alice").template_id
    last = miner.add("job 2 finished by bob").template_id
    assert first != last
    assert miner.resolve(first) == last
    assert miner.resolve(last) == last
    assert miner.resolve("0000000000000000") == "0000000000000000"


def test_lru_bound_evicts_the_least_recently_seen_and_counts_it() -> None:
    miner = TemplateMiner(MinerConfig(max_clusters=2))
    miner.add("alpha started")
    miner.add("beta started")
    miner.add("alpha started")  # alpha is now more recent than beta
    miner.add("gamma stopped")
    assert miner.stats.evictions == 1
    assert miner.stats.clusters == 2
    assert {t.text for t in miner.templates()} == {"alpha started", "gamma stopped"}
    assert miner.revision > 0


def test_template_ids_are_the_same_in_another_process() -> None:
    lines = [*SSH, "Received disconnect from 10.0.0.9: 11: Bye Bye [preauth]", "disk /dev/sda1 is 91% full"]
    miner = TemplateMiner()
    here = [miner.add(line).template_id for line in lines]
    script = textwrap.dedent(
        """
        import json, sys
        from inframind.analyzer.detect.templates import TemplateMiner
        miner = TemplateMiner()
        print(json.dumps([miner.add(line).template_id for line in json.loads(sys.stdin.read())]))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], input=json.dumps(lines), capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout) == here


def test_empty_and_whitespace_lines_are_one_template() -> None:
    miner = TemplateMiner()
    assert miner.add("").template_id == miner.add("   \t ").template_id
