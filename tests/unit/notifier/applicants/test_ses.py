"""The SES adapter against botocore's Stubber: the request it makes, and how errors classify."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import SMTP
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from services.notifier.applicants.compose import compose, once_key
from services.notifier.applicants.mailer import PermanentMailError, TransientMailError
from services.notifier.applicants.ses import SesMailer
from tests.unit.notifier.applicants.support import LETTERHEAD, decision

RECIPIENT = "ana.garcia@example.com"


@pytest.fixture
def ses() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.session.Session().client(
        "sesv2",
        region_name="eu-west-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="not-a-real-secret",
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def _message() -> tuple[EmailMessage, str, bytes]:
    decided = decision("approved")
    message = compose(decided, RECIPIENT, LETTERHEAD)
    raw = message.as_bytes(policy=SMTP)  # fixes the MIME boundary for the expected bytes
    return message, once_key(decided), raw


def test_sends_the_raw_message_with_its_configuration_set(ses: tuple[Any, Stubber]) -> None:
    client, stubber = ses
    message, key, raw = _message()
    stubber.add_response(
        "send_email",
        {"MessageId": "0102018f3c9a6b1e-6a0c4f2d-1b7e-4c55-9d3b-2f7e6a1c0d94-000000"},
        expected_params={
            "Content": {"Raw": {"Data": raw}},
            "EmailTags": [{"Name": "idempotency_key", "Value": key.replace(":", "_")}],
            "ConfigurationSetName": "decisions",
        },
    )
    provider_id = SesMailer(client, configuration_set="decisions").send(
        message, idempotency_key=key
    )
    assert provider_id == "0102018f3c9a6b1e-6a0c4f2d-1b7e-4c55-9d3b-2f7e6a1c0d94-000000"
    assert RECIPIENT.encode() in raw and b"Message-ID: <decision." in raw


def test_no_configuration_set_unless_configured(ses: tuple[Any, Stubber]) -> None:
    client, stubber = ses
    message, key, raw = _message()
    stubber.add_response(
        "send_email",
        {"MessageId": "m-1"},
        expected_params={
            "Content": {"Raw": {"Data": raw}},
            "EmailTags": [{"Name": "idempotency_key", "Value": key.replace(":", "_")}],
        },
    )
    assert SesMailer(client).send(message, idempotency_key=key) == "m-1"


@pytest.mark.parametrize(
    ("code", "status", "error"),
    [
        ("MessageRejected", 400, PermanentMailError),
        ("BadRequestException", 400, PermanentMailError),
        ("TooManyRequestsException", 429, TransientMailError),
        ("SendingPausedException", 400, TransientMailError),
        ("MailFromDomainNotVerifiedException", 400, TransientMailError),
        ("InternalFailure", 500, TransientMailError),
    ],
)
def test_errors_are_classified_without_quoting_the_address(
    ses: tuple[Any, Stubber], code: str, status: int, error: type[Exception]
) -> None:
    client, stubber = ses
    message, key, _ = _message()
    stubber.add_client_error(
        "send_email",
        service_error_code=code,
        service_message=f"Address {RECIPIENT} is not allowed",
        http_status_code=status,
    )
    with pytest.raises(error) as caught:
        SesMailer(client).send(message, idempotency_key=key)
    assert code in str(caught.value)
    assert RECIPIENT not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
