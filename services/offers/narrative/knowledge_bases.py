"""Policy passages from an Amazon Bedrock knowledge base, when one is configured.

A ``Retriever`` over the Bedrock agent runtime's Retrieve operation: the query goes to the
knowledge base, its chunks come back as passages. Any failure (throttling, a timeout, a
refusal, an answer without text) falls back to the local knowledge base in the repository, so
an explanation is never left without its grounding; the fallback is logged and counted.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from services.offers.narrative.retrieval import Passage, Retriever

log = logging.getLogger(__name__)

MAX_PASSAGE_CHARS = 2000


class AgentRuntimeApi(Protocol):
    """The part of a boto3 ``bedrock-agent-runtime`` client used here."""

    def retrieve(self, **kwargs: Any) -> Mapping[str, Any]: ...


class BedrockKnowledgeBase:
    """``search`` against a Bedrock knowledge base, the local ``fallback`` when it fails."""

    def __init__(
        self, client: AgentRuntimeApi, knowledge_base_id: str, fallback: Retriever
    ) -> None:
        self._client = client
        self._knowledge_base_id = knowledge_base_id
        self._fallback = fallback
        self.fallbacks = 0

    def search(self, query: str, k: int = 3) -> list[Passage]:
        if not query.strip():
            return []
        try:
            response = self._client.retrieve(
                knowledgeBaseId=self._knowledge_base_id,
                retrievalQuery={"text": query[:1000]},
                retrievalConfiguration={"vectorSearchConfiguration": {"numberOfResults": k}},
            )
            passages = [_passage(result) for result in response.get("retrievalResults", ())]
        except (ClientError, BotoCoreError, KeyError, TypeError) as exc:
            self.fallbacks += 1
            log.warning(
                "knowledge base retrieval failed; using the local passages",
                extra={"error": type(exc).__name__},
            )
            return self._fallback.search(query, k)
        found = [passage for passage in passages if passage.text]
        if not found:
            self.fallbacks += 1
            return self._fallback.search(query, k)
        return found[:k]


def _passage(result: Mapping[str, Any]) -> Passage:
    text = " ".join(str(result["content"]["text"]).split())[:MAX_PASSAGE_CHARS]
    metadata = result.get("metadata") or {}
    chunk = metadata.get("x-amz-bedrock-kb-chunk-id")
    source = str(
        metadata.get("x-amz-bedrock-kb-source-uri")
        or (result.get("location") or {}).get("s3Location", {}).get("uri")
        or "bedrock-knowledge-base"
    )
    passage_id = str(chunk) if chunk else "kb-" + hashlib.sha256(text.encode()).hexdigest()[:12]
    return Passage(
        id=passage_id, title="", text=text, source=source, score=float(result.get("score", 0.0))
    )
