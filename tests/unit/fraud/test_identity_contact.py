"""Identity consistency: e-mail and phone checks."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from services.common.contracts.primitives import EducationLevel, EmploymentStatus
from services.fraud.identity import (
    IdentityCode,
    IdentityFacts,
    IdentitySignal,
    check_identity,
)
from services.fraud.identity_rules import (
    PhoneIssue,
    disposable_domains,
    disposable_match,
    email_defect,
    normalize_phone,
    parse_domain_list,
    phone_finding,
)
from tests.unit.fraud.identity_support import CONSISTENT, codes, facts, only

# --- e-mail ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "email",
    [
        "no-at-sign.example.com",
        "@example.com",
        "user@",
        "user@localhost",
        "user@example..com",
        "user@.example.com",
        "user@example.com.",
        "us er@example.com",
        "user@example.com ",
        "first@second@example.com",
    ],
)
def test_malformed_email_is_flagged(email: str) -> None:
    assert email_defect(email) is not None
    signal = only(facts(email=email), IdentityCode.EMAIL_MALFORMED)
    assert signal is not None
    assert signal.severity == "medium"
    assert IdentityCode.EMAIL_DISPOSABLE not in codes(facts(email=email))


@pytest.mark.parametrize(
    "email",
    ["a@b.co", "first.last+loans@example.co.uk", "x_y-z@sub.example.org", "Upper@Example.COM"],
)
def test_well_formed_email_is_silent(email: str) -> None:
    assert email_defect(email) is None
    assert check_identity(facts(email=email)) == ()


@pytest.mark.parametrize(
    ("email", "service"),
    [
        ("someone@mailinator.com", "mailinator.com"),
        ("Someone@MAILINATOR.COM", "mailinator.com"),
        ("casey@guerrillamail.com", "guerrillamail.com"),
        ("casey@yopmail.fr", "yopmail.fr"),
        ("casey@10minutemail.com", "10minutemail.com"),
        ("casey@inbox.mailinator.com", "mailinator.com"),
        ("casey@deep.inbox.sharklasers.com", "sharklasers.com"),
    ],
)
def test_disposable_email_is_flagged(email: str, service: str) -> None:
    signal = only(facts(email=email), IdentityCode.EMAIL_DISPOSABLE)
    assert signal is not None
    assert signal.severity == "medium"
    assert signal.description.endswith(service)
    assert email not in signal.description
    assert email.partition("@")[0] not in signal.description


@pytest.mark.parametrize(
    "email",
    [
        "x@gmail.com",
        "x@mymailinator-fan.com",
        "x@amailinator.com",
        "x@mailinator.com.example.org",
        "x@com",
    ],
)
def test_lookalikes_of_disposable_domains_are_not_flagged(email: str) -> None:
    assert IdentityCode.EMAIL_DISPOSABLE not in codes(facts(email=email))


def test_disposable_match_prefers_the_list_entry_and_never_a_bare_tld() -> None:
    listed = frozenset({"throwaway.test", "com"})
    assert disposable_match("a.b.throwaway.test", listed) == "throwaway.test"
    assert disposable_match("throwaway.test.", listed) == "throwaway.test"
    assert disposable_match("example.com", listed) is None


def test_the_packaged_list_is_loaded_once_and_holds_a_few_hundred_domains() -> None:
    domains = disposable_domains()
    assert domains is disposable_domains()
    assert len(domains) >= 300
    assert all(domain == domain.lower() and "." in domain for domain in domains)


def test_the_packaged_list_lists_registered_domains_only() -> None:
    domains = disposable_domains()
    nested = {
        domain
        for domain in domains
        if any(domain.endswith("." + other) for other in domains if other != domain)
    }
    assert nested == set()


@pytest.mark.parametrize(
    "provider",
    [
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "gmx.de",
        "gmx.com",
        "web.de",
        "mail.ru",
        "yandex.ru",
        "qq.com",
        "zoho.com",
        "fastmail.com",
        "privaterelay.appleid.com",
        "duck.com",
        "mozmail.com",
        "example.com",
    ],
)
def test_mainstream_providers_and_relays_are_not_listed(provider: str) -> None:
    assert disposable_match(provider) is None


def test_the_list_parser_skips_comments_and_refuses_garbage() -> None:
    assert parse_domain_list(["# note", "", "  throwaway.test  ", "other.test"]) == {
        "throwaway.test",
        "other.test",
    }
    with pytest.raises(ValueError, match="line 2"):
        parse_domain_list(["throwaway.test", "not a domain"])
    with pytest.raises(ValueError, match="line 1"):
        parse_domain_list(["Upper.Test"])


# --- phone -------------------------------------------------------------------------------


def test_normalize_phone_drops_typed_separators() -> None:
    assert normalize_phone("+1 (212) 867-5309") == "+12128675309"
    assert normalize_phone("212.867.5309") == "2128675309"


@pytest.mark.parametrize(
    "phone",
    [
        "+1 212 867 5309",
        "+12128675309",
        "2125551234",
        "(212) 555-1234",
        "212.867.5309",
        "1-212-867-5309",
        "+1 (415) 555-0200",
    ],
)
def test_valid_us_numbers_are_silent(phone: str) -> None:
    assert phone_finding(phone, "US") is None
    assert check_identity(facts(phone=phone)) == ()


def test_canadian_numbers_follow_the_same_plan() -> None:
    assert check_identity(facts(phone="+1 416 967 1111", country="CA")) == ()
    assert IdentityCode.PHONE_INVALID in codes(facts(phone="416 167 1111", country="CA"))


@pytest.mark.parametrize("phone", ["+1 (212) 555-0100", "212-555-0199", "1 312 555 0142"])
def test_fictional_555_01xx_numbers_are_high(phone: str) -> None:
    signal = only(facts(phone=phone), IdentityCode.PHONE_FICTIONAL)
    assert signal is not None
    assert signal.severity == "high"


@pytest.mark.parametrize(
    ("phone", "detail"),
    [
        ("1234567890", "area code starting with 0 or 1"),
        ("0125551234", "area code starting with 0 or 1"),
        ("+1 911 867 5309", "N11 service code as area code"),
        ("212 055 1234", "exchange starting with 0 or 1"),
        ("212 155 1234", "exchange starting with 0 or 1"),
        ("212 411 1234", "N11 service code as exchange"),
        ("212 867 530", "ten-digit"),
        ("212 867 53091", "ten-digit"),
        ("+1 212 867 530", "ten digits after the +1"),
        ("212-867-5309 x12", "other than digits"),
        ("", "has no digits"),
        ("()- ", "has no digits"),
        ("+44 20 7946 0958 00 00", "8 to 15 digits"),
    ],
)
def test_invalid_us_numbers_are_medium(phone: str, detail: str) -> None:
    signal = only(facts(phone=phone), IdentityCode.PHONE_INVALID)
    assert signal is not None
    assert signal.severity == "medium"
    assert detail in signal.description


@pytest.mark.parametrize(
    "phone", ["2222222222", "+1 777 777 7777", "2345678901", "987-654-3210", "+1 345 678 9012"]
)
def test_repeated_or_sequential_us_numbers_are_high(phone: str) -> None:
    signal = only(facts(phone=phone), IdentityCode.PHONE_FAKE_PATTERN)
    assert signal is not None
    assert signal.severity == "high"


def test_a_foreign_number_with_a_us_address_is_low() -> None:
    signal = only(facts(phone="+49 30 901820"), IdentityCode.PHONE_COUNTRY_MISMATCH)
    assert signal is not None
    assert signal.severity == "low"


@pytest.mark.parametrize(
    ("phone", "country"),
    [
        ("+49 30 901820", "DE"),
        ("+33 1 42 68 53 00", "FR"),
        ("+44 20 7946 0958", "GB"),
        ("+81 3-3224-9999", "JP"),
        ("+61 2 9374 4000", "AU"),
        ("+1 212 867 5309", "GB"),
        ("+861012345678901", "CN"),
    ],
)
def test_valid_international_numbers_are_silent(phone: str, country: str) -> None:
    assert phone_finding(phone, country) is None
    assert check_identity(facts(phone=phone, country=country)) == ()


@pytest.mark.parametrize(
    "phone",
    [
        "030 901820",
        "0049 30 901820",
        "+49 301",
        "+49 1234 5678 9012 345",
        "+049 30 901820",
        "+49 30 90182O",
    ],
)
def test_invalid_international_numbers_are_medium(phone: str) -> None:
    signal = only(facts(phone=phone, country="DE"), IdentityCode.PHONE_INVALID)
    assert signal is not None
    assert signal.severity == "medium"


@pytest.mark.parametrize("phone", ["+4444444444", "+23456789012", "+98765432109"])
def test_repeated_or_sequential_international_numbers_are_high(phone: str) -> None:
    assert phone_finding(phone, "DE") == phone_finding(phone, "FR")
    signal = only(facts(phone=phone, country="DE"), IdentityCode.PHONE_FAKE_PATTERN)
    assert signal is not None
    assert signal.severity == "high"


def test_plus_one_numbers_keep_north_american_rules_abroad() -> None:
    fictional = phone_finding("+1 212 555 0100", "DE")
    assert fictional is not None
    assert fictional.issue is PhoneIssue.FICTIONAL
    invalid = phone_finding("+1 123 456 7890", "GB")
    assert invalid is not None
    assert invalid.issue is PhoneIssue.INVALID


def test_us_territories_use_the_north_american_plan() -> None:
    assert phone_finding("787 722 1234", "PR") is None
    assert phone_finding("787 722 1234", "MX") is not None


# --- everything together ------------------------------------------------------------------

SUSPECT: dict[str, Any] = {
    "age": 22,
    "date_of_birth": date(1999, 7, 14),
    "application_date": date(2025, 6, 1),
    "years_employed": 20,
    "employment_status": EmploymentStatus.SELF_EMPLOYED,
    "education_level": EducationLevel.PHD,
    "stated_annual_income": 187_345.67,
    "verified_annual_income": 58_912.34,
    "bureau_monthly_debt": 9_876.54,
    "stated_debt_to_income_ratio": 12.5,
    "email": "Casey.Moreno+apply@inbox.mailinator.com",
    "phone": "+1 (212) 555-0142",
    "country": "US",
    "ssn_last4": "7302",
}


def test_every_rule_reports_in_a_stable_order() -> None:
    subject = IdentityFacts.model_validate(SUSPECT)
    assert codes(subject) == [
        IdentityCode.AGE_DOB_MISMATCH,
        IdentityCode.YEARS_EMPLOYED_EXCEED_AGE,
        IdentityCode.EDUCATION_AGE_IMPLAUSIBLE,
        IdentityCode.INCOME_ABOVE_VERIFIED,
        IdentityCode.DTI_BELOW_BUREAU,
        IdentityCode.EMAIL_DISPOSABLE,
        IdentityCode.PHONE_FICTIONAL,
    ]


def _forms_of(amount: float) -> set[str]:
    whole = round(amount)
    return {
        str(amount),
        f"{amount:.2f}",
        f"{amount:,.2f}",
        str(whole),
        f"{whole:,}",
        f"{whole:_}",
        str(int(amount)),
    }


def _sensitive(raw: dict[str, Any]) -> set[str]:
    birth: date = raw["date_of_birth"]
    phone: str = raw["phone"]
    email: str = raw["email"]
    found = {
        email,
        email.lower(),
        email.partition("@")[0],
        phone,
        normalize_phone(phone),
        normalize_phone(phone).lstrip("+"),
        normalize_phone(phone)[-10:],
        birth.isoformat(),
        birth.strftime("%m/%d/%Y"),
        birth.strftime("%d.%m.%Y"),
        raw["ssn_last4"],
    }
    for field in ("stated_annual_income", "verified_annual_income", "bureau_monthly_debt"):
        # Zero is no secret and would match every digit 0 in a bucket label.
        if raw.get(field):
            found |= _forms_of(raw[field])
    return found


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"email": "casey.moreno.example.com"},
        {"email": "casey@localhost"},
        {"phone": "1234567890"},
        {"phone": "+49 30 901820"},
        {"phone": "2222222222"},
        {"verified_annual_income": 0},
        {"stated_annual_income": 64_101.0, "verified_annual_income": 55_700.0},
    ],
)
def test_descriptions_never_carry_contact_details_birth_date_or_amounts(
    changes: dict[str, Any],
) -> None:
    raw = {**SUSPECT, **changes}
    signals = check_identity(IdentityFacts.model_validate(raw))
    assert signals
    for signal in signals:
        for value in _sensitive(raw):
            assert value not in signal.description, (signal.code, value)


def test_the_sensitivity_check_would_catch_a_leak() -> None:
    leaky = "stated income 187345.67 from Casey.Moreno+apply@inbox.mailinator.com"
    assert any(value in leaky for value in _sensitive(SUSPECT))


# --- models -------------------------------------------------------------------------------


def test_facts_keep_contact_details_and_birth_date_out_of_repr() -> None:
    subject = IdentityFacts.model_validate(SUSPECT)
    shown = repr(subject)
    assert "mailinator" not in shown
    assert "0142" not in shown
    assert "1999" not in shown
    assert "7302" not in shown


def test_facts_validation_errors_do_not_echo_the_input() -> None:
    too_long = "casey" * 60 + "@example.com"
    with pytest.raises(ValidationError) as caught:
        IdentityFacts.model_validate({**CONSISTENT, "email": too_long})
    assert too_long not in str(caught.value)


def test_facts_are_frozen_and_closed() -> None:
    subject = facts()
    with pytest.raises(ValidationError):
        subject.age = 40  # type: ignore[misc]
    with pytest.raises(ValidationError):
        facts(nickname="CJ")


@pytest.mark.parametrize(
    "changes",
    [
        {"ssn_last4": "12345"},
        {"country": "usa"},
        {"stated_annual_income": -1},
        {"years_employed": float("nan")},
    ],
)
def test_facts_refuse_out_of_contract_values(changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        facts(**changes)


def test_signal_codes_are_upper_snake_case_within_64_characters() -> None:
    for code in IdentityCode:
        assert code.value == code.name
        assert len(code.value) <= 64
        IdentitySignal(code=code.value, description="x", severity="low")
    with pytest.raises(ValidationError):
        IdentitySignal(code="age_dob_mismatch", description="x", severity="low")
    with pytest.raises(ValidationError):
        IdentitySignal(code="AGE_DOB_MISMATCH", description="x", severity="critical")
