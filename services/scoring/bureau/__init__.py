"""Credit bureau and internal data for the scoring stage: ports, models, the simulated default
and the comparison of stated figures with the bureau's."""

from services.common.contracts.stages import BureauMismatch, MismatchField, MismatchSeverity
from services.scoring.bureau.mismatch import bureau_debt_to_income, compare
from services.scoring.bureau.models import (
    THIN_FILE_MAX_TRADELINES,
    CreditReport,
    Delinquency,
    InternalRelationship,
    Tradeline,
    TradelineKind,
    revolving_utilization,
)
from services.scoring.bureau.ports import (
    CreditBureau,
    InternalData,
    InvalidSsnTokenError,
    NoPermissiblePurposeError,
    check_pull,
)
from services.scoring.bureau.simulated import (
    Anchor,
    AnchorFacts,
    SimulatedBureau,
    SimulatedInternalData,
)

__all__ = [
    "THIN_FILE_MAX_TRADELINES",
    "Anchor",
    "AnchorFacts",
    "BureauMismatch",
    "CreditBureau",
    "CreditReport",
    "Delinquency",
    "InternalData",
    "InternalRelationship",
    "InvalidSsnTokenError",
    "MismatchField",
    "MismatchSeverity",
    "NoPermissiblePurposeError",
    "SimulatedBureau",
    "SimulatedInternalData",
    "Tradeline",
    "TradelineKind",
    "bureau_debt_to_income",
    "check_pull",
    "compare",
    "revolving_utilization",
]
