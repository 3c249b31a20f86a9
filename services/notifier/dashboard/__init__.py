"""The notifier's live decision dashboard: a rolling window of decisions read from Kafka,
served as a page and an authenticated server-sent events stream. See README.md here."""

from services.notifier.dashboard.models import LatestDecision, Snapshot
from services.notifier.dashboard.settings import ENV_PREFIX, SCOPE_DECISIONS_READ, DashboardSettings
from services.notifier.dashboard.window import DecisionWindow

__all__ = [
    "ENV_PREFIX",
    "SCOPE_DECISIONS_READ",
    "DashboardSettings",
    "DecisionWindow",
    "LatestDecision",
    "Snapshot",
]
