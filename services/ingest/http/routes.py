"""``/v1/applications``: submit, follow, and attach documents.

Submissions are read as raw bytes and go through ``intake.accept`` — the very code the Kafka
intake uses — so an application is judged the same way whichever door it came through.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Form, Query, Request, Response, UploadFile
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from services.common.contracts.application import SubmittedApplication
from services.common.contracts.documents import (
    MAX_UPLOADED_PER_EVENT,
    DocumentKind,
    DocumentsUploaded,
)
from services.common.docstore.errors import DocumentTooLarge, InvalidDocument, NotSupported
from services.common.docstore.ports import StoredDocument
from services.common.http.auth import (
    SCOPE_APPLICATIONS_READ,
    SCOPE_APPLICATIONS_WRITE,
    SCOPE_DOCUMENTS_WRITE,
    Principal,
    require_scopes,
)
from services.common.http.errors import (
    VALIDATION_ERROR,
    FieldError,
    ProblemError,
    problem_response,
    problem_responses,
)
from services.common.http.idempotency import IdempotentRequest, idempotency
from services.common.http.ratelimit import enforce_rate_limit
from services.common.publisher import PublishError
from services.ingest.http.deps import Deps
from services.ingest.http.models import (
    ApplicationStatusView,
    SubmissionAccepted,
    UploadedDocument,
    UploadLink,
    UploadLinkRequest,
)
from services.ingest.intake import Rejected, accept

Writer = Annotated[Principal, Depends(require_scopes(SCOPE_APPLICATIONS_WRITE))]
Reader = Annotated[Principal, Depends(require_scopes(SCOPE_APPLICATIONS_READ))]
Uploader = Annotated[Principal, Depends(require_scopes(SCOPE_DOCUMENTS_WRITE))]
Idempotent = Annotated[IdempotentRequest, Depends(idempotency())]

# Every route can refuse the caller (401/403), throttle it (429) or be briefly unable to answer
# (503); all of them answer with problem+json.
router = APIRouter(
    prefix="/v1/applications",
    dependencies=[Depends(enforce_rate_limit)],
    responses=problem_responses(401, 403, 404, 422, 429, 503),
)

# The body is read raw (so the Kafka intake's code judges it), which hides the model from
# FastAPI; declare it by reference and let ``openapi_components`` supply the definitions.
_SUBMISSION_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/SubmittedApplication"}}
        },
    }
}


def openapi_components() -> dict[str, Any]:
    """Component schemas of the submission body, with references in OpenAPI form."""
    body = SubmittedApplication.model_json_schema(ref_template="#/components/schemas/{model}")
    components: dict[str, Any] = dict(body.pop("$defs", {}))
    components["SubmittedApplication"] = body
    return components


@router.post(
    "",
    status_code=202,
    response_model=SubmissionAccepted,
    openapi_extra=_SUBMISSION_BODY,
    responses={
        409: {"description": "Application id or Idempotency-Key already used"},
        413: {"description": "Body too large"},
        415: {"description": "Body declared as something other than JSON"},
        422: {"description": "Invalid"},
    },
)
async def submit(request: Request, caller: Writer, idem: Idempotent, deps: Deps) -> Response:
    """Accept an application; ``202`` once its received event is on the log."""
    if not _json_or_unspecified(request.headers.get("content-type")):
        raise ProblemError(415, detail="an application is sent as application/json")
    received_at = datetime.now(UTC)
    result = accept(
        await request.body(), application_id=None, received_at=received_at, config=deps.intake
    )
    if isinstance(result, Rejected):
        return await idem.acomplete(_rejection(result))
    application_id = result.key
    if not await deps.status.create(application_id, caller.client_id, received_at, "ingest"):
        # Same id from anyone: say only that it is taken (never whose it is).
        return await idem.acomplete(
            problem_response(409, detail="an application with this id was already submitted")
        )
    try:
        await deps.publisher.publish(deps.received_topic, result.key, result.event)
    except PublishError:
        await deps.status.delete(application_id)
        return await idem.acomplete(
            problem_response(
                503, detail="could not record the application; retry", headers={"Retry-After": "1"}
            )
        )
    status_url = f"/v1/applications/{application_id}"
    body = SubmissionAccepted(application_id=result.application_id, status_url=status_url)
    return await idem.acomplete(
        JSONResponse(
            body.model_dump(mode="json"), status_code=202, headers={"Location": status_url}
        )
    )


@router.get("/{application_id}", response_model=ApplicationStatusView)
async def status(
    application_id: UUID,
    caller: Reader,
    deps: Deps,
    wait: Annotated[float, Query(ge=0, le=60, description="Seconds to wait for a change.")] = 0,
    after_version: Annotated[
        int | None, Query(ge=0, description="Wait for a version above this one.")
    ] = None,
) -> ApplicationStatusView:
    """Current status; with ``wait`` it answers as soon as the status changes."""
    key = str(application_id)
    current = await deps.status.get(key)
    if current is None or current.owner != caller.client_id:
        # Another client's application is indistinguishable from a missing one.
        raise ProblemError(404, detail="no such application")
    if wait > 0:
        baseline = current.version if after_version is None else after_version
        changed = await deps.status.wait_for_change(key, baseline, min(wait, deps.long_poll_max_s))
        current = changed or current
    return ApplicationStatusView(
        application_id=current.application_id,
        status=current.status,
        version=current.version,
        updated_at=current.updated_at,
        timeline=current.timeline,
        decision=current.decision,
    )


@router.post("/{application_id}/documents", status_code=201, response_model=list[UploadedDocument])
async def upload_documents(
    application_id: UUID,
    files: list[UploadFile],
    caller: Uploader,
    deps: Deps,
    kind: Annotated[
        DocumentKind, Form(description="What the files are; every page is classified anyway.")
    ] = DocumentKind.PACKET,
) -> list[UploadedDocument]:
    """Store documents (PDF, PNG, JPEG, TIFF) for one of the caller's applications.

    ``201`` once they are stored and announced to the documents stage, which resumes the
    application if it was waiting for them.
    """
    key = str(application_id)
    current = await deps.status.get(key)
    if current is None or current.owner != caller.client_id:
        raise ProblemError(404, detail="no such application")
    if len(files) > MAX_UPLOADED_PER_EVENT:
        raise ProblemError(422, detail=f"at most {MAX_UPLOADED_PER_EVENT} files per request")
    upload_id = uuid.uuid4().hex
    stored: list[StoredDocument] = []
    limit = deps.documents.max_bytes
    for upload in files:
        data = await upload.read(limit + 1)
        try:
            if len(data) > limit:
                raise DocumentTooLarge(len(data), limit)
            document = await run_in_threadpool(
                deps.documents.put, caller.client_id, key, data, declared_name=upload.filename
            )
        except DocumentTooLarge as exc:
            raise ProblemError(413, detail=f"a document may be at most {limit} bytes") from exc
        except InvalidDocument as exc:
            raise ProblemError(415, detail=f"{upload.filename or 'document'}: {exc}") from exc
        stored.append(document)
    uploaded_at = datetime.now(UTC)
    event = DocumentsUploaded(
        application_id=application_id,
        upload_id=upload_id,
        uploaded_at=uploaded_at,
        documents=tuple(
            document.reference(
                document_id=f"{upload_id[:12]}-{number}", kind=kind, uploaded_at=uploaded_at
            )
            for number, document in enumerate(stored, start=1)
        ),
    )
    try:
        await deps.publisher.publish(deps.uploads_topic, key, event)
    except PublishError as exc:
        # The files are stored (by content, so uploading them again costs nothing twice).
        raise ProblemError(
            503, detail="could not announce the upload; retry", headers={"Retry-After": "1"}
        ) from exc
    return [
        UploadedDocument(
            document_key=document.key,
            sha256=document.sha256,
            size=document.size,
            content_type=document.content_type,
        )
        for document in stored
    ]


@router.post(
    "/{application_id}/documents/upload-url",
    status_code=201,
    response_model=UploadLink,
    responses={501: {"description": "The document store has no direct uploads (local store)"}},
)
async def upload_url(
    application_id: UUID, request_body: UploadLinkRequest, caller: Uploader, deps: Deps
) -> UploadLink:
    """A pre-signed upload straight to object storage, valid for minutes."""
    key = str(application_id)
    current = await deps.status.get(key)
    if current is None or current.owner != caller.client_id:
        raise ProblemError(404, detail="no such application")
    try:
        link = await run_in_threadpool(
            deps.documents.presigned_upload,
            caller.client_id,
            key,
            sha256=request_body.sha256,
            content_type=request_body.content_type,
            size=request_body.size,
        )
    except NotSupported as exc:
        raise ProblemError(501, detail="direct uploads need the S3 document store") from exc
    except (InvalidDocument, ValueError) as exc:
        raise ProblemError(422, detail=str(exc)) from exc
    return UploadLink(
        url=link.url, fields=link.fields, expires_at=link.expires_at, max_bytes=link.max_bytes
    )


def _json_or_unspecified(content_type: str | None) -> bool:
    """Whether a submission's ``Content-Type`` is JSON (``application/json`` or ``+json``), or
    absent: a body declared as anything else (a form, text, XML) is refused, not guessed at."""
    if content_type is None or not content_type.strip():
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def _rejection(result: Rejected) -> Response:
    if result.kind == "too_large":
        return problem_response(413, detail="the application body is too large")
    return problem_response(
        422,
        type_=VALIDATION_ERROR,
        title="Invalid application",
        errors=[
            FieldError(path=v.field, location="body", rule=v.rule, message=v.message)
            for v in result.violations
        ],
    )
