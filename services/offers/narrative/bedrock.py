"""A thin adapter over Bedrock's Converse API: one narrative request, one ``Once`` unit.

``BedrockNarrator.generate`` builds the prompt, and asks the model through a ``once`` callable
keyed by a hash of everything that shapes the answer (prompt version, model, guardrail,
inference settings, purpose, facts, passages). The stored result is only the generated text and
the stop reason: the facts hold no personal data by construction, so neither can the text the
model wrote from them, and usage figures are not worth keeping. A replay of the same request
returns that stored result without calling Bedrock again.

Around the call itself, in this order: the circuit breaker (refuses at once while open), a
bounded semaphore (a caller that finds every slot busy for ``acquire_timeout_s`` is refused
instead of queueing), then ``converse`` with botocore's short timeouts and few retries.
Every refusal and failure leaves as ``TransientError`` or ``PermanentError`` subclasses, so the
narrator can fall back to the template and say why. Breaker failures are errors of the call
(throttling, timeouts, 5xx, refusals); an answer the model gave, however unusable, is a success
for the breaker, since the service is up.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol, cast

import boto3
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    ParamValidationError,
    ReadTimeoutError,
)

from services.common.errors import PermanentError, TransientError
from services.common.idempotency import OnceCall, call_directly
from services.offers.narrative.circuit import CircuitBreaker, CircuitState
from services.offers.narrative.facts import NarrativeFacts, NarrativePurpose
from services.offers.narrative.prompt import PROMPT_VERSION, build_prompt
from services.offers.narrative.settings import NarrativeSettings

log = logging.getLogger(__name__)


ACCEPTED_STOP_REASONS: Final = frozenset({"end_turn", "stop_sequence"})
"""Stop reasons whose text may be used. Every other one is refused: guardrail_intervened and
content_filtered (the text is a block message), max_tokens (the text is cut off), tool_use,
malformed output, context window exceeded."""

_TRANSIENT_CODES: Final = frozenset(
    {
        "ThrottlingException",
        "ServiceUnavailableException",
        "ModelTimeoutException",
        "InternalServerException",
        "ModelNotReadyException",
        "ServiceQuotaExceededException",
        "TooManyRequestsException",
    }
)
_PERMANENT_CODES: Final = frozenset(
    {
        "ValidationException",
        "AccessDeniedException",
        "ResourceNotFoundException",
        "ModelErrorException",
        "UnrecognizedClientException",
    }
)


class BedrockRuntimeApi(Protocol):
    """The part of a boto3 ``bedrock-runtime`` client the adapter uses."""

    def converse(self, **kwargs: Any) -> Mapping[str, Any]: ...


class BedrockThrottledError(TransientError):
    """Bedrock throttled the call."""


class BedrockTimeoutError(TransientError):
    """The call, or the model behind it, took longer than allowed."""


class BedrockUnavailableError(TransientError):
    """Bedrock could not be reached or failed on its side."""


class BedrockRefusedError(PermanentError):
    """Bedrock refused the request (validation, access, unknown model, model error)."""


class CircuitOpenError(TransientError):
    """The circuit breaker is open: recent calls kept failing."""


class NarratorBusyError(TransientError):
    """Every concurrent-call slot is taken."""


class UnusableResponseError(PermanentError):
    """The model answered, but its answer cannot be used (stop reason, no text, bad shape)."""

    def __init__(self, message: str, *, stop_reason: str | None = None) -> None:
        super().__init__(message)
        self.stop_reason = stop_reason


@dataclass(frozen=True)
class Usage:
    input_tokens: int
    output_tokens: int
    total_tokens: int


@dataclass(frozen=True)
class Generation:
    """What the model wrote. ``usage`` is None on a replay (nothing was called)."""

    text: str
    stop_reason: str
    model_id: str
    replayed: bool
    usage: Usage | None = None
    latency_ms: int | None = None


def request_key(
    *,
    model_id: str,
    purpose: NarrativePurpose,
    facts: NarrativeFacts,
    passages: Sequence[tuple[str, str]],
    guardrail: tuple[str, str] | None = None,
    inference: tuple[int, float] | None = None,
) -> str:
    """The idempotency key of one narrative request: a hash, so it carries no content."""
    material = {
        "prompt": PROMPT_VERSION,
        "model": model_id,
        "guardrail": list(guardrail) if guardrail else None,
        "inference": list(inference) if inference else None,
        "purpose": purpose,
        "facts": facts.model_dump(mode="json"),
        "passages": [[str(pid), str(text)] for pid, text in passages],
    }
    digest = hashlib.sha256(
        json.dumps(material, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    ).hexdigest()
    return f"offers:narrative:{digest}"


def _translate(exc: Exception) -> Exception:
    """botocore's errors as the runtime's two kinds, with a subclass saying which failure."""
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        label = code or str(status)
        if code == "ThrottlingException" or code == "TooManyRequestsException" or status == 429:
            return BedrockThrottledError(f"Bedrock Converse throttled: {label}")
        if code == "ModelTimeoutException":
            return BedrockTimeoutError(f"Bedrock Converse timed out: {label}")
        if code in _TRANSIENT_CODES or (code not in _PERMANENT_CODES and status >= 500):
            return BedrockUnavailableError(f"Bedrock Converse failed: {label}")
        return BedrockRefusedError(f"Bedrock Converse refused: {label}")
    if isinstance(exc, ParamValidationError):
        return BedrockRefusedError("Bedrock Converse request is invalid")
    if isinstance(exc, ReadTimeoutError | ConnectTimeoutError):
        return BedrockTimeoutError(f"Bedrock Converse timed out: {type(exc).__name__}")
    if isinstance(exc, BotoCoreError):
        return BedrockUnavailableError(f"Bedrock Converse unreachable: {type(exc).__name__}")
    return exc


def _parse(response: Mapping[str, Any]) -> tuple[str, str, Usage | None, int | None]:
    """(text, stop reason, usage, latency) of a Converse response."""
    try:
        content = response["output"]["message"]["content"]
        stop_reason = str(response["stopReason"])
    except (KeyError, TypeError) as exc:
        raise UnusableResponseError("Bedrock Converse response has no message") from exc
    if not isinstance(content, list):
        raise UnusableResponseError("Bedrock Converse message content is not a list")
    texts = [
        block["text"]
        for block in content
        if isinstance(block, Mapping) and isinstance(block.get("text"), str)
    ]
    usage: Usage | None = None
    raw_usage = response.get("usage")
    if isinstance(raw_usage, Mapping):
        usage = Usage(
            input_tokens=int(raw_usage.get("inputTokens", 0)),
            output_tokens=int(raw_usage.get("outputTokens", 0)),
            total_tokens=int(raw_usage.get("totalTokens", 0)),
        )
    metrics = response.get("metrics")
    latency = (
        int(metrics["latencyMs"])
        if isinstance(metrics, Mapping) and "latencyMs" in metrics
        else None
    )
    return "".join(texts), stop_reason, usage, latency


class BedrockNarrator:
    """Asks one Bedrock model for narratives, through ``once``, a breaker and a slot limit."""

    def __init__(
        self,
        client: BedrockRuntimeApi,
        *,
        model_id: str,
        once: OnceCall = call_directly,
        guardrail_id: str | None = None,
        guardrail_version: str = "DRAFT",
        max_tokens: int = 1200,
        temperature: float = 0.2,
        breaker: CircuitBreaker | None = None,
        concurrency: int = 4,
        acquire_timeout_s: float = 0.05,
    ) -> None:
        if not model_id:
            raise ValueError("model_id is required")
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if acquire_timeout_s < 0:
            raise ValueError("acquire_timeout_s must not be negative")
        self._client = client
        self.model_id = model_id
        self._once = once
        self._guardrail_id = guardrail_id
        self._guardrail_version = guardrail_version
        self._max_tokens = max_tokens
        self._temperature = temperature
        self.breaker = breaker or CircuitBreaker()
        self._slots = threading.BoundedSemaphore(concurrency)
        self._acquire_timeout_s = acquire_timeout_s

    @property
    def client(self) -> BedrockRuntimeApi:
        """The boto3 client (for instrumentation such as event hooks)."""
        return self._client

    def available(self) -> bool:
        """False while the breaker is open: calling would be refused anyway."""
        return self.breaker.state is not CircuitState.OPEN

    @classmethod
    def from_settings(
        cls,
        settings: NarrativeSettings,
        *,
        once: OnceCall = call_directly,
        client: BedrockRuntimeApi | None = None,
    ) -> BedrockNarrator:
        """A narrator for ``settings.model_id`` (which must be set), with a boto3 client built
        from the settings unless one is given."""
        if settings.model_id is None:
            raise ValueError("PRESCREEN_OFFERS_BEDROCK_MODEL_ID is not set")
        if client is None:
            client = cast(
                BedrockRuntimeApi,
                boto3.session.Session().client(
                    "bedrock-runtime",
                    region_name=settings.region,
                    endpoint_url=settings.endpoint_url,
                    config=settings.botocore_config(),
                ),
            )
        breaker = CircuitBreaker(
            failure_threshold=settings.breaker_failures,
            window_s=settings.breaker_window_s,
            cooldown_s=settings.breaker_cooldown_s,
        )
        return cls(
            client,
            model_id=settings.model_id,
            once=once,
            guardrail_id=settings.guardrail_id,
            guardrail_version=settings.guardrail_version,
            max_tokens=settings.max_tokens,
            temperature=settings.temperature,
            breaker=breaker,
            concurrency=settings.concurrency,
            acquire_timeout_s=settings.acquire_timeout_s,
        )

    def generate(
        self,
        facts: NarrativeFacts,
        purpose: NarrativePurpose,
        passages: Sequence[tuple[str, str]] = (),
        *,
        forbidden: Sequence[str] = (),
    ) -> Generation:
        """The model's text for ``purpose``; raises on any refusal, failure or unusable answer.

        The text may still carry ``[CODE]`` tags and has not been verified.
        """
        prompt = build_prompt(facts, purpose, passages, forbidden=forbidden)
        arguments = prompt.converse_arguments(
            self.model_id,
            max_tokens=self._max_tokens,
            temperature=self._temperature,
            guardrail_id=self._guardrail_id,
            guardrail_version=self._guardrail_version,
        )
        key = request_key(
            model_id=self.model_id,
            purpose=purpose,
            facts=facts,
            passages=passages,
            guardrail=(self._guardrail_id, self._guardrail_version) if self._guardrail_id else None,
            inference=(self._max_tokens, self._temperature),
        )
        called: list[tuple[Usage | None, int | None]] = []

        def invoke() -> dict[str, str]:
            text, stop_reason, usage, latency = self._converse(arguments)
            called.append((usage, latency))
            return {"text": text, "stop_reason": stop_reason}

        stored = self._once(key, invoke)
        text, stop_reason = _stored_fields(stored)
        usage, latency = called[0] if called else (None, None)
        log.info(
            "bedrock narrative",
            extra={
                "model_id": self.model_id,
                "purpose": purpose,
                "stop_reason": stop_reason,
                "replayed": not called,
                "output_tokens": usage.output_tokens if usage else None,
                "latency_ms": latency,
            },
        )
        if stop_reason not in ACCEPTED_STOP_REASONS:
            raise UnusableResponseError(
                f"the model stopped with {stop_reason!r}", stop_reason=stop_reason
            )
        if not text.strip():
            raise UnusableResponseError("the model returned no text", stop_reason=stop_reason)
        return Generation(
            text=text,
            stop_reason=stop_reason,
            model_id=self.model_id,
            replayed=not called,
            usage=usage,
            latency_ms=latency,
        )

    def _converse(self, arguments: dict[str, Any]) -> tuple[str, str, Usage | None, int | None]:
        permit = self.breaker.allow()
        if permit is None:
            raise CircuitOpenError("the Bedrock circuit breaker is open")
        if not self._slots.acquire(timeout=self._acquire_timeout_s):
            self.breaker.cancel(permit)
            raise NarratorBusyError("every Bedrock call slot is busy")
        try:
            try:
                response = self._client.converse(**arguments)
            except Exception as exc:
                translated = _translate(exc)
                self.breaker.failure(permit)
                if translated is exc:
                    raise
                raise translated from exc
            self.breaker.success(permit)
        finally:
            self._slots.release()
        return _parse(response)


def _stored_fields(stored: object) -> tuple[str, str]:
    if (
        not isinstance(stored, Mapping)
        or not isinstance(stored.get("text"), str)
        or not isinstance(stored.get("stop_reason"), str)
    ):
        raise UnusableResponseError("the stored narrative result has an unexpected shape")
    return stored["text"], stored["stop_reason"]
