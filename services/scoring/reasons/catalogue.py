"""Reason codes and texts, and the principal reasons of one scored application.

The catalogue maps each spec feature to a stable code, a text the applicant reads, and whether a
tip may address it (``catalogue.yaml``). Knock-out codes and texts are read from the policy's
own ``knockouts.json``, so a rule's wording lives in one place.

``principal_reasons`` states at most four reasons, as an adverse-action notice may: the policy
knock-outs first, since any one of them decides on its own, then the features that pushed the
logit hardest toward default. A feature whose contribution is not positive at the reported
precision never becomes a reason: it did not count against the applicant.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Final, Literal, Self

import numpy as np
import yaml
import zen
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from services.common.contracts.decision import PrincipalReason
from services.common.contracts.primitives import ReasonCodeValue
from services.common.contracts.stages import MAX_PRINCIPAL_REASONS, Reason
from services.scoring.policy import KnockOut, default_tables_dir
from services.scoring.reasons.contributions import RowContributions
from services.scoring.training.spec import FeatureSpec, FeatureSpecEntry

CONTRIBUTION_DECIMALS: Final = 4
"""Contributions are reported, and compared with zero, at this many decimals of the logit."""

_MAX_CODE_LENGTH: Final = 64


class CatalogueError(ValueError):
    """The catalogue or the knock-out table cannot be read, or a code cannot be resolved."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CatalogueEntry(_Frozen):
    code: ReasonCodeValue
    text: str = Field(min_length=1, max_length=200)
    actionable: bool


class Fallback(_Frozen):
    code_prefix: str = Field(pattern=r"^[A-Z][A-Z0-9_]{0,30}_$")
    text: str = Field(min_length=1, max_length=120, pattern=r"\{label\}")


class Catalogue(_Frozen):
    version: str = Field(min_length=1, max_length=32)
    features: dict[str, CatalogueEntry]
    fallback: Fallback
    knockouts: dict[str, tuple[str, ...]] = Field(
        default_factory=dict, description="Knock-out code to its texts, in table row order."
    )

    @model_validator(mode="after")
    def _codes_are_unique(self) -> Self:
        codes = [entry.code for entry in self.features.values()]
        repeated = sorted({code for code in codes if codes.count(code) > 1})
        if repeated:
            raise ValueError(f"reason codes used by more than one feature: {repeated}")
        clashes = sorted(set(codes) & set(self.knockouts))
        clashes += [code for code in codes if code.startswith(self.fallback.code_prefix)]
        if clashes:
            raise ValueError(f"feature codes that are knock-out or fallback codes: {clashes}")
        return self

    def entry(self, feature: FeatureSpecEntry | str) -> CatalogueEntry:
        """The feature's entry, or one made from the fallback for a feature not listed."""
        name = feature if isinstance(feature, str) else feature.name
        return self.features[name] if name in self.features else self.fallback_entry(feature)

    def fallback_entry(self, feature: FeatureSpecEntry | str) -> CatalogueEntry:
        """A code and a text that claim no direction, only that the feature counted against."""
        name = feature if isinstance(feature, str) else feature.name
        label = name.replace("_", " ") if isinstance(feature, str) else _label(feature)
        upper = re.sub(r"[^A-Z0-9]+", "_", name.upper()).strip("_") or "UNNAMED"
        code = (self.fallback.code_prefix + upper)[:_MAX_CODE_LENGTH].rstrip("_")
        text = self.fallback.text.format(label=label)
        return CatalogueEntry(code=code, text=text[:1].upper() + text[1:], actionable=False)

    def knockout_text(self, code: str) -> str:
        """The table's text of a knock-out code that has a single text in every row."""
        texts = self.knockouts.get(code)
        if not texts:
            raise CatalogueError(f"{code!r} is not a reason code of the knock-out table")
        if len(texts) > 1:
            raise CatalogueError(
                f"{code!r} has {len(texts)} texts (one per product); pass the KnockOut the "
                "policy returned, which carries the text of the row that matched"
            )
        return texts[0]

    def missing(self, spec: FeatureSpec) -> tuple[str, ...]:
        """Features of ``spec`` that only the fallback covers."""
        return tuple(f.name for f in spec.features if f.name not in self.features)


def _label(feature: FeatureSpecEntry) -> str:
    return feature.label or feature.name.replace("_", " ")


def read_knockout_texts(table: Traversable) -> dict[str, tuple[str, ...]]:
    """Each reason code of a knock-out decision table with its distinct texts."""
    try:
        document = json.loads(table.read_bytes())
        node = next(n for n in document["nodes"] if n.get("type") == "decisionTableNode")
        column = {c["field"]: c["id"] for c in node["content"]["outputs"]}
        texts: dict[str, list[str]] = {}
        for row in node["content"]["rules"]:
            # Output cells are zen literals, exactly as the policy engine reads them.
            code = str(zen.evaluate_expression(row[column["reason_code"]]))
            text = str(zen.evaluate_expression(row[column["description"]]))
            known = texts.setdefault(code, [])
            if text not in known:
                known.append(text)
    except (OSError, ValueError, KeyError, StopIteration, RuntimeError) as error:
        raise CatalogueError(f"cannot read knock-out texts from {table}: {error!r}") from error
    return {code: tuple(found) for code, found in texts.items()}


def load_catalogue(
    path: Traversable | None = None, *, knockout_table: Traversable | None = None
) -> Catalogue:
    """The catalogue at ``path`` (default: the shipped one) with the knock-out table's texts."""
    source = path or files("services.scoring.reasons") / "catalogue.yaml"
    table = knockout_table or default_tables_dir() / "knockouts.json"
    try:
        document = yaml.safe_load(source.read_text(encoding="utf-8"))
        return Catalogue.model_validate({**document, "knockouts": read_knockout_texts(table)})
    except (OSError, yaml.YAMLError, TypeError, ValidationError) as error:
        raise CatalogueError(f"cannot load the reason catalogue {source}: {error}") from error


@cache
def default_catalogue() -> Catalogue:
    return load_catalogue()


class ScoredReason(_Frozen):
    """One principal reason, with what it came from so an auditor can check it."""

    code: ReasonCodeValue
    text: str = Field(min_length=1, max_length=200)
    source: Literal["policy", "model"]
    feature: str | None = Field(default=None, description="The spec feature, for model reasons.")
    contribution: float | None = Field(
        default=None, description="The feature's push on the logit, rounded; model reasons only."
    )
    actionable: bool = False

    def to_stage_reason(self) -> Reason:
        return Reason(code=self.code, description=self.text)

    def to_principal_reason(self, action: str | None = None) -> PrincipalReason:
        return PrincipalReason(code=self.code, text=self.text, action=action)


def adverse_features(row: RowContributions) -> tuple[int, ...]:
    """Indices of features that raised the risk, strongest first, ties in spec order."""
    return adverse_features_of_rows(row.values[np.newaxis, :])[0]


def adverse_features_of_rows(values: NDArray[np.float64]) -> list[tuple[int, ...]]:
    """``adverse_features`` of every row of an N x F matrix, in a few array operations."""
    # A stable sort of the negated values: strongest first, equal pushes keep spec order.
    order = np.argsort(-values, axis=1, kind="stable")
    rounded = np.round(np.take_along_axis(values, order, axis=1), CONTRIBUTION_DECIMALS)
    adverse = rounded > 0
    return [tuple(row[keep].tolist()) for row, keep in zip(order, adverse, strict=True)]


def principal_reasons(
    contributions_row: RowContributions,
    *,
    policy_knockouts: Sequence[KnockOut | str] = (),
    limit: int = MAX_PRINCIPAL_REASONS,
    catalogue: Catalogue | None = None,
    adverse: Sequence[int] | None = None,
) -> tuple[ScoredReason, ...]:
    """Knock-outs first, then the features pushing hardest toward default; at most ``limit``.

    ``adverse`` is ``adverse_features(contributions_row)`` when the caller computed it for a
    whole batch at once.
    """
    if not 1 <= limit <= MAX_PRINCIPAL_REASONS:
        raise ValueError(f"limit must be between 1 and {MAX_PRINCIPAL_REASONS}, got {limit}")
    catalogue = catalogue or default_catalogue()
    # A rule can match on several rows; each code is stated once, where it first appears.
    stated: dict[str, ScoredReason] = {}
    for knockout in policy_knockouts:
        if isinstance(knockout, KnockOut):
            code, text = knockout.reason_code, knockout.description
        else:
            code, text = knockout, catalogue.knockout_text(knockout)
        if code not in stated:
            stated[code] = ScoredReason(code=code, text=text, source="policy", actionable=False)
    for index in adverse_features(contributions_row) if adverse is None else adverse:
        if len(stated) >= limit:
            break  # the rest could not be stated anyway
        feature = contributions_row.features[index]
        # A catalogue text may name the spec's direction ("too high"); the model pushed the
        # other way for a conflicting feature, so it gets the direction-free fallback instead.
        conflicting = feature.name in contributions_row.direction_conflicts
        entry = catalogue.fallback_entry(feature) if conflicting else catalogue.entry(feature)
        if entry.code not in stated:
            stated[entry.code] = ScoredReason(
                code=entry.code,
                text=entry.text,
                source="model",
                feature=feature.name,
                contribution=round(float(contributions_row.values[index]), CONTRIBUTION_DECIMALS),
                actionable=entry.actionable,
            )
    return tuple(stated.values())[:limit]
