"""``python -m services.notifier.stats``: run the decision statistics worker (faust)."""

from __future__ import annotations

import faust

from services.common.logs import configure_logging
from services.common.settings import KafkaSettings
from services.notifier.stats.app import DecisionStatsApp
from services.notifier.stats.records import STAGE
from services.notifier.stats.settings import StatsSettings


def main() -> None:
    settings = StatsSettings()
    configure_logging(STAGE, settings.log_level, settings.log_redact_pii)
    stats = DecisionStatsApp(settings, KafkaSettings())
    # faust's own logging setup and banner would replace the JSON logs on stderr.
    worker = faust.Worker(
        stats.app,
        quiet=True,
        redirect_stdouts=False,
        override_logging=False,
        loglevel=settings.log_level,
    )
    # The spinner writes terminal escapes to stdout when startup ends, even when stdout is not
    # a terminal, which would corrupt a log collected from it.
    worker.spinner = None
    worker.execute_from_commandline()


if __name__ == "__main__":
    main()
