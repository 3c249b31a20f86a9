"""Valid sample payloads for the contract tests; each test copies and breaks what it needs."""

from __future__ import annotations

import base64
import copy
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from services.common.contracts import (
    ApplicationReceived,
    BureauMismatch,
    ChallengerScore,
    Clearance,
    DocumentsResult,
    DocumentsUploaded,
    DocumentsVerified,
    FraudResult,
    FraudScreened,
    LoanDecision,
    Scored,
    ScoringResult,
    SubmittedApplication,
    WatchlistMatch,
)
from services.common.contracts.decision import DecisionOutcome
from services.common.contracts.notifications import DecisionStats, WebhookRetry
from services.common.contracts.primitives import LoanProduct
from services.common.fieldcrypto import FieldCipher
from services.ingest.examples import example_submission
from services.ingest.protection import Protector

RAW_SSN = "123456789"
TOKEN_KEY = b"k" * 32
TOKEN_KEY_ID = "k1"
PII_KEY_ID = "p1"
PII_KEY = b"p" * 32
PII_KEYS_B64 = {PII_KEY_ID: base64.b64encode(PII_KEY).decode()}
APPLICATION_ID = UUID("5f1b9f3e-6a55-4b8e-9a39-0c2f0c1d7e11")
SUBMITTED_AT = datetime(2025, 3, 14, 9, 26, 53, tzinfo=UTC)
RECEIVED_AT = SUBMITTED_AT + timedelta(seconds=2)

# The documented example submission, pinned to this module's id and times.
_SUBMISSION: dict[str, Any] = {
    **example_submission(),
    "application_id": str(APPLICATION_ID),
    "submitted_at": SUBMITTED_AT.isoformat(),
}
_SUBMISSION["identity"]["ssn"] = RAW_SSN


def submission_payload() -> dict[str, Any]:
    """A deep copy of a complete, valid submission as JSON-like data."""
    return copy.deepcopy(_SUBMISSION)


def submission() -> SubmittedApplication:
    return SubmittedApplication.model_validate(submission_payload())


def field_cipher() -> FieldCipher:
    return FieldCipher({PII_KEY_ID: PII_KEY}, PII_KEY_ID)


def protector() -> Protector:
    return Protector(cipher=field_cipher(), token_key=TOKEN_KEY, token_key_id=TOKEN_KEY_ID)


def received() -> ApplicationReceived:
    return ApplicationReceived(
        application_id=APPLICATION_ID,
        received_at=RECEIVED_AT,
        application=protector().protect(submission(), APPLICATION_ID),
    )


def documents_result() -> DocumentsResult:
    return DocumentsResult(
        status="pass",
        completed_at=RECEIVED_AT + timedelta(seconds=5),
        stage_version="1.0.0",
        documents_reviewed=1,
        verified_annual_income=70000.0,
        income_source="w2",
    )


def fraud_result() -> FraudResult:
    return FraudResult(
        status="pass",
        completed_at=RECEIVED_AT + timedelta(seconds=6),
        stage_version="1.0.0",
        fraud_score=0.02,
        watchlist_band="medium",
        watchlist_matches=(
            WatchlistMatch(
                uid="sdn:36",
                band="review",
                score=0.87,
                matched_alias=True,
                parts={"jaro_winkler": 0.91, "dob": -0.05},
                cleared=Clearance(
                    cleared_by="analyst-7", cleared_at=RECEIVED_AT - timedelta(days=40)
                ),
            ),
        ),
        watchlist_version="3f2a9c1b7d0e",
        fraud_rule_ids=("FR-OUT-PASS",),
    )


def scoring_result() -> ScoringResult:
    return ScoringResult(
        status="pass",
        completed_at=RECEIVED_AT + timedelta(seconds=7),
        stage_version="1.0.0",
        model_version="xgb-2025.03",
        probability_of_default=0.08,
        risk_grade="B",
        bureau_credit_score=701,
        bureau_mismatches=(
            BureauMismatch(
                field="existing_loans",
                stated_bucket="1",
                bureau_bucket="3-4",
                severity="high",
            ),
        ),
        challenger=ChallengerScore(
            model_version="lr-2025.03", probability_of_default=0.06, risk_grade="B"
        ),
    )


def documents_uploaded() -> DocumentsUploaded:
    reference = submission().documents[0]
    return DocumentsUploaded(
        application_id=APPLICATION_ID,
        upload_id="up-7f3a9c",
        uploaded_at=RECEIVED_AT + timedelta(hours=3),
        documents=(reference,),
    )


def documents_verified() -> DocumentsVerified:
    return received().advance(DocumentsVerified, documents=documents_result())


def fraud_screened() -> FraudScreened:
    return documents_verified().advance(FraudScreened, fraud=fraud_result())


def scored() -> Scored:
    return fraud_screened().advance(Scored, scoring=scoring_result())


def decision_payload() -> dict[str, Any]:
    return {
        "application_id": str(APPLICATION_ID),
        "customer_id": "f74efbce-7ce5-44fd-9722-5623dff4282a",
        "outcome": "approved",
        "decided_by": "offers",
        "reasons": [
            {
                "code": "DTI_WITHIN_POLICY",
                "text": "Your debt-to-income ratio is within our limit.",
            }
        ],
        "offers": [
            {
                "offer_id": "car-60",
                "product": "Car",
                "amount": 11155.71,
                "interest_rate": 13.63,
                "apr": 13.9,
                "term_months": 60,
                "monthly_payment": 257.44,
                "total_interest": 4290.69,
            }
        ],
        "requested": {"product": "Car", "amount": 11155.71, "term_years": 5},
        "narrative": "You are approved for a car loan of 11,155.71 USD over 60 months.",
        "received_at": RECEIVED_AT.isoformat(),
        "decided_at": (RECEIVED_AT + timedelta(seconds=9)).isoformat(),
        "policy_version": "2025.03",
    }


def decision() -> LoanDecision:
    return LoanDecision.model_validate(decision_payload())


def webhook_retry() -> WebhookRetry:
    first = RECEIVED_AT + timedelta(seconds=10)
    return WebhookRetry(
        subscription_id="upstream-decisions",
        event_id="9b2d6c1e-4f0a-4c55-8d3b-2f7e6a1c0d94",
        kind="decision",
        application_id=APPLICATION_ID,
        body='{"id":"9b2d6c1e-4f0a-4c55-8d3b-2f7e6a1c0d94","kind":"decision","data":{}}',
        attempts=2,
        first_attempt_at=first,
        next_attempt_at=first + timedelta(seconds=3),
        last_outcome="retries_exhausted",
        last_status=503,
        last_reason="HTTP 503",
    )


def decision_stats() -> DecisionStats:
    start = datetime(2026, 3, 2, 14, 5, tzinfo=UTC)
    return DecisionStats(
        window_start=start,
        window_end=start + timedelta(minutes=1),
        product=LoanProduct.CAR,
        outcome=DecisionOutcome.APPROVED,
        decisions=42,
        requested_amount=512_400.0,
        offered_amount=498_750.0,
        mean_probability_of_default=0.061,
    )
