"""Analyze Lending through a stubbed client: start, bounded polling, paging, mapping, failure."""

from __future__ import annotations

from typing import Any

import pytest

from services.common.errors import PermanentError, TransientError
from services.documents.fields import PageKind
from services.documents.textract import (
    LendingJobFailedError,
    LendingJobPendingError,
    TextractAdapter,
)
from tests.unit.documents.textract.fixtures import (
    FakeClock,
    geometry,
    lending_field,
    lending_result,
    stubbed_textract,
)

JOB = "3f1c2b7a9d8e4f60a1b2c3d4e5f60718"
BUCKET, KEY = "prescreen-documents", "app-1/4b9f.pdf"


def w2_result() -> dict[str, Any]:
    fields = [
        lending_field("BOX_1_WAGES_TIPS_AND_OTHER_COMPENSATION", ["48,250.00"], key="1 Wages"),
        lending_field("BOX_2_FEDERAL_INCOME_TAX_WITHHELD", ["5120.33"], confidence=81.5),
        lending_field("BOX_A_EMPLOYEE_SSN", ["123-45-6789"]),
        lending_field("BOX_C_EMPLOYER_NAME", ["Acme Widgets Inc\n100 Main St"]),
        lending_field("BOX_12A_CODE", ["D"]),
        lending_field("BOX_3_SOCIAL_SECURITY_WAGES", ["VOID"]),
    ]
    signature = {"Confidence": 90.0, "Geometry": geometry(0.9)}
    return lending_result(
        1,
        "W2",
        99.2,
        [{"LendingDocument": {"LendingFields": fields, "SignatureDetections": [signature]}}],
    )


def payslip_result() -> dict[str, Any]:
    fields = [
        lending_field("PAY_PERIOD_START_DATE", ["03/01/2024"]),
        lending_field("PAY_PERIOD_END_DATE", ["03/15/2024"]),
        lending_field("PAY_DATE", ["Mar 20, 2024"]),
        lending_field("CURRENT_GROSS_PAY", ["$2,010.42"], key="Gross Pay"),
        lending_field("CURRENT_NET_PAY", ["$1,502.10"], key="Net Pay"),
    ]
    return lending_result(2, "PAYSLIPS", 97.0, [{"LendingDocument": {"LendingFields": fields}}])


def utility_result() -> dict[str, Any]:
    summary = [
        {
            "Type": {"Text": "AMOUNT_DUE", "Confidence": 99.0},
            "LabelDetection": {"Text": "Amount Due", "Confidence": 90.0},
            "ValueDetection": {"Text": "$84.17", "Confidence": 97.0},
            "PageNumber": 3,
        },
        {
            "Type": {"Text": "VENDOR_NAME", "Confidence": 95.0},
            "ValueDetection": {"Text": "City Power & Light", "Confidence": 93.0},
            "PageNumber": 3,
        },
    ]
    expense = {"ExpenseIndex": 1, "SummaryFields": summary, "LineItemGroups": []}
    return lending_result(3, "UTILITY_BILLS", 88.0, [{"ExpenseDocument": expense}])


def status(job_status: str, **extra: Any) -> dict[str, Any]:
    return {"DocumentMetadata": {"Pages": 3}, "JobStatus": job_status} | extra


def test_start_then_poll_then_page_through_results() -> None:
    clock = FakeClock()
    with stubbed_textract() as (client, stubber):
        stubber.add_response(
            "start_lending_analysis",
            {"JobId": JOB},
            {"DocumentLocation": {"S3Object": {"Bucket": BUCKET, "Name": KEY}}},
        )
        stubber.add_response("get_lending_analysis", status("IN_PROGRESS"), {"JobId": JOB})
        stubber.add_response(
            "get_lending_analysis",
            status(
                "SUCCEEDED",
                Results=[w2_result()],
                NextToken="page-2-token",
                AnalyzeLendingModelVersion="1.0",
            ),
            {"JobId": JOB},
        )
        stubber.add_response(
            "get_lending_analysis",
            status("SUCCEEDED", Results=[payslip_result(), utility_result()]),
            {"JobId": JOB, "NextToken": "page-2-token"},
        )
        adapter = TextractAdapter(client, poll_interval_s=5, sleep=clock.sleep, clock=clock)
        job_id = adapter.start_lending_analysis(BUCKET, KEY)
        result = adapter.get_lending_analysis(job_id)

    assert clock.sleeps == [5]
    assert result.job_id == JOB
    assert [(p.page_number, p.kind) for p in result.pages] == [
        (1, PageKind.W2),
        (2, PageKind.PAY_STUB),
        (3, PageKind.UTILITY_BILL),
    ]
    w2, stub, bill = result.pages
    assert w2.kind_confidence == pytest.approx(0.992)
    assert {name: field.value for name, field in w2.fields.items()} == {
        "wages": "48250.00",
        "federal_tax_withheld": "5120.33",
        "employee_ssn_last4": "6789",
        "employer_name": "Acme Widgets Inc",
    }
    assert w2.fields["federal_tax_withheld"].confidence == pytest.approx(0.815)
    assert {name: field.value for name, field in stub.fields.items()} == {
        "pay_period_start": "2024-03-01",
        "pay_period_end": "2024-03-15",
        "pay_date": "2024-03-20",
        "gross_pay": "2010.42",
        "net_pay": "1502.10",
    }
    assert bill.fields["amount_due"].value == "84.17"
    assert bill.fields["amount_due"].confidence == pytest.approx(0.90)
    assert bill.fields["provider"].value == "City Power & Light"


def test_other_page_types_become_other() -> None:
    with stubbed_textract() as (client, stubber):
        stubber.add_response(
            "get_lending_analysis",
            status("SUCCEEDED", Results=[lending_result(1, "OTHERS", 64.0, [])]),
            {"JobId": JOB},
        )
        result = TextractAdapter(client).get_lending_analysis(JOB)

    assert [(p.kind, p.kind_confidence) for p in result.pages] == [(PageKind.OTHER, 0.64)]


def test_partial_success_keeps_pages_and_reports_warning_counts() -> None:
    with stubbed_textract() as (client, stubber):
        stubber.add_response(
            "get_lending_analysis",
            status(
                "PARTIAL_SUCCESS",
                Results=[w2_result()],
                Warnings=[{"ErrorCode": "UNSUPPORTED_DOCUMENT", "Pages": [2, 3]}],
            ),
            {"JobId": JOB},
        )
        result = TextractAdapter(client).get_lending_analysis(JOB)

    assert len(result.pages) == 1
    assert result.warnings == ("UNSUPPORTED_DOCUMENT on 2 page(s)",)


def test_a_failed_job_is_permanent_with_its_status_message() -> None:
    with stubbed_textract() as (client, stubber):
        stubber.add_response(
            "get_lending_analysis",
            status("FAILED", StatusMessage="The document could not be read"),
            {"JobId": JOB},
        )
        with pytest.raises(LendingJobFailedError, match="could not be read") as caught:
            TextractAdapter(client).get_lending_analysis(JOB)
    assert isinstance(caught.value, PermanentError)


def test_a_job_still_running_at_the_deadline_is_transient() -> None:
    clock = FakeClock()
    with stubbed_textract() as (client, stubber):
        for _ in range(3):
            stubber.add_response("get_lending_analysis", status("IN_PROGRESS"), {"JobId": JOB})
        adapter = TextractAdapter(client, sleep=clock.sleep, clock=clock)
        with pytest.raises(LendingJobPendingError) as caught:
            adapter.get_lending_analysis(JOB, poll_interval_s=4, timeout_s=8)
    assert isinstance(caught.value, TransientError)
    assert clock.sleeps == [4, 4]


def test_throttled_start_is_transient() -> None:
    with stubbed_textract() as (client, stubber):
        stubber.add_client_error(
            "start_lending_analysis",
            service_error_code="ProvisionedThroughputExceededException",
            http_status_code=400,
        )
        with pytest.raises(TransientError):
            TextractAdapter(client).start_lending_analysis(BUCKET, KEY)


def test_unknown_job_is_permanent() -> None:
    with stubbed_textract() as (client, stubber):
        stubber.add_client_error(
            "get_lending_analysis", service_error_code="InvalidJobIdException", http_status_code=400
        )
        with pytest.raises(PermanentError):
            TextractAdapter(client).get_lending_analysis(JOB)
