"""What the ingest routes need, built once per process and handed to the app."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from services.common.contracts.registry import Topics
from services.common.contracts.topics import TopicSpec
from services.common.docstore.ports import DocumentStore
from services.common.publisher import EventPublisher
from services.common.status import StatusStore
from services.ingest.intake import IntakeConfig

STATE_ATTRIBUTE = "prescreen_ingest"


@dataclass
class IngestDependencies:
    intake: IntakeConfig
    publisher: EventPublisher
    status: StatusStore
    documents: DocumentStore
    received_topic: TopicSpec[Any] = Topics.RECEIVED
    uploads_topic: TopicSpec[Any] = Topics.DOCUMENTS_UPLOADED
    long_poll_max_s: float = 30.0


async def get_dependencies(request: Request) -> IngestDependencies:
    deps: IngestDependencies = getattr(request.app.state, STATE_ATTRIBUTE)
    return deps


Deps = Annotated[IngestDependencies, Depends(get_dependencies)]
