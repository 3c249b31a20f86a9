"""Sealed strings: personal data encrypted at field level inside an event.

The string form is ``v1.<key id>.<base64url(nonce || ciphertext)>`` (no padding). The version and
key id travel in clear so a reader knows which key opens a value and keys can be rotated; the
encryption itself lives in ``services.common.fieldcrypto``. Contracts only fix the shape, so a
consumer can validate an event without holding any key.
"""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import Field

SEALED_VERSION: Final = "v1"
KEY_ID_PATTERN: Final = r"^[A-Za-z0-9_-]{1,32}$"
"""Key ids are short labels without dots, because the dot separates the parts."""

# 12-byte nonce + 16-byte tag = 28 bytes at least, which is 38 base64url characters.
SEALED_PATTERN: Final = r"^v1\.[A-Za-z0-9_-]{1,32}\.[A-Za-z0-9_-]{38,}$"
SEALED_MAX_LENGTH: Final = 16_384

SealedString = Annotated[
    str,
    Field(
        pattern=SEALED_PATTERN,
        max_length=SEALED_MAX_LENGTH,
        description=(
            "Personal data sealed with AES-256-GCM: v1.<key id>.<base64url(nonce||ciphertext)>. "
            "The associated data binds it to the application id and the field name, so it "
            "opens only in the field and application it was sealed for."
        ),
    ),
]
"""A value sealed by ``services.common.fieldcrypto.FieldCipher``."""
