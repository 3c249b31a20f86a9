"""Applicant notifications on a real broker and Redis, and the SMTP adapter against a real
(local) SMTP server: one e-mail per decision whichever event comes first, none on a replay."""

from __future__ import annotations

import dataclasses
import email
import ssl
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
import redis
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from services.common.contracts import ApplicationReceived, Scored, SubmittedApplication, Topics
from services.common.contracts.decision import LoanDecision
from services.common.contracts.topics import TopicSpec
from services.common.idempotency import Once
from services.common.infra.ports import free_ports
from services.common.runtime import RunStats, RuntimeSettings, StageRuntime
from services.common.settings import KafkaSettings, RedisSettings, redis_client
from services.common.testing.certificates import self_signed
from services.notifier.applicants.app import build_handler
from services.notifier.applicants.compose import compose, once_key
from services.notifier.applicants.join import RedisJoin, StoredContact
from services.notifier.applicants.mailer import PermanentMailError, TransientMailError
from services.notifier.applicants.outbox import OutboxMailer
from services.notifier.applicants.settings import Letterhead, MailSettings
from services.notifier.applicants.smtp import SmtpMailer
from tests.integration.runtime.support import (
    StageProcess,
    make_topics,
    produce,
    stage_env,
    wait_for,
)
from tests.unit.contracts import samples

pytestmark = pytest.mark.integration

LETTERHEAD = Letterhead(
    from_address="decisions@bank.example", reply_to=None, bank_name="Example Bank"
)


# -- events ------------------------------------------------------------------------------


def scored_for(application_id: UUID, email_address: str, *, consent: bool = True) -> Scored:
    """The sample scored case for another application, its contact sealed for that id."""
    payload = samples.submission_payload()
    payload["application_id"] = str(application_id)
    payload["contact"]["email"] = email_address
    payload["consents"]["electronic_communications"]["granted"] = consent
    submitted = SubmittedApplication.model_validate(payload)
    received = ApplicationReceived(
        application_id=application_id,
        received_at=samples.RECEIVED_AT,
        application=samples.protector().protect(submitted, application_id),
    )
    case = samples.scored()
    return Scored.model_validate(
        {**case.model_dump(), **received.model_dump(include={"application_id", "application"})}
    )


def decision_for(application_id: UUID, outcome: str = "approved") -> LoanDecision:
    payload = samples.decision_payload()
    payload["application_id"] = str(application_id)
    if outcome == "declined":
        payload.update(outcome="declined", offers=[], narrative=None)
    return LoanDecision.model_validate(payload)


def _records(events: list[Any]) -> list[tuple[str, bytes]]:
    return [(str(e.application_id), e.model_dump_json().encode()) for e in events]


# -- the stage ---------------------------------------------------------------------------


@dataclasses.dataclass
class Stage:
    bootstrap: str
    redis_url: str
    prefix: str
    scored: TopicSpec[Any]
    decisions: TopicSpec[Any]
    dlq: TopicSpec[Any]

    def run(self, outbox: Path, *, events: int, group: str | None = None) -> RunStats:
        client = redis_client(RedisSettings(url=self.redis_url))
        settings = MailSettings(pii_keys=samples.PII_KEYS_B64, outbox_dir=outbox)
        runtime = StageRuntime(
            service="notifier",
            stage=group or self.prefix,
            inputs=[self.scored, self.decisions],
            handler=build_handler(settings, client, prefix=self.prefix),
            kafka=KafkaSettings(bootstrap_servers=self.bootstrap),
            redis_client=client,
            settings=RuntimeSettings(instance_id="t0"),
            dead_letters=self.dlq,
        )
        try:
            return runtime.run(max_events=events, timeout=90)
        finally:
            client.close()

    def join(self, client: redis.Redis) -> RedisJoin:
        return RedisJoin(client, prefix=self.prefix, contact_ttl_s=60, parked_ttl_s=60)


@pytest.fixture
def stage(kafka_bootstrap: str, redis_url: str, unique_name: str) -> Stage:
    scored, decisions, dlq = (
        dataclasses.replace(spec, name=f"{unique_name}.{spec.name}")
        for spec in (Topics.SCORED, Topics.DECISIONS, Topics.DLQ)
    )
    make_topics(kafka_bootstrap, scored.name, decisions.name, dlq.name, partitions=2)
    return Stage(kafka_bootstrap, redis_url, unique_name, scored, decisions, dlq)


def _mails(outbox: Path) -> dict[str, EmailMessage]:
    """The outbox's messages by recipient; fails on a second message to anyone."""
    found: dict[str, EmailMessage] = {}
    for path in sorted(outbox.glob("*.eml")) if outbox.exists() else []:
        message = email.message_from_bytes(path.read_bytes(), policy=default)
        assert isinstance(message, EmailMessage)
        assert message["To"] not in found, "two e-mails to one applicant"
        found[str(message["To"])] = message
    return found


def _stored_bytes(client: redis.Redis, prefix: str) -> bytes:
    """Everything the stage keeps in Redis under ``prefix``, values concatenated."""
    values: list[Any] = []
    for key in client.scan_iter(match=f"{prefix}:*"):
        kind = client.type(key)
        if kind == b"string":
            values.append(client.get(key))
        elif kind == b"hash":
            values.extend(client.hvals(key))
    return b"".join(value for value in values if isinstance(value, bytes))


def _people(count: int) -> dict[UUID, str]:
    return {uuid4(): f"applicant{n}@example.com" for n in range(count)}


def test_a_case_then_its_decision_sends_one_mail(stage: Stage, tmp_path: Path) -> None:
    people = _people(2)
    produce(
        stage.bootstrap, stage.scored.name, _records([scored_for(i, a) for i, a in people.items()])
    )
    first = stage.run(tmp_path, events=2)
    assert first.consumed == 2 and _mails(tmp_path) == {}
    produce(stage.bootstrap, stage.decisions.name, _records([decision_for(i) for i in people]))
    second = stage.run(tmp_path, events=2)
    assert second.consumed == 2 and second.dead_lettered == 0
    mails = _mails(tmp_path)
    assert set(mails) == set(people.values())
    for application_id, address in people.items():
        assert mails[address]["Message-ID"] == f"<decision.{application_id}.r0@bank.example>"
    assert len(list(tmp_path.iterdir())) == 2


def test_a_decision_before_its_case_waits_and_is_sent_once(
    stage: Stage, tmp_path: Path, redis_client: redis.Redis
) -> None:
    people = _people(2)
    produce(stage.bootstrap, stage.decisions.name, _records([decision_for(i) for i in people]))
    assert stage.run(tmp_path, events=2).consumed == 2
    join = stage.join(redis_client)
    assert _mails(tmp_path) == {}
    assert all(join.parked(i) == [0] for i in people)
    produce(
        stage.bootstrap, stage.scored.name, _records([scored_for(i, a) for i, a in people.items()])
    )
    assert stage.run(tmp_path, events=2).dead_lettered == 0
    assert set(_mails(tmp_path)) == set(people.values())
    assert all(join.parked(i) == [] for i in people)
    stored = join.contact(next(iter(people)))
    assert stored is not None and stored.contact_sealed.startswith("v1.")  # sealed at rest
    at_rest = _stored_bytes(redis_client, stage.prefix)
    assert at_rest and not any(address.encode() in at_rest for address in people.values())


def test_a_replay_sends_nothing_new_and_no_consent_sends_nothing(
    stage: Stage, tmp_path: Path, redis_client: redis.Redis
) -> None:
    people = _people(3)
    silent = next(iter(people))  # no consent to electronic communications
    cases = [scored_for(i, a, consent=i != silent) for i, a in people.items()]
    produce(
        stage.bootstrap,
        stage.decisions.name,
        _records([decision_for(i, "declined") for i in people]),
    )
    produce(stage.bootstrap, stage.scored.name, _records(cases))
    first = tmp_path / "first"
    assert stage.run(first, events=6).dead_lettered == 0
    mails = _mails(first)
    assert set(mails) == {a for i, a in people.items() if i != silent}
    once = Once(redis_client, prefix=stage.prefix)
    assert once.result(once_key(decision_for(silent))) == {
        "status": "paper_notice_required",
        "outcome": "declined",
    }
    # Another consumer group reads every record again, as after a crash or a replay.
    replay = tmp_path / "replay"
    stats = stage.run(replay, events=6, group=f"{stage.prefix}-replay")
    assert stats.consumed == 6 and stats.dead_lettered == 0
    assert not replay.exists() or list(replay.iterdir()) == []
    assert set(_mails(first)) == set(mails)


def _race(
    join: RedisJoin, contact: StoredContact, decided: LoanDecision
) -> tuple[list[LoanDecision], StoredContact | None]:
    """Offer a case's contact and its decision from two threads at the same moment."""
    barrier = threading.Barrier(2)
    found: dict[str, Any] = {}

    def case_side() -> None:
        barrier.wait()
        found["decisions"] = join.offer_contact(decided.application_id, contact)

    def decision_side() -> None:
        barrier.wait()
        found["contact"] = join.offer_decision(decided)

    threads = [threading.Thread(target=case_side), threading.Thread(target=decision_side)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return found["decisions"], found["contact"]


def test_the_join_hands_each_decision_over_when_both_sides_race(redis_client: redis.Redis) -> None:
    join = RedisJoin(redis_client, prefix="race", contact_ttl_s=60, parked_ttl_s=60)
    contact = StoredContact.of(samples.scored())
    for _ in range(40):
        decided = decision_for(uuid4())
        took_decisions, took_contact = _race(join, contact, decided)
        # Exactly one side sees both halves on a first delivery.
        assert (took_contact is not None) != (took_decisions == [decided])
    assert join.offer_decision(decided) == contact  # the contact stays for later revisions


# -- the process -------------------------------------------------------------------------


def test_the_stage_runs_as_a_module(
    kafka_bootstrap: str, redis_url: str, unique_name: str, tmp_path: Path
) -> None:
    make_topics(kafka_bootstrap, Topics.SCORED.name, Topics.DECISIONS.name, Topics.DLQ.name)
    application_id, address = uuid4(), f"{unique_name}@example.com"
    produce(kafka_bootstrap, Topics.DECISIONS.name, _records([decision_for(application_id)]))
    produce(kafka_bootstrap, Topics.SCORED.name, _records([scored_for(application_id, address)]))
    outbox = tmp_path / "outbox"
    env = {
        **stage_env(kafka_bootstrap, redis_url, unique_name),
        "PRESCREEN_REDIS_KEY_PREFIX": unique_name,
        "PRESCREEN_NOTIFIER_MAIL_PII_KEYS": f'{{"p1": "{samples.PII_KEYS_B64["p1"]}"}}',
        "PRESCREEN_NOTIFIER_MAIL_OUTBOX_DIR": str(outbox),
    }
    process = StageProcess(
        ["-m", "services.notifier.applicants"], env, tmp_path / "stage.log"
    ).start()
    try:
        # Other tests may use the registered topics too: look for this application's file only.
        mail = OutboxMailer(outbox).path_for(once_key(decision_for(application_id)))
        wait_for(mail.exists, 90, "the applicant's e-mail")
        assert process.terminate() == 0
    finally:
        process.stop_quietly()
    assert email.message_from_bytes(mail.read_bytes(), policy=default)["To"] == address
    log = (tmp_path / "stage.log").read_text()
    assert "applicant e-mail sent" in log and address not in log


# -- SMTP --------------------------------------------------------------------------------


class Inbox:
    def __init__(self, rcpt_reply: str | None = None) -> None:
        self.envelopes: list[Envelope] = []
        self.rcpt_reply = rcpt_reply

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if self.rcpt_reply is not None:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Controller, Inbox]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_ports(1)[0])
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


def _message(address: str = "ana.garcia@example.com") -> EmailMessage:
    return compose(decision_for(samples.APPLICATION_ID), address, LETTERHEAD)


def test_smtp_delivers_to_a_local_server(smtp_server: tuple[Controller, Inbox]) -> None:
    controller, inbox = smtp_server
    mailer = SmtpMailer("127.0.0.1", controller.port, security="none", timeout_s=5)
    message = _message()
    provider_id = mailer.send(message, idempotency_key="k")
    assert provider_id == message["Message-ID"]
    assert len(inbox.envelopes) == 1
    received = inbox.envelopes[0]
    assert received.mail_from == "decisions@bank.example"
    assert received.rcpt_tos == ["ana.garcia@example.com"]
    assert isinstance(received.content, bytes)
    parsed = email.message_from_bytes(received.content, policy=default)
    assert parsed["Message-ID"] == message["Message-ID"]
    assert parsed["Subject"] == "Example Bank: your loan application is approved"


def test_smtp_starttls_and_login(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path, "127.0.0.1")
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    logins: list[tuple[bytes, bytes]] = []

    def authenticate(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        logins.append((data.login, data.password))
        return AuthResult(success=data.password == b"a-long-real-password", handled=False)

    inbox = Inbox()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=free_ports(1)[0],
        tls_context=server_tls,
        require_starttls=True,
        authenticator=authenticate,
        auth_required=True,
    )
    controller.start()
    try:
        client_tls = ssl.create_default_context(cafile=str(cert))
        good = SmtpMailer(
            "127.0.0.1",
            controller.port,
            username="svc",
            password="a-long-real-password",
            timeout_s=5,
            tls_context=client_tls,
        )
        good.send(_message(), idempotency_key="k")
        bad = SmtpMailer(
            "127.0.0.1",
            controller.port,
            username="svc",
            password="wrong-password-here",
            timeout_s=5,
            tls_context=client_tls,
        )
        with pytest.raises(TransientMailError, match="sender settings"):
            bad.send(_message(), idempotency_key="k")
    finally:
        controller.stop()
    assert len(inbox.envelopes) == 1
    assert logins[0] == (b"svc", b"a-long-real-password")


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        ("550 5.1.1 <ana.garcia@example.com>: no such user", PermanentMailError),
        ("451 4.3.0 <ana.garcia@example.com>: try again later", TransientMailError),
    ],
)
def test_smtp_refusals_are_classified_without_the_address(
    reply: str, error: type[Exception]
) -> None:
    inbox = Inbox(rcpt_reply=reply)
    controller = Controller(inbox, hostname="127.0.0.1", port=free_ports(1)[0])
    controller.start()
    try:
        mailer = SmtpMailer("127.0.0.1", controller.port, security="none", timeout_s=5)
        with pytest.raises(error) as caught:
            mailer.send(_message(), idempotency_key="k")
    finally:
        controller.stop()
    assert reply[:3] in str(caught.value)
    assert "ana.garcia" not in str(caught.value)
    assert inbox.envelopes == []


def test_smtp_unreachable_is_transient() -> None:
    mailer = SmtpMailer("127.0.0.1", free_ports(1)[0], security="none", timeout_s=2)
    with pytest.raises(TransientMailError, match="unavailable"):
        mailer.send(_message(), idempotency_key="k")
