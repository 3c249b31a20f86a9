"""The outbox adapter: one complete .eml per message, named by its once-key, replaced on
repeat."""

from __future__ import annotations

import email
from email.policy import default
from pathlib import Path

import pytest

from services.notifier.applicants.compose import compose, once_key
from services.notifier.applicants.mailer import TransientMailError, safe_name
from services.notifier.applicants.outbox import OutboxMailer
from tests.unit.notifier.applicants.support import LETTERHEAD, decision


def test_a_message_becomes_one_eml_file(tmp_path: Path) -> None:
    decided = decision("approved")
    outbox = OutboxMailer(tmp_path / "outbox")
    name = outbox.send(
        compose(decided, "ana@example.com", LETTERHEAD), idempotency_key=once_key(decided)
    )
    files = list((tmp_path / "outbox").iterdir())
    assert [f.name for f in files] == [name]
    assert name == f"applicant-email_{decided.application_id}_r0.eml"
    parsed = email.message_from_bytes(files[0].read_bytes(), policy=default)
    assert parsed["To"] == "ana@example.com"
    assert parsed["Message-ID"] == f"<decision.{decided.application_id}.r0@bank.example>"
    assert b"\r\n" in files[0].read_bytes()  # written as it would travel over SMTP


def test_a_repeat_replaces_instead_of_doubling(tmp_path: Path) -> None:
    decided = decision("declined")
    outbox = OutboxMailer(tmp_path)
    key = once_key(decided)
    outbox.send(compose(decided, "old@example.com", LETTERHEAD), idempotency_key=key)
    outbox.send(compose(decided, "new@example.com", LETTERHEAD), idempotency_key=key)
    files = list(tmp_path.iterdir())
    assert len(files) == 1  # no temporary file left behind either
    assert email.message_from_bytes(files[0].read_bytes(), policy=default)["To"] == (
        "new@example.com"
    )
    other = decided.model_copy(update={"revision": 1})
    outbox.send(compose(other, "new@example.com", LETTERHEAD), idempotency_key=once_key(other))
    assert len(list(tmp_path.iterdir())) == 2


@pytest.mark.parametrize("key", ["../../etc/passwd", "a/b\\c:d", "..", "x" * 500])
def test_file_names_stay_inside_the_outbox(tmp_path: Path, key: str) -> None:
    outbox = OutboxMailer(tmp_path / "box")
    name = outbox.send(compose(decision(), "ana@example.com", LETTERHEAD), idempotency_key=key)
    assert (tmp_path / "box" / name).is_file()
    assert set(name) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
    assert not name.startswith(".")
    assert safe_name(key) + ".eml" == name


def test_an_unwritable_outbox_is_a_transient_failure(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("in the way")
    outbox = OutboxMailer(blocker)
    with pytest.raises(TransientMailError, match="outbox write failed"):
        outbox.send(compose(decision(), "ana@example.com", LETTERHEAD), idempotency_key="k")
