"""Wiring: settings → Kafka reader, window, hub, authenticator → app → uvicorn."""

from __future__ import annotations

import uvicorn
from fastapi import FastAPI

from services.common.http.auth import Authenticator
from services.common.http.auth_settings import auth_settings_for
from services.common.logs import configure_logging
from services.common.settings import KafkaSettings
from services.notifier.dashboard.app import DashboardParts, create_app
from services.notifier.dashboard.feed import DecisionFeed
from services.notifier.dashboard.hub import DashboardHub
from services.notifier.dashboard.settings import ENV_PREFIX, DashboardSettings
from services.notifier.dashboard.window import DecisionWindow

SERVICE = "notifier-dashboard"


def build_app(
    *,
    settings: DashboardSettings | None = None,
    kafka: KafkaSettings | None = None,
    authenticator: Authenticator | None = None,
) -> FastAPI:
    """The dashboard as deployed: credentials from ``PRESCREEN_NOTIFIER_DASHBOARD_*``."""
    settings = settings or DashboardSettings()
    feed = DecisionFeed(
        kafka or KafkaSettings(),
        topic=settings.topic,
        window_s=settings.window_minutes * 60,
        poll_timeout_s=settings.poll_timeout_s,
    )
    hub = DashboardHub(
        DecisionWindow(
            window_minutes=settings.window_minutes,
            latest_count=settings.latest_count,
            top_reasons=settings.top_reasons,
        ),
        max_streams=settings.max_streams,
        queue_size=settings.stream_queue,
        feed_stats=feed.stats,
    )
    return create_app(
        DashboardParts(settings=settings, hub=hub, feed=feed),
        authenticator=authenticator or Authenticator(auth_settings_for(ENV_PREFIX)),
    )


def uvicorn_config(app: FastAPI, settings: DashboardSettings) -> uvicorn.Config:
    # Streams never end on their own: without a grace limit shutdown would wait for them.
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=settings.shutdown_grace_s,
    )


def main() -> None:
    settings = DashboardSettings()
    configure_logging(SERVICE, settings.log_level, settings.log_redact_pii)
    uvicorn.Server(uvicorn_config(build_app(settings=settings), settings)).run()
