"""One complete, valid submission: for documentation, load generation and tests.

The financial values are those of the first row of the historical sample; the person is
fictitious (an example SSN, a documentation IP address, an example.com e-mail).
"""

from __future__ import annotations

import copy
from typing import Any, Final

_CONSENT: Final = {
    "granted": True,
    "recorded_at": "2025-03-14T09:20:00Z",
    "text_version": "2025-01",
}

_EXAMPLE: Final[dict[str, Any]] = {
    "application_id": "5f1b9f3e-6a55-4b8e-9a39-0c2f0c1d7e11",
    "customer_id": "f74efbce-7ce5-44fd-9722-5623dff4282a",
    "submitted_at": "2025-03-14T09:26:53+00:00",
    "channel": "web",
    "household": {
        "age": 27,
        "marital_status": "Divorced",
        "num_dependents": 2,
        "education_level": "Master's",
        "home_ownership": "Rent",
    },
    "employment": {"employment_status": "Self-Employed", "years_employed": 7},
    "financials": {
        "annual_income": 70437.36,
        "credit_score": 693,
        "debt_to_income_ratio": 40.24,
        "savings_balance": 6777.81,
        "checking_balance": 27760.35,
        "existing_loans": 5,
        "payment_history": "Fair",
    },
    "loan": {"product": "Car", "amount": 11155.71, "term_years": 5},
    "identity": {
        "name": {"given_name": "Dana", "family_name": "Reyes"},
        "date_of_birth": "1997-06-02",
        "address": {
            "line1": "12 Elm Street",
            "city": "Springfield",
            "region": "IL",
            "postal_code": "62701",
            "country": "US",
        },
        "citizenship": "US",
        "residency_status": "citizen",
        "ssn": "123456789",
    },
    "contact": {"email": "dana.reyes@example.com", "phone": "+14155550123"},
    "consents": {
        "credit_check": {**_CONSENT, "permissible_purpose": "credit_transaction"},
        "data_processing": _CONSENT,
        "electronic_communications": _CONSENT,
    },
    "device": {"device_id": "dev-42", "ip_address": "203.0.113.7", "user_agent": "Mozilla/5.0"},
    "documents": [
        {
            "document_id": "doc-1",
            "kind": "w2",
            "storage_uri": "s3://uploads/f74efbce/doc-1.pdf",
            "sha256": "a" * 64,
            "content_type": "application/pdf",
            "size_bytes": 48213,
        }
    ],
}


def example_submission() -> dict[str, Any]:
    """A deep copy of the example, safe to modify."""
    return copy.deepcopy(_EXAMPLE)
