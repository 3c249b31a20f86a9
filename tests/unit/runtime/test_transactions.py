"""How the batch committer reacts to each class of transactional producer error.

The producer and consumer here are scripted stand-ins: what is tested is the committer's own
decision logic (retry, abort and rewind, re-create), which a real broker can only trigger by
chance. The real broker path is covered by tests/integration/runtime.
"""

from __future__ import annotations

from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException, Message, TopicPartition

from services.common.runtime.metrics import StageMetrics
from services.common.runtime.settings import RuntimeSettings
from services.common.runtime.transactions import BatchCommitter
from services.common.settings import KafkaSettings


class ScriptedProducer:
    """Fails ``commit_transaction`` with the scripted errors, in order, then succeeds."""

    def __init__(self, commit_errors: list[KafkaError]) -> None:
        self.commit_errors = commit_errors
        self.calls: list[str] = []

    def init_transactions(self, _timeout: float) -> None:
        self.calls.append("init")

    def begin_transaction(self) -> None:
        self.calls.append("begin")

    def produce(self, *_args: Any, **_kwargs: Any) -> None:
        self.calls.append("produce")

    def send_offsets_to_transaction(self, offsets: list[TopicPartition], *_: Any) -> None:
        self.calls.append(f"offsets:{[(tp.partition, tp.offset) for tp in offsets]}")

    def commit_transaction(self, _timeout: float) -> None:
        self.calls.append("commit")
        if self.commit_errors:
            raise KafkaException(self.commit_errors.pop(0))

    def abort_transaction(self, _timeout: float) -> None:
        self.calls.append("abort")

    def flush(self, _timeout: float) -> int:
        return 0


class ScriptedConsumer:
    def __init__(self) -> None:
        self.seeks: list[tuple[str, int, int]] = []

    def assignment(self) -> list[TopicPartition]:
        return [TopicPartition("in", 0), TopicPartition("in", 1)]

    def committed(self, partitions: list[TopicPartition], timeout: float) -> list[TopicPartition]:
        return [TopicPartition(tp.topic, tp.partition, 100) for tp in partitions]

    def seek(self, tp: TopicPartition) -> None:
        self.seeks.append((tp.topic, tp.partition, tp.offset))

    def consumer_group_metadata(self) -> object:
        return object()


def committer(
    *errors: KafkaError,
) -> tuple[BatchCommitter, list[ScriptedProducer], ScriptedConsumer]:
    producers: list[ScriptedProducer] = []
    consumer = ScriptedConsumer()

    def factory(_config: dict[str, Any]) -> ScriptedProducer:
        producers.append(ScriptedProducer(list(errors) if not producers else []))
        return producers[-1]

    batch_committer = BatchCommitter(
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"),
        transactional_id="prescreen.test.0",
        settings=RuntimeSettings(instance_id="0", retry_backoff_max_s=0.01),
        consumer=consumer,  # type: ignore[arg-type]
        metrics=StageMetrics("test"),
        producer_factory=factory,  # type: ignore[arg-type]
    )
    return batch_committer, producers, consumer


def commit(batch_committer: BatchCommitter) -> bool:
    records = [
        Message(topic="in", partition=0, offset=100, key=b"a", value=b"{}"),
        Message(topic="in", partition=0, offset=101, key=b"b", value=b"{}"),
        Message(topic="in", partition=1, offset=100, key=b"c", value=b"{}"),
    ]
    return batch_committer.commit(
        records=records,
        emits=[],
        dead_letters=[],
        dead_letter_topic=None,  # type: ignore[arg-type]
        source="/loan-prescreen/test",
        before_commit=lambda: None,
    )


def test_offsets_committed_are_one_past_the_last_record_of_each_partition() -> None:
    batch_committer, producers, _ = committer()
    assert commit(batch_committer)
    assert "offsets:[(0, 102), (1, 101)]" in producers[0].calls


def test_retriable_commit_errors_retry_the_commit_itself() -> None:
    batch_committer, producers, consumer = committer(
        KafkaError(KafkaError._TIMED_OUT, "slow coordinator", retriable=True)
    )
    assert commit(batch_committer)
    assert producers[0].calls.count("commit") == 2
    assert "abort" not in producers[0].calls and consumer.seeks == []


def test_abortable_errors_abort_and_rewind_to_the_committed_offsets() -> None:
    batch_committer, producers, consumer = committer(
        KafkaError(KafkaError._TIMED_OUT, "epoch bumped", txn_requires_abort=True)
    )
    assert not commit(batch_committer)
    assert producers[0].calls[-1] == "abort"
    assert sorted(consumer.seeks) == [("in", 0, 100), ("in", 1, 100)]
    assert len(producers) == 1


def test_fatal_errors_recreate_the_producer_and_rewind() -> None:
    batch_committer, producers, consumer = committer(
        KafkaError(KafkaError._FENCED, "fenced by a newer instance", fatal=True)
    )
    assert not commit(batch_committer)
    assert len(producers) == 2 and producers[1].calls == ["init"]
    assert sorted(consumer.seeks) == [("in", 0, 100), ("in", 1, 100)]
    # The next batch goes through the new producer.
    assert commit(batch_committer)
    assert "commit" in producers[1].calls


@pytest.mark.parametrize("attempts", [6])
def test_retries_are_bounded(attempts: int) -> None:
    errors = [KafkaError(KafkaError._TIMED_OUT, "t", retriable=True) for _ in range(attempts)]
    batch_committer, producers, consumer = committer(*errors)
    assert not commit(batch_committer)
    assert producers[0].calls.count("commit") == 6  # first try + commit_retries (5)
    assert consumer.seeks
