"""Wiring only: settings, the mail adapter, the join, ``Once``, the handler and the runtime.

Run as a process with ``python -m services.notifier.applicants``.
"""

from __future__ import annotations

import boto3
import redis
from botocore.config import Config

from services.common.idempotency import Once
from services.common.logs import configure_logging
from services.common.runtime import StageRuntime
from services.common.settings import RedisSettings, redis_client
from services.notifier.applicants.handler import INPUTS, ApplicantNotifier
from services.notifier.applicants.join import RedisJoin
from services.notifier.applicants.mailer import Mailer
from services.notifier.applicants.metrics import ApplicantMailMetrics
from services.notifier.applicants.outbox import OutboxMailer
from services.notifier.applicants.ses import SesMailer
from services.notifier.applicants.settings import MailSettings
from services.notifier.applicants.smtp import SmtpMailer

SERVICE = "notifier"
STAGE = f"{SERVICE}-applicants"


def build_mailer(settings: MailSettings) -> Mailer:
    if settings.adapter == "ses":
        client = boto3.session.Session().client(
            "sesv2",
            region_name=settings.ses_region,
            endpoint_url=settings.ses_endpoint_url,
            # botocore retries throttling itself; the runtime retries the rest of the batch.
            config=Config(retries={"mode": "standard"}, connect_timeout=5, read_timeout=15),
        )
        return SesMailer(client, configuration_set=settings.ses_configuration_set)
    if settings.adapter == "smtp":
        if settings.smtp_host is None:  # the settings refuse this; narrowed for the type checker
            raise ValueError("adapter 'smtp' needs smtp_host")
        password = settings.smtp_password
        return SmtpMailer(
            settings.smtp_host,
            settings.smtp_port,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=None if password is None else password.get_secret_value(),
            timeout_s=settings.smtp_timeout_s,
        )
    return OutboxMailer(settings.outbox_dir)


def build_handler(
    settings: MailSettings,
    client: redis.Redis,
    *,
    prefix: str,
    mailer: Mailer | None = None,
    metrics: ApplicantMailMetrics | None = None,
) -> ApplicantNotifier:
    """The handler with its Redis state under ``prefix`` (the join and the ``Once`` keys)."""
    return ApplicantNotifier(
        join=RedisJoin(
            client,
            prefix=prefix,
            contact_ttl_s=settings.contact_ttl_s,
            parked_ttl_s=settings.parked_ttl_s,
        ),
        cipher=settings.cipher(),
        mailer=mailer or build_mailer(settings),
        adapter=settings.adapter,
        letterhead=settings.letterhead(),
        once=Once(client, prefix=prefix, lease_s=settings.send_lease_s),
        metrics=metrics,
    )


def main() -> None:
    settings = MailSettings()
    configure_logging(STAGE, settings.log_level, settings.log_redact_pii)
    redis_settings = RedisSettings()
    client = redis_client(redis_settings)
    metrics = ApplicantMailMetrics()
    runtime = StageRuntime(
        service=SERVICE,
        stage=STAGE,
        inputs=list(INPUTS),
        handler=build_handler(
            settings, client, prefix=f"{redis_settings.key_prefix}:{SERVICE}", metrics=metrics
        ),
        redis_client=client,
        redis_settings=redis_settings,
        metrics_registry=metrics.registry,
    )
    runtime.install_signal_handlers()
    runtime.run()
