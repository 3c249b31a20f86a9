"""The extraction pool: the same pages in process and on workers, in input order, with broken
and slow files contained to themselves."""

from __future__ import annotations

import hashlib
import random
import shutil
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest

from services.common.contracts.documents import DocumentKind, DocumentReference
from services.documents.extract import extract_pdf
from services.documents.fields import ExtractedPage, PageKind
from services.documents.pool import ExtractionPool
from services.documents.ports import Extraction, StoredFile
from services.documents.synthetic import GeneratedDocument, generate_documents, invent_facts

APPLICATION_ID = "0b7e8f0e-3c3a-4d55-9a51-6f0c2f6f1d2e"
DECLARED = {
    PageKind.W2: DocumentKind.W2,
    PageKind.PAY_STUB: DocumentKind.PAY_STUB,
    PageKind.BANK_STATEMENT: DocumentKind.BANK_STATEMENT,
    PageKind.FORM_1040: DocumentKind.TAX_RETURN,
    PageKind.UTILITY_BILL: DocumentKind.UTILITY_BILL,
}
BROKEN = b"%PDF-1.7\n% truncated upload\n"


def stored(data: bytes, content_type: str, kind: DocumentKind, number: int) -> StoredFile:
    """A file as the handler hands it over: read from the store, hash recorded at upload."""
    digest = hashlib.sha256(data).hexdigest()
    reference = DocumentReference.model_validate(
        {
            "document_id": f"doc-{number}",
            "kind": kind,
            "storage_uri": f"local://bank-a/{APPLICATION_ID}/{digest}",
            "sha256": digest,
            "content_type": content_type,
            "size_bytes": len(data),
        }
    )
    return StoredFile(application_id=APPLICATION_ID, reference=reference, data=data)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[PageKind, GeneratedDocument]:
    facts = invent_facts(
        random.Random(23),
        annual_income=Decimal("71000.00"),
        age=35,
        years_employed=4,
        application_date=date(2025, 6, 2),
    )
    directory = tmp_path_factory.mktemp("pool")
    digital = generate_documents(
        facts,
        directory / "digital",
        seed=29,
        kinds=[PageKind.BANK_STATEMENT, PageKind.W2, PageKind.FORM_1040, PageKind.PAY_STUB],
        scans=False,
    )
    scanned = generate_documents(
        facts, directory / "scanned", seed=29, kinds=[PageKind.UTILITY_BILL], scans=True
    )
    return {document.kind: document for document in [*digital, *scanned]}


@pytest.fixture(scope="module")
def digital(generated: dict[PageKind, GeneratedDocument]) -> list[StoredFile]:
    """Four digital PDFs of different kinds, deliberately not in any sorted order."""
    kinds = [PageKind.BANK_STATEMENT, PageKind.W2, PageKind.FORM_1040, PageKind.PAY_STUB]
    return [
        stored(generated[kind].digital_pdf.read_bytes(), "application/pdf", DECLARED[kind], number)
        for number, kind in enumerate(kinds, start=1)
    ]


@pytest.fixture(scope="module")
def expected(
    generated: dict[PageKind, GeneratedDocument], digital: list[StoredFile]
) -> list[tuple[ExtractedPage, ...]]:
    by_kind = {DECLARED[kind]: document for kind, document in generated.items()}
    return [tuple(extract_pdf(by_kind[file.reference.kind].digital_pdf)) for file in digital]


@pytest.fixture(scope="module")
def workers() -> Iterator[ExtractionPool]:
    pool = ExtractionPool(2, max_pages=10, file_timeout_s=120)
    try:
        yield pool
    finally:
        pool.close()


@pytest.fixture
def in_process() -> Iterator[ExtractionPool]:
    pool = ExtractionPool(0, max_pages=10, file_timeout_s=120)
    try:
        yield pool
    finally:
        pool.close()


def test_in_process_reads_every_file_in_input_order(
    in_process: ExtractionPool,
    digital: list[StoredFile],
    expected: list[tuple[ExtractedPage, ...]],
) -> None:
    results = in_process.extract(digital)

    assert results == [Extraction(pages=pages) for pages in expected]
    assert [r.pages[0].kind for r in results] == [
        PageKind.BANK_STATEMENT,
        PageKind.W2,
        PageKind.FORM_1040,
        PageKind.PAY_STUB,
    ]
    assert len(results[0].pages) >= 2  # the statement has several pages, all kept


def test_workers_give_the_same_results_as_in_process(
    workers: ExtractionPool,
    in_process: ExtractionPool,
    digital: list[StoredFile],
    expected: list[tuple[ExtractedPage, ...]],
) -> None:
    results = workers.extract(digital)

    assert results == in_process.extract(digital)
    assert [r.pages for r in results] == expected
    assert workers.worker_pids  # the files were read by worker processes


def test_workers_follow_the_order_they_are_given(
    workers: ExtractionPool,
    digital: list[StoredFile],
    expected: list[tuple[ExtractedPage, ...]],
) -> None:
    results = workers.extract(list(reversed(digital)))

    assert [r.pages for r in results] == list(reversed(expected))


@pytest.mark.parametrize("pool_name", ["in_process", "workers"])
def test_a_broken_file_fails_alone(
    pool_name: str,
    request: pytest.FixtureRequest,
    digital: list[StoredFile],
    expected: list[tuple[ExtractedPage, ...]],
) -> None:
    pool: ExtractionPool = request.getfixturevalue(pool_name)
    jobs = [
        digital[1],
        stored(BROKEN, "application/pdf", DocumentKind.W2, 9),
        stored(b"\x00not an image", "image/jpeg", DocumentKind.IDENTITY_DOCUMENT, 10),
        digital[3],
    ]

    first, broken_pdf, broken_image, last = pool.extract(jobs)

    assert first == Extraction(pages=expected[1])
    assert last == Extraction(pages=expected[3])
    for broken in (broken_pdf, broken_image):
        assert broken.pages == ()
        assert broken.failure
        assert broken.timed_out is False
    assert broken_pdf.failure is not None and "PDF cannot be parsed" in broken_pdf.failure
    assert broken_image.failure is not None and "image cannot be decoded" in broken_image.failure


def test_a_file_with_too_many_pages_fails_with_the_reason(digital: list[StoredFile]) -> None:
    pool = ExtractionPool(0, max_pages=1, file_timeout_s=120)

    (statement,) = pool.extract([digital[0]])

    assert statement.pages == ()
    assert statement.failure is not None and "at most 1" in statement.failure


def test_no_files_no_results(workers: ExtractionPool) -> None:
    assert workers.extract([]) == []


@pytest.mark.parametrize(
    ("workers_count", "timeout"), [(-1, 10.0), (1, 0.0), (1, -5.0)], ids=["workers", "0s", "-5s"]
)
def test_impossible_settings_are_refused(workers_count: int, timeout: float) -> None:
    with pytest.raises(ValueError):
        ExtractionPool(workers_count, max_pages=10, file_timeout_s=timeout)


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed")
def test_a_slow_file_times_out_and_the_pool_is_replaced(
    generated: dict[PageKind, GeneratedDocument],
    digital: list[StoredFile],
    expected: list[tuple[ExtractedPage, ...]],
) -> None:
    scan = generated[PageKind.UTILITY_BILL].scanned_pages[0].read_bytes()
    pool = ExtractionPool(1, max_pages=10, file_timeout_s=0.001)
    try:
        (slow,) = pool.extract([stored(scan, "image/jpeg", DocumentKind.UTILITY_BILL, 5)])

        assert slow.timed_out is True
        assert slow.pages == ()
        assert slow.failure == "extraction took longer than 0.001 s"
        assert pool.worker_pids == ()  # the stuck pool was torn down, not reused

        # The budget is fixed at construction; widen it to see the replacement pool work.
        pool._file_timeout_s = 120.0
        (again,) = pool.extract([digital[1]])

        assert again == Extraction(pages=expected[1])
        assert pool.worker_pids
    finally:
        pool.close()
