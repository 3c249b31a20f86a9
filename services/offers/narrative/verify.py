"""Deterministic checks a narrative must pass before an applicant may read it.

``verify_narrative(text, facts, purpose)`` returns the violations it finds; an empty list means
the text is accepted. The same checks apply to a model's text and to the template's, so the
template can be tested against them. What is checked:

Figures
    Every number in the text must be one the facts give or one computed from them: the
    requested amount and term; each offer's amount, term (in months, and in years when whole),
    interest rate, APR, monthly payment, total interest, fees, and amount plus interest (with
    and without the fees); the number of offers and of reasons; list numbers 1 to 4; and any
    number written in the facts' own texts (a knock-out's "minimum of 600", a tip's "to 35 %").
    Money (after ``$``/``€``/``£`` or the facts' currency code) must match a money figure,
    percentages must match a rate or APR, a plain number may match any of them.
    A figure is accepted only when it equals a fact kept to its own precision — cents for money,
    hundredths of a percent for rates, whole months. Dropping trailing zeros is fine ("7.5%" for
    7.50), rounding away digits is not ("7.5%" for 7.49, "$304" for 304.22 are rejected), since
    an applicant compares offers on those digits. Written-out numbers ("two offers") are not
    checked: small words like "one" are too often not numbers at all.

Reasons (explanations of declined, referred and counter-offered decisions)
    Each principal reason must be mentioned, either by its text verbatim (case and spacing
    aside) or by a citation tag ``[CODE]`` whose sentence, or the sentence before it, shares at
    least half of the key words of the reason's text (so a tag cannot be pinned to a sentence
    about something else). The prompt asks the model to cite with tags;
    ``strip_reason_tags`` removes them before the text is published. A tag, or a bare
    upper-snake code, naming a code the facts do not hold is rejected; so is a bare code of the
    facts (applicants read words, not codes).

Promises (declined and referred decisions)
    Nothing that reads as a promise of credit: any form of "approve", "pre-approved",
    "pre-qualified", "guaranteed", "we will lend", "you qualify", "congratulations" and the like.
    Deliberately blunt: a text that says "you were not approved" is rejected too, and the
    template is used instead.

Personal data
    No e-mail address, phone number, SSN-like digit group, street address or date (of birth);
    and none of the ``forbidden`` strings the stage passes (the applicant's name, employer...),
    matched as whole words, ignoring case; strings shorter than 3 characters are ignored since
    they would match ordinary words.

Form
    Length within bounds (``length_bounds``), no URLs, no markdown headings, emphasis, links or
    code fences, no HTML. An offer letter must state every offer's figures and carry every
    disclosure verbatim.

Texts the facts themselves carry (reason texts and actions, offer labels, disclosures) are masked
before the figure, promise, personal-data and form checks: they are the stage's own words, may
hold a regulator's address or a phone number in a disclosure, and the template repeats them
verbatim. Forbidden strings are looked for in the whole text.

Violation messages name the rule and a position, never the offending text, so logging them can
never leak what the text said.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Final, Literal

from services.common.contracts.decision import DecisionOutcome
from services.offers.narrative.facts import NarrativeFacts, NarrativePurpose, ReasonFacts

MAX_TEXT_CHARS: Final = 4000
EXPLANATION_MIN_CHARS: Final = 200
EXPLANATION_MAX_CHARS: Final = 1800
OFFER_LETTER_MIN_CHARS: Final = 200
OFFER_LETTER_MAX_CHARS: Final = MAX_TEXT_CHARS
MAX_LIST_NUMBER: Final = 4
MIN_FORBIDDEN_CHARS: Final = 3
MIN_MASKED_CHARS: Final = 8
"""Fact texts shorter than this are not masked: masking a word like "you" would hide too much."""

_OFFER_OUTCOMES: Final = frozenset({DecisionOutcome.APPROVED, DecisionOutcome.COUNTER_OFFERED})
_REASONS_REQUIRED: Final = frozenset(
    {DecisionOutcome.DECLINED, DecisionOutcome.REFERRED, DecisionOutcome.COUNTER_OFFERED}
)
_NO_PROMISE: Final = frozenset({DecisionOutcome.DECLINED, DecisionOutcome.REFERRED})


class ViolationCode(StrEnum):
    PURPOSE_NOT_ALLOWED = "purpose_not_allowed"
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    NUMBER_NOT_IN_FACTS = "number_not_in_facts"
    REASON_MISSING = "reason_missing"
    UNKNOWN_REASON_CODE = "unknown_reason_code"
    BARE_REASON_CODE = "bare_reason_code"
    PROMISE_OF_CREDIT = "promise_of_credit"
    PERSONAL_DATA = "personal_data"
    FORBIDDEN_STRING = "forbidden_string"
    URL = "url"
    MARKUP = "markup"
    OFFER_FIGURE_MISSING = "offer_figure_missing"
    DISCLOSURE_MISSING = "disclosure_missing"


@dataclass(frozen=True)
class Violation:
    """One broken rule; the message never quotes the text."""

    code: ViolationCode
    message: str


# --- tags and codes ---------------------------------------------------------------------------

_TAG = re.compile(r"\[([A-Z][A-Z0-9_]{1,63})\]")
_TAG_WITH_SPACE = re.compile(r"[ \t]+\[[A-Z][A-Z0-9_]{1,63}\]|\[[A-Z][A-Z0-9_]{1,63}\][ \t]*")
_BARE_CODE = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")


def strip_reason_tags(text: str) -> str:
    """The text without its ``[CODE]`` citation tags (and the space that set each apart)."""
    return _TAG_WITH_SPACE.sub("", text).strip()


# --- numbers ----------------------------------------------------------------------------------

NumberKind = Literal["money", "percent", "plain"]

_NUMBER = re.compile(
    r"(?P<symbol>[$€£])?\s?"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?P<percent>\s?(?:%|percent\b|per\s?cent\b))?"
    r"(?P<ordinal>(?:st|nd|rd|th)\b)?"
)
_MONEY_AFTER = re.compile(r"\s?(?:dollars?\b|euros?\b|pounds?\b)")


@dataclass(frozen=True)
class _Number:
    kind: NumberKind
    value: Decimal
    start: int


def _numbers(text: str, currency: str) -> list[_Number]:
    found: list[_Number] = []
    for match in _NUMBER.finditer(text):
        try:
            value = Decimal(match["num"].replace(",", ""))
        except InvalidOperation:  # pragma: no cover - the pattern only admits digits
            continue
        before = text[max(0, match.start() - 4) : match.start()]
        after = text[match.end() : match.end() + 10]
        kind: NumberKind
        if match["percent"]:
            kind = "percent"
        elif (
            match["symbol"]
            or re.search(rf"\b{re.escape(currency)}\s?$", before)
            or _MONEY_AFTER.match(after)
            or after.startswith((f" {currency}", currency))
        ):
            kind = "money"
        else:
            kind = "plain"
        found.append(_Number(kind=kind, value=value, start=match.start("num")))
    return found


def _renderings(value: float, places: int) -> set[Decimal]:
    """The decimal values a fact may be shown as: its shortest spelling, and that spelling
    rounded to the fact's precision either way a formatter may round a tie."""
    if not math.isfinite(value):
        return set()
    exact = Decimal(repr(float(value)))
    quantum = Decimal(1).scaleb(-places)
    return {
        exact,
        exact.quantize(quantum, rounding=ROUND_HALF_UP),
        exact.quantize(quantum, rounding=ROUND_HALF_EVEN),
    }


@dataclass(frozen=True)
class _Allowed:
    money: frozenset[Decimal]
    percent: frozenset[Decimal]
    plain: frozenset[Decimal]

    def accepts(self, number: _Number) -> bool:
        if number.kind == "money":
            return number.value in self.money
        if number.kind == "percent":
            return number.value in self.percent
        return number.value in self.plain


def _fact_texts(facts: NarrativeFacts) -> list[str]:
    texts: list[str] = []
    for reason in facts.reasons:
        texts.append(reason.text)
        if reason.action:
            texts.append(reason.action)
    texts.extend(offer.label for offer in facts.offers)
    texts.extend(facts.disclosures)
    return [t for t in texts if t.strip()]


def _allowed_numbers(facts: NarrativeFacts) -> _Allowed:
    money: set[Decimal] = set(_renderings(facts.requested_amount, 2))
    percent: set[Decimal] = set()
    counts: set[Decimal] = {Decimal(facts.requested_term_months)}
    if facts.requested_term_months % 12 == 0:
        counts.add(Decimal(facts.requested_term_months // 12))
    for offer in facts.offers:
        for figure in (offer.amount, offer.monthly_payment, offer.total_interest, offer.fees):
            money |= _renderings(figure, 2)
        money |= _renderings(offer.amount + offer.total_interest, 2)
        money |= _renderings(offer.amount + offer.total_interest + offer.fees, 2)
        percent |= _renderings(offer.interest_rate, 2) | _renderings(offer.apr, 2)
        counts.add(Decimal(offer.term_months))
        if offer.term_months % 12 == 0:
            counts.add(Decimal(offer.term_months // 12))
    counts |= {Decimal(len(facts.offers)), Decimal(len(facts.reasons))}
    counts |= {Decimal(n) for n in range(1, MAX_LIST_NUMBER + 1)}
    # Numbers the facts' own texts state are facts too, whatever way they are written again.
    quoted = {n.value for t in _fact_texts(facts) for n in _numbers(t, facts.currency)}
    return _Allowed(
        money=frozenset(money | quoted),
        percent=frozenset(percent | quoted),
        plain=frozenset(money | percent | counts | quoted),
    )


# --- masking the facts' own texts ----------------------------------------------------------------


def _phrase_pattern(phrase: str) -> re.Pattern[str] | None:
    words = phrase.strip().rstrip(".!?;:,").split()
    if not words:
        return None
    body = r"\s+".join(re.escape(word) for word in words)
    return re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE)


def _mask(text: str, facts: NarrativeFacts) -> str:
    """``text`` with the facts' own texts blanked out, longest first."""
    for phrase in sorted(_fact_texts(facts), key=len, reverse=True):
        if len(phrase.strip()) < MIN_MASKED_CHARS:
            continue
        pattern = _phrase_pattern(phrase)
        if pattern is not None:
            text = pattern.sub(" ", text)
    return text


def _contains_phrase(text: str, phrase: str) -> bool:
    pattern = _phrase_pattern(phrase)
    return pattern is not None and pattern.search(text) is not None


# --- reasons ------------------------------------------------------------------------------------

# fmt: off
_STOPWORDS: Final = frozenset((
    "the", "and", "for", "this", "that", "with", "your", "you", "not", "are", "was", "were",
    "has", "have", "had", "our", "its", "any", "all", "can", "too", "than", "from", "into",
    "onto", "what", "which", "who", "when", "will", "would", "could", "should", "may", "might",
    "been", "being", "more", "most", "less", "such", "very", "also", "only", "per", "their",
    "there", "them", "they", "his", "her", "him", "she", "one", "two",
))
# fmt: on
_WORD = re.compile(r"[a-z]+")
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)|\n")


def _key_words(text: str) -> list[str]:
    words = [w for w in _WORD.findall(text.lower()) if len(w) >= 3 and w not in _STOPWORDS]
    return list(dict.fromkeys(words))


def _stem_match(key: str, words: Iterable[str]) -> bool:
    stem = key[:5]
    return any(w.startswith(stem) or (len(w) >= 4 and key.startswith(w[:5])) for w in words)


def _window(text: str, position: int) -> str:
    """The sentence around ``position`` and the one before it with any words (a tag on a line
    of its own cites the sentence above)."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        spans.append((start, match.end()))
        start = match.end()
    spans.append((start, len(text)))
    current = next(i for i, (a, b) in enumerate(spans) if a <= position < b or b == len(text))
    previous = current - 1
    while previous >= 0 and not _TAG.sub("", text[slice(*spans[previous])]).strip():
        previous -= 1
    return text[spans[max(previous, 0)][0] : spans[current][1]]


def _reason_mentioned(reason: ReasonFacts, tagged_text: str, plain_text: str) -> bool:
    if _contains_phrase(plain_text, reason.text):
        return True
    keys = _key_words(reason.text)
    needed = math.ceil(len(keys) / 2)
    for match in re.finditer(re.escape(f"[{reason.code}]"), tagged_text):
        window_words = _WORD.findall(_TAG.sub(" ", _window(tagged_text, match.start())).lower())
        if sum(_stem_match(key, window_words) for key in keys) >= needed:
            return True
    return False


def _reason_violations(
    tagged_text: str, plain_text: str, masked_text: str, facts: NarrativeFacts, check_all: bool
) -> list[Violation]:
    violations: list[Violation] = []
    codes = {reason.code for reason in facts.reasons}
    for match in _TAG.finditer(tagged_text):
        if match[1] not in codes:
            violations.append(
                Violation(
                    ViolationCode.UNKNOWN_REASON_CODE,
                    f"a reason tag at character {match.start()} names a code the facts do not hold",
                )
            )
    for match in _BARE_CODE.finditer(masked_text):
        code = (
            ViolationCode.BARE_REASON_CODE
            if match[0] in codes
            else (ViolationCode.UNKNOWN_REASON_CODE)
        )
        violations.append(Violation(code, "an untagged reason code appears in the text"))
    if check_all:
        for number, reason in enumerate(facts.reasons, start=1):
            if not _reason_mentioned(reason, tagged_text, plain_text):
                violations.append(
                    Violation(
                        ViolationCode.REASON_MISSING,
                        f"principal reason {number} ({reason.code}) is not mentioned",
                    )
                )
    return violations


# --- promises, personal data, form ----------------------------------------------------------------

_APOSTROPHE_LL = r"(?:'|\u2019)ll"
_PROMISES: Final = (
    ("approval", re.compile(r"\bapprov\w*", re.IGNORECASE)),
    ("pre-approval", re.compile(r"\bpre[\s-]?(?:approv|qualif)\w*", re.IGNORECASE)),
    ("guarantee", re.compile(r"\bguarant\w*", re.IGNORECASE)),
    (
        "we will lend",
        re.compile(
            rf"\bwe(?:\s+will|\s+shall|{_APOSTROPHE_LL}|\s+are\s+going\s+to)\s+"
            r"(?:lend|grant|give\s+you|provide\s+you|offer\s+you|fund)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "you will get credit",
        re.compile(
            rf"\byou(?:\s+will|{_APOSTROPHE_LL})\s+(?:get|receive|be\s+(?:given|offered|granted))"
            r"\s+(?:(?:the|a|an|your)\s+)?(?:loan|credit|money|funds|offer)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "you qualify",
        re.compile(r"\byou\s+(?:qualify|are\s+(?:eligible|qualified))\b", re.IGNORECASE),
    ),
    ("congratulations", re.compile(r"\bcongratulat\w*", re.IGNORECASE)),
    ("good news", re.compile(r"\bgood\s+news\b", re.IGNORECASE)),
    (
        "certainty",
        re.compile(r"\b(?:certain|sure|assured)\s+to\s+(?:get|receive|be)\b", re.IGNORECASE),
    ),
    (
        "funds on the way",
        re.compile(
            r"\b(?:funds|money)\s+(?:will\s+be|are\s+being)\s+"
            r"(?:sent|released|deposited|transferred|paid)\b",
            re.IGNORECASE,
        ),
    ),
)

_MONTHS = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_STREET = (
    r"(?:Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Drive|Dr|Boulevard|Blvd|Court|Ct|Way|Place|Pl|"
    r"Terrace|Circle|Parkway|Pkwy|Highway|Hwy|Square|Sq)"
)
_PERSONAL_DATA: Final = (
    ("e-mail address", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")),
    (
        "phone number",
        re.compile(
            r"(?<![\d.,])(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?![\d])"
            r"|(?<![\d.,])\+\d[\d\s.-]{7,16}\d(?![\d])"
        ),
    ),
    (
        "SSN-like number",
        re.compile(r"(?<![\d.,])\d{3}[- ]\d{2}[- ]\d{4}(?![\d])|(?<![\d.,])\d{9}(?![\d.,])"),
    ),
    (
        "date",
        re.compile(
            r"(?<![\d.,])\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}(?![\d])"
            r"|(?<![\d.,])\d{4}-\d{2}-\d{2}(?![\d])"
            rf"|\b{_MONTHS}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b"
            rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTHS}\.?,?\s+\d{{4}}\b"
        ),
    ),
    (
        "date of birth",
        re.compile(r"\b(?:date\s+of\s+birth|birth\s*date|born\s+(?:on|in))\b|\bDOB\b", re.I),
    ),
    (
        "street address",
        re.compile(
            rf"(?<![\d.,])\d{{1,6}}[ \t]+(?:[A-Z][a-z]+\.?[ \t]+){{1,4}}{_STREET}\b"
            r"|\b(?:P\.?\s?O\.?\s+Box|Apt\.?|Apartment|Suite)\s*#?\s*\d+",
        ),
    ),
)

_URL = re.compile(
    r"\b(?:https?|ftp)://|\bwww\.|\b[a-z0-9-]+\.(?:com|org|net|gov|edu|io|co|us|uk|info|biz|"
    r"bank|app|ly|me)\b",
    re.IGNORECASE,
)
_MARKUP: Final = (
    ("markdown heading", re.compile(r"(?m)^[ \t]{0,3}#{1,6}(?:[ \t]|$)")),
    ("HTML", re.compile(r"<\s*/?\s*[A-Za-z][A-Za-z0-9_:-]*(?:\s[^<>]*)?/?\s*>")),
    ("markdown emphasis", re.compile(r"\*\*|__|(?<!\w)\*(?=\w)")),
    ("markdown link", re.compile(r"\]\s*\(")),
    ("code fence", re.compile(r"```")),
)


def forbidden_matches(text: str, forbidden: Sequence[str]) -> list[int]:
    """Positions (from 1) in ``forbidden`` of the strings ``text`` contains as whole words,
    ignoring case and spacing; strings shorter than 3 characters are skipped."""
    return [
        number
        for number, value in enumerate(forbidden, start=1)
        if len(value.strip()) >= MIN_FORBIDDEN_CHARS and _contains_phrase(text, value)
    ]


def _forbidden_violations(text: str, forbidden: Sequence[str]) -> list[Violation]:
    return [
        Violation(
            ViolationCode.FORBIDDEN_STRING,
            f"forbidden applicant string {number} appears in the text",
        )
        for number in forbidden_matches(text, forbidden)
    ]


# --- offer letters ------------------------------------------------------------------------------


def _offer_letter_violations(
    masked_text: str, plain_text: str, facts: NarrativeFacts
) -> list[Violation]:
    violations: list[Violation] = []
    numbers = _numbers(masked_text, facts.currency)
    for position, offer in enumerate(facts.offers, start=1):
        figures: list[tuple[str, set[Decimal], tuple[NumberKind, ...]]] = [
            ("amount", _renderings(offer.amount, 2), ("money", "plain")),
            ("term", {Decimal(offer.term_months)}, ("plain",)),
            ("interest rate", _renderings(offer.interest_rate, 2), ("percent",)),
            ("APR", _renderings(offer.apr, 2), ("percent",)),
            ("monthly payment", _renderings(offer.monthly_payment, 2), ("money", "plain")),
            ("total interest", _renderings(offer.total_interest, 2), ("money", "plain")),
        ]
        if offer.fees > 0:
            figures.append(("fees", _renderings(offer.fees, 2), ("money", "plain")))
        for name, values, kinds in figures:
            if not any(n.kind in kinds and n.value in values for n in numbers):
                violations.append(
                    Violation(
                        ViolationCode.OFFER_FIGURE_MISSING,
                        f"offer {position} does not state its {name}",
                    )
                )
    for position, disclosure in enumerate(facts.disclosures, start=1):
        if disclosure.strip() and not _contains_phrase(plain_text, disclosure):
            violations.append(
                Violation(
                    ViolationCode.DISCLOSURE_MISSING,
                    f"disclosure {position} is not reproduced verbatim",
                )
            )
    return violations


# --- the whole check ------------------------------------------------------------------------------


def length_bounds(facts: NarrativeFacts, purpose: NarrativePurpose) -> tuple[int, int]:
    """(min, max) characters of the published text.

    An explanation gets 1800 characters of its own words plus room for the reason texts,
    actions and offer labels it must repeat, never more than a ``Narrative`` holds.
    """
    if purpose == "offer_letter":
        return OFFER_LETTER_MIN_CHARS, OFFER_LETTER_MAX_CHARS
    carried = sum(len(r.text) + len(r.action or "") for r in facts.reasons)
    carried += sum(len(o.label) for o in facts.offers)
    return EXPLANATION_MIN_CHARS, min(MAX_TEXT_CHARS, EXPLANATION_MAX_CHARS + carried)


def verify_narrative(
    text: str,
    facts: NarrativeFacts,
    purpose: NarrativePurpose,
    forbidden: Sequence[str] = (),
) -> list[Violation]:
    """Every rule ``text`` breaks for ``facts`` and ``purpose``; empty when it may be published.

    ``text`` may carry ``[CODE]`` citation tags; lengths are measured without them.
    """
    violations: list[Violation] = []
    if purpose == "offer_letter" and facts.outcome not in _OFFER_OUTCOMES:
        violations.append(
            Violation(
                ViolationCode.PURPOSE_NOT_ALLOWED,
                f"no offer letter is written for a {facts.outcome.value} decision",
            )
        )
    plain = strip_reason_tags(text)
    low, high = length_bounds(facts, purpose)
    if len(plain) < low:
        violations.append(
            Violation(ViolationCode.TOO_SHORT, f"{len(plain)} characters, at least {low} needed")
        )
    if len(plain) > high:
        violations.append(
            Violation(ViolationCode.TOO_LONG, f"{len(plain)} characters, at most {high} allowed")
        )
    masked = _mask(plain, facts)

    allowed = _allowed_numbers(facts)
    for number in _numbers(masked, facts.currency):
        if not allowed.accepts(number):
            violations.append(
                Violation(
                    ViolationCode.NUMBER_NOT_IN_FACTS,
                    f"a {number.kind} figure near character {number.start} is not a figure of "
                    "the facts at the precision shown",
                )
            )

    check_reasons = purpose == "explanation" and facts.outcome in _REASONS_REQUIRED
    violations += _reason_violations(text, plain, masked, facts, check_reasons)

    if facts.outcome in _NO_PROMISE:
        for name, pattern in _PROMISES:
            if pattern.search(masked):
                violations.append(
                    Violation(
                        ViolationCode.PROMISE_OF_CREDIT,
                        f"reads as a promise of credit ({name}) on a {facts.outcome.value} "
                        "decision",
                    )
                )

    for name, pattern in _PERSONAL_DATA:
        if pattern.search(masked):
            violations.append(Violation(ViolationCode.PERSONAL_DATA, f"contains a {name}"))
    violations += _forbidden_violations(plain, forbidden)

    if _URL.search(masked):
        violations.append(Violation(ViolationCode.URL, "contains a link or web address"))
    for name, pattern in _MARKUP:
        if pattern.search(masked):
            violations.append(Violation(ViolationCode.MARKUP, f"contains {name}"))

    if purpose == "offer_letter" and facts.outcome in _OFFER_OUTCOMES:
        violations += _offer_letter_violations(masked, plain, facts)
    return violations
