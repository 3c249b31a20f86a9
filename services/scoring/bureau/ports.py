"""The two sources scoring reads about an applicant, as ports a bank implements.

Scoring depends on these protocols only, so the embedded simulation and a bank's real bureau
and core-banking adapters are interchangeable. Adapters raise ``TransientError`` (from
``services.common.errors``) for timeouts and outages so the runtime retries them.
"""

from __future__ import annotations

import re
from typing import Final, Protocol

from services.common.contracts.applicant import PermissiblePurpose
from services.common.contracts.pii import SSN_TOKEN_PATTERN
from services.common.errors import PermanentError
from services.scoring.bureau.models import CreditReport, InternalRelationship

_SSN_TOKEN_RE: Final = re.compile(SSN_TOKEN_PATTERN)


class NoPermissiblePurposeError(PermanentError):
    """A credit report was requested without a purpose the FCRA allows for a credit check."""


class InvalidSsnTokenError(PermanentError, ValueError):
    """The key given to the bureau is not an SSN token, and might be the raw number itself."""


class CreditBureau(Protocol):
    def pull(self, ssn_token: str, *, permissible_purpose: str) -> CreditReport:
        """The applicant's report.

        Refuses what ``check_pull`` refuses, with ``NoPermissiblePurposeError`` or
        ``InvalidSsnTokenError``, before any request leaves the bank.
        """
        ...


class InternalData(Protocol):
    def relationship(self, customer_id: str) -> InternalRelationship:
        """What the bank's own books hold about ``customer_id``."""
        ...


def check_pull(ssn_token: str, permissible_purpose: str) -> PermissiblePurpose:
    """Refuse a pull the bank may not make, before anything reaches a bureau.

    Every adapter calls this first: an inquiry without a permissible purpose is itself a
    violation, whatever the bureau would have answered.
    """
    try:
        purpose = PermissiblePurpose(permissible_purpose)
    except ValueError:
        raise NoPermissiblePurposeError(
            "a credit report needs a permissible purpose: "
            + ", ".join(member.value for member in PermissiblePurpose)
        ) from None
    # The message never quotes the value: if it is not a token it may be a raw SSN.
    if not _SSN_TOKEN_RE.fullmatch(ssn_token):
        raise InvalidSsnTokenError(
            "bureaus are keyed by the SSN token (64 lower-case hex characters)"
        )
    return purpose
