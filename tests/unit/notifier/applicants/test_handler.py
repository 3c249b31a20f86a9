"""The handler's decisions with in-memory stand-ins for the join and ``Once`` (pure logic; the
Redis join and the whole stage are tested in tests/integration/notifier)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any, TypeVar
from uuid import UUID

import pytest
from prometheus_client import CollectorRegistry

from services.common.contracts import CONTACT_SEALED_FIELD, Scored, Topics
from services.common.contracts.decision import LoanDecision
from services.common.errors import TransientError
from services.common.runtime import Envelope, Reject
from services.common.testing.envelopes import case_envelope, event_envelope
from services.notifier.applicants.handler import ApplicantNotifier
from services.notifier.applicants.join import StoredContact
from services.notifier.applicants.mailer import PermanentMailError, TransientMailError
from services.notifier.applicants.metrics import ApplicantMailMetrics
from tests.unit.contracts import samples
from tests.unit.notifier.applicants.support import LETTERHEAD, decision

T = TypeVar("T")
EMAIL = samples.submission().contact.email


class MemoryJoin:
    """The join's contract in a dict: cases keep their contact, decisions wait for one."""

    def __init__(self) -> None:
        self.contacts: dict[UUID, StoredContact] = {}
        self.parked: dict[UUID, dict[int, LoanDecision]] = {}

    def offer_contact(self, application_id: UUID, contact: StoredContact) -> list[LoanDecision]:
        self.contacts[application_id] = contact
        return sorted(self.parked.get(application_id, {}).values(), key=lambda d: d.revision)

    def offer_decision(self, decision: LoanDecision) -> StoredContact | None:
        contact = self.contacts.get(decision.application_id)
        if contact is None:
            self.parked.setdefault(decision.application_id, {})[decision.revision] = decision
        return contact

    def settle(self, decision: LoanDecision) -> None:
        self.parked.get(decision.application_id, {}).pop(decision.revision, None)


class MemoryOnce:
    """Stores results by key and releases a key whose call raised, as ``Once`` does."""

    def __init__(self) -> None:
        self.results: dict[str, Any] = {}

    def __call__(self, key: str, fn: Callable[[], T], /) -> T:
        if key not in self.results:
            self.results[key] = fn()
        return self.results[key]  # type: ignore[no-any-return]


class RecordingMailer:
    def __init__(self, error: Exception | None = None) -> None:
        self.sent: list[tuple[EmailMessage, str]] = []
        self.error = error

    def send(self, message: EmailMessage, *, idempotency_key: str) -> str:
        if self.error is not None:
            raise self.error
        self.sent.append((message, idempotency_key))
        return f"id-{len(self.sent)}"


def _handler(
    mailer: RecordingMailer | None = None,
) -> tuple[ApplicantNotifier, RecordingMailer, MemoryJoin, ApplicantMailMetrics]:
    mailer = mailer or RecordingMailer()
    join = MemoryJoin()
    metrics = ApplicantMailMetrics(CollectorRegistry())
    handler = ApplicantNotifier(
        join=join,
        cipher=samples.field_cipher(),
        mailer=mailer,
        adapter="outbox",
        letterhead=LETTERHEAD,
        once=MemoryOnce(),
        metrics=metrics,
    )
    return handler, mailer, join, metrics


def _decision_envelope(value: LoanDecision, offset: int = 0) -> Envelope[Any]:
    return event_envelope(Topics.DECISIONS, value, str(value.application_id), offset)


def _scored(*, consent: bool = True, contact_sealed: str | None = None) -> Envelope[Any]:
    case = samples.scored()
    application = case.application
    consents = application.consents.model_copy(
        update={
            "electronic_communications": application.consents.electronic_communications.model_copy(
                update={"granted": consent}
            )
        }
    )
    contact = application.contact
    if contact_sealed is not None:
        contact = contact.model_copy(update={"contact_sealed": contact_sealed})
    changed = application.model_copy(update={"consents": consents, "contact": contact})
    value = Scored.model_validate({**case.model_dump(), "application": changed.model_dump()})
    return case_envelope(Topics.SCORED, value)


def _count(metrics: ApplicantMailMetrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(f"{name}_total", labels) or 0.0


@pytest.mark.parametrize("case_first", [True, False])
def test_one_mail_to_the_sealed_address_whichever_arrives_first(case_first: bool) -> None:
    handler, mailer, join, metrics = _handler()
    events = [_scored(), _decision_envelope(decision("approved"))]
    for envelope in events if case_first else reversed(events):
        assert handler([envelope]) == []
    assert len(mailer.sent) == 1
    message, key = mailer.sent[0]
    assert message["To"] == EMAIL
    assert key == f"applicant-email:{samples.APPLICATION_ID}:r0"
    assert join.parked.get(samples.APPLICATION_ID, {}) == {}
    assert (
        _count(
            metrics,
            "prescreen_notifier_applicant_emails_sent",
            adapter="outbox",
            outcome="approved",
        )
        == 1
    )
    parked = _count(metrics, "prescreen_notifier_applicant_decisions_parked")
    assert parked == (0 if case_first else 1)


def test_a_replay_sends_nothing_new() -> None:
    handler, mailer, _, metrics = _handler()
    events = [_scored(), _decision_envelope(decision("declined"))]
    handler(events)
    handler(events)
    handler([events[1], events[0]])
    assert len(mailer.sent) == 1
    assert (
        _count(
            metrics,
            "prescreen_notifier_applicant_emails_sent",
            adapter="outbox",
            outcome="declined",
        )
        == 1
    )


def test_without_consent_nothing_is_sent_and_a_paper_notice_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    handler, mailer, _, metrics = _handler()
    with caplog.at_level(logging.INFO):
        assert handler([_scored(consent=False), _decision_envelope(decision("declined"))]) == []
    assert mailer.sent == []
    assert (
        _count(
            metrics, "prescreen_notifier_applicant_emails_skipped_no_consent", outcome="declined"
        )
        == 1
    )
    notices = [r for r in caplog.records if "paper notice" in r.getMessage()]
    assert len(notices) == 1
    assert notices[0].__dict__["application_id"] == str(samples.APPLICATION_ID)


def test_a_contact_sealed_for_another_application_is_rejected() -> None:
    handler, mailer, _, metrics = _handler()
    foreign = samples.field_cipher().seal_json(
        {"email": EMAIL, "phone": "+14155550123"},
        application_id=UUID(int=7),
        field=CONTACT_SEALED_FIELD,
    )
    decided = _decision_envelope(decision("approved"))
    assert handler([_scored(contact_sealed=foreign)]) == []
    verdicts = handler([decided])
    assert len(verdicts) == 1 and isinstance(verdicts[0], Reject)
    assert verdicts[0].cause is decided and "does not open" in verdicts[0].reason
    assert mailer.sent == []
    assert (
        _count(
            metrics, "prescreen_notifier_applicant_emails_failed", adapter="outbox", kind="contact"
        )
        == 1
    )


def test_a_malformed_address_rejects_the_event_that_found_the_pair() -> None:
    handler, mailer, join, _ = _handler()
    odd = samples.field_cipher().seal_json(
        {"email": "ana(garcia@example.com", "phone": "+14155550123"},
        application_id=samples.APPLICATION_ID,
        field=CONTACT_SEALED_FIELD,
    )
    assert handler([_decision_envelope(decision("approved"))]) == []  # parked
    scored = _scored(contact_sealed=odd)
    verdicts = handler([scored])
    assert len(verdicts) == 1 and isinstance(verdicts[0], Reject)
    assert verdicts[0].cause is scored and "malformed" in verdicts[0].reason
    assert "ana(garcia" not in verdicts[0].reason
    assert mailer.sent == []
    assert list(join.parked[samples.APPLICATION_ID]) == [0]  # replaying the case retries it


def test_a_transient_mail_error_is_retried_by_the_runtime() -> None:
    handler, _, _, metrics = _handler(RecordingMailer(TransientMailError("SMTP 451: later")))
    handler([_scored()])
    with pytest.raises(TransientError, match="451"):
        handler([_decision_envelope(decision("approved"))])
    assert (
        _count(
            metrics,
            "prescreen_notifier_applicant_emails_failed",
            adapter="outbox",
            kind="transient",
        )
        == 1
    )


def test_a_refused_message_is_rejected() -> None:
    handler, _, _, _ = _handler(
        RecordingMailer(PermanentMailError("SES refused (MessageRejected)"))
    )
    handler([_scored()])
    verdicts = handler([_decision_envelope(decision("approved"))])
    assert len(verdicts) == 1 and isinstance(verdicts[0], Reject)
    assert "MessageRejected" in verdicts[0].reason


def test_logs_never_hold_the_address(caplog: pytest.LogCaptureFixture) -> None:
    handler, mailer, _, _ = _handler()
    with caplog.at_level(logging.DEBUG):
        handler([_decision_envelope(decision("approved")), _scored()])
    assert len(mailer.sent) == 1
    assert caplog.records
    for record in caplog.records:
        assert EMAIL not in record.getMessage()
        assert EMAIL not in repr(record.__dict__)
    sent = [r for r in caplog.records if r.getMessage() == "applicant e-mail sent"]
    assert len(sent) == 1
    assert {sent[0].__dict__[k] for k in ("outcome", "adapter", "result")} == {
        "approved",
        "outbox",
        "sent",
    }
