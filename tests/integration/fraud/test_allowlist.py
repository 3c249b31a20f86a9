"""Clearances of false positives on a real Redis: who, when, why, and an audit trail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import redis

from services.fraud.allowlist import AllowList

pytestmark = pytest.mark.integration

TOKEN = "a" * 64
OTHER_TOKEN = "b" * 64


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def allow_list(redis_url: str, unique_name: str, clock: Clock) -> AllowList:
    return AllowList(redis.Redis.from_url(redis_url), key_prefix=unique_name, clock=clock)


def test_a_clearance_covers_one_person_and_one_entry(redis_url: str, unique_name: str) -> None:
    clock = Clock()
    allowed = allow_list(redis_url, unique_name, clock)
    granted = allowed.grant(
        ssn_token=TOKEN, uid="sdn:101", cleared_by="analyst-7", reason="DOB differs by 30 years"
    )
    found = allowed.lookup([(TOKEN, "sdn:101"), (TOKEN, "sdn:102"), (OTHER_TOKEN, "sdn:101")])
    assert found == {(TOKEN, "sdn:101"): granted}
    assert granted.cleared_by == "analyst-7" and granted.cleared_at == clock.now
    [record] = allowed.audit()
    assert record["action"] == "grant" and record["cleared_by"] == "analyst-7"
    assert record["reason"] == "DOB differs by 30 years" and record["uid"] == "sdn:101"


def test_an_expired_clearance_no_longer_applies(redis_url: str, unique_name: str) -> None:
    clock = Clock()
    allowed = allow_list(redis_url, unique_name, clock)
    allowed.grant(
        ssn_token=TOKEN,
        uid="sdn:101",
        cleared_by="analyst-7",
        reason="different person",
        ttl=timedelta(days=30),
    )
    clock.now += timedelta(days=31)
    assert allowed.lookup([(TOKEN, "sdn:101")]) == {}


def test_revoking_removes_it_and_is_audited(redis_url: str, unique_name: str) -> None:
    allowed = allow_list(redis_url, unique_name, Clock())
    allowed.grant(ssn_token=TOKEN, uid="sdn:101", cleared_by="analyst-7", reason="not him")
    assert allowed.revoke(ssn_token=TOKEN, uid="sdn:101", revoked_by="lead-2", reason="new info")
    assert not allowed.revoke(ssn_token=TOKEN, uid="sdn:101", revoked_by="lead-2", reason="again")
    assert allowed.lookup([(TOKEN, "sdn:101")]) == {}
    actions = [record["action"] for record in allowed.audit()]
    assert actions == ["revoke", "revoke", "grant"]  # newest first


def test_an_application_let_through_is_audited_once_even_when_replayed(
    redis_url: str, unique_name: str
) -> None:
    allowed = allow_list(redis_url, unique_name, Clock())
    clearance = allowed.grant(
        ssn_token=TOKEN, uid="sdn:101", cleared_by="analyst-7", reason="not him"
    )
    assert allowed.record_applied("app-1", clearance)
    assert not allowed.record_applied("app-1", clearance)  # the replay
    assert allowed.record_applied("app-2", clearance)
    applied = [r for r in allowed.audit() if r["action"] == "applied"]
    assert [r["application_id"] for r in applied] == ["app-2", "app-1"]
    assert all(r["cleared_by"] == "analyst-7" for r in applied)
