"""The quote API as ``build_app`` wires it, on a real Redis, driven through HTTP."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import redis
import redis.asyncio as aioredis
from fastapi.testclient import TestClient

from services.common.catalogue import load_catalogue
from services.common.contracts.decision import DecisionOutcome
from services.common.contracts.primitives import EmploymentStatus, HomeOwnership, LoanProduct
from services.common.contracts.stages import RiskGrade
from services.common.http.auth_settings import api_key_hash
from services.common.settings import RedisSettings
from services.common.status import StatusStore
from services.offers.eligibility import ProductRules
from services.offers.options import Offerer
from services.offers.quotes.context import QuoteContext, QuoteContextStore
from services.offers.quotes.server import build_app
from services.offers.quotes.settings import QuoteApiSettings
from services.offers.settings import OffersSettings
from tests.unit.http.support import AUDIENCE, ISSUER, Keys, mint

KEYS = {
    "bank-a": "quote-key-a-" + "a" * 30,
    "bank-b": "quote-key-b-" + "b" * 30,
    "reader": "quote-key-r-" + "r" * 30,
    "slow": "quote-key-s-" + "s" * 30,
}
SCOPES = {"reader": ["applications:read"]}  # everyone else: quotes:read
CATALOGUE = load_catalogue()
OFFERER = Offerer(ProductRules(CATALOGUE))


@dataclass
class Service:
    http: TestClient
    store: QuoteContextStore
    prefix: str
    redis_url: str


@pytest.fixture(scope="module")
def jwt_keys() -> Keys:
    return Keys.generate()


@pytest.fixture
def service(
    redis_url: str,
    redis_client: redis.Redis,
    jwt_keys: Keys,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Service]:
    clients = {
        client: {"sha256": api_key_hash(key), "scopes": SCOPES.get(client, ["quotes:read"])}
        for client, key in KEYS.items()
    }
    monkeypatch.setenv("PRESCREEN_OFFERS_API_API_KEYS", json.dumps(clients))
    monkeypatch.setenv(
        "PRESCREEN_OFFERS_API_RATE_LIMIT_OVERRIDES",
        json.dumps({"slow": {"per_s": 0.1, "burst": 2}}),
    )
    monkeypatch.setenv("PRESCREEN_OFFERS_API_JWT_ISSUER", ISSUER)
    monkeypatch.setenv("PRESCREEN_OFFERS_API_JWT_AUDIENCE", AUDIENCE)
    monkeypatch.setenv("PRESCREEN_OFFERS_API_JWT_PUBLIC_KEYS", jwt_keys.public_pems)
    prefix = f"t{uuid.uuid4().hex[:8]}"
    app = build_app(
        settings=QuoteApiSettings(),
        offers=OffersSettings(),
        redis_settings=RedisSettings(url=redis_url, key_prefix=prefix),
    )
    store = QuoteContextStore(redis_client, prefix=prefix)
    with TestClient(app) as http:
        yield Service(http, store, prefix, redis_url)


def context(**changes: Any) -> QuoteContext:
    facts: dict[str, Any] = {
        "application_id": uuid.uuid4(),
        "owner": "bank-a",
        "outcome": DecisionOutcome.APPROVED,
        "risk_grade": RiskGrade.B,
        "age": 35,
        "employment_status": EmploymentStatus.STUDENT,
        "home_ownership": HomeOwnership.RENT,
        "credit_score": 720,
        "monthly_income": Decimal("4000.00"),
        "existing_monthly_debts": Decimal("800.00"),
        "requested_product": LoanProduct.CAR,
        "requested_amount": Decimal("20000.00"),
        "requested_term_months": 60,
        "decided_at": datetime.now(UTC),
        "catalogue_version": CATALOGUE.version,
    }
    facts.update(changes)
    return QuoteContext(**facts)


def saved(service: Service, **changes: Any) -> QuoteContext:
    made = context(**changes)
    assert service.store.save_many([made]) == 1
    return made


def ask(
    service: Service,
    made: QuoteContext | uuid.UUID,
    *,
    client: str = "bank-a",
    headers: dict[str, str] | None = None,
    **body: Any,
) -> Any:
    application_id = made if isinstance(made, uuid.UUID) else made.application_id
    payload = {
        "application_id": str(application_id),
        "product": "Car",
        "amount": "15000.00",
        "term_months": 48,
        **body,
    }
    sent = headers if headers is not None else {"X-API-Key": KEYS[client]}
    return service.http.post("/v1/quotes", json=payload, headers=sent)


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


# --- 200 -----------------------------------------------------------------------------------


def test_a_quote_is_the_offerers_price_within_the_products_ranges(service: Service) -> None:
    made = saved(service)
    response = ask(service, made, amount="15000.00", term_months=48)
    assert response.status_code == 200, response.text
    body = response.json()
    terms = OFFERER.quote(LoanProduct.CAR, Decimal("15000.00"), 48, RiskGrade.B)
    expected = {
        "application_id": str(made.application_id),
        "product": "Car",
        "secured": True,
        "currency": CATALOGUE.currency,
        "amount": "15000.00",
        "term_months": 48,
        "interest_rate": f"{terms.interest_rate:.2f}",
        "apr": f"{terms.apr:.2f}",
        "monthly_payment": f"{terms.monthly_payment:.2f}",
        "final_payment": f"{terms.final_payment:.2f}",
        "total_interest": f"{terms.total_interest:.2f}",
        "fees": f"{terms.fees:.2f}",
        "total_of_payments": f"{terms.total_of_payments:.2f}",
        "dti_after": f"{made.borrower().dti_after(terms.monthly_payment):.2f}",
        "catalogue_version": CATALOGUE.version,
    }
    assert body == expected
    product = CATALOGUE[LoanProduct.CAR]
    low, high = product.rate_percent
    assert low <= float(body["interest_rate"]) <= high
    assert product.allows_amount(float(body["amount"]))
    assert product.allows_term(body["term_months"])
    assert Decimal(body["dti_after"]) <= Decimal(str(product.max_dti_percent))
    assert Decimal(body["apr"]) >= Decimal(body["interest_rate"])


def test_the_amount_may_be_a_json_number(service: Service) -> None:
    made = saved(service)
    response = ask(service, made, amount=15000, term_months=48)
    assert response.status_code == 200, response.text
    assert response.json()["amount"] == "15000.00"


def test_the_schedule_has_a_row_per_month_summing_to_the_total(service: Service) -> None:
    made = saved(service)
    response = ask(service, made, amount="12345.67", term_months=60, include_schedule=True)
    assert response.status_code == 200, response.text
    body = response.json()
    rows = body["schedule"]
    assert [row["number"] for row in rows] == list(range(1, 61))
    assert sum(Decimal(row["payment"]) for row in rows) == Decimal(body["total_of_payments"])
    assert sum(Decimal(row["interest"]) for row in rows) == Decimal(body["total_interest"])
    assert sum(Decimal(row["principal"]) for row in rows) == Decimal(body["amount"])
    assert rows[0]["payment"] == body["monthly_payment"]
    assert rows[-1]["payment"] == body["final_payment"] and rows[-1]["balance"] == "0.00"
    assert "schedule" not in ask(service, made, amount="12345.67", term_months=60).json()


def test_an_owner_unknown_to_the_context_is_read_from_the_status_store(service: Service) -> None:
    made = saved(service, owner=None)
    assert problem(ask(service, made), 404)["detail"] == "no such application"
    record_status(service, made.application_id, "bank-a")
    assert ask(service, made).status_code == 200
    assert problem(ask(service, made, client="bank-b"), 404)["detail"] == "no such application"


# --- 404 -----------------------------------------------------------------------------------


def test_another_clients_application_looks_like_a_missing_one(service: Service) -> None:
    made = saved(service)
    theirs = problem(ask(service, made, client="bank-b"), 404)
    missing = problem(ask(service, uuid.uuid4(), client="bank-b"), 404)
    assert theirs == missing
    assert theirs["detail"] == "no such application"
    assert "bank-a" not in json.dumps(theirs)


def test_an_own_application_without_offers_is_404(service: Service) -> None:
    application_id = uuid.uuid4()
    record_status(service, application_id, "bank-a")
    body = problem(ask(service, application_id), 404)
    assert body["detail"] == "no decision with offers for this application"
    other = problem(ask(service, application_id, client="bank-b"), 404)
    assert other["detail"] == "no such application"


# --- 422 -----------------------------------------------------------------------------------


def test_an_ineligible_product_gives_its_reasons(service: Service) -> None:
    made = saved(service)  # a student
    body = problem(ask(service, made, product="Home", amount="100000.00", term_months=120), 422)
    assert body["type"] == "urn:prescreen:problem:product-not-eligible"
    assert body["reasons"] == [
        {"code": "STUDENT_NO_HOME_LOAN", "description": "Home loans are not offered to students."}
    ]


def test_a_term_outside_the_product_names_term_months(service: Service) -> None:
    made = saved(service)
    body = problem(ask(service, made, term_months=120), 422)
    assert body["type"] == "urn:prescreen:problem:validation-error"
    assert [(e["path"], e["location"]) for e in body["errors"]] == [("term_months", "body")]
    assert "6 and 84" in body["errors"][0]["message"]
    assert body["allowed"]["term_months"] == {"minimum": 6, "maximum": 84}
    assert body["allowed"]["amount"] == {"minimum": "3000.00", "maximum": "120000.00"}


def test_an_amount_outside_the_product_names_amount(service: Service) -> None:
    made = saved(service)
    body = problem(ask(service, made, amount="500000.00"), 422)
    assert [e["path"] for e in body["errors"]] == ["amount"]
    assert "3000.00 and 120000.00" in body["errors"][0]["message"]


def test_an_unaffordable_amount_names_the_largest_affordable_one(service: Service) -> None:
    made = saved(service)
    body = problem(ask(service, made, amount="60000.00", term_months=36), 422)
    assert body["type"] == "urn:prescreen:problem:unaffordable"
    largest = body["largest_affordable_amount"]
    capacity = made.borrower().payment_capacity(CATALOGUE[LoanProduct.CAR].max_dti_percent)
    assert body["max_monthly_payment"] == f"{capacity:.2f}"
    assert Decimal(body["monthly_payment"]) > capacity
    assert Decimal(largest) < Decimal("60000.00")
    assert OFFERER.fits(LoanProduct.CAR, Decimal(largest), 36, RiskGrade.B, capacity)
    assert not OFFERER.fits(LoanProduct.CAR, Decimal(largest) + 100, 36, RiskGrade.B, capacity)
    assert body["shortest_affordable_term_months"] is None  # not even over 84 months
    # And it is quotable.
    assert ask(service, made, amount=largest, term_months=36).status_code == 200


def test_an_unaffordable_term_names_the_shortest_affordable_one(service: Service) -> None:
    made = saved(service)
    body = problem(ask(service, made, amount="30000.00", term_months=24), 422)
    shortest = body["shortest_affordable_term_months"]
    assert 24 < shortest <= 84
    assert ask(service, made, amount="30000.00", term_months=shortest).status_code == 200
    assert ask(service, made, amount="30000.00", term_months=shortest - 1).status_code == 422


def test_an_invalid_body_names_the_field_without_echoing_it(service: Service) -> None:
    made = saved(service)
    body = problem(ask(service, made, amount="15000.123"), 422)
    assert [e["path"] for e in body["errors"]] == ["amount"]
    assert "15000.123" not in json.dumps(body)
    body = problem(ask(service, made, product="Yacht"), 422)
    assert [e["path"] for e in body["errors"]] == ["product"]


# --- credentials and limits ----------------------------------------------------------------


def test_missing_credentials_are_401(service: Service) -> None:
    made = saved(service)
    response = ask(service, made, headers={})
    assert problem(response, 401)["type"] == "urn:prescreen:problem:unauthorized"
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_forged_api_key_is_401(service: Service) -> None:
    made = saved(service)
    problem(ask(service, made, headers={"X-API-Key": KEYS["bank-a"] + "x"}), 401)


def test_a_token_signed_by_an_unknown_key_is_401(service: Service, jwt_keys: Keys) -> None:
    made = saved(service)
    forged = mint(jwt_keys.other_rsa, "RS256", sub="bank-a", scope="quotes:read")
    problem(ask(service, made, headers={"Authorization": f"Bearer {forged}"}), 401)


def test_a_valid_token_of_the_owner_is_served(service: Service, jwt_keys: Keys) -> None:
    made = saved(service)
    token = mint(jwt_keys.rsa, "RS256", sub="bank-a", scope="quotes:read")
    assert ask(service, made, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    someone = mint(jwt_keys.rsa, "RS256", sub="bank-b", scope="quotes:read")
    problem(ask(service, made, headers={"Authorization": f"Bearer {someone}"}), 404)


def test_a_caller_without_the_quotes_scope_is_403(service: Service, jwt_keys: Keys) -> None:
    made = saved(service, owner="reader")
    body = problem(ask(service, made, client="reader"), 403)
    assert "quotes:read" in body["detail"]


def test_a_client_over_its_rate_is_429(service: Service) -> None:
    made = saved(service, owner="slow")
    assert [ask(service, made, client="slow").status_code for _ in range(2)] == [200, 200]
    response = ask(service, made, client="slow")
    problem(response, 429)
    assert int(response.headers["retry-after"]) >= 1


def test_health_and_readiness_need_no_credentials(service: Service) -> None:
    assert service.http.get("/healthz").status_code == 200
    assert service.http.get("/readyz").status_code == 200


def test_the_openapi_document_declares_money_as_strings(service: Service) -> None:
    document = service.http.get("/openapi.json").json()
    assert "/v1/quotes" in document["paths"]
    view = document["components"]["schemas"]["QuoteView"]["properties"]
    assert view["monthly_payment"]["type"] == "string"
    assert view["monthly_payment"]["pattern"] == r"^-?\d+\.\d{2}$"


# --- the store -----------------------------------------------------------------------------


def test_contexts_are_saved_in_one_round_trip_with_their_ttl(
    service: Service, redis_client: redis.Redis
) -> None:
    many = [context() for _ in range(5)]
    assert service.store.save_many(many) == 5
    assert service.store.save_many([]) == 0
    for made in many:
        assert service.store.get(made.application_id) == made
        ttl = redis_client.ttl(service.store.key(made.application_id))
        assert 30 * 24 * 3600 - 60 <= ttl <= 30 * 24 * 3600
    assert service.store.get(uuid.uuid4()) is None


def test_a_newer_decision_replaces_the_older(service: Service) -> None:
    first = saved(service, revision=0, monthly_income=Decimal("4000.00"))
    newer = first.model_copy(update={"revision": 1, "monthly_income": Decimal("9000.00")})
    service.store.save_many([newer])
    assert service.store.get(first.application_id) == newer
    assert ask(service, first, amount="60000.00", term_months=84).status_code == 200


def record_status(service: Service, application_id: uuid.UUID, owner: str) -> None:
    """What ingest writes when it accepts an application."""

    async def create() -> None:
        client = aioredis.Redis.from_url(service.redis_url)
        try:
            store = StatusStore(client, prefix=service.prefix)
            await store.create(str(application_id), owner, datetime.now(UTC), "ingest")
        finally:
            await client.aclose()

    asyncio.run(create())
