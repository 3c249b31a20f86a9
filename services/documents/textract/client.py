"""A thin adapter over a boto3 Textract client: four calls, each one unit for ``Once``.

Each public method makes one logical Textract call and returns a JSON-serialisable value (a
``TextractResult`` or a job id), so the documents handler can wrap it in ``Once`` and replay the
stored result instead of paying for the call twice. Errors leave as the runtime's
``TransientError`` (worth retrying) or ``PermanentError`` (the document will never succeed).
Logs carry counts, job ids and statuses only, never what a document says.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Mapping
from typing import Any, Final, Protocol, TypeVar, cast

import boto3
from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from services.common.errors import PermanentError, TransientError
from services.documents.fields import PageKind
from services.documents.textract.lending import identity_pages, lending_pages
from services.documents.textract.mapping import TextractResult, document_pages
from services.documents.textract.settings import TextractSettings

log = logging.getLogger(__name__)

_T = TypeVar("_T")

MAX_SYNC_BYTES: Final = 10 * 1024 * 1024
"""The largest document the synchronous operations accept."""
SYNC_FEATURES: Final = frozenset({"FORMS", "TABLES", "SIGNATURES", "LAYOUT"})
_MAX_RESULT_PAGES: Final = 1000
_TRANSIENT_CODES: Final = frozenset(
    {
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "InternalServerError",
        "LimitExceededException",
        "HumanLoopQuotaExceededException",
        "ServiceUnavailable",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)
_PERMANENT_CODES: Final = frozenset(
    {
        "InvalidParameterException",
        "InvalidS3ObjectException",
        "UnsupportedDocumentException",
        "BadDocumentException",
        "DocumentTooLargeException",
        "AccessDeniedException",
        "InvalidJobIdException",
        "InvalidKMSKeyException",
        "IdempotentParameterMismatchException",
    }
)


class TextractApi(Protocol):
    """The part of a boto3 ``textract`` client the adapter uses."""

    def analyze_document(self, **kwargs: Any) -> Mapping[str, Any]: ...
    def analyze_id(self, **kwargs: Any) -> Mapping[str, Any]: ...
    def start_lending_analysis(self, **kwargs: Any) -> Mapping[str, Any]: ...
    def get_lending_analysis(self, **kwargs: Any) -> Mapping[str, Any]: ...


class LendingJobPendingError(TransientError):
    """The lending job was still running when the wait ran out; poll it again later."""


class LendingJobFailedError(PermanentError):
    """Textract gave up on the lending job."""


class TextractAdapter:
    """Sends documents to Textract and returns normalised pages."""

    def __init__(
        self,
        client: TextractApi,
        *,
        poll_interval_s: float = 5.0,
        lending_timeout_s: float = 300.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if poll_interval_s <= 0 or lending_timeout_s <= 0:
            raise ValueError("poll_interval_s and lending_timeout_s must be positive")
        self._client = client
        self._poll_interval_s = poll_interval_s
        self._lending_timeout_s = lending_timeout_s
        self._sleep = sleep
        self._clock = clock

    @property
    def client(self) -> TextractApi:
        """The boto3 client (for instrumentation such as event hooks)."""
        return self._client

    @classmethod
    def from_settings(cls, settings: TextractSettings | None = None) -> TextractAdapter:
        """An adapter with a boto3 client built from ``PRESCREEN_TEXTRACT_*``."""
        settings = settings or TextractSettings()
        client = boto3.session.Session().client(
            "textract",
            region_name=settings.region,
            endpoint_url=settings.endpoint_url,
            config=settings.botocore_config(),
        )
        return cls(
            cast(TextractApi, client),
            poll_interval_s=settings.poll_interval_s,
            lending_timeout_s=settings.lending_timeout_s,
        )

    def analyze_document(
        self,
        data: bytes,
        *,
        features: Collection[str] = ("FORMS", "TABLES"),
        kind: PageKind | None = None,
        kind_confidence: float = 1.0,
    ) -> TextractResult:
        """AnalyzeDocument on one image or single-page PDF; forms and tables by default.

        Pass ``kind`` when the page kind is already known; otherwise pages are classified by
        keywords in their printed lines.
        """
        chosen = list(dict.fromkeys(features))
        if not chosen or not set(chosen) <= SYNC_FEATURES:
            raise ValueError(f"features must be a non-empty subset of {sorted(SYNC_FEATURES)}")
        _check_size(data)
        response = _call(
            "AnalyzeDocument",
            lambda: self._client.analyze_document(Document={"Bytes": data}, FeatureTypes=chosen),
        )
        pages = document_pages(response, kind=kind, kind_confidence=kind_confidence)
        _log_pages("AnalyzeDocument", pages_total=len(pages), result_pages=pages)
        return TextractResult(operation="analyze_document", pages=pages)

    def analyze_id(self, front: bytes, back: bytes | None = None) -> TextractResult:
        """AnalyzeID on the front of an identity document (and its back, if given)."""
        documents = [front] if back is None else [front, back]
        for data in documents:
            _check_size(data)
        response = _call(
            "AnalyzeID",
            lambda: self._client.analyze_id(DocumentPages=[{"Bytes": d} for d in documents]),
        )
        pages = identity_pages(response)
        _log_pages("AnalyzeID", pages_total=len(pages), result_pages=pages)
        return TextractResult(operation="analyze_id", pages=pages)

    def start_lending_analysis(
        self, s3_bucket: str, s3_key: str, *, client_request_token: str | None = None
    ) -> str:
        """Start an Analyze Lending job on a document in S3; its job id.

        A ``client_request_token`` (e.g. derived from the document's hash) makes Textract
        return the same job for a repeated start instead of charging for a second one.
        """
        request: dict[str, Any] = {
            "DocumentLocation": {"S3Object": {"Bucket": s3_bucket, "Name": s3_key}}
        }
        if client_request_token is not None:
            request["ClientRequestToken"] = client_request_token
        response = _call(
            "StartLendingAnalysis", lambda: self._client.start_lending_analysis(**request)
        )
        job_id = str(response.get("JobId", ""))
        if not job_id:
            raise TransientError("Textract StartLendingAnalysis returned no job id")
        log.info("textract lending job started", extra={"job_id": job_id})
        return job_id

    def get_lending_analysis(
        self,
        job_id: str,
        *,
        poll_interval_s: float | None = None,
        timeout_s: float | None = None,
    ) -> TextractResult:
        """Wait (bounded) for a lending job to finish, then read all its result pages.

        Raises ``LendingJobPendingError`` if the job is still running when ``timeout_s`` runs out,
        and ``LendingJobFailedError`` if Textract reports the job FAILED.
        """
        interval = self._poll_interval_s if poll_interval_s is None else poll_interval_s
        timeout = self._lending_timeout_s if timeout_s is None else timeout_s
        deadline = self._clock() + timeout
        while True:
            first = self._get_lending(job_id)
            status = str(first.get("JobStatus", ""))
            if status != "IN_PROGRESS":
                break
            remaining = deadline - self._clock()
            if remaining <= 0:
                log.info("textract lending job pending", extra={"job_id": job_id})
                raise LendingJobPendingError(
                    f"lending job {job_id} still in progress after {timeout}s"
                )
            self._sleep(min(interval, remaining))
        if status == "FAILED":
            log.warning("textract lending job failed", extra={"job_id": job_id})
            message = first.get("StatusMessage") or "no status message"
            raise LendingJobFailedError(f"lending job {job_id} failed: {message}")
        if status not in {"SUCCEEDED", "PARTIAL_SUCCESS"}:
            raise PermanentError(f"lending job {job_id} has unexpected status {status!r}")
        responses = [first, *self._remaining_lending(job_id, first.get("NextToken"))]
        results = [result for response in responses for result in response.get("Results", ())]
        warnings = tuple(
            f"{warning.get('ErrorCode', 'UNKNOWN')} on {len(warning.get('Pages', ()))} page(s)"
            for response in responses
            for warning in response.get("Warnings", ())
        )
        pages = lending_pages(results)
        total = int(first.get("DocumentMetadata", {}).get("Pages", len(pages)))
        _log_pages("GetLendingAnalysis", pages_total=total, result_pages=pages, job_id=job_id)
        return TextractResult(operation="lending", pages=pages, job_id=job_id, warnings=warnings)

    def _get_lending(self, job_id: str, token: str | None = None) -> Mapping[str, Any]:
        request: dict[str, Any] = {"JobId": job_id}
        if token is not None:
            request["NextToken"] = token
        return _call("GetLendingAnalysis", lambda: self._client.get_lending_analysis(**request))

    def _remaining_lending(self, job_id: str, token: Any) -> list[Mapping[str, Any]]:
        responses: list[Mapping[str, Any]] = []
        seen: set[str] = set()
        while token:
            # A token seen twice would loop for ever; the result set is then not trustworthy.
            if str(token) in seen or len(seen) >= _MAX_RESULT_PAGES:
                raise PermanentError(f"lending job {job_id} results do not end")
            seen.add(str(token))
            response = self._get_lending(job_id, str(token))
            responses.append(response)
            token = response.get("NextToken")
        return responses


def _check_size(data: bytes) -> None:
    if not data:
        raise PermanentError("document is empty")
    if len(data) > MAX_SYNC_BYTES:
        raise PermanentError(
            f"document is {len(data)} bytes; synchronous Textract takes at most {MAX_SYNC_BYTES}"
        )


def _log_pages(operation: str, *, pages_total: int, result_pages: Any, **extra: Any) -> None:
    log.info(
        "textract call done",
        extra={
            "operation": operation,
            "pages": pages_total,
            "pages_mapped": len(result_pages),
            "fields": sum(len(page.fields) for page in result_pages),
            "transactions": sum(len(page.transactions) for page in result_pages),
            **extra,
        },
    )


def _call(operation: str, fn: Callable[[], _T]) -> _T:
    """Run one Textract call, translating botocore's errors into the runtime's two kinds."""
    try:
        return fn()
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
        if code in _TRANSIENT_CODES or (code not in _PERMANENT_CODES and status >= 500):
            raise TransientError(f"Textract {operation} refused: {code or status}") from exc
        raise PermanentError(f"Textract {operation} refused: {code or status}") from exc
    except ParamValidationError as exc:
        raise PermanentError(f"Textract {operation} request is invalid") from exc
    except BotoCoreError as exc:
        # Timeouts and connection failures: the service may well answer next time.
        raise TransientError(f"Textract {operation} unreachable: {type(exc).__name__}") from exc
