"""Principal reasons from the model's own contributions, and tips found by re-scoring."""

from services.scoring.reasons.catalogue import (
    CONTRIBUTION_DECIMALS,
    Catalogue,
    CatalogueEntry,
    CatalogueError,
    ScoredReason,
    adverse_features,
    adverse_features_of_rows,
    default_catalogue,
    load_catalogue,
    principal_reasons,
)
from services.scoring.reasons.contributions import (
    Contributions,
    ExactContributionsUnavailableError,
    RowContributions,
    contributions,
)
from services.scoring.reasons.improvements import (
    LEVERS,
    Improvement,
    ImprovementSearch,
    Lever,
    LeverChange,
    approve_cutoff,
    suggest_improvements,
)

__all__ = [
    "CONTRIBUTION_DECIMALS",
    "LEVERS",
    "Catalogue",
    "CatalogueEntry",
    "CatalogueError",
    "Contributions",
    "ExactContributionsUnavailableError",
    "Improvement",
    "ImprovementSearch",
    "Lever",
    "LeverChange",
    "RowContributions",
    "ScoredReason",
    "adverse_features",
    "adverse_features_of_rows",
    "approve_cutoff",
    "contributions",
    "default_catalogue",
    "load_catalogue",
    "principal_reasons",
    "suggest_improvements",
]
