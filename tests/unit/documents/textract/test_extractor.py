"""The Textract extractor: which call each file gets, replays through ``Once``, sealing, errors.

A real ``TextractAdapter`` over a botocore-stubbed client: a call the test did not queue a
response for fails, so "no second call" is checked by the stubber itself.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar, cast

import pytest
from botocore.stub import Stubber
from PIL import Image

from services.common.contracts.documents import DocumentKind, DocumentReference
from services.common.errors import PermanentError, TransientError
from services.common.fieldcrypto import FieldCipher, SealedValueError
from services.documents.fields import ExtractedPage, PageKind
from services.documents.ports import Extraction, StoredFile
from services.documents.textract import TextractAdapter
from services.documents.textract.extractor import SEALED_FIELD, TextractExtractor
from tests.unit.documents.textract.fixtures import (
    FakeClock,
    analyze_document_response,
    stubbed_textract,
)
from tests.unit.documents.textract.test_analyze_document import w2_page
from tests.unit.documents.textract.test_analyze_id import licence
from tests.unit.documents.textract.test_lending import payslip_result, w2_result

T = TypeVar("T")

APPLICATION_ID = "3d6f1c9e-8b2a-4f57-a0c4-5e9b7d21f3a8"
OTHER_APPLICATION_ID = "9a0e4b1c-2d3f-4e5a-8b6c-7d8e9f0a1b2c"
JOB = "5e2a9c7b1d3f4a6e8b0c2d4f6a8e0c1b"
BUCKET = "prescreen-documents"
FEATURES = ["FORMS", "TABLES"]
CARD_JPEG = b"\xff\xd8\xff\xe0" + b"\x17" * 96
STUB_PNG = b"\x89PNG\r\n\x1a\n" + b"\x2a" * 96


class FakeOnce:
    """``Once`` in a dict: the first call for a key runs, every later one gets its answer."""

    def __init__(self) -> None:
        self.stored: dict[str, Any] = {}
        self.runs: list[str] = []

    def __call__(self, key: str, fn: Callable[[], T], *, wait_s: float | None = None) -> T:
        if key not in self.stored:
            self.runs.append(key)
            self.stored[key] = fn()
        return cast(T, self.stored[key])


class FakeLocal:
    """The local extractor, recording which files it was handed."""

    version = "local+fake"

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def extract(self, files: Sequence[StoredFile]) -> list[Extraction]:
        self.calls.append([stored.reference.document_id for stored in files])
        return [
            Extraction(
                pages=(ExtractedPage(page_number=1, kind=PageKind.OTHER, kind_confidence=0.31),)
            )
            for _ in files
        ]


def pdf(pages: int, shade: int = 255) -> bytes:
    sheets = [Image.new("L", (85, 110), color=(shade - n) % 256) for n in range(pages)]
    buffer = io.BytesIO()
    sheets[0].save(buffer, "PDF", save_all=True, append_images=sheets[1:])
    return buffer.getvalue()


def stored(
    data: bytes,
    content_type: str,
    kind: DocumentKind,
    *,
    number: int = 1,
    scheme: str = "s3",
    application_id: str = APPLICATION_ID,
) -> StoredFile:
    digest = hashlib.sha256(data).hexdigest()
    location = f"{BUCKET}/bank-a/{application_id}/{digest}"
    reference = DocumentReference.model_validate(
        {
            "document_id": f"doc-{number}",
            "kind": kind,
            "storage_uri": f"{scheme}://{location}",
            "sha256": digest,
            "content_type": content_type,
            "size_bytes": len(data),
        }
    )
    return StoredFile(application_id=application_id, reference=reference, data=data)


def lending_request(file: StoredFile) -> dict[str, Any]:
    key = file.reference.storage_uri.removeprefix(f"s3://{BUCKET}/")
    return {
        "DocumentLocation": {"S3Object": {"Bucket": BUCKET, "Name": key}},
        # One job per file of one application: the same bytes for another application (under
        # another S3 key) must not reuse the token.
        "ClientRequestToken": hashlib.sha256(
            f"{file.application_id}:{file.reference.sha256}".encode()
        ).hexdigest(),
    }


def lending_done() -> dict[str, Any]:
    return {
        "DocumentMetadata": {"Pages": 2},
        "JobStatus": "SUCCEEDED",
        "Results": [w2_result(), payslip_result()],
        "AnalyzeLendingModelVersion": "1.0",
    }


CIPHER = FieldCipher({"p1": b"p" * 32}, "p1")


class Rig:
    def __init__(self, client: Any, stubber: Stubber) -> None:
        self.stubber = stubber
        self.once = FakeOnce()
        self.local = FakeLocal()
        self.clock = FakeClock()
        adapter = TextractAdapter(
            client, poll_interval_s=5, lending_timeout_s=5, sleep=self.clock.sleep, clock=self.clock
        )
        self.extractor = TextractExtractor(adapter, self.once, CIPHER, self.local)


@pytest.fixture
def rig() -> Iterator[Rig]:
    with stubbed_textract() as (client, stubber):
        yield Rig(client, stubber)


def values(page: ExtractedPage) -> dict[str, str]:
    return {name: field.value for name, field in page.fields.items()}


# -- routing ----------------------------------------------------------------------------------


def test_version_names_textract(rig: Rig) -> None:
    assert rig.extractor.version == "textract"


def test_an_identity_document_image_goes_to_analyze_id(rig: Rig) -> None:
    card = stored(CARD_JPEG, "image/jpeg", DocumentKind.IDENTITY_DOCUMENT)
    rig.stubber.add_response("analyze_id", licence(), {"DocumentPages": [{"Bytes": CARD_JPEG}]})

    (result,) = rig.extractor.extract([card])

    assert result.failure is None
    (page,) = result.pages
    assert page.kind is PageKind.GOVERNMENT_ID
    assert values(page)["full_name"] == "DANA R REYES"
    assert rig.once.runs == [f"textract:analyze-id:{APPLICATION_ID}:{card.reference.sha256}"]
    assert rig.local.calls == []


def test_another_image_goes_to_analyze_document(rig: Rig) -> None:
    stub = stored(STUB_PNG, "image/png", DocumentKind.W2)
    rig.stubber.add_response(
        "analyze_document",
        analyze_document_response(w2_page()),
        {"Document": {"Bytes": STUB_PNG}, "FeatureTypes": FEATURES},
    )

    (result,) = rig.extractor.extract([stub])

    (page,) = result.pages
    assert page.kind is PageKind.W2
    assert values(page)["wages"] == "48250.00"
    assert rig.once.runs == [f"textract:analyze-document:{APPLICATION_ID}:{stub.reference.sha256}"]


def test_an_identity_document_sent_as_pdf_goes_to_analyze_document(rig: Rig) -> None:
    data = pdf(1)
    card = stored(data, "application/pdf", DocumentKind.IDENTITY_DOCUMENT)
    rig.stubber.add_response(
        "analyze_document",
        analyze_document_response(w2_page()),
        {"Document": {"Bytes": data}, "FeatureTypes": FEATURES},
    )

    (result,) = rig.extractor.extract([card])

    assert [p.kind for p in result.pages] == [PageKind.W2]


def test_a_one_page_pdf_goes_to_analyze_document(rig: Rig) -> None:
    data = pdf(1)
    w2 = stored(data, "application/pdf", DocumentKind.W2)
    rig.stubber.add_response(
        "analyze_document",
        analyze_document_response(w2_page()),
        {"Document": {"Bytes": data}, "FeatureTypes": FEATURES},
    )

    (result,) = rig.extractor.extract([w2])

    assert [p.kind for p in result.pages] == [PageKind.W2]
    assert rig.local.calls == []


def test_a_longer_pdf_in_s3_goes_to_analyze_lending(rig: Rig) -> None:
    packet = stored(pdf(2), "application/pdf", DocumentKind.PACKET)
    rig.stubber.add_response("start_lending_analysis", {"JobId": JOB}, lending_request(packet))
    rig.stubber.add_response("get_lending_analysis", lending_done(), {"JobId": JOB})

    (result,) = rig.extractor.extract([packet])

    assert [(p.page_number, p.kind) for p in result.pages] == [
        (1, PageKind.W2),
        (2, PageKind.PAY_STUB),
    ]
    assert values(result.pages[1])["gross_pay"] == "2010.42"
    sha = packet.reference.sha256
    # Starting and reading are two calls, so a replay neither restarts nor loses the job.
    assert rig.once.runs == [
        f"textract:lending-start:{APPLICATION_ID}:{sha}",
        f"textract:lending:{JOB}:{APPLICATION_ID}:{sha}",
    ]
    assert rig.local.calls == []


def test_a_longer_pdf_kept_elsewhere_goes_to_the_local_extractor(rig: Rig) -> None:
    packet = stored(pdf(3), "application/pdf", DocumentKind.PACKET, scheme="local")

    (result,) = rig.extractor.extract([packet])

    assert rig.local.calls == [["doc-1"]]
    assert [(p.kind, p.kind_confidence) for p in result.pages] == [(PageKind.OTHER, 0.31)]
    assert rig.once.runs == []  # nothing was sent to Textract


def test_results_keep_the_order_of_the_files(rig: Rig) -> None:
    single = pdf(1)
    files = [
        stored(pdf(2), "application/pdf", DocumentKind.PACKET, number=1, scheme="local"),
        stored(CARD_JPEG, "image/jpeg", DocumentKind.IDENTITY_DOCUMENT, number=2),
        stored(pdf(2, shade=128), "application/pdf", DocumentKind.PACKET, number=3, scheme="file"),
        stored(single, "application/pdf", DocumentKind.W2, number=4),
    ]
    rig.stubber.add_response("analyze_id", licence(), {"DocumentPages": [{"Bytes": CARD_JPEG}]})
    rig.stubber.add_response(
        "analyze_document",
        analyze_document_response(w2_page()),
        {"Document": {"Bytes": single}, "FeatureTypes": FEATURES},
    )

    results = rig.extractor.extract(files)

    assert [r.pages[0].kind for r in results] == [
        PageKind.OTHER,
        PageKind.GOVERNMENT_ID,
        PageKind.OTHER,
        PageKind.W2,
    ]
    assert rig.local.calls == [["doc-1", "doc-3"]]  # one batch for the local extractor


# -- replays and sealing ----------------------------------------------------------------------


def test_a_replayed_batch_makes_no_second_textract_call(rig: Rig) -> None:
    single = pdf(1)
    files = [
        stored(CARD_JPEG, "image/jpeg", DocumentKind.IDENTITY_DOCUMENT, number=1),
        stored(single, "application/pdf", DocumentKind.W2, number=2),
        stored(pdf(2), "application/pdf", DocumentKind.PACKET, number=3),
    ]
    rig.stubber.add_response("analyze_id", licence(), {"DocumentPages": [{"Bytes": CARD_JPEG}]})
    rig.stubber.add_response(
        "analyze_document",
        analyze_document_response(w2_page()),
        {"Document": {"Bytes": single}, "FeatureTypes": FEATURES},
    )
    rig.stubber.add_response("start_lending_analysis", {"JobId": JOB}, lending_request(files[2]))
    rig.stubber.add_response("get_lending_analysis", lending_done(), {"JobId": JOB})

    first = rig.extractor.extract(files)
    runs = list(rig.once.runs)
    again = rig.extractor.extract(files)  # the stubber has nothing left: a call would fail

    assert again == first
    assert all(result.pages for result in first)
    assert rig.once.runs == runs  # every answer came from the store
    assert len(runs) == 4


def test_stored_answers_are_sealed_for_the_application(rig: Rig) -> None:
    card = stored(CARD_JPEG, "image/jpeg", DocumentKind.IDENTITY_DOCUMENT)
    rig.stubber.add_response("analyze_id", licence(), {"DocumentPages": [{"Bytes": CARD_JPEG}]})

    rig.extractor.extract([card])

    (sealed,) = rig.once.stored.values()
    assert isinstance(sealed, str)
    assert sealed.startswith("v1.p1.")
    for secret in ("REYES", "Reyes", "DANA", "1985-03-12", "42 OAK AVE", "8901"):
        assert secret not in sealed
    opened = CIPHER.open_json(sealed, application_id=APPLICATION_ID, field=SEALED_FIELD)
    assert opened["operation"] == "analyze_id"
    assert opened["pages"][0]["fields"]["full_name"]["value"] == "DANA R REYES"
    with pytest.raises(SealedValueError):
        CIPHER.open_json(sealed, application_id=OTHER_APPLICATION_ID, field=SEALED_FIELD)


def test_a_stored_answer_is_read_back_through_the_cipher(rig: Rig) -> None:
    """What comes out of a replay is what the store holds, opened: not a cached object."""
    card = stored(CARD_JPEG, "image/jpeg", DocumentKind.IDENTITY_DOCUMENT)
    rig.stubber.add_response("analyze_id", licence(), {"DocumentPages": [{"Bytes": CARD_JPEG}]})
    rig.extractor.extract([card])
    (key,) = rig.once.stored
    opened = CIPHER.open_json(
        rig.once.stored[key], application_id=APPLICATION_ID, field=SEALED_FIELD
    )
    opened["pages"][0]["fields"]["full_name"]["value"] = "MARCUS OKAFOR"
    rig.once.stored[key] = CIPHER.seal_json(
        opened, application_id=APPLICATION_ID, field=SEALED_FIELD
    )

    (replayed,) = rig.extractor.extract([card])

    assert values(replayed.pages[0])["full_name"] == "MARCUS OKAFOR"


# -- errors -----------------------------------------------------------------------------------


def test_a_document_textract_refuses_fails_alone(rig: Rig) -> None:
    files = [
        stored(STUB_PNG, "image/png", DocumentKind.PAY_STUB, number=1),
        stored(CARD_JPEG, "image/jpeg", DocumentKind.IDENTITY_DOCUMENT, number=2),
    ]
    rig.stubber.add_client_error(
        "analyze_document",
        service_error_code="UnsupportedDocumentException",
        http_status_code=400,
        expected_params={"Document": {"Bytes": STUB_PNG}, "FeatureTypes": FEATURES},
    )
    rig.stubber.add_response("analyze_id", licence(), {"DocumentPages": [{"Bytes": CARD_JPEG}]})

    refused, card = rig.extractor.extract(files)

    assert refused.pages == ()
    assert refused.timed_out is False
    assert refused.failure is not None and "UnsupportedDocumentException" in refused.failure
    assert [p.kind for p in card.pages] == [PageKind.GOVERNMENT_ID]


def test_a_failed_lending_job_is_a_failure_of_that_file(rig: Rig) -> None:
    packet = stored(pdf(2), "application/pdf", DocumentKind.PACKET)
    rig.stubber.add_response("start_lending_analysis", {"JobId": JOB}, lending_request(packet))
    rig.stubber.add_response(
        "get_lending_analysis",
        {"JobStatus": "FAILED", "StatusMessage": "The document could not be read"},
        {"JobId": JOB},
    )

    (result,) = rig.extractor.extract([packet])

    assert result.pages == ()
    assert result.failure is not None and "could not be read" in result.failure


def test_a_pdf_that_does_not_parse_fails_without_a_call(rig: Rig) -> None:
    broken = stored(b"%PDF-1.7\n% cut short", "application/pdf", DocumentKind.W2)

    (result,) = rig.extractor.extract([broken])

    assert result == Extraction(failure="PDF cannot be parsed")
    assert rig.once.runs == []


def test_an_s3_uri_without_an_object_key_fails_without_a_call(rig: Rig) -> None:
    data = pdf(2)
    digest = hashlib.sha256(data).hexdigest()
    reference = DocumentReference.model_validate(
        {
            "document_id": "doc-1",
            "kind": DocumentKind.PACKET,
            "storage_uri": f"s3://{BUCKET}",
            "sha256": digest,
            "content_type": "application/pdf",
            "size_bytes": len(data),
        }
    )

    (result,) = rig.extractor.extract([StoredFile(APPLICATION_ID, reference, data)])

    assert result == Extraction(failure="storage URI names no S3 object")


def test_throttling_propagates_as_transient(rig: Rig) -> None:
    stub = stored(STUB_PNG, "image/png", DocumentKind.PAY_STUB)
    rig.stubber.add_client_error(
        "analyze_document", service_error_code="ThrottlingException", http_status_code=400
    )

    with pytest.raises(TransientError, match="ThrottlingException") as caught:
        rig.extractor.extract([stub])

    assert not isinstance(caught.value, PermanentError)
    assert rig.once.stored == {}  # nothing kept, so the retry calls Textract again


def test_a_lending_job_still_running_is_resumed_not_restarted(rig: Rig) -> None:
    packet = stored(pdf(2), "application/pdf", DocumentKind.PACKET)
    running = {"JobStatus": "IN_PROGRESS", "DocumentMetadata": {"Pages": 2}}
    rig.stubber.add_response("start_lending_analysis", {"JobId": JOB}, lending_request(packet))
    rig.stubber.add_response("get_lending_analysis", running, {"JobId": JOB})
    rig.stubber.add_response("get_lending_analysis", running, {"JobId": JOB})

    with pytest.raises(TransientError):
        rig.extractor.extract([packet])

    # The retry polls the job it started; no second start is queued, so one would fail.
    rig.stubber.add_response("get_lending_analysis", lending_done(), {"JobId": JOB})
    (result,) = rig.extractor.extract([packet])

    assert [p.kind for p in result.pages] == [PageKind.W2, PageKind.PAY_STUB]
