"""AnalyzeID through a stubbed client: government-ID fields, with numbers cut to four digits."""

from __future__ import annotations

from typing import Any

import pytest

from services.common.errors import TransientError
from services.documents.fields import PageKind
from services.documents.textract import TextractAdapter
from tests.unit.documents.textract.fixtures import geometry, id_field, stubbed_textract

FRONT = b"\xff\xd8\xff\xe0" + b"\x00" * 64
BACK = b"\xff\xd8\xff\xe1" + b"\x00" * 64


def licence(**overrides: str) -> dict[str, Any]:
    texts = {
        "FIRST_NAME": "DANA",
        "MIDDLE_NAME": "R",
        "LAST_NAME": "REYES",
        "SUFFIX": "",
        "ADDRESS": "42 OAK AVE",
        "CITY_IN_ADDRESS": "SPRINGFIELD",
        "STATE_IN_ADDRESS": "IL",
        "ZIP_CODE_IN_ADDRESS": "62704",
        "STATE_NAME": "ILLINOIS",
        "DOCUMENT_NUMBER": "R123-4567-8901",
        "ID_TYPE": "DRIVER LICENSE FRONT",
        "ENDORSEMENTS": "NONE",
        "MRZ_CODE": "",
    } | overrides
    fields = [id_field(kind, text) for kind, text in texts.items()]
    fields[2] = id_field("LAST_NAME", texts["LAST_NAME"], confidence=93.25)
    fields.append(id_field("DATE_OF_BIRTH", "03/12/1985", 98.0, "1985-03-12T00:00:00"))
    fields.append(id_field("EXPIRATION_DATE", "03/12/2029", 96.0, "2029-03-12T00:00:00"))
    fields.append(id_field("DATE_OF_ISSUE", "03/12/2021", 96.0, "2021-03-12T00:00:00"))
    line = {
        "BlockType": "LINE",
        "Id": "id-line-1",
        "Text": "DRIVER LICENSE",
        "Confidence": 99.1,
        "Geometry": geometry(0.05),
        "Page": 1,
    }
    return {
        "IdentityDocuments": [
            {"DocumentIndex": 1, "IdentityDocumentFields": fields, "Blocks": [line]}
        ],
        "DocumentMetadata": {"Pages": 1},
        "AnalyzeIDModelVersion": "1.0",
    }


def test_licence_front_maps_to_government_id_fields() -> None:
    with stubbed_textract() as (client, stubber):
        stubber.add_response("analyze_id", licence(), {"DocumentPages": [{"Bytes": FRONT}]})
        result = TextractAdapter(client).analyze_id(FRONT)

    (page,) = result.pages
    assert (page.page_number, page.kind) == (1, PageKind.GOVERNMENT_ID)
    assert page.kind_confidence == pytest.approx(0.975)
    assert {name: field.value for name, field in page.fields.items()} == {
        "full_name": "DANA R REYES",
        "date_of_birth": "1985-03-12",
        "document_number_last4": "8901",
        "address": "42 OAK AVE, SPRINGFIELD, IL 62704",
        "issuing_state": "ILLINOIS",
        "expiration_date": "2029-03-12",
    }
    assert page.fields["full_name"].confidence == pytest.approx(0.9325)
    assert "R123-4567-8901" not in result.model_dump_json()


def test_state_of_address_stands_in_for_a_missing_state_name() -> None:
    with stubbed_textract() as (client, stubber):
        stubber.add_response(
            "analyze_id",
            licence(STATE_NAME="", DOCUMENT_NUMBER="123"),
            {"DocumentPages": [{"Bytes": FRONT}, {"Bytes": BACK}]},
        )
        result = TextractAdapter(client).analyze_id(FRONT, BACK)

    fields = result.pages[0].fields
    assert fields["issuing_state"].value == "IL"
    # Fewer than four digits cannot be a last-four; it is dropped, not padded.
    assert "document_number_last4" not in fields


def test_throttling_is_transient() -> None:
    with stubbed_textract() as (client, stubber):
        stubber.add_client_error(
            "analyze_id", service_error_code="ThrottlingException", http_status_code=400
        )
        with pytest.raises(TransientError, match="ThrottlingException"):
            TextractAdapter(client).analyze_id(FRONT)
