"""The documents stage on a real broker and Redis, reading scans on a process pool: SIGKILLed
in the middle of a batch, it loses nothing, doubles nothing and leaves no OCR worker behind."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import pytest

from services.common.contracts import DocumentsVerified
from services.common.docstore import LocalDocumentStore
from services.documents.fields import PageKind
from services.documents.handler import DocumentsHandler
from services.documents.pool import ExtractionPool
from tests.integration.runtime.support import (
    StageProcess,
    make_topics,
    produce,
    read_committed,
    stage_env,
    wait_for,
)
from tests.unit.contracts import samples
from tests.unit.documents.stage_support import applicant, envelope, received, upload

pytestmark = pytest.mark.integration

APPLICATIONS = 8
SCANNED = {0, 3, 5}
"""Applications whose W-2 is a phone scan: OCR keeps the batch busy long enough to kill it."""


def _log_records(path: Path) -> list[dict[str, object]]:
    records = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("{"):
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return records


def _logged(path: Path, message: str) -> list[dict[str, object]]:
    return [r for r in _log_records(path) if r.get("message") == message]


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status  # a zombie has exited; only its parent may reap it


def test_sigkill_mid_batch_loses_and_doubles_nothing(
    kafka_bootstrap: str, redis_url: str, unique_name: str, tmp_path: Path
) -> None:
    source, sink, dlq = (f"{unique_name}.{n}" for n in ("in", "out", "dlq"))
    make_topics(kafka_bootstrap, source, sink, dlq, partitions=2)
    store = LocalDocumentStore(tmp_path / "store")
    cases = []
    for n in range(APPLICATIONS):
        person = applicant(100 + n)
        scanned = (PageKind.W2,) if n in SCANNED else ()
        kinds = (PageKind.W2, PageKind.GOVERNMENT_ID)
        documents = upload(store, person, tmp_path / "generated", kinds, scanned=scanned)
        cases.append(received(person, documents))
    produce(
        kafka_bootstrap,
        source,
        [(str(case.application_id), case.model_dump_json().encode()) for case in cases],
    )

    log_path = tmp_path / "documents.log"
    stage = StageProcess(
        args=[
            "-m",
            "tests.integration.documents.stage_process",
            "--stage",
            unique_name,
            "--input",
            source,
            "--output",
            sink,
            "--dlq",
            dlq,
            "--store-root",
            str(tmp_path / "store"),
            "--workers",
            "2",
        ],
        env=stage_env(kafka_bootstrap, redis_url, instance="documents-0"),
        log_path=log_path,
    )
    try:
        stage.start()
        wait_for(lambda: bool(_logged(log_path, "extracting documents")), 120, "a batch to start")
        wait_for(
            lambda: bool(_logged(log_path, "document extraction pool started")),
            30,
            "the worker pool",
        )
        time.sleep(1.0)  # the workers are deep in OCR now
        stage.kill()
        [started] = _logged(log_path, "document extraction pool started")
        workers = [int(pid) for pid in started["worker_pids"]]  # type: ignore[attr-defined]
        assert len(workers) == 2
        # The batch had not committed: nothing is visible to a read_committed consumer.
        assert read_committed(kafka_bootstrap, sink, expected=1, timeout_s=4, settle_s=0) == []
        # The kernel took the workers down with the stage.
        wait_for(lambda: not any(_alive(pid) for pid in workers), 15, "the workers to die")

        stage.start()
        records = read_committed(
            kafka_bootstrap, sink, expected=APPLICATIONS, timeout_s=240, settle_s=5
        )
    finally:
        stage.stop_quietly()

    assert len(_logged(log_path, "document extraction pool started")) == 2
    results = [DocumentsVerified.model_validate_json(value or b"") for _, value, _ in records]
    counts = Counter(result.application_id for result in results)
    assert set(counts) == {case.application_id for case in cases}, "lost applications"
    assert max(counts.values()) == 1, "an application was emitted twice"
    # The pool read every file exactly as the stage reads it in process, crash or not.
    reference = DocumentsHandler(
        reader=store,
        extractor=ExtractionPool(0, max_pages=40, file_timeout_s=120),
        cipher=samples.field_cipher(),
        stage_version="test",
    )
    expected = {}
    for emit in reference([envelope(case, n) for n, case in enumerate(cases)]):
        assert isinstance(emit.value, DocumentsVerified)
        expected[emit.key] = emit.value.documents.model_dump(exclude={"completed_at"})
    got = {
        str(result.application_id): result.documents.model_dump(exclude={"completed_at"})
        for result in results
    }
    assert got == expected
    digital = [r for n, r in enumerate(cases) if n not in SCANNED]
    for case in digital:
        assert got[str(case.application_id)]["status"] == "pass"
    assert read_committed(kafka_bootstrap, dlq, expected=1, timeout_s=3, settle_s=0) == []
