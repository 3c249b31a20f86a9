"""Model calls through ``Once`` on a real Redis: a replayed batch (a new process, the same
decision) reuses the stored text instead of calling Bedrock again."""

from __future__ import annotations

import pytest
import redis

from services.common.idempotency import Once
from tests.unit.offers.narrative.test_bedrock import (
    EXPECTED_PARAMS,
    converse_response,
    stubbed_bedrock,
)
from tests.unit.offers.narrative.test_narrator import DECLINED, bedrock_narrator
from tests.unit.offers.narrative.test_verify import DECLINED_TEXT

pytestmark = pytest.mark.integration


def test_a_replay_after_a_crash_reuses_the_stored_text(
    redis_client: redis.Redis, unique_name: str
) -> None:
    with stubbed_bedrock() as (client, stubber):
        # One answer only: a second call to the model would find nothing stubbed and fail.
        stubber.add_response("converse", converse_response(DECLINED_TEXT), EXPECTED_PARAMS)
        first = bedrock_narrator(client, once=Once(redis_client, prefix=unique_name))
        written = first.narrate_with_outcome(DECLINED, "explanation")
        # The stage died before committing; its successor narrates the same decision.
        second = bedrock_narrator(client, once=Once(redis_client, prefix=unique_name))
        replayed = second.narrate_with_outcome(DECLINED, "explanation")
    assert written.narrative.source == "llm" and not written.replayed
    assert replayed.replayed and replayed.narrative == written.narrative
    stored = [redis_client.get(key) or b"" for key in redis_client.scan_iter(f"{unique_name}:*")]
    assert len(stored) == 1 and b"stop_reason" in stored[0]
