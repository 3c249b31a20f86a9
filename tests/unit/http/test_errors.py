"""problem+json bodies: named fields, broken rules and never the submitted values."""

from __future__ import annotations

from typing import Annotated, Literal

import pytest
from fastapi import FastAPI, HTTPException, Query
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from services.common.http import (
    PROBLEM_JSON,
    FieldError,
    ProblemError,
    field_errors,
    install_error_handlers,
)

SSN = "123-45-6789"
NAME = "Jane Q. Applicant"


class Applicant(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=2, max_length=10)
    ssn: str = Field(pattern=r"^\d{9}$")
    age: int = Field(ge=18, le=120)
    years_employed: int = Field(ge=0)

    @model_validator(mode="after")
    def _employment_fits_age(self) -> Applicant:
        if self.years_employed > self.age - 14:
            raise ValueError("years_employed exceeds age - 14")
        return self


class Application(BaseModel):
    model_config = ConfigDict(extra="forbid")

    applicant: Applicant
    product: Literal["personal", "auto"]
    amounts: list[Annotated[float, Field(gt=0)]]
    credit_score: int = Field(ge=300, le=850)


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/applications")
    def submit(
        application: Application, wait: Annotated[int, Query(ge=0, le=30)] = 0
    ) -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/teapot")
    def teapot() -> None:
        raise ProblemError(418, "short and stout", type_="urn:test:teapot", headers={"X-T": "1"})

    @app.get("/missing")
    def missing() -> None:
        raise HTTPException(404, "no such application")

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError(f"failed for {SSN}")

    return TestClient(app, raise_server_exceptions=False)


def test_422_names_paths_and_rules_without_values(client: TestClient) -> None:
    body = {
        "applicant": {"name": NAME, "ssn": SSN, "age": 12, "years_employed": 3, "email": "j@x.y"},
        "product": "yacht",
        "amounts": [1000, -5, "lots"],
        "credit_score": 9999,
    }
    response = client.post("/applications?wait=99", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_JSON
    problem = response.json()
    assert problem["type"] == "urn:prescreen:problem:validation-error"
    assert problem["status"] == 422
    found = {(e["location"], e["path"], e["rule"]) for e in problem["errors"]}
    assert found == {
        ("body", "applicant.name", "string_too_long"),
        ("body", "applicant.ssn", "string_pattern_mismatch"),
        ("body", "applicant.age", "greater_than_equal"),
        ("body", "applicant.email", "extra_forbidden"),
        ("body", "product", "literal_error"),
        ("body", "amounts.1", "greater_than"),
        ("body", "amounts.2", "float_parsing"),
        ("body", "credit_score", "less_than_equal"),
        ("query", "wait", "less_than_equal"),
    }
    messages = {e["path"]: e["message"] for e in problem["errors"]}
    assert messages["applicant.age"] == "Input should be greater than or equal to 18"
    assert problem["detail"] == "9 invalid fields"
    text = response.text
    for value in (SSN, NAME, "j@x.y", "yacht", "lots", "9999", "-5", "99"):
        assert value not in text
    assert '"input"' not in text
    assert '"ctx"' not in text


def test_cross_field_rule_message_is_passed_through(client: TestClient) -> None:
    body = {
        "applicant": {"name": "Jo", "ssn": "123456789", "age": 20, "years_employed": 9},
        "product": "auto",
        "amounts": [1],
        "credit_score": 700,
    }
    problem = client.post("/applications", json=body).json()
    assert problem["errors"] == [
        {
            "path": "applicant",
            "location": "body",
            "rule": "value_error",
            "message": "Value error, years_employed exceeds age - 14",
        }
    ]


def test_invalid_json_does_not_echo_the_body(client: TestClient) -> None:
    response = client.post(
        "/applications",
        content=f'{{"applicant": {{"ssn": "{SSN}"'.encode(),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["rule"] == "json_invalid"
    assert SSN not in response.text


def test_http_exceptions_become_problems(client: TestClient) -> None:
    response = client.get("/teapot")
    assert response.status_code == 418
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["x-t"] == "1"
    assert response.json() == {
        "type": "urn:test:teapot",
        "title": "I'm a Teapot",
        "status": 418,
        "detail": "short and stout",
    }
    assert client.get("/missing").json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "no such application",
    }
    assert client.get("/no-route").json()["status"] == 404


def test_unhandled_errors_say_nothing(client: TestClient) -> None:
    response = client.get("/boom")
    assert response.status_code == 500
    assert response.json() == {
        "type": "about:blank",
        "title": "Internal Server Error",
        "status": 500,
    }
    assert SSN not in response.text


def test_field_errors_of_a_plain_validation_error() -> None:
    with pytest.raises(ValidationError) as caught:
        Applicant.model_validate({"name": NAME, "ssn": SSN, "age": "old"})
    errors = field_errors(caught.value.errors())
    assert FieldError("age", "body", "int_parsing", "Input should be a valid integer") in [
        FieldError(e.path, e.location, e.rule, e.message.split(",")[0]) for e in errors
    ]
    assert {e.path for e in errors} == {"name", "ssn", "age", "years_employed"}
    assert all(SSN not in e.message and NAME not in e.message for e in errors)
