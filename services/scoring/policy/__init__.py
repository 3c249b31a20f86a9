"""The scoring stage's credit policy: versioned GoRules decision tables run by zen-engine."""

from services.scoring.policy.engine import (
    PD_DECIMALS,
    CreditPolicy,
    PolicyEvaluationError,
    PolicyLoadError,
    default_tables_dir,
)
from services.scoring.policy.models import (
    GradeBand,
    GradeResult,
    KnockOut,
    PolicyInput,
    PolicyResult,
    PolicyTrace,
    RuleId,
)

__all__ = [
    "PD_DECIMALS",
    "CreditPolicy",
    "GradeBand",
    "GradeResult",
    "KnockOut",
    "PolicyEvaluationError",
    "PolicyInput",
    "PolicyLoadError",
    "PolicyResult",
    "PolicyTrace",
    "RuleId",
    "default_tables_dir",
]
