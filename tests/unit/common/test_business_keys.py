"""The business identity the duplicate filter claims: the application id, qualified only for
events that are new work for the same application (a resumed revision, an upload)."""

from __future__ import annotations

from services.common.contracts import Topics
from services.common.idempotency import key_of
from services.common.runtime import Envelope
from services.common.runtime.cloudevents import CloudEvent
from services.common.testing.envelopes import case_envelope
from tests.unit.contracts import samples


def test_a_submitted_application_is_keyed_by_its_id() -> None:
    case = samples.received()
    assert key_of(case_envelope(Topics.RECEIVED, case)) == str(case.application_id)


def test_a_resumed_revision_is_new_work_not_a_duplicate() -> None:
    case = samples.documents_verified()
    first = key_of(case_envelope(Topics.DOCUMENTS_VERIFIED, case))
    resumed = key_of(
        case_envelope(Topics.DOCUMENTS_VERIFIED, case.model_copy(update={"revision": 1}))
    )
    assert first == str(case.application_id)
    assert resumed == f"{case.application_id}#r1"


def test_each_upload_is_its_own_work() -> None:
    upload = samples.documents_uploaded()
    key = str(upload.application_id)
    envelope = Envelope(
        topic=Topics.DOCUMENTS_UPLOADED.name,
        partition=0,
        offset=0,
        key=key,
        value=upload,
        event=CloudEvent.new(type=Topics.DOCUMENTS_UPLOADED.ce_type, source="test", subject=key),
    )
    assert key_of(envelope) == f"{key}#upload:{upload.upload_id}"
