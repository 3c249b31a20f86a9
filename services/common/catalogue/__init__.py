"""The bank's loan products as data: terms, rates, amounts, cut-offs, fees, required evidence.

One file, ``products.json``, read by every service that needs a product's rules: ingest flags a
term outside the product's range, the documents stage asks for the evidence a product needs,
the offers stage prices and checks affordability. A bank edits the file (or points
``load_catalogue`` at its own); loading refuses a file that leaves a product out, orders a
range backwards or puts a base rate outside its range. The version is the file's label plus a
hash of its bytes, so every offer names exactly the terms it was made under.
"""

from __future__ import annotations

import functools
import hashlib
from decimal import ROUND_HALF_UP, Decimal
from importlib.resources import files
from pathlib import Path
from typing import Final, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from services.common.contracts.primitives import LoanProduct
from services.common.contracts.stages import RiskGrade

Evidence = Literal["income", "identity", "banking", "address"]
CENT: Final = Decimal("0.01")


class CatalogueError(ValueError):
    """The catalogue file is missing, malformed or inconsistent."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


Range = tuple[float, float]


def _ordered(name: str, bounds: Range) -> None:
    if bounds[0] > bounds[1]:
        raise ValueError(f"{name} range is backwards: {bounds[0]} > {bounds[1]}")


class FeeRule(_Frozen):
    """An origination fee: a percentage of the amount, within a floor and a ceiling."""

    percent: float = Field(ge=0, le=10)
    minimum: float = Field(ge=0)
    maximum: float = Field(ge=0)

    @model_validator(mode="after")
    def _bounds(self) -> Self:
        _ordered("fee", (self.minimum, self.maximum))
        return self

    def fee(self, amount: Decimal) -> Decimal:
        """The fee on ``amount``, to the cent."""
        if self.percent == 0:
            return Decimal("0.00")
        raw = amount * Decimal(str(self.percent)) / 100
        bounded = min(max(raw, Decimal(str(self.minimum))), Decimal(str(self.maximum)))
        return bounded.quantize(CENT, rounding=ROUND_HALF_UP)


class ProductTerms(_Frozen):
    product: LoanProduct
    description: str = Field(min_length=1, max_length=200)
    secured: bool
    term_years: Range
    rate_percent: Range
    base_rate_percent: float
    grade_premiums_percent: dict[RiskGrade, float] | None = Field(
        default=None, description="This product's premiums; the catalogue's when absent."
    )
    amount: Range
    min_credit_score: int = Field(ge=300, le=850)
    max_dti_percent: float = Field(gt=0, le=100, description="Debt-to-income cap after the loan.")
    origination_fee: FeeRule
    required_evidence: tuple[Evidence, ...]
    alternatives: tuple[LoanProduct, ...] = Field(
        default=(), description="What to offer instead when this product cannot be, in order."
    )
    max_age_at_maturity: int = Field(ge=18, le=120)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        for name, bounds in (
            ("term_years", self.term_years),
            ("rate_percent", self.rate_percent),
            ("amount", self.amount),
        ):
            _ordered(name, bounds)
        if self.term_years[0] <= 0 or self.amount[0] <= 0:
            raise ValueError("terms and amounts start above zero")
        if not self.rate_percent[0] <= self.base_rate_percent <= self.rate_percent[1]:
            raise ValueError("base_rate_percent lies outside rate_percent")
        if self.grade_premiums_percent is not None and set(self.grade_premiums_percent) != set(
            RiskGrade
        ):
            raise ValueError("grade_premiums_percent must name every grade A to E")
        return self

    @property
    def term_months(self) -> tuple[int, int]:
        return round(self.term_years[0] * 12), round(self.term_years[1] * 12)

    def allows_term(self, months: int) -> bool:
        low, high = self.term_months
        return low <= months <= high

    def allows_amount(self, amount: float) -> bool:
        return self.amount[0] <= amount <= self.amount[1]


class Catalogue(_Frozen):
    version: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,80}$")
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    grade_premiums_percent: dict[RiskGrade, float]
    products: tuple[ProductTerms, ...]
    disclosures: tuple[str, ...] = Field(default=(), max_length=6)

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if set(self.grade_premiums_percent) != set(RiskGrade):
            raise ValueError("grade_premiums_percent must name every grade A to E")
        names = [terms.product for terms in self.products]
        if len(set(names)) != len(names):
            raise ValueError("a product is listed twice")
        for terms in self.products:
            if terms.product in terms.alternatives:
                raise ValueError(f"{terms.product.value} lists itself as its alternative")
        missing = set(LoanProduct) - set(names)
        if missing:
            # Fail closed: a product without terms must not be priced from defaults.
            raise ValueError(f"no terms for {sorted(p.value for p in missing)}")
        return self

    def __getitem__(self, product: LoanProduct) -> ProductTerms:
        for terms in self.products:
            if terms.product == product:
                return terms
        raise KeyError(product)

    def premium(self, terms: ProductTerms, grade: RiskGrade) -> float:
        table = terms.grade_premiums_percent or self.grade_premiums_percent
        return table[grade]


def default_catalogue_path() -> Path:
    return Path(str(files("services.common.catalogue") / "products.json"))


@functools.cache
def _load(path: Path) -> Catalogue:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CatalogueError(f"cannot read the product catalogue {path.name}") from exc
    try:
        catalogue = Catalogue.model_validate_json(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}" for error in exc.errors()
        )
        raise CatalogueError(f"{path.name}: {problems}") from None
    digest = hashlib.sha256(raw).hexdigest()[:12]
    return catalogue.model_copy(update={"version": f"{catalogue.version}+{digest}"})


def load_catalogue(path: Path | None = None) -> Catalogue:
    """The catalogue at ``path`` (the shipped one by default), checked; cached per path."""
    return _load((path or default_catalogue_path()).resolve())
