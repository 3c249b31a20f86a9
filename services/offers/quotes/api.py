"""``POST /v1/quotes``: re-price a decided offer for another amount or term, for a UI's sliders.

The caller (bearer JWT or API key with scope ``quotes:read``) names one of its own applications
that was approved or counter-offered, a product, an amount and a term. The answer is the priced
loan, or a problem saying why that loan cannot be had and what can:

* ``404`` — no such application for this caller (another client's application looks exactly
  like a missing one), or no decision with offers for it (declined, referred, undecided, or
  expired from the context store);
* ``422`` ``urn:prescreen:problem:product-not-eligible`` — the product is not for this
  applicant; ``reasons`` lists each ``{code, description}``;
* ``422`` ``urn:prescreen:problem:validation-error`` — the amount or the term lies outside what
  the product allows this applicant; ``errors`` names the field (``amount``, ``term_months``)
  with the range in its message, and ``allowed`` gives both ranges;
* ``422`` ``urn:prescreen:problem:unaffordable`` — the monthly payment would exceed the
  product's debt-to-income cap; ``largest_affordable_amount`` (at the asked term) and
  ``shortest_affordable_term_months`` (at the asked amount) say what would fit, null when
  nothing does;
* ``200`` — the figures of ``Offerer.quote``, the debt-to-income ratio after the loan and,
  with ``include_schedule``, the month-by-month schedule.

Money in responses is a decimal string with exactly two decimals (``"25000.00"``), rates and
ratios decimal strings in percent: no figure passes through binary floating point. Requests
accept the amount as a string or a number, in whole cents.

The route does one Redis read (the context; a second, the status store, only when the context
does not name its owner) and, with rate limiting on, one more for the limiter; the checks and the
pricing run on the event loop, in well under a millisecond.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Final, Protocol
from uuid import UUID

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from services.common.contracts.primitives import LoanProduct
from services.common.heap import freeze_startup_heap
from services.common.http.auth import (
    SCOPE_QUOTES_READ,
    Authenticator,
    Principal,
    install_auth,
    require_scopes,
)
from services.common.http.errors import (
    VALIDATION_ERROR,
    FieldError,
    ProblemError,
    install_error_handlers,
    problem_response,
    problem_responses,
)
from services.common.http.ratelimit import RateLimiter, enforce_rate_limit, install_rate_limiter
from services.common.status import ApplicationStatus
from services.offers.options import Offerer
from services.offers.quotes.context import QuoteContext
from services.offers.quotes.rules import (
    Ineligible,
    Limits,
    NotPriceable,
    OutOfRange,
    Quoted,
    Unaffordable,
    evaluate,
)

log = logging.getLogger(__name__)

STATE_ATTRIBUTE: Final = "prescreen_quotes"
MAX_SCHEDULE_ROWS: Final = 480
MAX_REQUEST_AMOUNT: Final = Decimal(1_000_000_000)

PRODUCT_NOT_ELIGIBLE: Final = "urn:prescreen:problem:product-not-eligible"
UNAFFORDABLE: Final = "urn:prescreen:problem:unaffordable"
NOT_PRICEABLE: Final = "urn:prescreen:problem:not-priceable"

NO_SUCH_APPLICATION: Final = "no such application"
NO_QUOTABLE_DECISION: Final = "no decision with offers for this application"


# --- the wire format -----------------------------------------------------------------------


def _two_places(value: Decimal) -> str:
    return f"{value:.2f}"


def _percent(value: Decimal) -> str:
    """At least two decimals, more only when the rate has them (rates keep up to six)."""
    if value == value.quantize(Decimal("0.01")):
        return f"{value:.2f}"
    return format(value.normalize(), "f")


Money = Annotated[
    Decimal,
    PlainSerializer(_two_places, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^-?\d+\.\d{2}$",
            "description": "Money: a decimal string with exactly two decimals.",
            "examples": ["25000.00"],
        }
    ),
]
Percent = Annotated[
    Decimal,
    PlainSerializer(_percent, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\d+\.\d{2,6}$",
            "description": "Percent per annum (or of income), as a decimal string.",
            "examples": ["9.05"],
        }
    ),
]


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class QuoteRequest(_Body):
    application_id: UUID = Field(description="An application of the caller's with offers.")
    product: LoanProduct
    amount: Decimal = Field(
        gt=0,
        le=MAX_REQUEST_AMOUNT,
        decimal_places=2,
        description=(
            'Principal in whole cents, as a string ("25000.00") or a number; must lie in the '
            "product's amount range."
        ),
        examples=["25000.00"],
    )
    term_months: int = Field(
        ge=1,
        le=1200,
        description="Term in months; must lie in the product's term range for this applicant.",
    )
    include_schedule: bool = Field(
        default=False,
        description=f"Also return the amortisation schedule (at most {MAX_SCHEDULE_ROWS} rows).",
    )


class InstallmentView(_Body):
    number: int = Field(ge=1)
    payment: Money
    interest: Money
    principal: Money
    balance: Money = Field(description="What is owed after this installment.")


class QuoteView(_Body):
    """One priced loan. Money: decimal strings with two decimals; rates: percent strings."""

    application_id: UUID
    product: LoanProduct
    secured: bool
    currency: str = Field(description="ISO 4217 code of every amount.")
    amount: Money
    term_months: int
    interest_rate: Percent = Field(description="Note rate, percent per annum.")
    apr: Percent = Field(description="Annual percentage rate (Regulation Z), fees included.")
    monthly_payment: Money = Field(description="Due in months 1 .. term - 1.")
    final_payment: Money = Field(description="The last installment, adjusted for rounding.")
    total_interest: Money
    fees: Money = Field(description="Origination fee, paid at closing.")
    total_of_payments: Money = Field(description="Amount + total interest.")
    dti_after: Percent = Field(description="Debt-to-income after the loan, percent of income.")
    catalogue_version: str = Field(description="The product catalogue this was priced under.")
    schedule: tuple[InstallmentView, ...] | None = Field(
        default=None, description="Month by month; only with include_schedule."
    )


# --- what the route needs --------------------------------------------------------------------


class ContextSource(Protocol):
    """Where decided applications' contexts are read (``QuoteContextStore`` in production)."""

    async def aget(self, application_id: str | UUID) -> QuoteContext | None: ...

    async def aping(self) -> None: ...


class StatusSource(Protocol):
    """The status store (``StatusStore``): who submitted an application, when the context
    does not say."""

    async def get(self, application_id: str) -> ApplicationStatus | None: ...


@dataclass(frozen=True, slots=True)
class QuoteDependencies:
    offerer: Offerer
    contexts: ContextSource
    status: StatusSource | None = None


Reader = Annotated[Principal, Depends(require_scopes(SCOPE_QUOTES_READ))]

_422_DESCRIPTION = (
    "Request validation failed (`urn:prescreen:problem:validation-error`, `errors`); the amount "
    "or term is outside the product's range for this applicant (same type, `errors` naming "
    "`amount` / `term_months`, and `allowed`); the product is not eligible "
    "(`urn:prescreen:problem:product-not-eligible`, `reasons`); or the payment is not "
    "affordable (`urn:prescreen:problem:unaffordable`, `largest_affordable_amount`, "
    "`shortest_affordable_term_months`)."
)


def _responses() -> dict[int | str, dict[str, Any]]:
    responses = problem_responses(401, 403, 404, 422, 429, 503)
    responses[404]["description"] = (
        "No such application for this caller, or no decision with offers for it."
    )
    responses[422]["description"] = _422_DESCRIPTION
    return responses


async def _owner_of(
    deps: QuoteDependencies, application_id: str, context: QuoteContext | None
) -> str | None:
    if context is not None and context.owner is not None:
        return context.owner
    if deps.status is None:
        return None
    status = await deps.status.get(application_id)
    return None if status is None else status.owner


def _router(rate_limited: bool) -> APIRouter:
    router = APIRouter(
        dependencies=[Depends(enforce_rate_limit)] if rate_limited else [],
        responses=_responses(),
        tags=["quotes"],
    )

    @router.post("/v1/quotes", response_model=QuoteView)
    async def quote(body: QuoteRequest, caller: Reader, request: Request) -> Response:
        """Price ``amount`` over ``term_months`` of ``product`` for one of the caller's decided
        applications, within the product's rules and the applicant's affordability."""
        deps: QuoteDependencies = getattr(request.app.state, STATE_ATTRIBUTE)
        key = str(body.application_id)
        context = await deps.contexts.aget(key)
        if await _owner_of(deps, key, context) != caller.client_id:
            # Another client's application is indistinguishable from a missing one.
            raise ProblemError(404, NO_SUCH_APPLICATION)
        if context is None:
            raise ProblemError(404, NO_QUOTABLE_DECISION)
        outcome = evaluate(
            deps.offerer, context.borrower(), body.product, body.amount, body.term_months
        )
        if isinstance(outcome, Quoted):
            view = _view(body, outcome, deps.offerer)
            return Response(view.model_dump_json(exclude_none=True), media_type="application/json")
        return _refusal(outcome)

    return router


def _view(body: QuoteRequest, quoted: Quoted, offerer: Offerer) -> QuoteView:
    terms = quoted.terms
    schedule = None
    if body.include_schedule:
        schedule = tuple(
            InstallmentView(
                number=row.number,
                payment=row.payment,
                interest=row.interest,
                principal=row.principal,
                balance=row.balance,
            )
            for row in terms.schedule()[:MAX_SCHEDULE_ROWS]
        )
    catalogue = offerer.catalogue
    return QuoteView(
        application_id=body.application_id,
        product=quoted.product,
        secured=quoted.secured,
        currency=catalogue.currency,
        amount=terms.principal,
        term_months=terms.term_months,
        interest_rate=terms.interest_rate,
        apr=terms.apr,
        monthly_payment=terms.monthly_payment,
        final_payment=terms.final_payment,
        total_interest=terms.total_interest,
        fees=terms.fees,
        total_of_payments=terms.total_of_payments,
        dti_after=quoted.dti_after,
        catalogue_version=catalogue.version,
        schedule=schedule,
    )


def _allowed(limits: Limits) -> dict[str, Any]:
    return {
        "amount": {
            "minimum": _two_places(limits.min_amount),
            "maximum": _two_places(limits.max_amount),
        },
        "term_months": {"minimum": limits.min_term_months, "maximum": limits.max_term_months},
    }


def _refusal(outcome: Ineligible | OutOfRange | Unaffordable | NotPriceable) -> Response:
    product = outcome.product.value
    if isinstance(outcome, Ineligible):
        return problem_response(
            422,
            title="Product not available to this applicant",
            detail=f"{product} loans cannot be offered to this applicant",
            type_=PRODUCT_NOT_ELIGIBLE,
            extensions={
                "reasons": [
                    {"code": reason.code, "description": reason.description}
                    for reason in outcome.reasons
                ]
            },
        )
    if isinstance(outcome, OutOfRange):
        limits = outcome.limits
        messages = {
            "amount": (
                f"must be between {_two_places(limits.min_amount)} and "
                f"{_two_places(limits.max_amount)} for {product} loans"
            ),
            "term_months": (
                f"must be between {limits.min_term_months} and {limits.max_term_months} months "
                f"for {product} loans to this applicant"
            ),
        }
        errors = [
            FieldError(path=name, location="body", rule="product_range", message=messages[name])
            for name in outcome.fields
        ]
        return problem_response(
            422,
            title="Outside the product's range",
            detail=f"{' and '.join(outcome.fields)} outside what {product} loans allow",
            type_=VALIDATION_ERROR,
            errors=errors,
            extensions={"allowed": _allowed(limits)},
        )
    if isinstance(outcome, Unaffordable):
        largest = outcome.largest_affordable_amount
        return problem_response(
            422,
            title="Payment not affordable",
            detail=(
                f"a monthly payment of {_two_places(outcome.monthly_payment)} would take "
                f"debt-to-income above the {_percent(outcome.max_dti_percent)} % cap of "
                f"{product} loans"
            ),
            type_=UNAFFORDABLE,
            extensions={
                "monthly_payment": _two_places(outcome.monthly_payment),
                "max_monthly_payment": _two_places(outcome.max_monthly_payment),
                "max_dti_percent": _percent(outcome.max_dti_percent),
                "largest_affordable_amount": None if largest is None else _two_places(largest),
                "shortest_affordable_term_months": outcome.shortest_affordable_term_months,
                "allowed": _allowed(outcome.limits),
            },
        )
    return problem_response(
        422,
        title="Cannot be priced",
        detail="no level monthly payment repays this amount over this term; change either",
        type_=NOT_PRICEABLE,
    )


# --- the app ---------------------------------------------------------------------------------


def build_quote_app(
    offerer: Offerer,
    contexts: ContextSource,
    *,
    authenticator: Authenticator,
    limiter: RateLimiter | None = None,
    status: StatusSource | None = None,
    on_shutdown: Callable[[], Awaitable[None]] | None = None,
) -> FastAPI:
    """The quote API over ``offerer``'s catalogue and rules.

    ``contexts`` holds the decided applications (``QuoteContextStore`` with an asyncio client);
    ``status`` answers who owns an application whose context does not say; ``limiter`` (built
    with an ``async_client``) limits each client's rate, and no limit applies without one.
    ``on_shutdown`` runs when the server stops (close the Redis clients there).
    """

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        freeze_startup_heap()
        yield
        if on_shutdown is not None:
            await on_shutdown()

    app = FastAPI(
        title="loan-prescreen offer quotes",
        version="1",
        description=(
            "Re-price a decided offer for another amount or term within the bank's policy, "
            "for sliders in a bank's UI. Needs a bearer JWT or an API key with scope "
            "`quotes:read`; a caller sees only its own applications.\n\n"
            "**Money** in responses (and in problem extensions) is a decimal **string** with "
            'exactly two decimals, e.g. `"25000.00"`; rates and debt-to-income are percent '
            "strings. Requests accept `amount` as a string or a number, in whole cents."
        ),
        lifespan=lifespan,
    )
    setattr(
        app.state,
        STATE_ATTRIBUTE,
        QuoteDependencies(offerer=offerer, contexts=contexts, status=status),
    )
    install_error_handlers(app)
    install_auth(app, authenticator)
    if limiter is not None:
        install_rate_limiter(app, limiter)
    app.include_router(_router(rate_limited=limiter is not None))

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> PlainTextResponse:
        return PlainTextResponse("ok\n")

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> PlainTextResponse:
        try:
            await contexts.aping()
        except Exception:  # noqa: BLE001 - any failure to reach Redis means not ready
            return PlainTextResponse("unavailable: redis\n", status_code=503)
        return PlainTextResponse("ok\n")

    return app
