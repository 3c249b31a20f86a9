"""Textract calls through ``Once`` on a real Redis: a stage that crashes between starting a
lending job and reading it neither starts a second job nor loses the first, a replay pays for
nothing, and what Redis keeps of a document is sealed."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import pytest
import redis

from services.common.contracts.documents import DocumentKind, DocumentReference
from services.common.fieldcrypto import FieldCipher
from services.common.idempotency import Once
from services.documents.ports import Extraction, StoredFile
from services.documents.textract import LendingJobPendingError, TextractAdapter
from services.documents.textract.extractor import TextractExtractor
from tests.unit.documents.textract.fixtures import FakeClock, stubbed_textract
from tests.unit.documents.textract.test_lending import JOB, status, w2_result

pytestmark = pytest.mark.integration

CIPHER = FieldCipher({"p1": b"p" * 32}, "p1")
APPLICATION_ID = "00000000-0000-0000-0000-000000000042"


class NoLocalReading:
    version = "none"

    def extract(self, files: Sequence[StoredFile]) -> list[Extraction]:
        raise AssertionError("a file Textract can take went to the local extractor")


def two_page_pdf() -> bytes:
    # The smallest well-formed PDF with two empty pages; Textract is stubbed, only the page
    # count matters to the routing.
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
    ]
    body = b"%PDF-1.4\n"
    offsets = []
    for number, content in enumerate(objects, start=1):
        offsets.append(len(body))
        body += b"%d 0 obj\n" % number + content + b"\nendobj\n"
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    body += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    body += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return body


def stored_packet() -> StoredFile:
    data = two_page_pdf()
    digest = hashlib.sha256(data).hexdigest()
    key = f"applications/{APPLICATION_ID}/{digest}.pdf"
    reference = DocumentReference(
        document_id="doc-1",
        kind=DocumentKind.PACKET,
        storage_uri=f"s3://prescreen-documents/{key}",
        sha256=digest,
        content_type="application/pdf",
        size_bytes=len(data),
    )
    return StoredFile(APPLICATION_ID, reference, data)


def test_a_lending_job_survives_a_crash_between_start_and_result(
    redis_client: redis.Redis, unique_name: str
) -> None:
    stored = stored_packet()
    clock = FakeClock()
    with stubbed_textract() as (client, stubber):
        start_params: dict[str, Any] = {
            "DocumentLocation": {
                "S3Object": {
                    "Bucket": "prescreen-documents",
                    "Name": stored.reference.storage_uri.split("/", 3)[3],
                }
            },
            "ClientRequestToken": hashlib.sha256(
                f"{APPLICATION_ID}:{stored.reference.sha256}".encode()
            ).hexdigest(),
        }
        stubber.add_response("start_lending_analysis", {"JobId": JOB}, start_params)
        # The first attempt polls until its budget runs out: the job is still running.
        stubber.add_response("get_lending_analysis", status("IN_PROGRESS"), {"JobId": JOB})
        stubber.add_response("get_lending_analysis", status("IN_PROGRESS"), {"JobId": JOB})
        # The replay finds it done.
        stubber.add_response(
            "get_lending_analysis", status("SUCCEEDED", Results=[w2_result()]), {"JobId": JOB}
        )
        adapter = TextractAdapter(
            client, poll_interval_s=1, lending_timeout_s=1, sleep=clock.sleep, clock=clock
        )

        def extractor() -> TextractExtractor:
            # A new Once per "process": only Redis carries what happened before.
            once = Once(redis_client, prefix=unique_name, lease_s=30)
            return TextractExtractor(adapter, once, CIPHER, NoLocalReading())

        with pytest.raises(LendingJobPendingError):
            extractor().extract([stored])
        [first] = extractor().extract([stored])
        # Any further Textract call would find no stubbed answer and fail.
        [again] = extractor().extract([stored])

    assert first == again
    assert first.failure is None
    [page] = first.pages
    assert page.fields["wages"].value == "48250.00"
    kept = [redis_client.get(key) or b"" for key in redis_client.scan_iter(f"{unique_name}:*")]
    assert len(kept) == 2  # the job id, and the sealed result
    assert not any(b"Acme" in value or b"48250" in value for value in kept)
