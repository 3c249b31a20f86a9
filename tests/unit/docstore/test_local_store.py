"""The local directory store: round trip, idempotency, containment, permissions, size cap."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest

from services.common.contracts.documents import DocumentKind
from services.common.docstore import (
    DocumentIntegrityError,
    DocumentNotFound,
    DocumentStore,
    DocumentTooLarge,
    EmptyDocument,
    FileKind,
    InvalidDocumentKey,
    LocalDocumentStore,
    NotSupported,
    TruncatedDocument,
    UnsupportedDocumentType,
    document_key,
    parse_key,
)
from tests.unit.docstore import samples

OWNER = "bank-a"
APP = "app-20240611-0001"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "documents"


@pytest.fixture
def store(root: Path) -> LocalDocumentStore:
    return LocalDocumentStore(root)


def _files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def test_is_a_document_store(store: LocalDocumentStore) -> None:
    assert isinstance(store, DocumentStore)
    assert store.max_bytes == 20 * 1024 * 1024


def test_round_trip(store: LocalDocumentStore, root: Path) -> None:
    data = samples.pdf()
    digest = hashlib.sha256(data).hexdigest()

    stored = store.put(OWNER, APP, data, declared_name="w2.pdf")

    assert stored.key == f"applications/{APP}/{digest}.pdf"
    assert stored.uri == f"local://applications/{APP}/{digest}.pdf"
    assert stored.sha256 == digest
    assert stored.size == len(data)
    assert stored.content_type == "application/pdf"
    assert stored.kind is FileKind.PDF
    assert stored.declared_name == "w2.pdf"
    assert (root / stored.key).read_bytes() == data
    assert store.get(stored.uri) == data
    assert store.get(stored.key) == data
    assert store.exists(stored.uri)
    assert store.verify(stored.uri) == stored


@pytest.mark.parametrize(
    ("data", "extension"),
    [(samples.png(), "png"), (samples.jpeg(), "jpg"), (samples.tiff(), "tif")],
)
def test_images_round_trip_with_sniffed_extension(
    store: LocalDocumentStore, data: bytes, extension: str
) -> None:
    # The declared name says PDF; the content decides.
    stored = store.put(OWNER, APP, data, declared_name="statement.pdf")
    assert stored.key.endswith("." + extension)
    assert store.get(stored.key) == data


def test_put_is_idempotent_and_does_not_rewrite(store: LocalDocumentStore, root: Path) -> None:
    data = samples.pdf()
    first = store.put(OWNER, APP, data, declared_name="a.pdf")
    before = os.stat(root / first.key)

    second = store.put(OWNER, APP, data, declared_name="b.pdf")
    after = os.stat(root / second.key)

    assert second == first
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert _files(root) == [root / first.key]


def test_same_bytes_in_two_applications_are_two_documents(store: LocalDocumentStore) -> None:
    data = samples.png()
    assert store.put(OWNER, "app-1", data).key != store.put(OWNER, "app-2", data).key


def test_a_damaged_copy_is_detected_and_repaired(store: LocalDocumentStore, root: Path) -> None:
    data = samples.pdf()
    stored = store.put(OWNER, APP, data)
    (root / stored.key).write_bytes(data.replace(b"Pay stub", b"Pay stuB"))

    with pytest.raises(DocumentIntegrityError):
        store.get(stored.key)

    store.put(OWNER, APP, data)
    assert store.get(stored.key) == data


def test_verify_refuses_content_that_contradicts_the_extension(
    store: LocalDocumentStore, root: Path
) -> None:
    data = samples.png()
    key = document_key(APP, hashlib.sha256(data).hexdigest(), FileKind.PDF)
    (root / key).parent.mkdir(parents=True)
    (root / key).write_bytes(data)

    assert store.get(key) == data
    with pytest.raises(DocumentIntegrityError):
        store.verify(key)


def test_files_are_private(store: LocalDocumentStore, root: Path) -> None:
    stored = store.put(OWNER, APP, samples.pdf())
    path = root / stored.key

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) & 0o077 == 0
    assert stat.S_IMODE(root.stat().st_mode) & 0o077 == 0


def test_no_temporary_file_is_left_behind(store: LocalDocumentStore, root: Path) -> None:
    stored = store.put(OWNER, APP, samples.pdf())
    assert _files(root) == [root / stored.key]


def test_a_failed_write_leaves_nothing(
    store: LocalDocumentStore, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        store.put(OWNER, APP, samples.pdf())
    assert _files(root) == []


def test_size_cap(root: Path) -> None:
    data = samples.pdf()
    exact = LocalDocumentStore(root, max_bytes=len(data))
    assert exact.put(OWNER, APP, data).size == len(data)

    small = LocalDocumentStore(root / "small", max_bytes=len(data) - 1)
    with pytest.raises(DocumentTooLarge) as caught:
        small.put(OWNER, APP, data)
    assert (caught.value.size, caught.value.max_bytes) == (len(data), len(data) - 1)
    assert _files(root / "small") == []


def test_reading_a_file_above_the_cap_is_refused(root: Path) -> None:
    data = samples.pdf()
    key = LocalDocumentStore(root).put(OWNER, APP, data).key
    with pytest.raises(DocumentTooLarge):
        LocalDocumentStore(root, max_bytes=16).get(key)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", EmptyDocument),
        (b"just some text, renamed to payslip.pdf\n", UnsupportedDocumentType),
        (samples.pdf()[:200], TruncatedDocument),
    ],
    ids=["empty", "text-named-pdf", "truncated-pdf"],
)
def test_invalid_content_is_not_stored(
    store: LocalDocumentStore, root: Path, data: bytes, error: type[Exception]
) -> None:
    with pytest.raises(error):
        store.put(OWNER, APP, data, declared_name="payslip.pdf")
    assert _files(root) == []


@pytest.mark.parametrize(
    "application_id", ["..", ".", "../other", "/etc", "a/b", "a\\b", "", "x" * 129, "app\x00"]
)
def test_application_ids_cannot_escape(
    store: LocalDocumentStore, root: Path, application_id: str
) -> None:
    with pytest.raises(InvalidDocumentKey):
        store.put(OWNER, application_id, samples.pdf())
    assert _files(root) == []


@pytest.mark.parametrize(
    "key",
    [
        "../../etc/passwd",
        "/etc/passwd",
        "local:///etc/passwd",
        "local://../secrets.pdf",
        f"applications/../../{'a' * 64}.pdf",
        f"applications/{APP}/../../{'a' * 64}.pdf",
        f"applications/{APP}/{'A' * 64}.pdf",
        f"applications/{APP}/{'a' * 64}.exe",
        f"applications/{APP}/{'a' * 64}.pdf/..",
        f"s3://bucket/applications/{APP}/{'a' * 64}.pdf",
        f"file:///applications/{APP}/{'a' * 64}.pdf",
    ],
)
def test_keys_cannot_escape(store: LocalDocumentStore, key: str) -> None:
    for operation in (store.get, store.exists, store.verify, store.delete):
        with pytest.raises(InvalidDocumentKey):
            operation(key)


def test_a_symlink_out_of_the_root_is_refused(
    store: LocalDocumentStore, root: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "applications").mkdir(parents=True)
    (root / "applications" / APP).symlink_to(outside)

    with pytest.raises(InvalidDocumentKey):
        store.put(OWNER, APP, samples.pdf())
    assert list(outside.iterdir()) == []


@pytest.mark.parametrize("owner", ["", " bank", "bank a", "bank\n", "ü-bank", "x" * 257])
def test_owner_must_be_a_plain_identifier(store: LocalDocumentStore, owner: str) -> None:
    with pytest.raises(InvalidDocumentKey):
        store.put(owner, APP, samples.pdf())


def test_missing_document(store: LocalDocumentStore) -> None:
    key = document_key(APP, "0" * 64, FileKind.PDF)
    assert not store.exists(key)
    with pytest.raises(DocumentNotFound):
        store.get(key)


def test_delete(store: LocalDocumentStore) -> None:
    stored = store.put(OWNER, APP, samples.pdf())
    store.delete(stored.uri)
    assert not store.exists(stored.uri)
    store.delete(stored.uri)


def test_presigned_upload_is_not_supported(store: LocalDocumentStore) -> None:
    with pytest.raises(NotSupported):
        store.presigned_upload(OWNER, APP, sha256="0" * 64, content_type="application/pdf")


def test_reference_for_events(store: LocalDocumentStore) -> None:
    stored = store.put(OWNER, APP, samples.pdf())
    reference = stored.reference(document_id="w2-2024", kind=DocumentKind.W2)

    assert reference.storage_uri == stored.uri
    assert reference.sha256 == stored.sha256
    assert reference.content_type == "application/pdf"
    assert reference.size_bytes == stored.size


def test_parse_key_round_trips() -> None:
    key = document_key(APP, "ab" * 32, FileKind.TIFF)
    parsed = parse_key(key)
    assert (parsed.application_id, parsed.sha256, parsed.kind) == (APP, "ab" * 32, FileKind.TIFF)
    assert parsed.key == key
