"""Passages from a Bedrock knowledge base (botocore stubs), and the local fallback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from services.offers.narrative.knowledge_bases import BedrockKnowledgeBase
from services.offers.narrative.retrieval import default_knowledge_base

KB_ID = "KB12345678"


@pytest.fixture
def stubbed() -> Iterator[tuple[Any, Stubber]]:
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    client = session.client("bedrock-agent-runtime")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def result(text: str, chunk: str, score: float) -> dict[str, Any]:
    uri = "s3://bank-policies/lending/debt-to-income.md"
    return {
        "content": {"text": text, "type": "TEXT"},
        "location": {"type": "S3", "s3Location": {"uri": uri}},
        "score": score,
        "metadata": {"x-amz-bedrock-kb-source-uri": uri, "x-amz-bedrock-kb-chunk-id": chunk},
    }


def test_chunks_come_back_as_passages(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    stubber.add_response(
        "retrieve",
        {
            "retrievalResults": [
                result("Debt-to-income compares  monthly debts\\nwith income.", "c-1", 0.71),
                result("A longer term lowers the payment.", "c-2", 0.52),
            ]
        },
        {
            "knowledgeBaseId": KB_ID,
            "retrievalQuery": {"text": "debt to income too high"},
            "retrievalConfiguration": {"vectorSearchConfiguration": {"numberOfResults": 2}},
        },
    )
    kb = BedrockKnowledgeBase(client, KB_ID, fallback=default_knowledge_base())
    first, second = kb.search("debt to income too high", k=2)
    assert (first.id, first.score, first.source) == (
        "c-1",
        0.71,
        "s3://bank-policies/lending/debt-to-income.md",
    )
    assert first.text == "Debt-to-income compares monthly debts\\nwith income."
    assert second.id == "c-2" and kb.fallbacks == 0


@pytest.mark.parametrize("code", ["ThrottlingException", "AccessDeniedException"])
def test_a_failing_knowledge_base_falls_back_to_the_local_passages(
    stubbed: tuple[Any, Stubber], code: str
) -> None:
    client, stubber = stubbed
    stubber.add_client_error("retrieve", service_error_code=code, http_status_code=400)
    local = default_knowledge_base()
    kb = BedrockKnowledgeBase(client, KB_ID, fallback=local)
    query = "how can I lower my debt-to-income ratio"
    assert kb.search(query) == local.search(query)
    assert kb.fallbacks == 1


def test_an_empty_answer_falls_back_too(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    stubber.add_response("retrieve", {"retrievalResults": []})
    local = default_knowledge_base()
    kb = BedrockKnowledgeBase(client, KB_ID, fallback=local)
    assert kb.search("what is an APR") == local.search("what is an APR")
    assert kb.search("   ") == []
