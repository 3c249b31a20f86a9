"""Applicant notifications as a stage: cases and decisions in, one e-mail per decision out.

Decides, per decision, whether and how the applicant hears of it: by e-mail when they agreed
to electronic communications, otherwise not at all here (the bank owes them a paper notice,
which is logged and counted). It publishes nothing.

Each send runs inside ``Once`` under ``applicant-email:<id>:r<revision>``: a replay, a
redelivered batch or a racing instance gets the stored result instead of a second e-mail. The
contact is opened inside the once-only call, in memory, only when an e-mail is really going
out. Logs carry the application id, outcome, adapter and result, never the address.

Failures: a transient mail error raises ``TransientError`` (the runtime retries the batch;
sends already done return their stored results). A case that can never be mailed (the contact
does not open, the address is malformed, the provider refuses the message) is rejected, so it
is dead-lettered without holding up its partition, and can be replayed once fixed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Final

from services.common.contracts import CONTACT_SEALED_FIELD, ApplicationCase, Topics
from services.common.contracts.applicant import ContactDetails
from services.common.contracts.decision import LoanDecision
from services.common.errors import TransientError
from services.common.fieldcrypto import FieldCipher, FieldCryptoError
from services.common.idempotency import OnceCall
from services.common.runtime import Emit, Envelope, Reject
from services.notifier.applicants.compose import compose, once_key
from services.notifier.applicants.join import DecisionJoin, StoredContact
from services.notifier.applicants.mailer import (
    Mailer,
    MalformedAddressError,
    PermanentMailError,
    TransientMailError,
    checked_address,
)
from services.notifier.applicants.metrics import ApplicantMailMetrics, FailureKind
from services.notifier.applicants.settings import Letterhead

log = logging.getLogger(__name__)

INPUTS: Final = (Topics.SCORED, Topics.DECISIONS)
"""Every application passes the scored topic (with its sealed contact) before its decision."""

SENT: Final = "sent"
PAPER_NOTICE: Final = "paper_notice_required"


class ApplicantNotifier:
    def __init__(
        self,
        *,
        join: DecisionJoin,
        cipher: FieldCipher,
        mailer: Mailer,
        adapter: str,
        letterhead: Letterhead,
        once: OnceCall,
        metrics: ApplicantMailMetrics | None = None,
    ) -> None:
        self._join = join
        self._cipher = cipher
        self._mailer = mailer
        self._adapter = adapter
        self._letterhead = letterhead
        self._once = once
        self._metrics = metrics or ApplicantMailMetrics()

    def __call__(self, batch: Sequence[Envelope[Any]]) -> list[Emit | Reject]:
        verdicts: list[Emit | Reject] = []
        for envelope in batch:
            value = envelope.value
            if isinstance(value, LoanDecision):
                reject = self._on_decision(envelope, value)
            elif isinstance(value, ApplicationCase):
                reject = self._on_case(envelope, value)
            else:
                reject = Reject(envelope, f"unexpected event {type(value).__name__}")
            if reject is not None:
                verdicts.append(reject)
        return verdicts

    def _on_case(self, envelope: Envelope[Any], case: ApplicationCase) -> Reject | None:
        contact = StoredContact.of(case)
        for decision in self._join.offer_contact(case.application_id, contact):
            reject = self._deliver(envelope, decision, contact)
            if reject is not None:
                return reject  # the decision stays parked: replaying this case retries it
        return None

    def _on_decision(self, envelope: Envelope[Any], decision: LoanDecision) -> Reject | None:
        contact = self._join.offer_decision(decision)
        if contact is None:
            self._metrics.parked()
            log.info(
                "decision waits for its case",
                extra=_fields(decision, adapter=self._adapter, result="parked"),
            )
            return None
        return self._deliver(envelope, decision, contact)

    def _deliver(
        self, cause: Envelope[Any], decision: LoanDecision, contact: StoredContact
    ) -> Reject | None:
        kind: FailureKind = "permanent"
        try:
            result = self._once(once_key(decision), lambda: self._send_once(decision, contact))
        except FieldCryptoError:
            kind, reason = "contact", "the sealed contact does not open with the key ring"
        except MalformedAddressError:
            kind, reason = "address", "the contact's e-mail address is malformed"
        except PermanentMailError as exc:
            reason = f"the mail adapter refused the message: {exc}"
        except TransientMailError as exc:
            self._metrics.failed(self._adapter, "transient")
            log.warning(
                "applicant e-mail failed, will retry",
                extra=_fields(decision, adapter=self._adapter, result="transient"),
            )
            raise TransientError(str(exc)) from None
        else:
            self._join.settle(decision)
            status = result.get("status", "")
            log.debug("applicant e-mail dealt with", extra=_fields(decision, result=status))
            return None
        self._metrics.failed(self._adapter, kind)
        log.warning(
            "applicant e-mail cannot be sent",
            extra=_fields(decision, adapter=self._adapter, result=kind),
        )
        return Reject(cause=cause, reason=reason)

    def _send_once(self, decision: LoanDecision, contact: StoredContact) -> dict[str, str]:
        """The side effect itself; its result is what ``Once`` stores."""
        outcome = decision.outcome.value
        if not contact.electronic_consent:
            self._metrics.skipped_no_consent(outcome)
            log.warning(
                "no consent to e-mail the applicant: a paper notice is needed",
                extra=_fields(decision, result=PAPER_NOTICE),
            )
            return {"status": PAPER_NOTICE, "outcome": outcome}
        details = self._cipher.open_model(
            contact.contact_sealed,
            ContactDetails,
            application_id=decision.application_id,
            field=CONTACT_SEALED_FIELD,
        )
        message = compose(decision, checked_address(details.email), self._letterhead)
        provider_id = self._mailer.send(message, idempotency_key=once_key(decision))
        self._metrics.sent(self._adapter, outcome)
        log.info(
            "applicant e-mail sent", extra=_fields(decision, adapter=self._adapter, result=SENT)
        )
        return {"status": SENT, "adapter": self._adapter, "provider_id": provider_id}


def _fields(decision: LoanDecision, **extra: str) -> dict[str, Any]:
    """The only things logged about a notification: no address, no name."""
    return {
        "application_id": str(decision.application_id),
        "revision": decision.revision,
        "outcome": decision.outcome.value,
        **extra,
    }
