"""The fraud rules: weighted rules and the outcome, as versioned decision tables."""

from services.fraud.policy.engine import (
    FraudAssessment,
    FraudFacts,
    FraudPolicy,
    FraudRule,
    Outcome,
    default_tables_dir,
)

__all__ = [
    "FraudAssessment",
    "FraudFacts",
    "FraudPolicy",
    "FraudRule",
    "Outcome",
    "default_tables_dir",
]
