"""Settings of the quote API, read from ``PRESCREEN_OFFERS_API_*``.

Credentials and rate limits use the shared HTTP settings under the same prefix
(``services/common/http/README.md``): ``PRESCREEN_OFFERS_API_API_KEYS``,
``PRESCREEN_OFFERS_API_JWT_*``, ``PRESCREEN_OFFERS_API_RATE_LIMIT_*``. Redis is the shared
``PRESCREEN_REDIS_*``; the product catalogue is the offers stage's
(``PRESCREEN_OFFERS_CATALOGUE_FILE``), so quotes are priced under the rules decisions are.
"""

from __future__ import annotations

from typing import Final

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings

ENV_PREFIX: Final = "PRESCREEN_OFFERS_API_"


class QuoteApiSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8081, ge=0, le=65535)
    # How long a decision stays quotable is the offers stage's PRESCREEN_OFFERS_QUOTE_CONTEXT_DAYS:
    # it saves the contexts; this API only reads them.
