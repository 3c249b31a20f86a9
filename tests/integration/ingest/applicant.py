"""A fictitious applicant whose every personal value is found nowhere else in the repository,
so a scan of topics and logs for those values means something."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any, Final

from tests.unit.contracts import samples

DELETE: Final = object()
"""As a ``payload`` change: remove the field."""


@dataclass(frozen=True)
class Applicant:
    """A fictitious applicant with values found nowhere else in the repository."""

    given_name: str
    family_name: str
    ssn: str
    date_of_birth: str  # aged 27 on the sample's submission day, like the sample's stated age
    line1: str
    phone: str

    @property
    def email(self) -> str:
        return f"{self.given_name}.{self.family_name}@example.org".lower()

    def secrets(self) -> tuple[str, ...]:
        dashed = f"{self.ssn[:3]}-{self.ssn[3:5]}-{self.ssn[5:]}"
        return (
            self.ssn,
            dashed,
            self.given_name,
            self.family_name,
            self.date_of_birth,
            self.line1,
            self.email,
            self.phone,
        )

    def payload(self, **changes: Any) -> dict[str, Any]:
        """The example submission as this applicant, with a fresh application id.

        ``changes`` replace values by path (``financials__credit_score=9000``); the value
        ``DELETE`` removes the field.
        """
        payload = samples.submission_payload()
        payload["application_id"] = str(uuid.uuid4())
        identity = payload["identity"]
        identity["name"] = {"given_name": self.given_name, "family_name": self.family_name}
        identity["date_of_birth"] = self.date_of_birth
        identity["ssn"] = self.ssn
        identity["address"]["line1"] = self.line1
        payload["contact"] = {"email": self.email, "phone": self.phone}
        for path, value in changes.items():
            target = payload
            *parents, last = path.split("__")
            for part in parents:
                target = target[part]
            if value is DELETE:
                del target[last]
            else:
                target[last] = value
        return payload

    def body(self, **changes: Any) -> bytes:
        return json.dumps(self.payload(**changes)).encode()
