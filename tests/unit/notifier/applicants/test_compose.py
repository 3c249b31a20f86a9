"""The e-mail says what the decision says: its outcome, offers, reasons and narrative, with no
figure the decision does not hold."""

from __future__ import annotations

import email
from email.message import EmailMessage
from email.policy import default

import pytest

from services.common.contracts.decision import LoanDecision, PrincipalReason
from services.notifier.applicants.compose import compose, message_id, once_key
from services.notifier.applicants.settings import Letterhead
from tests.unit.notifier.applicants.support import (
    LETTERHEAD,
    decision,
    figures_of,
    numbers_in,
    two_offers,
)

RECIPIENT = "ana.garcia@example.com"
OUTCOMES = ("approved", "counter_offered", "referred", "declined")


def _parts(message: EmailMessage) -> tuple[str, str]:
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and html is not None
    return plain.get_content(), html.get_content()


def _flat(text: str) -> str:
    """The text with its wrapping undone."""
    return " ".join(text.split())


def _without_reference(text: str, decided: LoanDecision) -> str:
    return text.replace(str(decided.application_id), "")


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_no_figure_that_the_decision_does_not_hold(outcome: str) -> None:
    decided = decision(outcome)
    plain, html = _parts(compose(decided, RECIPIENT, LETTERHEAD))
    allowed = figures_of(decided)
    body_html = html.split("<body>", 1)[1]  # the head declares utf-8, which is not a figure
    for text in (plain, body_html):
        shown = numbers_in(_without_reference(text, decided))
        assert shown <= allowed, f"{outcome}: invented {sorted(shown - allowed)}"


def test_the_figure_check_catches_an_invented_number() -> None:
    decided = decision("approved")
    plain, _ = _parts(compose(decided, RECIPIENT, LETTERHEAD))
    assert not numbers_in(plain + " 999.99") <= figures_of(decided)


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_every_mail_names_the_application_and_the_bank(outcome: str) -> None:
    decided = decision(outcome)
    message = compose(decided, RECIPIENT, LETTERHEAD)
    plain, html = _parts(message)
    for text in (plain, html):
        assert f"Application reference: {decided.application_id}" in text
        assert "Example Bank" in text
    assert message["To"] == RECIPIENT
    assert message["Subject"].startswith("Example Bank: ")


def test_approval_lists_each_offer_with_its_figures() -> None:
    decided = two_offers()
    raw, html = _parts(compose(decided, RECIPIENT, LETTERHEAD))
    plain = _flat(raw)
    assert "is approved" in plain and "choose between" in plain
    for expected in (
        "11,155.71 USD",
        "13.63% per year",
        "13.90% per year",
        "60 months",
        "257.44 USD",
        "Car loan (secured): smaller amount",
        "9,500.00 USD",
        "48 months",
        "252.27 USD",
        "Final payment:",
        "Origination fee:",
        "95.00 USD",
    ):
        assert expected in plain, expected
    assert html.count("<table>") == 2
    # The sample's first offer has no fee and no final payment: no row for them.
    first_offer = plain.split("Car loan (secured)")[0]
    assert "Origination fee" not in first_offer and "Final payment" not in first_offer


def test_counter_offer_states_the_request_offers_and_rights() -> None:
    decided = decision("counter_offered")
    plain = _flat(_parts(compose(decided, RECIPIENT, LETTERHEAD))[0])
    assert "15,000.00 USD over 5 years" in plain
    assert "9,500.00 USD" in plain
    assert "Your debt is high compared with your income." in plain
    assert "Equal Credit Opportunity Act" in plain


def test_decline_gives_the_principal_reasons_in_order_and_the_rights_notice() -> None:
    decided = decision("declined")
    plain, html = _parts(compose(decided, RECIPIENT, LETTERHEAD))
    flat = _flat(plain)
    positions = [flat.index(reason.text) for reason in decided.reasons]
    assert positions == sorted(positions) and len(positions) == 4
    assert "Lower your monthly debt payments before applying again." in flat
    assert "Equal Credit Opportunity Act" in flat and "specific reasons" in flat
    assert "unable to approve" in flat
    assert "Equal Credit Opportunity Act" in html


def test_decline_shows_at_most_four_reasons() -> None:
    decided = decision("declined")
    fifth = PrincipalReason(code="EXTRA_REASON", text="A fifth reason beyond the limit.")
    # The contract caps reasons at four; a copy without validation checks the mail does too.
    crowded = decided.model_copy(update={"reasons": (*decided.reasons, fifth)})
    plain, _ = _parts(compose(crowded, RECIPIENT, LETTERHEAD))
    assert "A fifth reason" not in plain
    assert plain.count("\n  - ") == 5  # four reasons and the one action


def test_referral_says_what_happens_next_and_keeps_reasons_internal() -> None:
    decided = decision("referred")
    plain = _flat(_parts(compose(decided, RECIPIENT, LETTERHEAD))[0])
    assert "What happens next" in plain and "contact you" in plain
    assert "watch-list" not in plain
    assert "Equal Credit Opportunity Act" not in plain


def test_narrative_is_included_when_present_and_escaped_in_html() -> None:
    decided = decision("approved", narrative="Your <b>car</b> loan: 60 months.\n\nEnjoy.")
    raw, html = _parts(compose(decided, RECIPIENT, LETTERHEAD))
    plain = _flat(raw)
    assert "Your <b>car</b> loan: 60 months." in plain and "Enjoy." in plain
    assert "&lt;b&gt;car&lt;/b&gt;" in html and "<b>" not in html
    no_narrative = decision("approved", narrative=None)
    assert "In more detail" not in _parts(compose(no_narrative, RECIPIENT, LETTERHEAD))[0]


def test_headers_are_stable_per_decided_revision() -> None:
    decided = decision("approved")
    first = compose(decided, RECIPIENT, LETTERHEAD)
    again = compose(decided, RECIPIENT, LETTERHEAD)
    later = compose(decided.model_copy(update={"revision": 2}), RECIPIENT, LETTERHEAD)
    assert first["Message-ID"] == again["Message-ID"] == message_id(decided, "bank.example")
    assert first["Message-ID"] == f"<decision.{decided.application_id}.r0@bank.example>"
    assert later["Message-ID"] != first["Message-ID"]
    assert first["Date"] == again["Date"]
    assert once_key(decided) == f"applicant-email:{decided.application_id}:r0"
    assert first["From"] == "Example Bank <decisions@bank.example>"
    assert first["Reply-To"] == "help@bank.example"
    assert first["Auto-Submitted"] == "auto-generated"
    assert first["Content-Language"] == "en"


def test_no_reply_to_header_without_one_configured() -> None:
    letterhead = Letterhead(
        from_address="decisions@bank.example", reply_to=None, bank_name="Example Bank"
    )
    assert compose(decision(), RECIPIENT, letterhead)["Reply-To"] is None


def test_the_message_survives_serialisation() -> None:
    message = compose(decision("declined"), RECIPIENT, LETTERHEAD)
    parsed = email.message_from_bytes(message.as_bytes(), policy=default)
    assert isinstance(parsed, EmailMessage)
    assert parsed["To"] == RECIPIENT
    assert parsed.get_content_type() == "multipart/alternative"
    plain = parsed.get_body(("plain",))
    assert plain is not None and "unable to approve" in _flat(plain.get_content())


def test_cached_header_classes_parse_and_fold_like_the_standard_registry() -> None:
    from email.headerregistry import HeaderRegistry
    from email.policy import SMTP

    from services.notifier.applicants.compose import _CachedHeaderRegistry

    cached, stock = _CachedHeaderRegistry(), HeaderRegistry()
    headers = {
        "From": "Bänk <decisions@bank.example>",
        "To": "applicant@example.com",
        "Subject": "ünïcode " * 12,
        "Content-Type": 'text/plain; charset="utf-8"',
        "Message-ID": "<decision.x.r0@bank.example>",
    }
    for name, value in headers.items():
        ours, theirs = cached(name, value), stock(name, value)
        assert str(ours) == str(theirs)
        assert ours.fold(policy=SMTP) == theirs.fold(policy=SMTP)
        assert type(cached(name.lower(), value)) is type(ours)  # built once per name
