"""Synthetic loan documents with exact ground truth, for testing and evaluating extractors."""

from __future__ import annotations

from services.documents.synthetic.facts import (
    ApplicantFacts,
    facts_from_application,
    facts_from_row,
    invent_facts,
)
from services.documents.synthetic.generator import (
    ALL_KINDS,
    GeneratedDocument,
    default_kinds,
    generate_documents,
    generate_sample_set,
    lay_out,
)

__all__ = [
    "ALL_KINDS",
    "ApplicantFacts",
    "GeneratedDocument",
    "default_kinds",
    "facts_from_application",
    "facts_from_row",
    "generate_documents",
    "generate_sample_set",
    "invent_facts",
    "lay_out",
]
