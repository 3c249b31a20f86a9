"""The faust app is wired from the settings without touching a broker."""

from __future__ import annotations

from pathlib import Path

from services.common.settings import KafkaSettings
from services.notifier.stats.app import STATE_TABLE, DecisionStatsApp
from services.notifier.stats.settings import StatsSettings


def test_the_app_keeps_memory_tables_and_one_windows_partition(tmp_path: Path) -> None:
    settings = StatsSettings(
        app_id="stats-unit", input_topic="d.in", output_topic="d.out", data_dir=tmp_path
    )
    stats = DecisionStatsApp(settings, KafkaSettings(bootstrap_servers="127.0.0.1:19092"))
    conf = stats.app.conf
    assert conf.id == "stats-unit"
    assert [str(url) for url in conf.broker] == ["kafka://127.0.0.1:19092"]
    assert str(conf.store) == "memory:"
    assert not conf.web_enabled
    assert conf.datadir == tmp_path
    assert stats.decisions.get_topic_name() == "d.in"
    assert stats.output.get_topic_name() == "d.out"
    assert stats.contributions.get_topic_name() == "stats-unit-contributions"
    assert stats.contributions.internal and stats.contributions.partitions == 1
    assert stats.state.name == STATE_TABLE and stats.state.partitions == 1
    reads = {name: agent.channel.get_topic_name() for name, agent in stats.app.agents.items()}
    assert reads == {"decode": "d.in", "aggregate": "stats-unit-contributions"}


def test_a_bad_record_is_counted_and_skipped_without_its_content() -> None:
    stats = DecisionStatsApp(StatsSettings(), KafkaSettings(bootstrap_servers="127.0.0.1:19092"))
    assert stats._read_decision("d.in", 3, 17, b"{not json") is None
    assert stats._read_decision("d.in", 3, 18, None) is None
    assert stats._read_decision("d.in", 3, 19, b'{"outcome": "approved"}') is None
    assert stats.counters.invalid == 3
