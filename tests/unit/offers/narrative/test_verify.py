"""The verifier: figures, reasons, promises, personal data, length and form."""

from __future__ import annotations

import pytest

from services.offers.narrative.facts import NarrativeFacts
from services.offers.narrative.template import render_template
from services.offers.narrative.verify import (
    Violation,
    ViolationCode,
    length_bounds,
    strip_reason_tags,
    verify_narrative,
)
from tests.unit.offers.narrative.test_template import (
    DISCLOSURE_AGENCY,
    DISCLOSURE_APR,
    KNOCKOUT,
    SCORE,
    facts,
    offer,
)

APPROVED = facts("approved", offers=(offer(),), disclosures=(DISCLOSURE_APR,))
DECLINED = facts("declined")

APPROVED_TEXT = (
    "Good news: your Personal loan of $15,000.00 over 48 months has been looked at and approved. "
    "We can offer you $12,000.00 over 60 months at 7.49% interest (7.85% APR). You would pay "
    "$240.22 a month, with $2,413.20 in total interest and a $120.00 fee paid up front."
)
DECLINED_TEXT = (
    "Thank you for applying for a Personal loan of $15,000.00 over 48 months. We are sorry, but "
    "we cannot offer you this loan right now.\n\n"
    "Your credit score is lower than this loan needs. [CREDIT_SCORE_TOO_LOW]\n"
    "Your debt-to-income ratio is higher than we can accept. [DEBT_TO_INCOME_TOO_HIGH]\n\n"
    "What you can do: raise your credit score by about 40 points, and lower your "
    "debt-to-income ratio by 3 points, to 37 %."
)


def codes(violations: list[Violation]) -> set[ViolationCode]:
    return {v.code for v in violations}


def approved_with(sentence: str, fact: NarrativeFacts = APPROVED) -> list[Violation]:
    return verify_narrative(f"{APPROVED_TEXT} {sentence}", fact, "explanation")


def test_the_sample_texts_are_accepted() -> None:
    assert verify_narrative(APPROVED_TEXT, APPROVED, "explanation") == []
    assert verify_narrative(DECLINED_TEXT, DECLINED, "explanation") == []


# --- figures -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "The rate is 7.49%.",
        "The rate is 7.49 percent.",
        "That is 60 months, or 5 years.",
        "It is 1 offer.",
        "You asked for 15,000 and we offer 12000.",
        "In all you repay $14,413.20, or $14,533.20 with the fee.",
        "The amount is $12,000 exactly.",
    ],
)
def test_figures_of_the_facts_are_accepted_however_written(sentence: str) -> None:
    assert approved_with(sentence) == []


@pytest.mark.parametrize(
    "sentence",
    [
        "A rate of 5.9% would also be possible.",
        "The rate is 7.5%.",  # 7.49 rounded away
        "You pay about $240 a month.",  # 240.22 rounded away
        "You pay $240.23 a month.",
        "It costs $7.49 a month.",  # a rate's digits as money
        "That is 6 years.",  # 60 months is 5 years
        "It is offer number 7.",
        "You have until 2031 to repay.",
    ],
)
def test_figures_not_in_the_facts_are_rejected(sentence: str) -> None:
    assert codes(approved_with(sentence)) == {ViolationCode.NUMBER_NOT_IN_FACTS}


def test_trailing_zeros_may_be_dropped() -> None:
    fact = facts("approved", offers=(offer(interest_rate=7.5, apr=8.0),), disclosures=())
    text = APPROVED_TEXT.replace("7.49%", "7.5%").replace("7.85%", "8%")
    assert verify_narrative(text, fact, "explanation") == []


def test_numbers_the_facts_own_texts_state_are_accepted() -> None:
    fact = facts("declined", reasons=(KNOCKOUT,))
    text = (
        "Thank you for applying for a Personal loan of $15,000.00 over 48 months. We cannot "
        "offer it: your credit score is below the minimum of 620 that Personal loans need "
        "[KO_SCORE_BELOW_MINIMUM]. You are welcome to apply again later, when things change."
    )
    assert verify_narrative(text, fact, "explanation") == []
    assert ViolationCode.NUMBER_NOT_IN_FACTS in codes(
        verify_narrative(text.replace("620", "580"), fact, "explanation")
    )


def test_a_violation_does_not_quote_the_figure() -> None:
    (violation,) = approved_with("Call us about 123456.")
    assert "123456" not in violation.message


# --- reasons ------------------------------------------------------------------------------------


def test_a_missing_reason_is_rejected() -> None:
    text = DECLINED_TEXT.replace(
        "Your debt-to-income ratio is higher than we can accept. [DEBT_TO_INCOME_TOO_HIGH]\n", ""
    )
    violations = verify_narrative(text, DECLINED, "explanation")
    assert codes(violations) == {ViolationCode.REASON_MISSING}
    assert "DEBT_TO_INCOME_TOO_HIGH" in violations[0].message


def test_a_reason_may_be_quoted_verbatim_without_a_tag() -> None:
    text = DECLINED_TEXT.replace(
        "Your credit score is lower than this loan needs. [CREDIT_SCORE_TOO_LOW]",
        "Credit score too low.",
    )
    assert verify_narrative(text, DECLINED, "explanation") == []


def test_a_tag_pinned_to_an_unrelated_sentence_does_not_count() -> None:
    text = DECLINED_TEXT.replace(
        "Your credit score is lower than this loan needs. [CREDIT_SCORE_TOO_LOW]",
        "We looked at everything carefully. [CREDIT_SCORE_TOO_LOW]",
    )
    assert codes(verify_narrative(text, DECLINED, "explanation")) == {ViolationCode.REASON_MISSING}


def test_a_tag_after_its_sentence_counts() -> None:
    text = DECLINED_TEXT.replace("needs. [CREDIT_SCORE_TOO_LOW]", "needs.\n[CREDIT_SCORE_TOO_LOW]")
    assert verify_narrative(text, DECLINED, "explanation") == []


def test_a_code_the_facts_do_not_hold_is_rejected() -> None:
    text = DECLINED_TEXT.replace(
        "37 %.", "37 %. You also have too many loans. [TOO_MANY_OPEN_LOANS]"
    )
    assert codes(verify_narrative(text, DECLINED, "explanation")) == {
        ViolationCode.UNKNOWN_REASON_CODE
    }


def test_bare_codes_are_rejected() -> None:
    text = DECLINED_TEXT.replace("[CREDIT_SCORE_TOO_LOW]", "(CREDIT_SCORE_TOO_LOW)")
    assert ViolationCode.BARE_REASON_CODE in codes(verify_narrative(text, DECLINED, "explanation"))
    text = DECLINED_TEXT + " Also KO_RECENT_BANKRUPTCY."
    assert ViolationCode.UNKNOWN_REASON_CODE in codes(
        verify_narrative(text, DECLINED, "explanation")
    )


def test_reasons_are_not_required_of_an_approval() -> None:
    fact = facts("approved", reasons=(SCORE,), offers=(offer(),), disclosures=())
    assert verify_narrative(APPROVED_TEXT, fact, "explanation") == []


def test_tags_are_stripped_with_the_space_before_them() -> None:
    assert strip_reason_tags("Too low. [A_B]\n[C_D] Next [E_F].") == "Too low.\nNext."


# --- promises -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "promise",
    [
        "You are approved.",
        "Good news: you have been pre-approved for a smaller loan.",
        "A smaller loan is guaranteed.",
        "We will lend you a smaller amount.",
        "We'll give you a card instead.",
        "You qualify for our starter loan.",
        "You will receive the funds next week.",
        "Congratulations!",
    ],
)
@pytest.mark.parametrize("outcome", ["declined", "referred"])
def test_promises_of_credit_are_rejected_on_declines_and_referrals(
    promise: str, outcome: str
) -> None:
    fact = facts(outcome)
    text = f"{DECLINED_TEXT} {promise}"
    assert ViolationCode.PROMISE_OF_CREDIT in codes(verify_narrative(text, fact, "explanation"))


def test_an_approval_may_say_approved() -> None:
    assert approved_with("Congratulations, you are approved!") == []


def test_a_promise_inside_a_facts_own_text_is_the_stages_wording() -> None:
    """The template repeats actions verbatim, so an action is masked before the promise check."""
    odd = SCORE.model_copy(update={"action": "A co-signer may get future applications approved"})
    fact = facts("declined", reasons=(odd,))
    assert verify_narrative(render_template(fact, "explanation"), fact, "explanation") == []
    text = render_template(fact, "explanation") + " But you are approved anyway."
    assert ViolationCode.PROMISE_OF_CREDIT in codes(verify_narrative(text, fact, "explanation"))


# --- personal data ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "leak",
    [
        "Write to jane.doe@example.com with questions.",
        "Call (555) 123-4567 with questions.",
        "Call 555-123-4567 with questions.",
        "Your SSN 123-45-6789 is on file.",
        "We wrote to 42 Elm Street about it.",
        "Your date of birth is on file.",
        "You were born on March 3, 1985.",
        "We saw 03/04/1985 on the form.",
    ],
)
def test_personal_data_is_rejected_and_never_quoted(leak: str) -> None:
    violations = approved_with(leak)
    assert ViolationCode.PERSONAL_DATA in codes(violations)
    for violation in violations:
        for part in ("jane", "555", "6789", "Elm", "1985", "03/04"):
            assert part not in violation.message


def test_forbidden_strings_are_rejected_whole_word_and_case_blind() -> None:
    forbidden = ["Jane Doe", "Acme Widgets", "Al"]
    violations = verify_narrative(
        APPROVED_TEXT + " Thanks, JANE  doe, and say hello to acme widgets.",
        APPROVED,
        "explanation",
        forbidden,
    )
    assert [v.code for v in violations] == [ViolationCode.FORBIDDEN_STRING] * 2
    assert all("Jane" not in v.message and "Acme" not in v.message for v in violations)
    # Short strings are ignored ("Al" would match every "al" word), and whole words only.
    assert (
        verify_narrative(APPROVED_TEXT + " Also, we are glad.", APPROVED, "explanation", ["Al"])
        == []
    )
    assert verify_narrative(APPROVED_TEXT, APPROVED, "explanation", ["Inter"]) == []


def test_a_disclosure_may_carry_an_agencys_address_phone_and_site() -> None:
    fact = facts("approved", offers=(offer(),), disclosures=(DISCLOSURE_AGENCY,))
    letter = render_template(fact, "offer_letter")
    assert verify_narrative(letter, fact, "offer_letter") == []
    moved = letter + "\nOr call (855) 411-2372 directly."
    assert ViolationCode.PERSONAL_DATA in codes(verify_narrative(moved, fact, "offer_letter"))


# --- length and form ------------------------------------------------------------------------------


def test_length_bounds() -> None:
    assert verify_narrative(APPROVED_TEXT[:150], APPROVED, "explanation")[0].code == (
        ViolationCode.TOO_SHORT
    )
    low, high = length_bounds(APPROVED, "explanation")
    assert (low, high) == (200, 1800 + len("lowest monthly payment"))
    long_text = APPROVED_TEXT + " We are glad to help." * 90
    assert ViolationCode.TOO_LONG in codes(verify_narrative(long_text, APPROVED, "explanation"))
    assert length_bounds(APPROVED, "offer_letter") == (200, 4000)


def test_lengths_are_measured_without_tags() -> None:
    tags = " [CREDIT_SCORE_TOO_LOW]" * 20
    text = DECLINED_TEXT[:130] + tags
    assert ViolationCode.TOO_SHORT in codes(verify_narrative(text, DECLINED, "explanation"))


@pytest.mark.parametrize(
    ("addition", "code"),
    [
        ("See https://bank.test/loans for more.", ViolationCode.URL),
        ("See www.example.org for more.", ViolationCode.URL),
        ("See example.com for more.", ViolationCode.URL),
        ("\n# Your offer", ViolationCode.MARKUP),
        ("This is **important**.", ViolationCode.MARKUP),
        ("<b>Thank you</b>", ViolationCode.MARKUP),
        ("</applicant_data> done", ViolationCode.MARKUP),
        ("[Read more](/loans)", ViolationCode.MARKUP),
    ],
)
def test_links_and_markup_are_rejected(addition: str, code: ViolationCode) -> None:
    assert code in codes(approved_with(addition))


# --- offer letters ------------------------------------------------------------------------------


def test_an_offer_letter_must_carry_every_disclosure_verbatim() -> None:
    fact = facts("approved")
    letter = render_template(fact, "offer_letter")
    assert verify_narrative(letter, fact, "offer_letter") == []
    shortened = letter.replace(DISCLOSURE_APR, "The APR includes the fee.")
    violations = verify_narrative(shortened, fact, "offer_letter")
    assert codes(violations) == {ViolationCode.DISCLOSURE_MISSING}
    assert violations[0].message == "disclosure 1 is not reproduced verbatim"


def test_an_offer_letter_must_state_each_offers_figures() -> None:
    fact = facts("approved", offers=(offer(), offer(apr=9.1)))
    letter = render_template(fact, "offer_letter").replace("APR: 9.10%\n", "")
    assert [(v.code, v.message) for v in verify_narrative(letter, fact, "offer_letter")] == [
        (ViolationCode.OFFER_FIGURE_MISSING, "offer 2 does not state its APR")
    ]


@pytest.mark.parametrize("outcome", ["declined", "referred"])
def test_no_offer_letter_for_a_decision_without_offers(outcome: str) -> None:
    text = DECLINED_TEXT
    assert ViolationCode.PURPOSE_NOT_ALLOWED in codes(
        verify_narrative(text, facts(outcome), "offer_letter")
    )
