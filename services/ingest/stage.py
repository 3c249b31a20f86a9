"""The Kafka intake: ``loan.applications.submitted.v1`` → ``loan.applications.received.v1``.

Upstream systems that publish instead of calling the API get the same checks: the runtime
decodes each record with ``SubmittedApplication`` (type errors are dead-lettered there, kind
``invalid``, with their field paths), and the handler runs ``intake.accept`` on the decoded
submission (business-rule violations are returned as ``Reject``, kind ``rejected``, with field
paths and rule ids). The submitted topic is marked sensitive, so the dead letters of either kind
hold the raw submission only sealed under the dead-letter key, or not at all.

Run as a process with ``python -m services.ingest.stage``.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Self

import redis
from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from services.common.contracts import ApplicationReceived, SubmittedApplication, Topics
from services.common.contracts.dead_letter import DeadLetter
from services.common.contracts.topics import TopicSpec
from services.common.logs import configure_logging
from services.common.runtime import Emit, Envelope, Reject, RuntimeSettings, StageRuntime
from services.common.settings import KafkaSettings, RedisSettings
from services.common.settings import redis_client as make_redis_client
from services.ingest.intake import Accepted, IntakeConfig, accept, record_application_id
from services.ingest.settings import IngestSettings

log = logging.getLogger(__name__)

SERVICE = "ingest"

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class IntakeHandler:
    """Accepts or rejects each decoded submission; pure apart from the clock."""

    def __init__(
        self,
        config: IntakeConfig,
        *,
        output: TopicSpec[ApplicationReceived] = Topics.RECEIVED,
        clock: Clock = _utc_now,
    ) -> None:
        self._config = config
        self._output = output
        self._clock = clock

    def __call__(self, batch: Sequence[Envelope[Any]]) -> list[Emit | Reject]:
        return [self._one(envelope) for envelope in batch]

    def _one(self, envelope: Envelope[Any]) -> Emit | Reject:
        submission: SubmittedApplication = envelope.value
        result = accept(
            submission,
            application_id=record_application_id(
                envelope.topic, envelope.partition, envelope.offset
            ),
            received_at=self._clock(),
            config=self._config,
        )
        if isinstance(result, Accepted):
            log.info("application received", extra={"application_id": result.key})
            # Not Emit.following: the submitted record may be keyed by the customer id (or not
            # keyed at all), and every event after ingest is keyed by the application id. The
            # cause still carries the trace and the origin time forward.
            return Emit(topic=self._output, value=result.event, key=result.key, cause=envelope)
        log.info(
            "submission rejected",
            extra={"violations": [str(v) for v in result.violations], "offset": envelope.offset},
        )
        return Reject(envelope, result.reason)


def submitted_application_key(envelope: Any) -> str | None:
    """Business key for duplicate detection: the submitter's application id.

    Not the Kafka key, which may be the customer id: two applications of one customer are not
    duplicates. A submission without an id cannot be recognised when sent again, so it is not
    claimed (it gets an id from its record coordinates).
    """
    value = getattr(envelope, "value", None)
    if isinstance(value, SubmittedApplication) and value.application_id is not None:
        return str(value.application_id)
    return None


def bounded_submission(max_body_bytes: int) -> type[SubmittedApplication]:
    """``SubmittedApplication`` that refuses a JSON value over ``max_body_bytes`` unparsed.

    The runtime decodes a record before the handler sees it, so the size limit of ``accept``
    (the HTTP body limit) would never apply to Kafka submissions; decoding with this model
    applies it to the same bytes. An oversized record is dead-lettered as ``invalid`` with the
    rule ``payload_too_large``.
    """

    class BoundedSubmission(SubmittedApplication):
        @classmethod
        def model_validate_json(cls, json_data: str | bytes | bytearray, **kwargs: Any) -> Self:
            size = len(json_data.encode() if isinstance(json_data, str) else json_data)
            if size > max_body_bytes:
                error = PydanticCustomError(
                    "payload_too_large",
                    "The submission exceeds {max_bytes} bytes.",
                    {"max_bytes": max_body_bytes},
                )
                details = [InitErrorDetails(type=error, loc=(), input=None)]
                raise ValidationError.from_exception_data(cls.__name__, details)
            return super().model_validate_json(json_data, **kwargs)

    return BoundedSubmission


def build_stage(
    settings: IngestSettings,
    *,
    kafka: KafkaSettings | None = None,
    redis_client: redis.Redis | None = None,
    redis_settings: RedisSettings | None = None,
    runtime_settings: RuntimeSettings | None = None,
    stage: str | None = None,
    source: TopicSpec[SubmittedApplication] | None = None,
    sink: TopicSpec[ApplicationReceived] | None = None,
    dead_letters: TopicSpec[DeadLetter] | None = None,
    clock: Clock = _utc_now,
) -> StageRuntime:
    """The intake runtime. ``source``, ``sink`` and ``dead_letters`` default to the registry's
    (the source by ``settings.input_topic``); tests pass copies with private names."""
    source = source or Topics.by_name(settings.input_topic)
    source = dataclasses.replace(source, value_model=bounded_submission(settings.max_body_bytes))
    handler = IntakeHandler(
        IntakeConfig.from_settings(settings), output=sink or Topics.RECEIVED, clock=clock
    )
    return StageRuntime(
        service=SERVICE,
        stage=stage,
        inputs=[source],
        handler=handler,
        kafka=kafka,
        redis_client=redis_client,
        redis_settings=redis_settings,
        settings=runtime_settings,
        dead_letters=dead_letters,
        dedup_key=submitted_application_key,
    )


def main() -> None:
    settings = IngestSettings()
    configure_logging(SERVICE, settings.log_level, settings.log_redact_pii)
    redis_settings = RedisSettings()
    runtime = build_stage(
        settings, redis_client=make_redis_client(redis_settings), redis_settings=redis_settings
    )
    runtime.install_signal_handlers()  # SIGTERM: finish the batch, commit, leave the group
    runtime.run()


if __name__ == "__main__":
    main()
