"""Shared builders for the ingest unit tests."""

from __future__ import annotations

import json
from typing import Any

from services.common.contracts import WIRE_CONTEXT, SubmittedApplication
from services.ingest.intake import IntakeConfig
from tests.unit.contracts import samples

MAX_BODY_BYTES = 256 * 1024

# Personal values of the sample submission that must never appear in events or messages.
SECRETS = (
    samples.RAW_SSN,
    "Dana",
    "Reyes",
    "1997-06-02",
    "12 Elm Street",
    "dana.reyes@example.com",
    "+14155550123",
)


def config() -> IntakeConfig:
    return IntakeConfig(protector=samples.protector(), max_body_bytes=MAX_BODY_BYTES)


def submission_with(**changes: Any) -> SubmittedApplication:
    """The sample submission with paths replaced, e.g. ``loan__term_years=10``."""
    # Through JSON: the sample shares one consent dict between several consents.
    payload = json.loads(json.dumps(samples.submission_payload()))
    for path, value in changes.items():
        target = payload
        parts = path.split("__")
        for part in parts[:-1]:
            target = target[part]
        target[parts[-1]] = value
    return SubmittedApplication.model_validate(payload)


def wire(application: SubmittedApplication) -> bytes:
    return application.model_dump_json(context=WIRE_CONTEXT).encode()
