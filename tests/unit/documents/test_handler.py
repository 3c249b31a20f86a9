"""The documents handler over a real local document store and generated documents, with the
extractor reading in process: what each kind of application ends with, and why."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from services.common.contracts import DocumentsVerified, EarlyOutcome, Reason, StageName
from services.common.contracts.documents import DocumentKind
from services.common.docstore import LocalDocumentStore
from services.common.runtime import Emit
from services.documents.fields import ExtractedField, ExtractedPage, PageKind
from services.documents.handler import DocumentsHandler, Policy
from services.documents.pool import ExtractionPool
from services.documents.ports import Extraction, StoredFile
from tests.unit.contracts import samples
from tests.unit.documents.stage_support import applicant, envelope, received, upload

NOW = datetime(2025, 3, 14, 10, 0, tzinfo=UTC)
EVERYTHING = (PageKind.W2, PageKind.GOVERNMENT_ID, PageKind.BANK_STATEMENT, PageKind.UTILITY_BILL)


@pytest.fixture
def store(tmp_path: Path) -> LocalDocumentStore:
    return LocalDocumentStore(tmp_path / "store")


def handler(store: LocalDocumentStore, extractor: Any = None, **policy: Any) -> DocumentsHandler:
    return DocumentsHandler(
        reader=store,
        extractor=extractor or ExtractionPool(0, max_pages=40, file_timeout_s=60),
        cipher=samples.field_cipher(),
        stage_version="test",
        policy=Policy(**policy),
        clock=lambda: NOW,
    )


def verified(emits: Sequence[Emit]) -> list[DocumentsVerified]:
    values = []
    for emit in emits:
        assert isinstance(emit.value, DocumentsVerified)
        values.append(emit.value)
    return values


def test_matching_documents_pass_with_income_and_identity_verified(
    store: LocalDocumentStore, tmp_path: Path
) -> None:
    person = applicant(1)
    documents = upload(store, person, tmp_path, EVERYTHING)
    [case] = verified(handler(store)([envelope(received(person, documents))]))
    result = case.documents
    assert result.status == "pass", result.reasons
    assert case.early_outcome is None
    assert result.documents_reviewed == 4
    assert result.missing_documents == ()
    assert result.income_source is DocumentKind.W2
    # The W-2 shows last year's wages, generated around the stated income.
    assert result.verified_annual_income is not None
    stated = Decimal(str(person.submitted.financials.annual_income))
    assert abs(Decimal(str(result.verified_annual_income)) - stated) < stated * Decimal("0.15")
    assert result.identity_verified is True
    assert result.identity_confidence is not None and result.identity_confidence > 0.8
    assert result.model_version is not None and result.model_version.startswith("local+")
    bank = result.bank_statements
    assert bank is not None and bank.months >= 1 and bank.regular_monthly_income > 0


def test_income_the_documents_do_not_support_is_reported_for_later_stages(
    store: LocalDocumentStore, tmp_path: Path
) -> None:
    person = applicant(2)
    documents = upload(store, person, tmp_path, EVERYTHING, income_mismatch=0.6)
    [case] = verified(handler(store)([envelope(received(person, documents))]))
    result = case.documents
    codes = [reason.code for reason in result.reasons]
    assert "INCOME_NOT_SUPPORTED" in codes
    assert result.verified_annual_income is not None
    stated = person.submitted.financials.annual_income
    assert float(result.verified_annual_income) < 0.7 * float(stated)
    # Fraud and scoring weigh the verified income; the documents stage does not decline.
    assert result.status == "pass"


def test_missing_w2_for_a_product_that_needs_income_evidence_awaits_documents(
    store: LocalDocumentStore, tmp_path: Path
) -> None:
    person = applicant(3, product="Car")
    documents = upload(store, person, tmp_path, (PageKind.GOVERNMENT_ID,))
    [case] = verified(handler(store)([envelope(received(person, documents))]))
    result = case.documents
    assert result.status == "awaiting_documents"
    assert result.missing_documents == (DocumentKind.W2,)
    assert case.early_outcome is not None
    assert case.early_outcome.outcome == "awaiting_documents"
    assert case.early_outcome.stage is StageName.DOCUMENTS
    assert case.early_outcome.reasons[0].code == "DOCUMENTS_MISSING"
    assert "W-2" in case.early_outcome.reasons[0].description


def test_a_product_needing_only_identity_passes_without_income_documents(
    store: LocalDocumentStore, tmp_path: Path
) -> None:
    person = applicant(4, product="Gold")
    documents = upload(store, person, tmp_path, (PageKind.GOVERNMENT_ID,))
    [case] = verified(handler(store)([envelope(received(person, documents))]))
    assert case.documents.status == "pass"
    assert case.documents.missing_documents == ()


@pytest.mark.parametrize(
    ("when_nothing_uploaded", "status"),
    [("await_documents", "awaiting_documents"), ("continue", "pass")],
)
def test_an_application_without_uploads_follows_the_setting(
    store: LocalDocumentStore, when_nothing_uploaded: str, status: str
) -> None:
    person = applicant(5)
    stage = handler(store, when_nothing_uploaded=when_nothing_uploaded)
    [case] = verified(stage([envelope(received(person))]))
    assert case.documents.status == status
    assert case.documents.documents_reviewed == 0
    assert DocumentKind.W2 in case.documents.missing_documents
    assert (case.early_outcome is None) == (status == "pass")


def test_a_file_changed_after_upload_is_referred(store: LocalDocumentStore, tmp_path: Path) -> None:
    person = applicant(6)
    documents = upload(store, person, tmp_path, EVERYTHING)
    # Someone swaps the bytes behind the key the event points at.
    target = store.root / documents[0].storage_uri.removeprefix("local://")
    target.write_bytes(target.read_bytes().replace(b"%%EOF", b"%%EOF\n% altered"))
    [case] = verified(handler(store)([envelope(received(person, documents))]))
    assert case.documents.status == "refer"
    assert case.early_outcome is not None
    assert case.early_outcome.reasons[0].code == "DOCUMENT_INTEGRITY"


def test_an_unreadable_file_is_named_and_its_evidence_requested_again(
    store: LocalDocumentStore, tmp_path: Path
) -> None:
    person = applicant(7)
    good = upload(store, person, tmp_path, (PageKind.GOVERNMENT_ID,))
    broken = b"%PDF-1.4\nthis is not really a pdf\n%%EOF\n"
    stored = store.put("bank-a", str(person.submitted.application_id), broken)
    documents = (*good, stored.reference(document_id="doc-9", kind=DocumentKind.W2))
    [case] = verified(handler(store)([envelope(received(person, documents))]))
    codes = [reason.code for reason in case.documents.reasons]
    assert case.documents.status == "awaiting_documents"
    assert codes[:2] == ["DOCUMENTS_MISSING", "DOCUMENT_UNREADABLE"]


def test_applications_ended_earlier_are_skipped_without_reading_files(
    store: LocalDocumentStore,
) -> None:
    person = applicant(8)
    ended = received(person).model_copy(
        update={
            "early_outcome": EarlyOutcome(
                outcome="reject",
                stage=StageName.FRAUD,
                reasons=(Reason(code="WATCHLIST_HIT", description="Sanctions list match."),),
                decided_at=NOW,
            )
        }
    )

    class NoExtraction:
        version = "none"

        def extract(self, files: Sequence[StoredFile]) -> list[Extraction]:
            raise AssertionError("an ended application's files were read")

    [case] = verified(handler(store, NoExtraction())([envelope(ended)]))
    assert case.documents.status == "skipped"


class _LowConfidence:
    """Reads every file as a W-2 whose wages were barely legible."""

    version = "fake"

    def extract(self, files: Sequence[StoredFile]) -> list[Extraction]:
        wages = ExtractedField(value="70000.00", confidence=0.41, source="ocr")
        page = ExtractedPage(
            page_number=1, kind=PageKind.W2, kind_confidence=0.95, fields={"wages": wages}
        )
        return [Extraction(pages=(page,)) for _ in files]


def test_a_field_the_decision_rests_on_read_with_low_confidence_is_referred(
    store: LocalDocumentStore, tmp_path: Path
) -> None:
    person = applicant(9, product="Gold")
    documents = upload(store, person, tmp_path, (PageKind.W2,))
    [case] = verified(handler(store, _LowConfidence())([envelope(received(person, documents))]))
    assert case.documents.status == "refer"
    assert case.early_outcome is not None
    [reason] = case.early_outcome.reasons
    assert reason.code == "LOW_CONFIDENCE_EXTRACTION"
    assert "w2.wages" in reason.description


def test_a_batch_keeps_its_order_and_reads_all_files_in_one_extraction(
    store: LocalDocumentStore, tmp_path: Path
) -> None:
    calls: list[int] = []
    inner = ExtractionPool(0, max_pages=40, file_timeout_s=60)

    class Counting:
        version = inner.version

        def extract(self, files: Sequence[StoredFile]) -> list[Extraction]:
            calls.append(len(files))
            return inner.extract(files)

    people = [applicant(20 + n, product="Gold") for n in range(3)]
    cases = [
        received(person, upload(store, person, tmp_path, (PageKind.GOVERNMENT_ID,)))
        for person in people
    ]
    cases.insert(1, received(applicant(30)))  # no uploads: awaits documents
    emits = handler(store, Counting())([envelope(c, n) for n, c in enumerate(cases)])
    assert [e.key for e in emits] == [str(c.application_id) for c in cases]
    assert calls == [3]
    statuses = [case.documents.status for case in verified(emits)]
    assert statuses == ["pass", "awaiting_documents", "pass", "pass"]


def test_nothing_personal_reaches_the_result(store: LocalDocumentStore, tmp_path: Path) -> None:
    person = applicant(10)
    documents = upload(store, person, tmp_path, EVERYTHING, income_mismatch=0.6)
    [case] = verified(handler(store)([envelope(received(person, documents))]))
    text = case.documents.model_dump_json()
    for value in (
        person.facts.full_name,
        person.facts.address_line1,
        person.facts.employer_name,
        person.facts.ssn_last4,
    ):
        assert value not in text


def test_a_self_employed_applicants_profit_and_loss_statement_is_their_income(
    store: LocalDocumentStore, tmp_path: Path
) -> None:
    person = applicant(11, product="Car", employment="Self-Employed")
    documents = upload(store, person, tmp_path, (PageKind.PROFIT_AND_LOSS, PageKind.GOVERNMENT_ID))
    [case] = verified(handler(store)([envelope(received(person, documents))]))
    result = case.documents
    assert result.status == "pass", result.reasons
    assert result.income_source is DocumentKind.PROFIT_AND_LOSS
    assert result.business_profit == result.verified_annual_income
    assert result.business_revenue is not None and result.business_profit is not None
    assert result.business_revenue > result.business_profit
