"""Every process of the platform as the local stack runs it: command, settings, readiness probe.

The settings are the same environment variables a deployment sets; the stack fills them from
its generated keys and data. Each stage serves its health endpoints on its own port, so the
stack (and an operator) can tell a running stage from one that is still joining its group.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from services.common.http.auth import (
    SCOPE_APPLICATIONS_READ,
    SCOPE_APPLICATIONS_WRITE,
    SCOPE_DOCUMENTS_WRITE,
    SCOPE_QUOTES_READ,
)
from services.notifier.dashboard.settings import SCOPE_DECISIONS_READ
from services.stack.assets import StackAssets
from services.stack.secrets import PII_KEY_ID, StackSecrets
from services.stack.settings import StackSettings

LOOPBACK: Final = "127.0.0.1"


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    module: str
    env: Mapping[str, str] = field(default_factory=dict)
    args: tuple[str, ...] = ()
    ready_url: str | None = None
    """GET this until it answers 200; None: the process staying up is all there is to check."""

    @property
    def argv(self) -> list[str]:
        return [sys.executable, "-m", self.module, *self.args]


@dataclass(frozen=True)
class Endpoints:
    bootstrap: str
    redis_url: str


def service_specs(
    settings: StackSettings, secrets: StackSecrets, assets: StackAssets, endpoints: Endpoints
) -> list[ServiceSpec]:
    """In start order: intake first, then the stages in pipeline order, then the notifier."""
    pii_ring = json.dumps({PII_KEY_ID: secrets.pii_key.get_secret_value()})
    common = {
        "KAFKA_BOOTSTRAP_SERVERS": endpoints.bootstrap,
        "REDIS_URL": endpoints.redis_url,
        "PRESCREEN_REDIS_KEY_PREFIX": settings.redis_key_prefix,
        "PRESCREEN_DOCSTORE_LOCAL_ROOT": str(assets.documents),
        "PRESCREEN_RUNTIME_DEAD_LETTER_SEAL_KEY": secrets.dead_letter_seal_key.get_secret_value(),
        "PYTHONUNBUFFERED": "1",
    }
    ingest = {
        "PRESCREEN_INGEST_SSN_TOKEN_KEY": secrets.ssn_token_key.get_secret_value(),
        "PRESCREEN_INGEST_PII_KEYS": pii_ring,
        "PRESCREEN_INGEST_PII_ACTIVE_KEY_ID": PII_KEY_ID,
        "PRESCREEN_INGEST_API_KEYS": secrets.api_keys_setting(
            SCOPE_APPLICATIONS_WRITE, SCOPE_APPLICATIONS_READ, SCOPE_DOCUMENTS_WRITE
        ),
        # The demo client submits in bulk; a bank's clients get their own limits.
        "PRESCREEN_INGEST_RATE_LIMIT_PER_S": "5000",
        "PRESCREEN_INGEST_RATE_LIMIT_BURST": "10000",
        "PRESCREEN_INGEST_HTTP_HOST": LOOPBACK,
        "PRESCREEN_INGEST_HTTP_PORT": str(settings.ingest_port),
    }
    http_services = [
        ServiceSpec(
            "ingest-api",
            "services.ingest.app",
            ingest,
            ready_url=f"http://{LOOPBACK}:{settings.ingest_port}/readyz",
        ),
    ]
    stages = [
        ServiceSpec("ingest-intake", "services.ingest.stage", ingest),
        ServiceSpec(
            "documents",
            "services.documents.app",
            {
                "PRESCREEN_DOCUMENTS_PII_KEYS": pii_ring,
                "PRESCREEN_DOCUMENTS_PII_ACTIVE_KEY_ID": PII_KEY_ID,
                # The demo sends documents with some applications only; the others are
                # pre-screened on what they state, with the missing documents listed.
                "PRESCREEN_DOCUMENTS_WHEN_NOTHING_UPLOADED": "continue",
                "PRESCREEN_DOCUMENTS_WORKERS": "1",
            },
        ),
        ServiceSpec(
            "fraud",
            "services.fraud.app",
            {
                "PRESCREEN_FRAUD_WATCHLIST_DIR": str(assets.watchlist),
                "PRESCREEN_FRAUD_PII_KEYS": pii_ring,
                "PRESCREEN_FRAUD_VELOCITY_KEY": secrets.velocity_key.get_secret_value(),
            },
        ),
        ServiceSpec(
            "scoring", "services.scoring.app", {"PRESCREEN_SCORING_MODEL_DIR": str(assets.models)}
        ),
        ServiceSpec("offers", "services.offers.app"),
        ServiceSpec("notifier-status", "services.notifier.status"),
        ServiceSpec(
            "notifier-applicants",
            "services.notifier.applicants",
            {
                "PRESCREEN_NOTIFIER_MAIL_PII_KEYS": pii_ring,
                "PRESCREEN_NOTIFIER_MAIL_OUTBOX_DIR": str(assets.outbox),
            },
        ),
    ]
    specs = [*http_services]
    for index, stage in enumerate(stages):
        port = settings.health_base_port + index
        specs.append(
            ServiceSpec(
                stage.name,
                stage.module,
                {
                    **stage.env,
                    "PRESCREEN_RUNTIME_INSTANCE_ID": f"local-{stage.name}",
                    "PRESCREEN_RUNTIME_HEALTH_PORT": str(port),
                    "PRESCREEN_RUNTIME_HEALTH_HOST": LOOPBACK,
                },
                ready_url=f"http://{LOOPBACK}:{port}/readyz",
            )
        )
    specs += [
        ServiceSpec(
            "quotes",
            "services.offers.quotes",
            {
                "PRESCREEN_OFFERS_API_API_KEYS": secrets.api_keys_setting(SCOPE_QUOTES_READ),
                "PRESCREEN_OFFERS_API_HOST": LOOPBACK,
                "PRESCREEN_OFFERS_API_PORT": str(settings.quotes_port),
            },
            ready_url=f"http://{LOOPBACK}:{settings.quotes_port}/readyz",
        ),
        ServiceSpec(
            "dashboard",
            "services.notifier.dashboard",
            {
                "PRESCREEN_NOTIFIER_DASHBOARD_API_KEYS": secrets.api_keys_setting(
                    SCOPE_DECISIONS_READ
                ),
                "PRESCREEN_NOTIFIER_DASHBOARD_HOST": LOOPBACK,
                "PRESCREEN_NOTIFIER_DASHBOARD_PORT": str(settings.dashboard_port),
            },
            ready_url=f"http://{LOOPBACK}:{settings.dashboard_port}/readyz",
        ),
        ServiceSpec(
            "notifier-stats",
            "services.notifier.stats",
            {"PRESCREEN_NOTIFIER_STATS_DATA_DIR": str(settings.state_dir / "data" / "stats")},
        ),
    ]
    return [ServiceSpec(s.name, s.module, {**common, **s.env}, s.args, s.ready_url) for s in specs]
