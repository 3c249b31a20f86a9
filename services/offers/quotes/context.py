"""What the quote API needs to know about a decided application, and where it keeps it.

When the offers stage approves an application or makes a counter-offer it saves a
``QuoteContext``: the figures the decision was priced on (risk grade, age, employment, home
ownership, credit score, monthly income and existing debts, as ``borrower_of`` derived them),
the request, and who may ask (``owner``, the client id that submitted the application). The quote
API reads it back to re-price the offer for another amount or term under the same rules.

Nothing in it identifies the applicant: no name, SSN, address, e-mail or date of birth, only
the age and the figures pricing reads. Contexts live in Redis under
``{prefix}:offers:quote-context:{application_id}`` and expire after a TTL (30 days by default,
``PRESCREEN_OFFERS_API_CONTEXT_TTL_DAYS``). Money is stored as decimal strings, so it round-trips
exactly.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Final
from uuid import UUID

import redis
import redis.asyncio as aioredis
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.common.contracts import ApplicationCase
from services.common.contracts.decision import DecisionOutcome
from services.common.contracts.primitives import EmploymentStatus, HomeOwnership, LoanProduct
from services.common.contracts.stages import RiskGrade
from services.offers.borrower import Borrower, borrower_of

DEFAULT_TTL_S: Final = 30 * 24 * 3600
QUOTABLE_OUTCOMES: Final = frozenset({DecisionOutcome.APPROVED, DecisionOutcome.COUNTER_OFFERED})
"""Decisions that carry offers, so the applicant may adjust them."""

_Money = Annotated[Decimal, Field(ge=0, max_digits=15, decimal_places=2)]


class QuoteContext(BaseModel):
    """One decided application as the quote API prices for it; nothing identifying."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    application_id: UUID
    owner: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Client id that submitted the application; None to ask the status store.",
    )
    revision: int = Field(default=0, ge=0, le=1000)
    outcome: DecisionOutcome = Field(description="approved or counter_offered.")
    risk_grade: RiskGrade
    age: int = Field(ge=0, le=130)
    employment_status: EmploymentStatus
    home_ownership: HomeOwnership
    credit_score: int = Field(ge=300, le=850)
    monthly_income: _Money
    existing_monthly_debts: _Money
    requested_product: LoanProduct
    requested_amount: Annotated[Decimal, Field(gt=0, max_digits=15, decimal_places=2)]
    requested_term_months: int = Field(ge=1, le=1200)
    decided_at: AwareDatetime
    catalogue_version: str = Field(min_length=1, max_length=120)

    def borrower(self) -> Borrower:
        """The applicant as ``Offerer`` and ``ProductRules`` read them."""
        return Borrower(
            age=self.age,
            employment_status=self.employment_status,
            home_ownership=self.home_ownership,
            credit_score=self.credit_score,
            risk_grade=self.risk_grade,
            monthly_income=self.monthly_income,
            existing_monthly_debts=self.existing_monthly_debts,
        )


def context_of(
    case: ApplicationCase,
    decision_outcome: DecisionOutcome,
    owner: str | None,
    *,
    decided_at: datetime,
    catalogue_version: str,
) -> QuoteContext:
    """The context to save for a decision with offers (``decision.outcome``,
    ``decision.decided_at``, ``decision.catalogue_version``); ``owner`` may be None when the
    stage does not know it, and the API then asks the status store.

    Raises ``ValueError`` for an outcome without offers or a case without a risk grade (neither
    can be quoted).
    """
    outcome = DecisionOutcome(decision_outcome)
    if outcome not in QUOTABLE_OUTCOMES:
        raise ValueError(f"only approved and counter-offered decisions are quoted, not {outcome}")
    borrower = borrower_of(case)
    if borrower.risk_grade is None:
        raise ValueError("a case without a risk grade cannot be quoted")
    loan = case.application.loan
    return QuoteContext(
        application_id=case.application_id,
        owner=owner,
        revision=case.revision,
        outcome=outcome,
        risk_grade=borrower.risk_grade,
        age=borrower.age,
        employment_status=borrower.employment_status,
        home_ownership=borrower.home_ownership,
        credit_score=borrower.credit_score,
        monthly_income=borrower.monthly_income,
        existing_monthly_debts=borrower.existing_monthly_debts,
        requested_product=LoanProduct(loan.product),
        requested_amount=Decimal(str(loan.amount)),
        requested_term_months=loan.term_months,
        decided_at=decided_at,
        catalogue_version=catalogue_version,
    )


class QuoteContextStore:
    """Quote contexts in Redis: written by the offers stage (``save_many``, blocking client),
    read by the quote API (``aget``, asyncio client, on the event loop).

    A newer decision of the same application replaces the older one.
    """

    def __init__(
        self,
        client: redis.Redis | None = None,
        *,
        async_client: aioredis.Redis | None = None,
        prefix: str = "prescreen",
        ttl_s: int = DEFAULT_TTL_S,
    ) -> None:
        if client is None and async_client is None:
            raise ValueError("give a Redis client, an asyncio one, or both")
        if ttl_s <= 0:
            raise ValueError("ttl_s must be positive")
        self._client = client
        self._async = async_client
        self._namespace = f"{prefix}:offers:quote-context"
        self.ttl_s = ttl_s

    def key(self, application_id: str | UUID) -> str:
        return f"{self._namespace}:{str(application_id).lower()}"

    def save_many(self, contexts: Iterable[QuoteContext]) -> int:
        """Store every context with the TTL in one round trip; returns how many."""
        client = self._sync()
        pipe = client.pipeline(transaction=False)
        count = 0
        for context in contexts:
            pipe.set(self.key(context.application_id), context.model_dump_json(), ex=self.ttl_s)
            count += 1
        if count:
            pipe.execute()
        return count

    def get(self, application_id: str | UUID) -> QuoteContext | None:
        raw = self._sync().get(self.key(application_id))
        return None if raw is None else QuoteContext.model_validate_json(raw)

    async def asave_many(self, contexts: Iterable[QuoteContext]) -> int:
        """``save_many`` on the event loop."""
        pipe = self._asyncio().pipeline(transaction=False)
        count = 0
        for context in contexts:
            pipe.set(self.key(context.application_id), context.model_dump_json(), ex=self.ttl_s)
            count += 1
        if count:
            await pipe.execute()
        return count

    async def aget(self, application_id: str | UUID) -> QuoteContext | None:
        """``get`` on the event loop."""
        raw = await self._asyncio().get(self.key(application_id))
        return None if raw is None else QuoteContext.model_validate_json(raw)

    async def aping(self) -> None:
        await self._asyncio().ping()

    def _sync(self) -> redis.Redis:
        if self._client is None:
            raise RuntimeError("this store has no blocking Redis client")
        return self._client

    def _asyncio(self) -> aioredis.Redis:
        if self._async is None:
            raise RuntimeError("this store has no asyncio Redis client")
        return self._async
