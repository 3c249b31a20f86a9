"""The applicant's e-mail, written from the decision alone.

Every figure shown is a field of the ``LoanDecision`` (formatted, never computed), the reasons
are the decision's own principal reasons in their order, and the narrative is quoted as the
offers stage wrote it (it verified its figures against the same event). Nothing here reads
settings, the clock or Redis: the same decision and recipient give the same text, which keeps
a repeated send identical to the first.

A referral lists no reasons on purpose: they can name internal checks (fraud review) that an
applicant must not be told about, and a person will explain the outcome anyway.
"""

from __future__ import annotations

from email.headerregistry import Address, BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.policy import default
from email.utils import format_datetime
from typing import Final

from services.common.contracts.decision import DecisionOutcome, LoanDecision, Offer
from services.common.contracts.stages import MAX_PRINCIPAL_REASONS
from services.notifier.applicants.layout import Block, Items, Paragraph, Table, html, text
from services.notifier.applicants.settings import Letterhead

ONCE_PREFIX: Final = "applicant-email"
LANGUAGE: Final = "en"
"""The only wording written so far; the applicant's preferred language is kept for more."""

_SUBJECTS: Final = {
    DecisionOutcome.APPROVED: "your loan application is approved",
    DecisionOutcome.COUNTER_OFFERED: "an offer on your loan application",
    DecisionOutcome.REFERRED: "your loan application is being reviewed",
    DecisionOutcome.DECLINED: "the decision on your loan application",
}


class _CachedHeaderRegistry(HeaderRegistry):
    """The standard header classes, built once per name.

    ``HeaderRegistry`` creates a new class with ``type()`` for every header it parses, which
    made up about a third of composing a message; the classes it creates are the same each time.
    """

    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        found = self._classes.get(key)
        if found is None:
            found = self._classes[key] = super().__getitem__(name)
        return found


_POLICY: Final = default.clone(header_factory=_CachedHeaderRegistry())
"""The default policy (what ``EmailMessage()`` uses), only faster at making headers."""


def once_key(decision: LoanDecision) -> str:
    """The key of the one e-mail a decided revision gets."""
    return f"{ONCE_PREFIX}:{decision.application_id}:r{decision.revision}"


def message_id(decision: LoanDecision, domain: str) -> str:
    """Stable per decided revision, so a receiver can drop a repeat of the same decision."""
    return f"<decision.{decision.application_id}.r{decision.revision}@{domain}>"


def subject(decision: LoanDecision, bank_name: str) -> str:
    return f"{bank_name}: {_SUBJECTS[decision.outcome]}"


def money(amount: float, currency: str) -> str:
    return f"{amount:,.2f} {currency}"


def percent(value: float) -> str:
    return f"{value:.2f}%"


def _months(months: int) -> str:
    return "1 month" if months == 1 else f"{months} months"


def _years(years: float) -> str:
    return "1 year" if years == 1 else f"{years:g} years"


def _product(decision: LoanDecision) -> str:
    return decision.requested.product.value.lower()


def offer_table(offer: Offer) -> Table:
    title = f"{offer.product.value} loan" + (" (secured)" if offer.secured else "")
    if offer.label:
        title += f": {offer.label}"
    rows = [
        ("Amount", money(offer.amount, offer.currency)),
        ("Interest rate", f"{percent(offer.interest_rate)} per year"),
        ("APR", f"{percent(offer.apr)} per year"),
        ("Term", _months(offer.term_months)),
        ("Monthly payment", money(offer.monthly_payment, offer.currency)),
    ]
    if offer.final_payment is not None:
        rows.append(("Final payment", money(offer.final_payment, offer.currency)))
    if offer.fees > 0:
        rows.append(("Origination fee", money(offer.fees, offer.currency)))
    rows.append(("Total interest", money(offer.total_interest, offer.currency)))
    return Table(title, tuple(rows))


def rights_notice(letterhead: Letterhead) -> Paragraph:
    """Adverse-action style notice: the right to the reasons, and equal treatment."""
    return Paragraph(
        "Your rights: under the federal Equal Credit Opportunity Act, a lender may not treat "
        "your application less favorably because of your race, color, religion, national "
        "origin, sex, marital status or age (if you are old enough to sign a contract), "
        "because some of your income comes from public assistance, or because you have used, "
        "in good faith, a right that consumer credit protection law gives you. You may ask "
        f"{letterhead.bank_name} for a written statement of the specific reasons for this "
        "decision: reply to this e-mail and we will send it to you free of charge."
    )


def _reasons(decision: LoanDecision, heading: str) -> list[Block]:
    reasons = decision.reasons[:MAX_PRINCIPAL_REASONS]
    if not reasons:
        return []
    blocks: list[Block] = [Paragraph(heading), Items(tuple(r.text for r in reasons))]
    actions = tuple(r.action for r in reasons if r.action)
    if actions:
        blocks += [Paragraph("What could help if you apply again:"), Items(actions)]
    return blocks


def _outcome_blocks(decision: LoanDecision, letterhead: Letterhead) -> list[Block]:
    product = _product(decision)
    offers: list[Block] = [offer_table(offer) for offer in decision.offers]
    if decision.outcome is DecisionOutcome.APPROVED:
        several = " You can choose between the options below." if len(offers) > 1 else ""
        return [
            Paragraph(f"Good news: your application for a {product} loan is approved.{several}"),
            *offers,
            Paragraph("To go ahead with an offer, reply to this e-mail and we will guide you."),
        ]
    if decision.outcome is DecisionOutcome.COUNTER_OFFERED:
        asked = money(decision.requested.amount, decision.requested.currency)
        return [
            Paragraph(
                f"We cannot offer the {product} loan you asked for ({asked} over "
                f"{_years(decision.requested.term_years)}), but we can offer the following."
            ),
            *offers,
            *_reasons(decision, "Why the terms differ from your request:"),
            Paragraph("To accept an offer, reply to this e-mail and we will guide you."),
            rights_notice(letterhead),
        ]
    if decision.outcome is DecisionOutcome.REFERRED:
        return [
            Paragraph(
                f"Your application for a {product} loan needs a closer look by a member of our "
                "lending team, so we cannot give you an answer automatically."
            ),
            Paragraph(
                "What happens next: a lending specialist will review your application and "
                "contact you. If we need more information or documents, we will tell you what "
                "to send. You do not need to do anything until then."
            ),
        ]
    return [
        Paragraph(
            f"Thank you for applying for a {product} loan. After reviewing your application, "
            "we are unable to approve it."
        ),
        *_reasons(decision, "The principal reasons for our decision:"),
        rights_notice(letterhead),
    ]


def blocks(decision: LoanDecision, letterhead: Letterhead) -> list[Block]:
    """The letter, as layout blocks both the text and the HTML part are rendered from."""
    body: list[Block] = [Paragraph("Dear applicant,"), *_outcome_blocks(decision, letterhead)]
    if decision.narrative:
        paragraphs = [part.strip() for part in decision.narrative.split("\n\n") if part.strip()]
        body += [Paragraph("In more detail:"), *(Paragraph(part) for part in paragraphs)]
    body += [
        Paragraph(f"Application reference: {decision.application_id}"),
        Paragraph(
            f"{letterhead.bank_name} sent you this e-mail because you applied for a loan and "
            "agreed to receive documents electronically. Please keep it for your records."
        ),
    ]
    return body


def compose(decision: LoanDecision, recipient: str, letterhead: Letterhead) -> EmailMessage:
    """The complete message to ``recipient`` (an address already checked)."""
    letter = blocks(decision, letterhead)
    message = EmailMessage(policy=_POLICY)
    message["Subject"] = subject(decision, letterhead.bank_name)
    message["From"] = Address(display_name=letterhead.bank_name, addr_spec=letterhead.from_address)
    message["To"] = recipient
    if letterhead.reply_to:
        message["Reply-To"] = letterhead.reply_to
    message["Date"] = format_datetime(decision.decided_at)
    message["Message-ID"] = message_id(decision, letterhead.domain)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    message.set_content(text(letter))
    message.add_alternative(html(letter, title=message["Subject"]), subtype="html")
    # After the parts exist: set_content drops Content-* headers set before it.
    message["Content-Language"] = LANGUAGE
    return message
