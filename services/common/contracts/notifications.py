"""Events the notifier publishes: webhook deliveries still owed, and decision statistics."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Self
from uuid import UUID

from pydantic import Field, model_validator

from services.common.contracts.base import EventModel
from services.common.contracts.decision import DecisionOutcome
from services.common.contracts.primitives import LoanProduct, Money, Probability

WebhookKind = Literal["decision", "rejection", "status"]
FailedDeliveryOutcome = Literal["rejected", "blocked", "retries_exhausted"]

MAX_WEBHOOK_BODY_CHARS = 256 * 1024


class WebhookRetry(EventModel):
    """A webhook delivery that failed and is owed another attempt (or a dead letter).

    It carries the exact body the receiver is sent, so every attempt signs the same bytes and
    the receiver can de-duplicate on the event id inside it. The body holds what the receiver
    is entitled to (the decision or status event), never sealed or raw personal data.
    """

    subscription_id: str = Field(min_length=1, max_length=128)
    event_id: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$",
        description="Id of the event delivered; with the subscription, the once-only key.",
    )
    kind: WebhookKind
    application_id: UUID = Field(description="Application the event is about; the message key.")
    body: str = Field(
        min_length=2, max_length=MAX_WEBHOOK_BODY_CHARS, description="The JSON body to send."
    )
    attempts: int = Field(ge=1, le=100, description="Attempts made so far.")
    first_attempt_at: datetime
    next_attempt_at: datetime = Field(description="Not to be tried again before this time.")
    last_outcome: FailedDeliveryOutcome
    last_status: int | None = Field(
        default=None, ge=100, le=599, description="HTTP status of the last attempt, if any."
    )
    last_reason: str = Field(max_length=300, description="Why the last attempt failed.")

    @model_validator(mode="after")
    def _times_in_order(self) -> Self:
        if self.next_attempt_at < self.first_attempt_at:
            raise ValueError("next_attempt_at is before first_attempt_at")
        return self


class DecisionStats(EventModel):
    """Decisions of one product and outcome in one closed one-minute window (by decision time).

    Keyed ``<window_start>|<product>|<outcome>``; a window republished after a restart carries
    the same key and the same figures, so consumers may treat the topic as a table.
    """

    window_start: datetime = Field(description="Inclusive start of the window (UTC).")
    window_end: datetime = Field(description="Exclusive end: window_start plus the window size.")
    product: LoanProduct
    outcome: DecisionOutcome
    decisions: int = Field(ge=1, description="Decisions in the window.")
    requested_amount: Money = Field(ge=0, description="Sum of the amounts asked for.")
    offered_amount: Money = Field(ge=0, description="Sum of the first offer's amount, if any.")
    mean_probability_of_default: Probability | None = Field(
        default=None, description="Mean model estimate over the decisions that were scored."
    )

    @model_validator(mode="after")
    def _window_in_order(self) -> Self:
        if self.window_end <= self.window_start:
            raise ValueError("window_end must be after window_start")
        return self

    @property
    def key(self) -> str:
        return f"{self.window_start.isoformat()}|{self.product.value}|{self.outcome.value}"
