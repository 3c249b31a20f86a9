"""One narrative per call: the model's text when it is configured, works and passes every
check, otherwise the template.

``Narrator.narrate`` never fails because of the model: a disabled model, an open breaker, busy
slots, throttling, a timeout, a refusal, an unusable answer or a single violation of
``verify_narrative`` all give the template (``source="template"``), and the outcome says why
(``FallbackReason``) for metrics and logs. Logs carry the purpose, outcome, source, fallback
reason and violation codes, never the text, the facts or the passages.

With no model configured (``PRESCREEN_OFFERS_BEDROCK_MODEL_ID`` unset, the default), every
narrative is the template.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from services.common.errors import PermanentError, TransientError
from services.common.idempotency import OnceCall, call_directly
from services.offers.narrative.bedrock import (
    BedrockNarrator,
    BedrockRefusedError,
    BedrockRuntimeApi,
    BedrockThrottledError,
    BedrockTimeoutError,
    CircuitOpenError,
    Generation,
    NarratorBusyError,
    UnusableResponseError,
)
from services.offers.narrative.facts import Narrative, NarrativeFacts, NarrativePurpose
from services.offers.narrative.prompt import PromptDataError
from services.offers.narrative.settings import NarrativeSettings
from services.offers.narrative.template import OFFER_OUTCOMES, render_template
from services.offers.narrative.verify import ViolationCode, strip_reason_tags, verify_narrative

log = logging.getLogger(__name__)


class FallbackReason(StrEnum):
    """Why a narrative is the template rather than the model's text."""

    DISABLED = "disabled"
    CIRCUIT_OPEN = "circuit_open"
    BUSY = "busy"
    THROTTLED = "throttled"
    TIMEOUT = "timeout"
    UNAVAILABLE = "unavailable"
    REFUSED = "refused"
    UNUSABLE_RESPONSE = "unusable_response"
    VIOLATION = "violation"
    PROMPT_REJECTED = "prompt_rejected"
    ERROR = "error"


class NarrativeModel(Protocol):
    """What the narrator needs of a model adapter (``BedrockNarrator`` fits)."""

    @property
    def model_id(self) -> str: ...

    def available(self) -> bool: ...

    def generate(
        self,
        facts: NarrativeFacts,
        purpose: NarrativePurpose,
        passages: Sequence[tuple[str, str]] = (),
        *,
        forbidden: Sequence[str] = (),
    ) -> Generation: ...


@dataclass(frozen=True)
class NarrationOutcome:
    """A narrative and how it came about; safe to log (no text in anything but ``narrative``)."""

    narrative: Narrative
    fallback: FallbackReason | None = None
    violations: tuple[ViolationCode, ...] = ()
    replayed: bool = False
    stop_reason: str | None = None


Observer = Callable[[NarrationOutcome], None]

_EXCEPTION_REASONS: tuple[tuple[type[Exception], FallbackReason], ...] = (
    (CircuitOpenError, FallbackReason.CIRCUIT_OPEN),
    (NarratorBusyError, FallbackReason.BUSY),
    (BedrockThrottledError, FallbackReason.THROTTLED),
    (BedrockTimeoutError, FallbackReason.TIMEOUT),
    (PromptDataError, FallbackReason.PROMPT_REJECTED),
    (UnusableResponseError, FallbackReason.UNUSABLE_RESPONSE),
    (BedrockRefusedError, FallbackReason.REFUSED),
    (TransientError, FallbackReason.UNAVAILABLE),
    (PermanentError, FallbackReason.REFUSED),
)


def fallback_reason(exc: Exception) -> FallbackReason:
    """The fallback reason an exception from the model adapter stands for."""
    for kind, reason in _EXCEPTION_REASONS:
        if isinstance(exc, kind):
            return reason
    return FallbackReason.ERROR


class Narrator:
    """Model text when possible, template otherwise; see the module docstring."""

    def __init__(
        self,
        model: NarrativeModel | None = None,
        *,
        observer: Observer | None = None,
        check_templates: bool = False,
    ):
        """``check_templates`` re-verifies every template text at run time (it logs a failure
        and publishes anyway). Off by default: the template writes only the facts, its tests
        verify it over every outcome, and the check costs more than writing the text."""
        self._model = model
        self._observer = observer
        self._check_templates = check_templates

    @classmethod
    def from_settings(
        cls,
        settings: NarrativeSettings | None = None,
        *,
        once: OnceCall = call_directly,
        client: BedrockRuntimeApi | None = None,
        observer: Observer | None = None,
    ) -> Narrator:
        """A narrator with Bedrock when ``model_id`` is set, the template alone otherwise."""
        settings = settings or NarrativeSettings()
        if not settings.enabled:
            return cls(None, observer=observer)
        return cls(
            BedrockNarrator.from_settings(settings, once=once, client=client), observer=observer
        )

    @property
    def model_id(self) -> str | None:
        return self._model.model_id if self._model is not None else None

    def narrate(
        self,
        facts: NarrativeFacts,
        purpose: NarrativePurpose,
        *,
        passages: Sequence[tuple[str, str]] = (),
        forbidden: Sequence[str] = (),
    ) -> Narrative:
        """The verified narrative; ``forbidden`` holds applicant strings it must not contain."""
        return self.narrate_with_outcome(
            facts, purpose, passages=passages, forbidden=forbidden
        ).narrative

    def narrate_with_outcome(
        self,
        facts: NarrativeFacts,
        purpose: NarrativePurpose,
        *,
        passages: Sequence[tuple[str, str]] = (),
        forbidden: Sequence[str] = (),
    ) -> NarrationOutcome:
        """``narrate``, with why the template was used if it was."""
        if purpose == "offer_letter" and (facts.outcome not in OFFER_OUTCOMES or not facts.offers):
            raise ValueError("an offer letter is written only for a decision with offers")
        outcome = self._attempt(facts, purpose, passages, forbidden)
        log.info(
            "narrative written",
            extra={
                "purpose": purpose,
                "outcome": facts.outcome.value,
                "source": outcome.narrative.source,
                "fallback": outcome.fallback.value if outcome.fallback else None,
                "violations": [code.value for code in outcome.violations],
                "replayed": outcome.replayed,
                "stop_reason": outcome.stop_reason,
            },
        )
        if self._observer is not None:
            try:
                self._observer(outcome)
            except Exception:  # metrics must never cost the applicant a narrative
                log.warning("narrative observer failed", exc_info=True)
        return outcome

    def _attempt(
        self,
        facts: NarrativeFacts,
        purpose: NarrativePurpose,
        passages: Sequence[tuple[str, str]],
        forbidden: Sequence[str],
    ) -> NarrationOutcome:
        model = self._model
        if model is None:
            return self._template(facts, purpose, forbidden, FallbackReason.DISABLED)
        if not model.available():
            return self._template(facts, purpose, forbidden, FallbackReason.CIRCUIT_OPEN)
        try:
            generation = model.generate(facts, purpose, passages, forbidden=forbidden)
        except Exception as exc:  # noqa: BLE001 - any failure of the model means the template
            reason = fallback_reason(exc)
            stop_reason = exc.stop_reason if isinstance(exc, UnusableResponseError) else None
            log.info(
                "narrative model failed",
                extra={"error": type(exc).__name__, "fallback": reason.value},
            )
            return self._template(facts, purpose, forbidden, reason, stop_reason=stop_reason)
        violations = verify_narrative(generation.text, facts, purpose, forbidden)
        if violations:
            return self._template(
                facts,
                purpose,
                forbidden,
                FallbackReason.VIOLATION,
                violations=tuple(dict.fromkeys(v.code for v in violations)),
                replayed=generation.replayed,
                stop_reason=generation.stop_reason,
            )
        narrative = Narrative(
            purpose=purpose,
            text=strip_reason_tags(generation.text),
            source="llm",
            model_id=generation.model_id,
        )
        return NarrationOutcome(
            narrative=narrative, replayed=generation.replayed, stop_reason=generation.stop_reason
        )

    def _template(
        self,
        facts: NarrativeFacts,
        purpose: NarrativePurpose,
        forbidden: Sequence[str],
        reason: FallbackReason,
        *,
        violations: tuple[ViolationCode, ...] = (),
        replayed: bool = False,
        stop_reason: str | None = None,
    ) -> NarrationOutcome:
        text = render_template(facts, purpose)
        own = verify_narrative(text, facts, purpose, forbidden) if self._check_templates else []
        if own:
            # Published anyway: it holds only the facts, and there is nothing safer to say.
            log.warning(
                "template narrative fails verification",
                extra={"violations": sorted({v.code.value for v in own}), "purpose": purpose},
            )
        return NarrationOutcome(
            narrative=Narrative(purpose=purpose, text=text, source="template"),
            fallback=reason,
            violations=violations,
            replayed=replayed,
            stop_reason=stop_reason,
        )
