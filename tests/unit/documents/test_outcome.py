"""From verification, file problems and the identity check to the stage's status and reasons."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Literal

import pytest

from services.common.contracts import EarlyOutcome, StageName
from services.common.contracts.documents import DocumentKind
from services.common.contracts.primitives import EmploymentStatus, LoanProduct
from services.common.contracts.stages import MAX_PRINCIPAL_REASONS, DocumentsResult
from services.documents.fields import ExtractedField, ExtractedPage, PageKind
from services.documents.outcome import (
    FileProblem,
    IdentityCheck,
    check_identity_document,
    decide,
)
from services.documents.verify import ApplicantClaims, Finding, Verification, verify

NOW = datetime(2025, 3, 14, 12, 30, tzinfo=UTC)
MATCHED = IdentityCheck(verified=True, confidence=0.97)
NO_CARD = IdentityCheck(verified=None, confidence=None)
INCOME_FINDING = Finding(
    code="INCOME_NOT_SUPPORTED",
    description="Stated income is 67% above the income the documents show.",
)
NAME_FINDING = Finding(code="NAME_MISMATCH", description="A document names someone else.")
SSN_FINDING = Finding(code="SSN_MISMATCH", description="A document shows another SSN.")


def verification(
    *,
    missing: Sequence[DocumentKind] = (),
    findings: Sequence[Finding] = (),
    low: Sequence[str] = (),
) -> Verification:
    return Verification(
        missing_documents=tuple(missing),
        verified_annual_income=62000.0,
        income_source=DocumentKind.W2,
        findings=tuple(findings),
        low_confidence_fields=tuple(low),
    )


def run(
    *,
    uploaded: int = 3,
    problems: Sequence[FileProblem] = (),
    checked: Verification | None = None,
    identity: IdentityCheck = MATCHED,
    when_nothing_uploaded: Literal["await_documents", "continue"] = "await_documents",
) -> tuple[DocumentsResult, EarlyOutcome | None]:
    return decide(
        uploaded=uploaded,
        problems=problems,
        verification=checked or verification(),
        identity=identity,
        when_nothing_uploaded=when_nothing_uploaded,
        now=NOW,
        stage_version="0.1.0",
        model_version="local+tesseract-5.3.4",
    )


def codes(result: DocumentsResult | EarlyOutcome) -> list[str]:
    return [reason.code for reason in result.reasons]


# -- decide: pass -----------------------------------------------------------------------------


def test_a_clean_file_passes_without_an_early_outcome() -> None:
    result, ended = run()

    assert ended is None
    assert result.status == "pass"
    assert result.reasons == ()
    assert result.completed_at == NOW
    assert result.stage_version == "0.1.0"
    assert result.model_version == "local+tesseract-5.3.4"
    assert result.documents_reviewed == 3
    assert result.missing_documents == ()
    assert result.verified_annual_income == 62000.0
    assert result.income_source is DocumentKind.W2
    assert (result.identity_verified, result.identity_confidence) == (True, 0.97)


def test_unsupported_income_passes_with_the_finding_kept() -> None:
    result, ended = run(checked=verification(findings=[INCOME_FINDING]))

    assert ended is None
    assert result.status == "pass"
    assert codes(result) == ["INCOME_NOT_SUPPORTED"]
    assert result.reasons[0].description == INCOME_FINDING.description


def test_identity_confidence_is_rounded_to_four_places() -> None:
    result, _ = run(identity=IdentityCheck(verified=True, confidence=0.912345678))

    assert result.identity_confidence == 0.9123


def test_no_identity_document_leaves_identity_unknown() -> None:
    result, _ = run(identity=NO_CARD)

    assert result.identity_verified is None
    assert result.identity_confidence is None


# -- decide: refer ----------------------------------------------------------------------------


def test_a_file_that_does_not_match_its_hash_is_referred() -> None:
    problems = [FileProblem("integrity", "stored bytes do not match")] * 2

    result, ended = run(problems=problems)

    assert result.status == "refer"
    assert codes(result) == ["DOCUMENT_INTEGRITY"]
    assert "2 file(s)" in result.reasons[0].description
    assert ended is not None
    assert ended.outcome == "refer"
    assert ended.stage is StageName.DOCUMENTS
    assert ended.decided_at == NOW
    assert codes(ended) == ["DOCUMENT_INTEGRITY"]


def test_a_file_not_read_in_time_is_referred() -> None:
    result, ended = run(problems=[FileProblem("timeout", "took longer than 120 s")])

    assert result.status == "refer"
    assert codes(result) == ["DOCUMENT_NOT_PROCESSED"]
    assert ended is not None and ended.outcome == "refer"
    assert codes(ended) == ["DOCUMENT_NOT_PROCESSED"]


@pytest.mark.parametrize("finding", [NAME_FINDING, SSN_FINDING], ids=lambda f: f.code)
def test_someone_elses_documents_are_referred(finding: Finding) -> None:
    result, ended = run(checked=verification(findings=[finding, INCOME_FINDING]))

    assert result.status == "refer"
    # The refer finding leads; the finding that alone would pass is still recorded after it.
    assert codes(result) == [finding.code, "INCOME_NOT_SUPPORTED"]
    assert ended is not None and ended.outcome == "refer"
    assert codes(ended) == [finding.code]


def test_fields_read_with_low_confidence_are_referred_by_name() -> None:
    low = ["form_1040.total_income", "pay_stub.gross_pay", "w2.wages", "w2.x", "w2.y"]

    result, ended = run(checked=verification(low=low))

    assert result.status == "refer"
    assert codes(result) == ["LOW_CONFIDENCE_EXTRACTION"]
    description = result.reasons[0].description
    assert "w2.wages" in description and "pay_stub.gross_pay" in description
    assert "w2.y" not in description  # at most four names
    assert ended is not None and codes(ended) == ["LOW_CONFIDENCE_EXTRACTION"]


def test_an_expired_identity_document_is_referred() -> None:
    result, ended = run(identity=IdentityCheck(verified=False, confidence=0.95, expired=True))

    assert result.status == "refer"
    assert codes(result) == ["ID_EXPIRED"]
    assert result.identity_verified is False
    assert ended is not None and ended.outcome == "refer"


def test_an_identity_document_naming_someone_else_is_referred() -> None:
    result, ended = run(identity=IdentityCheck(verified=False, confidence=0.95))

    assert result.status == "refer"
    assert codes(result) == ["ID_NOT_MATCHED"]
    assert ended is not None and codes(ended) == ["ID_NOT_MATCHED"]


# -- decide: awaiting documents ---------------------------------------------------------------


def test_missing_documents_leave_the_application_awaiting_them() -> None:
    missing = [DocumentKind.W2, DocumentKind.IDENTITY_DOCUMENT]

    result, ended = run(checked=verification(missing=missing))

    assert result.status == "awaiting_documents"
    assert codes(result) == ["DOCUMENTS_MISSING"]
    assert result.missing_documents == tuple(missing)
    description = result.reasons[0].description
    assert "W-2" in description and "government-issued ID" in description
    assert ended is not None
    assert ended.outcome == "awaiting_documents"
    assert ended.stage is StageName.DOCUMENTS
    assert 1 <= len(ended.reasons) <= MAX_PRINCIPAL_REASONS
    assert codes(ended) == ["DOCUMENTS_MISSING"]


def test_an_unreadable_file_is_asked_for_again_with_the_missing_ones() -> None:
    result, ended = run(
        problems=[FileProblem("unreadable", "PDF cannot be parsed")],
        checked=verification(missing=[DocumentKind.BANK_STATEMENT]),
    )

    assert result.status == "awaiting_documents"
    assert codes(result) == ["DOCUMENTS_MISSING", "DOCUMENT_UNREADABLE"]
    assert "1 file(s)" in result.reasons[1].description
    assert ended is not None and codes(ended) == ["DOCUMENTS_MISSING", "DOCUMENT_UNREADABLE"]


def test_nothing_uploaded_is_awaited_by_default() -> None:
    result, ended = run(uploaded=0, checked=verification(missing=[DocumentKind.W2]))

    assert result.status == "awaiting_documents"
    assert ended is not None and ended.outcome == "awaiting_documents"


def test_nothing_uploaded_may_continue_with_the_missing_documents_listed() -> None:
    missing = (DocumentKind.W2, DocumentKind.IDENTITY_DOCUMENT)

    result, ended = run(
        uploaded=0,
        checked=verification(missing=missing),
        identity=NO_CARD,
        when_nothing_uploaded="continue",
    )

    assert result.status == "pass"
    assert ended is None
    assert result.missing_documents == missing
    assert result.documents_reviewed == 0
    assert result.model_version is None  # no extractor looked at anything


def test_continue_applies_only_when_nothing_was_uploaded() -> None:
    result, ended = run(
        uploaded=1,
        checked=verification(missing=[DocumentKind.W2]),
        when_nothing_uploaded="continue",
    )

    assert result.status == "awaiting_documents"
    assert ended is not None and ended.outcome == "awaiting_documents"


# -- decide: precedence -----------------------------------------------------------------------


def test_refer_takes_precedence_over_awaiting_documents() -> None:
    result, ended = run(
        problems=[FileProblem("integrity", "stored bytes do not match")],
        checked=verification(missing=[DocumentKind.W2]),
    )

    assert result.status == "refer"
    assert codes(result) == ["DOCUMENT_INTEGRITY", "DOCUMENTS_MISSING"]
    assert ended is not None and ended.outcome == "refer"
    assert codes(ended) == ["DOCUMENT_INTEGRITY"]


def test_awaiting_documents_takes_precedence_over_pass() -> None:
    result, ended = run(
        checked=verification(missing=[DocumentKind.BANK_STATEMENT], findings=[INCOME_FINDING])
    )

    assert result.status == "awaiting_documents"
    assert codes(result) == ["DOCUMENTS_MISSING", "INCOME_NOT_SUPPORTED"]
    assert ended is not None and codes(ended) == ["DOCUMENTS_MISSING"]


def test_the_early_outcome_names_at_most_four_principal_reasons() -> None:
    result, ended = run(
        problems=[FileProblem("integrity", "x"), FileProblem("timeout", "y")],
        checked=verification(findings=[NAME_FINDING, SSN_FINDING], low=["w2.wages"]),
        identity=IdentityCheck(verified=False, confidence=0.9, expired=True),
    )

    assert codes(result) == [
        "DOCUMENT_INTEGRITY",
        "DOCUMENT_NOT_PROCESSED",
        "NAME_MISMATCH",
        "SSN_MISMATCH",
        "ID_EXPIRED",
        "LOW_CONFIDENCE_EXTRACTION",
    ]
    assert ended is not None
    assert codes(ended) == codes(result)[:MAX_PRINCIPAL_REASONS]


# -- decide: no values in descriptions --------------------------------------------------------


def field(value: str, confidence: float = 0.99) -> ExtractedField:
    return ExtractedField(value=value, confidence=confidence, source="text_layer")


def test_descriptions_never_contain_what_a_document_says() -> None:
    w2 = ExtractedPage(
        page_number=1,
        kind=PageKind.W2,
        kind_confidence=0.95,
        fields={
            "employee_name": field("Dana Reyes"),
            "employee_ssn_last4": field("6789"),
            "employee_address": field("42 Oak Ave, Springfield, IL 62704"),
            "employer_name": field("Acme Widgets Inc"),
            "wages": field("31415.00", confidence=0.42),
        },
    )
    claims = ApplicantClaims(
        full_name="Marcus Okafor",
        ssn_last4="2468",
        address_line1="7 Elm Street",
        employer_name="Northwind Logistics",
        employment=EmploymentStatus.EMPLOYED,
        stated_annual_income=90000.0,
        product=LoanProduct.CAR,
    )
    checked = verify([w2], claims)
    identity = check_identity_document(
        [card()], full_name="Marcus Okafor", date_of_birth=date(1990, 1, 1), on=date(2025, 3, 14)
    )

    result, ended = run(
        problems=[FileProblem("unreadable", "Dana Reyes 6789 bank statement.pdf")],
        checked=checked,
        identity=identity,
    )

    assert result.status == "refer"
    assert {"NAME_MISMATCH", "SSN_MISMATCH", "ID_NOT_MATCHED", "LOW_CONFIDENCE_EXTRACTION"} <= set(
        codes(result)
    )
    assert ended is not None
    text = " ".join(r.description for r in (*result.reasons, *ended.reasons))
    for value in ("Dana", "Reyes", "Okafor", "6789", "2468", "Oak", "Elm", "Acme", "31415"):
        assert value.casefold() not in text.casefold(), value


# -- check_identity_document ------------------------------------------------------------------


def card(
    name: str = "DANA R REYES",
    born: str | None = "1985-03-12",
    expires: str | None = "2029-03-12",
    *,
    kind_confidence: float = 0.975,
    name_confidence: float = 0.9325,
) -> ExtractedPage:
    fields = {"full_name": field(name, name_confidence)}
    if born is not None:
        fields["date_of_birth"] = field(born, 0.98)
    if expires is not None:
        fields["expiration_date"] = field(expires, 0.96)
    return ExtractedPage(
        page_number=1, kind=PageKind.GOVERNMENT_ID, kind_confidence=kind_confidence, fields=fields
    )


def check(
    pages: Sequence[ExtractedPage],
    full_name: str = "Dana Reyes",
    born: date = date(1985, 3, 12),
    on: date = date(2025, 3, 14),
) -> IdentityCheck:
    return check_identity_document(pages, full_name=full_name, date_of_birth=born, on=on)


def test_a_card_naming_the_applicant_with_their_birth_date_verifies() -> None:
    assert check([card()]) == IdentityCheck(verified=True, confidence=0.9325, expired=False)


def test_the_confidence_is_the_weakest_of_kind_name_and_birth_date() -> None:
    assert check([card(kind_confidence=0.7)]).confidence == 0.7
    assert check([card(kind_confidence=0.99, name_confidence=0.99)]).confidence == 0.98


def test_name_matching_ignores_case_and_accents() -> None:
    result = check([card(name="JOSE MARIA NUNEZ")], full_name="José Núñez")

    assert result.verified is True


def test_a_card_naming_someone_else_does_not_verify() -> None:
    result = check([card(name="MARCUS OKAFOR")])

    assert result.verified is False
    assert result.expired is False
    assert result.confidence == 0.9325


def test_a_one_letter_reading_slip_in_a_long_name_still_verifies() -> None:
    assert check([card(name="DANA R REYEZ")]).verified is True
    assert check([card(name="DANA R REYEZZ")]).verified is False  # two letters: someone else


def test_a_partial_name_on_the_card_does_not_verify() -> None:
    assert check([card(name="DANA")]).verified is False


def test_another_date_of_birth_does_not_verify() -> None:
    result = check([card(born="1985-12-03")])

    assert result.verified is False
    assert result.expired is False


def test_an_expired_card_does_not_verify() -> None:
    result = check([card(expires="2024-12-31")])

    assert result == IdentityCheck(verified=False, confidence=0.9325, expired=True)


def test_a_card_is_valid_through_its_expiry_date() -> None:
    result = check([card(expires="2025-03-14")], on=date(2025, 3, 14))

    assert (result.verified, result.expired) == (True, False)


def test_a_card_without_an_expiry_date_is_not_expired() -> None:
    assert check([card(expires=None)]).verified is True


def test_a_card_without_a_birth_date_does_not_verify() -> None:
    result = check([card(born=None, kind_confidence=0.81)])

    assert result == IdentityCheck(verified=False, confidence=0.81)


def test_no_card_leaves_identity_unknown() -> None:
    w2 = ExtractedPage(
        page_number=1,
        kind=PageKind.W2,
        kind_confidence=0.95,
        fields={"employee_name": field("Dana Reyes")},
    )

    assert check([w2]) == IdentityCheck(verified=None, confidence=None)
    assert check([]) == IdentityCheck(verified=None, confidence=None)


def test_the_first_card_is_the_one_checked() -> None:
    other = card(name="MARCUS OKAFOR")

    assert check([card(), other]).verified is True
    assert check([other, card()]).verified is False


def test_a_name_without_latin_letters_does_not_match_any_card() -> None:
    assert check([card(name="MARCUS OKAFOR")], full_name="王 伟").verified is False
