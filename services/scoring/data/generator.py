"""The synthetic historical applications table: a documented data-generating process.

The bank's full history is not available, so the product makes a realistic stand-in with the
same 21 columns (``HISTORICAL_COLUMNS``) plus what only a generator can know: each row's true
probability of default and the default outcome drawn from it. The process, in order (every
step is vectorised and driven by one seeded generator, so ``(rows, seed)`` fixes the table):

1. age, then education (no graduate degree before 22), then employment status (students are
   young, retirees old), then years in the current job, never more than ``age - 14``;
2. income from education, experience and employment (students and the unemployed earn little,
   some of the unemployed nothing), home ownership from age and income, marital status and
   dependents from age alone;
3. a latent credit quality drives the credit score, the payment-history rating, utilisation of
   balances and the number of open loans; debt-to-income follows from those loans (and a
   mortgage) over income;
4. the loan: product shares depend on age, income and employment, amounts on product and
   income, the term on the product's range; ``interest_rate`` is what the past pricing granted
   and ``monthly_payment`` the annuity payment of the amount at that rate over that term;
5. the probability of default is a logistic function of *observed* columns only (score,
   post-loan debt-to-income, payment history, open loans, employment, liquidity against the
   amount, tenure, no income), with a steeper penalty below a 620 score; the outcome is one
   Bernoulli draw. Age and marital status have no direct effect, so any difference in outcomes
   across them comes only through the lawful factors;
6. ``approval_status`` is what a simple past policy decided (score, debt-to-income, payment
   history, employment) with 7 % of decisions flipped, as a stand-in for overrides and noise.

Because the default probability depends on observed columns only, a perfect model of them
reaches the ``oracle_auc`` the generator reports; real models land somewhat below it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from services.scoring.data.products import PRODUCT_PROFILES, annuity_payment

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]
Labels = NDArray[np.str_]

EDUCATION: Final = ("High School", "Bachelor's", "Master's", "PhD", "Other")
EDUCATION_SHARES: Final = (0.33, 0.38, 0.20, 0.06, 0.03)
CAREER_START: Final = {"High School": 18, "Bachelor's": 22, "Master's": 24, "PhD": 27, "Other": 19}
MEDIAN_INCOME: Final = {
    "High School": 36_000.0,
    "Bachelor's": 55_000.0,
    "Master's": 68_000.0,
    "PhD": 82_000.0,
    "Other": 40_000.0,
}
PAYMENT_HISTORY_RISK: Final = {"Poor": 0.9, "Fair": 0.3, "Good": 0.0, "Excellent": -0.3}
EMPLOYMENT_RISK: Final = {
    "Employed": 0.0,
    "Self-Employed": 0.25,
    "Retired": 0.1,
    "Student": 0.5,
    "Unemployed": 0.9,
}
APPROVAL_FLIP_SHARE: Final = 0.07


@dataclass(frozen=True)
class GeneratedTable:
    """Columns of the table (numpy arrays of equal length) and what the generator knows."""

    columns: dict[str, NDArray[Any]]
    default_probability: Floats
    defaulted: Ints

    @property
    def rows(self) -> int:
        return len(self.defaulted)


def generate(rows: int, seed: int) -> GeneratedTable:
    """``rows`` applications drawn from the process in the module docstring."""
    if rows < 1:
        raise ValueError("rows must be at least 1")
    rng = np.random.default_rng(seed)
    age = np.clip(np.round(18 + rng.gamma(3.2, 7.5, rows)), 18, 80).astype(np.int64)
    education = _education(rng, age)
    employment = _employment(rng, age)
    years_employed = _years_employed(rng, age, education, employment)
    income = _income(rng, education, years_employed, employment)
    home = _home_ownership(rng, age, income)
    marital = _marital_status(rng, age)
    dependents = _dependents(rng, age, marital)

    quality = rng.standard_normal(rows)
    score = np.clip(
        np.round(682 + 58 * quality + 18 * np.tanh((age - 30) / 15) + 12 * _log_ratio(income)),
        300,
        850,
    ).astype(np.int64)
    payment_history = _payment_history(rng, score)
    existing_loans = np.clip(
        rng.poisson(0.5 + 1.1 * (age > 25) + 0.5 * (home != "Rent") + 0.4 * (quality < -1)),
        0,
        12,
    ).astype(np.int64)
    monthly_income = income / 12
    monthly_debt = existing_loans * rng.lognormal(np.log(260), 0.5, rows) + (
        home == "Mortgage"
    ) * rng.lognormal(np.log(1_300), 0.35, rows)
    dti = np.round(np.clip(100 * monthly_debt / np.maximum(monthly_income, 250), 0, 150), 2)
    savings = np.round(
        rng.lognormal(np.log(0.12 * np.maximum(income, 3_000) * (1 + age / 40)), 1.0)
        * np.exp(0.35 * quality),
        2,
    )
    checking = np.round(rng.lognormal(np.log(0.07 * income + 2_500), 0.8), 2)
    overdrawn = rng.random(rows) < 0.03 * (quality < -0.5)
    checking = np.where(overdrawn, -np.round(rng.lognormal(np.log(400), 0.8, rows), 2), checking)

    product = _product(rng, age, income, employment)
    amount, term, rate = _loan_terms(rng, product, income, score)
    payment = np.round(annuity_payment(amount, rate, term), 2)

    pd = default_probability(
        score=score,
        dti=dti,
        monthly_payment=payment,
        monthly_income=monthly_income,
        payment_history=payment_history,
        existing_loans=existing_loans,
        employment=employment,
        liquid=savings + np.maximum(checking, 0),
        amount=amount,
        years_employed=years_employed,
    )
    defaulted = (rng.random(rows) < pd).astype(np.int64)
    approved = (
        (score >= 640)
        & (dti < 40)
        & (payment_history != "Poor")
        & (employment != "Unemployed")
        & (income > 0)
    )
    approved ^= rng.random(rows) < APPROVAL_FLIP_SHARE
    columns: dict[str, NDArray[Any]] = {
        "customer_id": np.array([str(uuid.UUID(bytes=rng.bytes(16), version=4)) for _ in age]),
        "age": age,
        "annual_income": np.round(income, 2),
        "credit_score": score,
        "employment_status": employment,
        "years_employed": years_employed,
        "debt_to_income_ratio": dti,
        "savings_balance": savings,
        "checking_balance": checking,
        "home_ownership": home,
        "marital_status": marital,
        "num_dependents": dependents,
        "education_level": education,
        "loan_purpose": product,
        "requested_loan_amount": amount,
        "existing_loans": existing_loans,
        "payment_history": payment_history,
        "loan_term": term,
        "interest_rate": rate,
        "monthly_payment": payment,
        "approval_status": np.where(approved, "Approved", "Rejected"),
    }
    return GeneratedTable(columns=columns, default_probability=pd, defaulted=defaulted)


def default_probability(
    *,
    score: Ints,
    dti: Floats,
    monthly_payment: Floats,
    monthly_income: Floats,
    payment_history: Labels,
    existing_loans: Ints,
    employment: Labels,
    liquid: Floats,
    amount: Floats,
    years_employed: Ints,
) -> Floats:
    """The true probability of default of each row (step 5 of the module docstring)."""
    standard_score = (score - 680) / 55
    post_loan_dti = np.minimum(dti + 100 * monthly_payment / np.maximum(monthly_income, 250), 120)
    logit = (
        -3.1
        - 0.7 * standard_score
        + 0.4 * np.maximum(0, (620 - score) / 55) ** 2
        + 0.02 * (post_loan_dti - 35)
        + _lookup(payment_history, PAYMENT_HISTORY_RISK)
        + 0.11 * existing_loans
        + _lookup(employment, EMPLOYMENT_RISK)
        - 0.22 * np.log1p(liquid / amount)
        - 0.035 * np.minimum(years_employed, 10)
        + 0.5 * (monthly_income <= 0)
    )
    result: Floats = 1 / (1 + np.exp(-logit))
    return result


def _lookup(labels: Labels, table: dict[str, float]) -> Floats:
    out = np.zeros(len(labels))
    for label, value in table.items():
        out[labels == label] = value
    return out


def _log_ratio(income: Floats) -> Floats:
    ratio: Floats = np.log(np.maximum(income, 5_000) / 50_000)
    return ratio


def _education(rng: np.random.Generator, age: Ints) -> Labels:
    education = rng.choice(np.array(EDUCATION), size=len(age), p=EDUCATION_SHARES)
    too_young = (age < 22) & np.isin(education, ["Master's", "PhD"])
    education[too_young] = "Bachelor's"
    education[(age < 27) & (education == "PhD")] = "Master's"
    return education


def _employment(rng: np.random.Generator, age: Ints) -> Labels:
    u = rng.random(len(age))
    student_share = np.where(age < 25, 0.35, np.where(age < 35, 0.03, 0.0))
    retired_share = np.where(age >= 62, 0.55, 0.0)
    employment = np.full(len(age), "Employed", dtype=object)
    employment[u < 0.72] = "Employed"
    employment[(u >= 0.72) & (u < 0.88)] = "Self-Employed"
    employment[u >= 0.88] = "Unemployed"
    v = rng.random(len(age))
    employment[v < student_share] = "Student"
    employment[v > 1 - retired_share] = "Retired"
    return employment.astype(str)


def _years_employed(
    rng: np.random.Generator, age: Ints, education: Labels, employment: Labels
) -> Ints:
    start = np.array([CAREER_START[e] for e in education])
    career = np.clip(age - start, 0, None)
    years = np.floor(career * rng.beta(1.5, 2.0, len(age))).astype(np.int64)
    working = np.isin(employment, ["Employed", "Self-Employed"])
    years = np.where(working, years, 0)
    return np.minimum(years, np.clip(age - 14, 0, None))


def _income(rng: np.random.Generator, education: Labels, years: Ints, employment: Labels) -> Floats:
    rows = len(education)
    median = np.array([MEDIAN_INCOME[e] for e in education]) * (1 + 0.025 * np.minimum(years, 25))
    sigma = np.where(employment == "Self-Employed", 0.7, 0.45)
    income = median * np.exp(sigma * rng.standard_normal(rows))
    income = np.where(employment == "Student", rng.uniform(2_000, 22_000, rows), income)
    income = np.where(employment == "Retired", rng.uniform(14_000, 55_000, rows), income)
    unemployed = employment == "Unemployed"
    benefits = np.where(rng.random(rows) < 0.3, 0.0, rng.uniform(3_000, 16_000, rows))
    result: Floats = np.where(unemployed, benefits, income)
    return result


def _home_ownership(rng: np.random.Generator, age: Ints, income: Floats) -> Labels:
    u = rng.random(len(age))
    own_share = np.clip(0.02 + 0.006 * (age - 25), 0.02, 0.45)
    mortgage_share = np.clip(0.1 + 0.25 * (income > 60_000) + 0.008 * (age - 25), 0.05, 0.5)
    mortgage_share = np.where(age > 65, 0.1, mortgage_share)
    home = np.where(
        u < own_share, "Own", np.where(u < own_share + mortgage_share, "Mortgage", "Rent")
    )
    return home


def _marital_status(rng: np.random.Generator, age: Ints) -> Labels:
    bands = [
        (age < 25, (0.85, 0.13, 0.02, 0.0)),
        ((age >= 25) & (age < 40), (0.40, 0.48, 0.11, 0.01)),
        ((age >= 40) & (age < 60), (0.18, 0.58, 0.20, 0.04)),
        (age >= 60, (0.08, 0.55, 0.17, 0.20)),
    ]
    statuses = np.array(["Single", "Married", "Divorced", "Widowed"])
    marital = np.empty(len(age), dtype="<U8")
    for mask, shares in bands:
        marital[mask] = rng.choice(statuses, size=int(mask.sum()), p=shares)
    return marital


def _dependents(rng: np.random.Generator, age: Ints, marital: Labels) -> Ints:
    mean = np.where(marital == "Married", 1.4, 0.5) * np.where(age < 22, 0.1, 1.0)
    return np.clip(rng.poisson(mean), 0, 6).astype(np.int64)


def _payment_history(rng: np.random.Generator, score: Ints) -> Labels:
    signal = (score - 680) / 55 + 0.6 * rng.standard_normal(len(score))
    bins = np.digitize(signal, [-1.2, 0.2, 1.2])
    return np.array(["Poor", "Fair", "Good", "Excellent"])[bins]


def _product(rng: np.random.Generator, age: Ints, income: Floats, employment: Labels) -> Labels:
    names = list(PRODUCT_PROFILES)
    base = np.array([PRODUCT_PROFILES[name].share for name in names])
    weights = np.tile(base, (len(age), 1))
    home = names.index("Home")
    education = names.index("Education")
    # Home loans need an income and a settled life; students mostly borrow for education.
    weights[:, home] *= np.where((age >= 27) & (income > 45_000), 2.0, 0.3)
    weights[:, home] *= np.where(employment == "Student", 0.05, 1.0)
    weights[:, education] *= np.where((employment == "Student") | (age < 30), 4.0, 0.6)
    weights /= weights.sum(axis=1, keepdims=True)
    picks = (weights.cumsum(axis=1) > rng.random((len(age), 1))).argmax(axis=1)
    products: Labels = np.array(names)[picks]
    return products


def _loan_terms(
    rng: np.random.Generator, product: Labels, income: Floats, score: Ints
) -> tuple[Floats, Floats, Floats]:
    rows = len(product)
    amount = np.zeros(rows)
    term = np.zeros(rows)
    rate = np.zeros(rows)
    price_risk = np.clip(0.5 - 0.22 * (score - 680) / 55 + 0.12 * rng.standard_normal(rows), 0, 1)
    for name, profile in PRODUCT_PROFILES.items():
        mask = product == name
        count = int(mask.sum())
        scale = (np.maximum(income[mask], 10_000) / 55_000) ** 0.5
        drawn = rng.lognormal(np.log(profile.median_amount), profile.amount_sigma, count) * scale
        amount[mask] = np.round(np.clip(drawn, profile.min_amount, profile.max_amount), 2)
        term[mask] = rng.choice(np.array(profile.terms), size=count)
        low, high = profile.rate_range
        rate[mask] = np.round(low + (high - low) * price_risk[mask], 2)
    return amount, term, rate
