"""Renders an applicant's documents twice (digital PDF, degraded scan) with their ground truth."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Final

from pydantic import Field, TypeAdapter

from services.common.contracts.base import EventModel
from services.documents.fields import ExtractedPage, PageKind
from services.documents.synthetic.cards import government_id, utility_bill
from services.documents.synthetic.facts import ApplicantFacts, invent_facts, seeded
from services.documents.synthetic.figures import Figures, compute_figures
from services.documents.synthetic.financials import profit_and_loss
from services.documents.synthetic.forms import form_1040, pay_stub, w2
from services.documents.synthetic.layout import Sheet, truth_pages
from services.documents.synthetic.render_pdf import write_pdf
from services.documents.synthetic.render_scan import DPI, write_scans
from services.documents.synthetic.statements import bank_statement

Builder = Callable[[ApplicantFacts, Figures, random.Random], list[Sheet]]

BUILDERS: Final[dict[PageKind, Builder]] = {
    PageKind.W2: w2,
    PageKind.PAY_STUB: pay_stub,
    PageKind.BANK_STATEMENT: bank_statement,
    PageKind.GOVERNMENT_ID: government_id,
    PageKind.FORM_1040: form_1040,
    PageKind.UTILITY_BILL: utility_bill,
    # Each kind's seed is its position here, so a new kind goes last.
    PageKind.PROFIT_AND_LOSS: profit_and_loss,
}
ALL_KINDS: Final = tuple(BUILDERS)
# A card is small; scanning it finer keeps its 6-point type legible after degradation.
CARD_DPI: Final = 300
TRUTH_ADAPTER: Final = TypeAdapter(list[ExtractedPage])


class GeneratedDocument(EventModel):
    kind: PageKind
    digital_pdf: Path
    scanned_pages: tuple[Path, ...] = Field(description="Empty when scans were not asked for.")
    truth: tuple[ExtractedPage, ...] = Field(description="One per page, in page order.")
    truth_json: Path = Field(description="The truth as a JSON list of ExtractedPage.")


def default_kinds(facts: ApplicantFacts) -> tuple[PageKind, ...]:
    """What such an applicant would upload: no W-2 or pay stub when self-employed, and a
    profit-and-loss statement only then."""
    if facts.self_employed:
        return tuple(k for k in ALL_KINDS if k not in (PageKind.W2, PageKind.PAY_STUB))
    return tuple(k for k in ALL_KINDS if k is not PageKind.PROFIT_AND_LOSS)


def lay_out(
    facts: ApplicantFacts, kind: PageKind, *, seed: int, income_mismatch: float | None = None
) -> list[Sheet]:
    """One document's pages and truth before rendering; also a clean reference for scans."""
    if kind not in BUILDERS:
        raise ValueError(f"no synthetic {kind} document")
    factor = Decimal(1)
    if income_mismatch is not None:
        if not 0 < income_mismatch <= 1:
            raise ValueError("income_mismatch is a factor in (0, 1]")
        factor = Decimal(str(income_mismatch))
    # The shared figures and each kind have separate streams, so dropping a kind changes
    # nothing else.
    figures = compute_figures(facts, seeded(seed), factor)
    return BUILDERS[kind](facts, figures, seeded(seed * 100 + ALL_KINDS.index(kind)))


def generate_documents(
    facts: ApplicantFacts,
    out_dir: Path,
    *,
    seed: int,
    kinds: Sequence[PageKind] | None = None,
    scans: bool = True,
    income_mismatch: float | None = None,
    omit: Sequence[PageKind] = (),
) -> list[GeneratedDocument]:
    """Writes ``<kind>.pdf``, ``<kind>-scan-<n>.jpg`` and ``<kind>.truth.json`` into ``out_dir``.

    ``income_mismatch`` is the factor the documents scale the stated income by (0.6: every
    income document shows 60 % of what the applicant stated); ``omit`` drops kinds, so a
    missing-document case needs no other set-up.
    """
    wanted = [k for k in (kinds if kinds is not None else default_kinds(facts)) if k not in omit]
    out_dir.mkdir(parents=True, exist_ok=True)
    documents = []
    for kind in wanted:
        stream = seed * 100 + ALL_KINDS.index(kind)
        sheets = lay_out(facts, kind, seed=seed, income_mismatch=income_mismatch)
        pages = [sheet.page for sheet in sheets]
        stem = out_dir / kind.value
        pdf = stem.with_suffix(".pdf")
        write_pdf(pages, pdf, title=kind.value)
        scanned: tuple[Path, ...] = ()
        if scans:
            dpi = CARD_DPI if kind is PageKind.GOVERNMENT_ID else DPI
            scanned = write_scans(pages, stem, seed=stream, dpi=dpi)
        truth = truth_pages(kind, sheets)
        truth_json = stem.with_suffix(".truth.json")
        truth_json.write_bytes(TRUTH_ADAPTER.dump_json(list(truth), indent=2))
        documents.append(
            GeneratedDocument(
                kind=kind,
                digital_pdf=pdf,
                scanned_pages=scanned,
                truth=truth,
                truth_json=truth_json,
            )
        )
    return documents


def generate_sample_set(
    out_dir: Path, *, samples: int, seed: int, scans: bool = True
) -> list[GeneratedDocument]:
    """``samples`` invented, salaried applicants, every kind each (a profit-and-loss statement
    too, so its reading is measured), in ``applicant-<n>/`` with their ``facts.json``: an
    evaluation set for the extractors."""
    rng = seeded(seed)
    documents: list[GeneratedDocument] = []
    for index in range(samples):
        age = rng.randint(22, 64)
        income = Decimal(round(rng.lognormvariate(10.9, 0.45), 2)).quantize(Decimal("0.01"))
        facts = invent_facts(
            rng,
            annual_income=max(income, Decimal("18000.00")),
            age=age,
            years_employed=rng.randint(1, min(age - 18, 20)),
            application_date=date(2025, rng.randint(2, 11), rng.randint(2, 27)),
        )
        folder = out_dir / f"applicant-{index:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "facts.json").write_text(facts.model_dump_json(indent=2), encoding="utf-8")
        documents += generate_documents(
            facts, folder, seed=seed * 1000 + index, kinds=ALL_KINDS, scans=scans
        )
    return documents
