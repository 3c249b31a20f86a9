"""Knowledge base and BM25 retriever: passage format, answers, recall, determinism, versioning."""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from services.common.contracts.primitives import LoanProduct
from services.offers.narrative.retrieval import (
    KNOWLEDGE_DIR,
    MAX_PASSAGE_WORDS,
    MIN_PASSAGE_WORDS,
    KnowledgeBase,
    KnowledgeFormatError,
    Passage,
    Retriever,
    default_knowledge_base,
    load_passages,
    parse_passages,
    stem,
    tokenize,
)
from services.offers.narrative.retrieval_eval import Question, evaluate, load_questions
from services.scoring.policy import default_tables_dir

RECALL_AT_3_FLOOR = 0.88
"""Measured 0.94 on the shipped question set; the floor leaves room for small edits."""
RECALL_AT_1_FLOOR = 0.65
MRR_FLOOR = 0.78

CATEGORIES = ("products", "eligibility", "improve", "reasons", "disclosures", "process")


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.load()


def top_ids(kb: KnowledgeBase, query: str, k: int = 3) -> list[str]:
    return [passage.id for passage in kb.search(query, k)]


# --- the passages --------------------------------------------------------------------------------


def test_passages_have_unique_ids_and_fitting_lengths(kb: KnowledgeBase) -> None:
    ids = [passage.id for passage in kb.passages]
    assert len(ids) == len(set(ids))
    assert 40 <= len(kb) <= 70
    for passage in kb.passages:
        assert MIN_PASSAGE_WORDS <= passage.word_count <= MAX_PASSAGE_WORDS, (
            passage.id,
            passage.word_count,
        )
        assert passage.id.split(".")[0] in CATEGORIES, passage.id
        assert passage.title and passage.source.endswith(".md")
        assert "<!--" not in passage.text and "##" not in passage.text
        assert passage.score == 0.0


def test_every_category_and_product_is_covered(kb: KnowledgeBase) -> None:
    prefixes = {passage.id.split(".")[0] for passage in kb.passages}
    assert prefixes == set(CATEGORIES)
    product_text = " ".join(p.text for p in kb.passages if p.id.startswith("products.")).lower()
    for product in LoanProduct:
        assert product.value.lower() in product_text, product


def test_reason_passages_state_no_figures(kb: KnowledgeBase) -> None:
    """An applicant's own numbers come from the decision; a reason passage must not offer any."""
    for passage in kb.passages:
        if passage.id.startswith("reasons."):
            assert not re.search(r"\d", re.sub(r"\bW-2\b", "", passage.text)), passage.id


def test_policy_figures_match_the_credit_policy_tables(kb: KnowledgeBase) -> None:
    """The score minimums, debt-to-income caps and ages the passages state are the policy's own.

    When credit risk changes a cut-off in the scoring stage's knock-out table, this fails until
    the knowledge base says the same.
    """
    table = json.loads((default_tables_dir() / "knockouts.json").read_text(encoding="utf-8"))
    rules = next(node for node in table["nodes"] if node["type"] == "decisionTableNode")
    minimums: dict[str, int] = {}
    caps: dict[str, int] = {}
    ages: dict[str, int] = {}
    for row in rules["content"]["rules"]:
        if row["out-reason_code"] == '"KO_UNDERAGE"':
            ages["minimum"] = int(row["in-age"].removeprefix("< "))
        if row["out-reason_code"] == '"KO_AGE_AT_MATURITY"':
            ages["maturity"] = int(row["in-age_at_maturity"].removeprefix("> "))
        products = re.findall(r'"([^"]+)"', row.get("in-product", ""))
        if row["out-reason_code"] == '"KO_SCORE_BELOW_MINIMUM"':
            score = int(row["in-credit_score"].removeprefix("< "))
            minimums.update(dict.fromkeys((p.lower() for p in products), score))
        if row["out-reason_code"] == '"KO_DTI_ABOVE_CAP"':
            cap = int(row["in-debt_to_income_ratio"].removeprefix("> "))
            caps.update(dict.fromkeys((p.lower() for p in products), cap))

    def stated(passage_id: str, pattern: str) -> dict[str, int]:
        """Product name to figure, from phrases like "600 for car and medical loans"."""
        passage = kb.get(passage_id)
        assert passage is not None
        found: dict[str, int] = {}
        for match in re.finditer(pattern, passage.text):
            for name in re.split(r",\s*|\s+and\s+", match["names"].strip().lower()):
                found[name] = int(match["figure"])
        return found

    score_phrase = r"(?P<figure>\d{3}) for (?P<names>[a-z ,]+?) loans"
    cap_phrase = r"(?P<names>[A-Za-z ,]+?) loans allow up to (?P<figure>\d+) %"
    assert stated("eligibility.credit-score-minimums", score_phrase) == minimums
    assert stated("eligibility.dti-caps", cap_phrase) == caps
    basics, maturity = kb.get("eligibility.basics"), kb.get("eligibility.age-at-maturity")
    assert basics is not None and maturity is not None
    assert f"at least {ages['minimum']} years old" in basics.text
    assert f"past age {ages['maturity']}" in maturity.text


# --- answers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("What does APR mean?", "disclosures.apr"),
        ("adverse action notice", "disclosures.adverse-action-notice"),
        ("free copy of my credit report within 60 days", "disclosures.free-credit-report"),
        ("Is a pre-screen approval a commitment to lend?", "disclosures.not-a-commitment"),
        ("interest rate range for a car loan", "products.car"),
        ("minimum credit score for each product", "eligibility.credit-score-minimums"),
        ("How can I raise my credit score?", "improve.credit-score"),
        ("my loan was referred to a person for review", "process.referred"),
        # Reason texts as the scoring and documents stages word them.
        ("Credit score too low", "reasons.low-credit-score"),
        ("Debt-to-income ratio too high after this loan", "reasons.high-dti"),
        ("Repayment history on the credit file not strong enough", "reasons.payment-history"),
        ("Too many open loans", "reasons.too-many-open-loans"),
        ("Time in current employment too short", "reasons.short-employment"),
        ("Current employment status", "reasons.employment-status"),
        ("Amount requested relative to income", "reasons.amount-to-income"),
        ("Monthly payment of this loan relative to income", "reasons.amount-to-income"),
        ("Savings and account balances too low for the amount requested", "reasons.low-savings"),
        ("A recent bankruptcy is on the credit file.", "reasons.recent-bankruptcy"),
        ("Home loans are not offered to students.", "eligibility.students"),
        ("The identity document has expired.", "reasons.identity-not-verified"),
        ("Stated income is above the income the documents show.", "reasons.income-not-supported"),
        (
            "The loan would run past age 75; a shorter term may qualify.",
            "eligibility.age-at-maturity",
        ),
    ],
)
def test_known_queries_put_the_answer_first(kb: KnowledgeBase, query: str, expected: str) -> None:
    assert top_ids(kb, query, 1) == [expected], top_ids(kb, query)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Home loans are not offered to students.", "reasons.student-home-loan"),
        ("Debt-to-income after the loan is above the 43 % cap", "eligibility.dti-caps"),
        (
            "Credit score is below the minimum of 600 for Car loans.",
            "eligibility.credit-score-minimums",
        ),
        ("Please upload: W-2, pay stub.", "improve.add-documents"),
        ("could not be read; please upload them again", "reasons.document-unreadable"),
        ("Length of the loan term", "improve.longer-term"),
        ("Housing status", "eligibility.home-owners"),
        ("Level of income", "reasons.insufficient-income"),
        ("What is a DTI?", "eligibility.dti-definition"),
    ],
)
def test_system_wordings_find_their_passage_in_the_top_three(
    kb: KnowledgeBase, query: str, expected: str
) -> None:
    assert expected in top_ids(kb, query), top_ids(kb, query)


def test_recall_on_the_question_set(kb: KnowledgeBase, record_property: Any) -> None:
    report = evaluate(kb)
    summary = {key: report[key] for key in ("questions", "recall@1", "recall@3", "mrr")}
    record_property("retrieval", summary)
    print(f"\nretrieval on the question set: {summary}, misses: {len(report['misses'])}")  # noqa: T201
    assert report["questions"] >= 40
    assert report["recall@3"] >= RECALL_AT_3_FLOOR, report["misses"]
    assert report["recall@1"] >= RECALL_AT_1_FLOOR
    assert report["mrr"] >= MRR_FLOOR
    assert report["recall@1"] <= report["recall@3"]


def test_questions_name_existing_passages(kb: KnowledgeBase) -> None:
    questions = load_questions()
    assert len(questions) >= 40
    assert len({q.question.lower() for q in questions}) == len(questions)
    for question in questions:
        for passage_id in question.relevant:
            assert kb.get(passage_id) is not None, (question.id, passage_id)
    # Questions are not passage titles in disguise.
    titles = {passage.title.lower() for passage in kb.passages}
    assert not titles & {question.question.lower() for question in questions}


def test_evaluate_counts_ranks(kb: KnowledgeBase) -> None:
    class Fixed:  # a stand-in retriever with a fixed ranking
        def search(self, query: str, k: int = 3) -> list[Passage]:
            order = ["a", "b", "c", "d"]
            return [Passage(id=i, title=i, text=i, source="x.md") for i in order][:k]

    questions = [
        Question("1", "one", ("a",)),
        Question("2", "two", ("c",)),
        Question("3", "three", ("d",)),
        Question("4", "four", ("zzz",)),
    ]
    report = evaluate(Fixed(), questions)
    assert report["recall@1"] == 0.25
    assert report["recall@3"] == 0.5
    assert report["mrr"] == round((1 + 1 / 3 + 1 / 4) / 4, 4)
    assert [miss["id"] for miss in report["misses"]] == ["3", "4"]
    assert report["misses"][0]["rank"] == 4 and report["misses"][1]["rank"] is None


# --- queries that match nothing ------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["", "   ", "?!.,;", "the of and to", "zxqv blorfle wuzzit", "\u00e9\u00e8\u00ea", "a" * 5000],
)
def test_empty_or_junk_queries_return_nothing(kb: KnowledgeBase, query: str) -> None:
    assert kb.search(query) == []


def test_a_single_common_word_scores_low(kb: KnowledgeBase) -> None:
    specific = kb.search("adverse action notice", 1)[0].score
    for hit in kb.search("loan", 5):
        assert 0 < hit.score < specific / 3


def test_k_bounds(kb: KnowledgeBase) -> None:
    assert kb.search("credit score", 0) == []
    assert kb.search("credit score", -1) == []
    assert len(kb.search("credit score", 1)) == 1
    everything = kb.search("loan credit score income", 1000)
    assert 3 < len(everything) <= len(kb)


def test_scores_descend_and_carry_the_passage(kb: KnowledgeBase) -> None:
    hits = kb.search("how do I lower my debt to income ratio", 10)
    scores = [hit.score for hit in hits]
    assert scores == sorted(scores, reverse=True) and all(score > 0 for score in scores)
    for hit in hits:
        original = kb.get(hit.id)
        assert original is not None
        assert (hit.title, hit.text, hit.source) == (original.title, original.text, original.source)


# --- determinism ---------------------------------------------------------------------------------


def test_same_query_same_answer_across_loads(kb: KnowledgeBase) -> None:
    other = KnowledgeBase.load()
    for query in ("credit score too low", "what documents do I need", "APR", "loan"):
        first = [(hit.id, hit.score) for hit in kb.search(query, 10)]
        assert first == [(hit.id, hit.score) for hit in kb.search(query, 10)]
        assert first == [(hit.id, hit.score) for hit in other.search(query, 10)]


def test_ties_are_broken_by_id_whatever_the_passage_order() -> None:
    text = "A gold loan is backed by gold pledged as security for a short term of borrowing."
    passages = [
        Passage(id=pid, title="Gold", text=text, source="x.md") for pid in ("c.x", "a.x", "b.x")
    ]
    forward = KnowledgeBase(passages, "v1")
    backward = KnowledgeBase(list(reversed(passages)), "v1")
    assert top_ids(forward, "gold loan") == ["a.x", "b.x", "c.x"]
    assert top_ids(backward, "gold loan") == ["a.x", "b.x", "c.x"]
    assert len({hit.score for hit in forward.search("gold loan")}) == 1


def test_default_knowledge_base_is_built_once() -> None:
    assert default_knowledge_base() is default_knowledge_base()
    assert isinstance(default_knowledge_base(), Retriever)


# --- versioning and file format ------------------------------------------------------------------


def test_version_follows_the_passage_files(tmp_path: Path) -> None:
    copy = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, copy)
    original = KnowledgeBase.load(copy).version
    assert original == KnowledgeBase.load().version
    assert re.fullmatch(r"[0-9a-f]{16}", original)

    questions = copy / "questions.json"
    questions.write_text(questions.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert KnowledgeBase.load(copy).version == original, "questions are not passages"

    target = copy / "reasons.md"
    target.write_text(target.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    edited = KnowledgeBase.load(copy).version
    assert edited != original

    (copy / "reasons.md").rename(copy / "reasons2.md")
    assert KnowledgeBase.load(copy).version != edited, "a renamed file is a change"


def test_a_new_passage_is_searchable_after_reload(tmp_path: Path) -> None:
    copy = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, copy)
    (copy / "extra.md").write_text(
        "# Extra\n\n## Overdraft protection\n<!-- id: extra.overdraft -->\n"
        "Overdraft protection links a checking account to savings so that a payment larger than "
        "the balance is covered by a transfer instead of being returned unpaid.\n",
        encoding="utf-8",
    )
    reloaded = KnowledgeBase.load(copy)
    assert len(reloaded) == len(KnowledgeBase.load()) + 1
    assert top_ids(reloaded, "overdraft protection", 1) == ["extra.overdraft"]


def test_parse_reads_ids_titles_and_text() -> None:
    markdown = (
        "# File title\n\nIntro that is not a passage.\n\n"
        "## First heading\n<!-- id: t.first -->\nLine one\nline two.\n\n"
        "##   Second heading  \n\n<!-- id: t.second -->\nOnly text.\n"
    )
    passages = parse_passages(markdown, "t.md")
    assert [(p.id, p.title, p.text, p.source) for p in passages] == [
        ("t.first", "First heading", "Line one line two.", "t.md"),
        ("t.second", "Second heading", "Only text.", "t.md"),
    ]


@pytest.mark.parametrize(
    "markdown",
    [
        "## No id here\nSome text.\n",
        "## Id not first\nSome text.\n<!-- id: t.late -->\n",
        "## Empty\n<!-- id: t.empty -->\n\n",
        "## Bad id\n<!-- id: Not Valid -->\nText.\n",
    ],
)
def test_malformed_passages_are_refused(markdown: str) -> None:
    with pytest.raises(KnowledgeFormatError):
        parse_passages(markdown, "bad.md")


def test_duplicate_ids_across_files_are_refused(tmp_path: Path) -> None:
    for name in ("a.md", "b.md"):
        (tmp_path / name).write_text("## Same\n<!-- id: t.same -->\nText.\n", encoding="utf-8")
    with pytest.raises(KnowledgeFormatError, match=r"t\.same"):
        load_passages(tmp_path)


def test_an_empty_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeFormatError):
        KnowledgeBase.load(tmp_path)


# --- tokens --------------------------------------------------------------------------------------


def test_tokenizer_normalises_forms_and_abbreviations() -> None:
    assert tokenize("Payments, paying; PAYMENT") == ["payment", "pay", "payment"]
    assert tokenize("DTI") == tokenize("debt-to-income ratio")
    assert tokenize("W-2") == tokenize("w2") == ["w2"]
    assert tokenize("rejected") == tokenize("declined") == tokenize("turned down")
    assert tokenize("the and of to") == []
    assert stem("offered") == stem("offer") == stem("offers")
    assert stem("verification") == stem("verified")


# --- speed ---------------------------------------------------------------------------------------


def test_search_is_fast(kb: KnowledgeBase) -> None:
    queries = [question.question for question in load_questions()]
    kb.search(queries[0])
    started = time.perf_counter()
    rounds = 5
    for _ in range(rounds):
        for query in queries:
            kb.search(query)
    mean = (time.perf_counter() - started) / (rounds * len(queries))
    assert mean < 0.002, f"{mean * 1e6:.0f} µs per search"
