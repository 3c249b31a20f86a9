"""The model card: what was trained, how the candidates compared, and a fair-lending screen.

``write_model_card`` puts ``model_card.md`` and its figures into the artifact directory. The
fair-lending screen applies the credit policy's grade table to the selected model's calibrated
out-of-fold probabilities and compares approval rates across groups of the monitored
attributes (the four-fifths screen). Monitored attributes are the spec's prohibited columns that
describe the applicant with a few text levels, plus age bands; none of them is a model input.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from services.scoring.policy import CreditPolicy, GradeBand
from services.scoring.reasons.cost import cost_section, measure_reason_cost
from services.scoring.training.artifact import load_artifact
from services.scoring.training.plots import draw_figures, out_of_fold
from services.scoring.training.spec import FeatureSpec
from services.scoring.training.train import AUC_TIE, PREFERENCE, TrainingResult

CARD_FILE: Final = "model_card.md"
FOUR_FIFTHS: Final = 0.8
AGE_COLUMNS: Final = ("age", "age_in_years")
AGE_BANDS: Final = ((25, "18-24"), (35, "25-34"), (45, "35-44"), (55, "45-54"), (65, "55-64"))
OLDEST_AGE_BAND: Final = "65+"
UNDER_AGE_BAND: Final = "under 18"
MISSING: Final = "(missing)"
MAX_GROUP_LEVELS: Final = 20
# Prohibited because they record a past decision, not because they describe who applied:
# grouping applicants by them says nothing about equal treatment.
PAST_DECISION_COLUMNS: Final = frozenset({"approval_status"})
METRICS: Final = (
    ("auc", "AUC"),
    ("gini", "Gini"),
    ("ks", "KS"),
    ("brier", "Brier"),
    ("log_loss", "log loss"),
    ("precision", "precision"),
    ("recall", "recall"),
    ("f1", "F1"),
    ("calibration_error", "calibration error"),
)
RISK_WORDS: Final = {
    "increasing": "higher value, higher risk",
    "decreasing": "higher value, lower risk",
    "unknown": "not constrained",
}


@dataclass(frozen=True)
class FairnessRow:
    """One group of one monitored attribute in the four-fifths screen."""

    attribute: str
    group: str
    rows: int
    approval_rate: float
    ratio_to_highest: float | None
    default_rate: float

    @property
    def flagged(self) -> bool:
        return self.ratio_to_highest is not None and self.ratio_to_highest < FOUR_FIFTHS


def age_band(age: float) -> str:
    """The monitoring band of an age in years; ages count in completed years."""
    if not math.isfinite(age):
        return MISSING
    if age < 18:
        return UNDER_AGE_BAND
    return next((label for upper, label in AGE_BANDS if age < upper), OLDEST_AGE_BAND)


def fairness_rows(
    attribute: str,
    groups: NDArray[Any],
    approved: NDArray[np.bool_],
    defaulted: NDArray[np.bool_],
) -> list[FairnessRow]:
    """Approval and default rate per group, and each approval rate over the highest one."""
    groups = np.asarray(groups).astype(str)
    levels = sorted(set(groups.tolist()))
    approval = {level: float(approved[groups == level].mean()) for level in levels}
    highest = max(approval.values(), default=0.0)
    return [
        FairnessRow(
            attribute=attribute,
            group=level,
            rows=int((groups == level).sum()),
            approval_rate=approval[level],
            # With nobody approved anywhere there is no disparity to measure.
            ratio_to_highest=approval[level] / highest if highest > 0 else None,
            default_rate=float(defaulted[groups == level].mean()),
        )
        for level in levels
    ]


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


def _describes_groups(values: NDArray[Any]) -> bool:
    """A few text levels (marital status, yes/no), not numbers and not an identifier."""
    levels = {str(v) for v in values} - {""}
    numeric = all(math.isfinite(_number(level)) for level in levels)
    return 0 < len(levels) <= MAX_GROUP_LEVELS and not numeric


def monitored_groups(
    spec: FeatureSpec, table: Mapping[str, NDArray[Any]]
) -> dict[str, NDArray[Any]]:
    """Attribute name → each row's group, for the attributes the screen monitors."""
    # An attribute the model reads could not honestly be called "not a model input".
    used = spec.source_columns | {spec.target.column}
    skipped = used | PAST_DECISION_COLUMNS | set(AGE_COLUMNS)
    groups: dict[str, NDArray[Any]] = {}
    for column in spec.prohibited:
        if column in table and column not in skipped and _describes_groups(table[column]):
            texts = np.asarray(table[column]).astype(str)
            groups[column] = np.where(texts == "", MISSING, texts)
    for column in AGE_COLUMNS:
        if column in table and column not in used:
            ages = [age_band(_number(str(v))) for v in table[column]]
            groups[f"{column} band"] = np.array(ages)
            break
    return groups


def approved_by_policy(pd: NDArray[np.float64], policy: CreditPolicy) -> NDArray[np.bool_]:
    """Whether the policy's grade table puts each probability in the approve band."""
    # Calibrated probabilities take few distinct values (isotonic steps), so grading each
    # distinct value once gives the policy's exact answer at a fraction of the cost.
    distinct, position = np.unique(np.clip(pd, 0.0, 1.0), return_inverse=True)
    bands = np.array([policy.grade(float(p)).band == GradeBand.APPROVE for p in distinct])
    approved: NDArray[np.bool_] = bands[position]
    return approved


def fairness_screen(
    result: TrainingResult, table: Mapping[str, NDArray[Any]], policy: CreditPolicy
) -> list[FairnessRow]:
    calibrated = result.calibration.apply(out_of_fold(result.candidates[result.selected]))
    approved = approved_by_policy(calibrated, policy)
    return [
        row
        for attribute, groups in monitored_groups(result.spec, table).items()
        for row in fairness_rows(attribute, groups, approved, result.labels)
    ]


def selection_rule() -> str:
    order = ", then ".join(f"`{name}`" for name in PREFERENCE)
    return (
        f"The candidate with the highest mean cross-validated AUC is selected; among candidates "
        f"within {AUC_TIE} AUC of the best, the earliest in the order {order} is preferred, "
        "because the earlier models' reasons are cheaper to compute and easier to explain."
    )


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]


def _header(result: TrainingResult, artifact_dir: Path) -> list[str]:
    spec = result.spec
    features = _table(
        ("feature", "label", "kind", "risk direction"),
        [(f"`{f.name}`", f.label or "—", f.kind, RISK_WORDS[f.risk]) for f in spec.features],
    )
    excluded = ", ".join(f"`{name}`" for name in spec.prohibited) or "none"
    return [
        f"# Model card: {spec.name}",
        "",
        f"- Version: `{artifact_dir.name.rsplit('-', 1)[-1]}`",
        f"- Selected model: `{result.selected}`",
        f"- Rows: {len(result.labels):,}; default rate {result.labels.mean():.2%}",
        f"- Cross-validation: {result.folds} stratified folds, seed {result.seed}",
        f"- Created: {datetime.now(UTC).date().isoformat()}",
        "",
        "## Features",
        "",
        *features,
        "",
        "## Excluded columns",
        "",
        f"Prohibited by the spec and never model inputs: {excluded}.",
    ]


def _comparison(result: TrainingResult, oracle_auc: float | None) -> list[str]:
    cutoff = result.spec.operating_cutoff
    named = [
        (f"`{name}`" + (" (selected)" if name == result.selected else ""), candidate.mean)
        for name, candidate in result.candidates.items()
    ]
    named.append((f"`{result.selected}` calibrated", result.calibrated_metrics))
    rows = [(name, *(f"{metrics[key]:.4f}" for key, _ in METRICS)) for name, metrics in named]
    if oracle_auc is not None:
        share = result.selected_auc / oracle_auc
        oracle = (
            f"Oracle AUC (the true default probability's AUC on this table): {oracle_auc:.4f}; "
            f"the selected model reaches {result.selected_auc:.4f}, {share:.1%} of it."
        )
    else:
        oracle = "Oracle AUC: not known, the data did not come from the generator."
    return [
        "## Candidate comparison",
        "",
        f"Mean over the {result.folds} folds; precision, recall and F1 flag a probability of "
        f"default above the operating cut-off {cutoff}. The last row scores the selected model's "
        "calibrated out-of-fold predictions, pooled over all rows.",
        "",
        *_table(("model", *(label for _, label in METRICS)), rows),
        "",
        f"Selection rule: {selection_rule()}",
        "",
        oracle,
    ]


def _fairness(rows: list[FairnessRow], policy: CreditPolicy) -> list[str]:
    lines = [
        "## Fair-lending screen (four-fifths rule)",
        "",
        "An application counts as approved when the credit policy's grade table (policy "
        f"`{policy.version}`) puts the selected model's calibrated out-of-fold probability of "
        "default in the approve band; knock-out rules are not applied. Each group's approval "
        f"rate is divided by the highest group's; ratios below {FOUR_FIFTHS} are flagged. The "
        "observed default rate shows whether a gap in approvals follows a gap in risk.",
        "",
        "These attributes were not model inputs. The screen is a monitoring aid, not a legal "
        "conclusion: a flag calls for review, and small groups give noisy ratios.",
        "",
    ]
    if not rows:
        return [*lines, "No monitored attribute is present in the training table."]
    table_rows = [
        (
            f"`{row.attribute}`",
            row.group,
            f"{row.rows:,}",
            f"{row.approval_rate:.1%}",
            "n/a" if row.ratio_to_highest is None else f"{row.ratio_to_highest:.3f}",
            f"{row.default_rate:.1%}",
            f"below {FOUR_FIFTHS}" if row.flagged else "",
        )
        for row in rows
    ]
    header = ("attribute", "group", "rows", "approved", "ratio", "default rate", "flag")
    return lines + _table(header, table_rows)


def _intended_use(synthetic: bool) -> list[str]:
    lines = [
        "## Intended use and limits",
        "",
        "- Pre-screening of loan applications only: the policy's knock-out rules apply first, "
        "and applications in the refer band go to a human underwriter.",
        "- Calibration figures come from the same out-of-fold predictions the calibration was "
        "fitted on, so they are optimistic by that fit; ranking metrics are unaffected.",
    ]
    if synthetic:
        lines.append(
            "- Trained on synthetic data from `prescreen data generate`; performance on a "
            "real portfolio must be measured on that portfolio before use."
        )
    return lines


def write_model_card(
    result: TrainingResult,
    table: Mapping[str, NDArray[Any]],
    artifact_dir: Path,
    *,
    oracle_auc: float | None = None,
    policy: CreditPolicy | None = None,
) -> Path:
    """Write ``model_card.md`` and its figures into ``artifact_dir``; returns the card's path."""
    policy = policy or CreditPolicy()
    sections = [
        _header(result, artifact_dir),
        _comparison(result, oracle_auc),
        draw_figures(result, artifact_dir),
        _fairness(fairness_screen(result, table, policy), policy),
        cost_section(measure_reason_cost(load_artifact(artifact_dir), table)),
        # Only the generator knows the oracle AUC, so knowing it means the data was synthetic.
        _intended_use(synthetic=oracle_auc is not None),
    ]
    card = artifact_dir / CARD_FILE
    card.write_text("\n\n".join("\n".join(s) for s in sections) + "\n", encoding="utf-8")
    return card
