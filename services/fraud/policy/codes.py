"""Every code the fraud checks can put in a list fact: what rule tables may test for."""

from __future__ import annotations

from collections.abc import Mapping
from typing import get_args

from services.common.contracts.stages import MismatchField, MismatchSeverity
from services.fraud.identity import IdentityCode, Severity
from services.fraud.velocity import VELOCITY_CODES


def known_codes() -> Mapping[str, frozenset[str]]:
    return {
        "velocity": VELOCITY_CODES,
        "identity": frozenset(
            f"{code.value}:{severity}" for code in IdentityCode for severity in get_args(Severity)
        ),
        "mismatches": frozenset(
            f"{field.value}:{severity.value}"
            for field in MismatchField
            for severity in MismatchSeverity
        ),
    }
