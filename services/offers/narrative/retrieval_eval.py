"""How well a retriever finds the passage that answers a question.

``knowledge/questions.json`` holds questions written in applicants' and the system's own words
(reason texts, for example), each with the id(s) of the passage(s) that answer it. A question
counts as found at depth ``n`` when any of its relevant passages is among the first ``n``
results. ``evaluate`` reports recall@1, recall@3, the mean reciprocal rank (first relevant
passage within the first ten results, zero beyond) and every question missed at depth 3.

It accepts any ``Retriever``, so an adapter for a managed knowledge base can be measured on the
same questions. ``python -m services.offers.narrative.retrieval_eval`` prints the report as
JSON, with the time a search takes on this machine.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from services.offers.narrative.retrieval import KNOWLEDGE_DIR, KnowledgeBase, Retriever

QUESTIONS_PATH: Final = KNOWLEDGE_DIR / "questions.json"
MRR_DEPTH: Final = 10
MISS_DEPTH: Final = 3


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    question: str
    relevant: tuple[str, ...]


def load_questions(path: Path = QUESTIONS_PATH) -> list[Question]:
    """The evaluation questions; each must name at least one relevant passage id."""
    document = json.loads(path.read_text(encoding="utf-8"))
    questions = [
        Question(
            id=str(item["id"]), question=str(item["question"]), relevant=tuple(item["relevant"])
        )
        for item in document["questions"]
    ]
    ids = [question.id for question in questions]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path}: question ids repeat")
    empty = [question.id for question in questions if not question.relevant]
    if empty:
        raise ValueError(f"{path}: questions without a relevant passage: {empty}")
    return questions


def _rank(retrieved: Sequence[str], relevant: Sequence[str]) -> int | None:
    """1-based position of the first relevant id, or None when none was retrieved."""
    for position, passage_id in enumerate(retrieved, start=1):
        if passage_id in relevant:
            return position
    return None


def evaluate(kb: Retriever, questions: Sequence[Question] | None = None) -> dict[str, Any]:
    """recall@1, recall@3, MRR and the questions missed at depth 3, over ``questions``.

    Without ``questions`` the shipped question set is used. Rates are rounded to four decimals.
    """
    chosen = list(questions) if questions is not None else load_questions()
    if not chosen:
        raise ValueError("no questions to evaluate")
    at_1 = at_3 = 0
    reciprocal = 0.0
    misses: list[dict[str, Any]] = []
    for question in chosen:
        retrieved = [passage.id for passage in kb.search(question.question, k=MRR_DEPTH)]
        rank = _rank(retrieved, question.relevant)
        at_1 += rank == 1
        at_3 += rank is not None and rank <= MISS_DEPTH
        reciprocal += 1 / rank if rank is not None else 0.0
        if rank is None or rank > MISS_DEPTH:
            misses.append(
                {
                    "id": question.id,
                    "question": question.question,
                    "relevant": list(question.relevant),
                    "retrieved": retrieved[:MISS_DEPTH],
                    "rank": rank,
                }
            )
    count = len(chosen)
    return {
        "questions": count,
        "recall@1": round(at_1 / count, 4),
        "recall@3": round(at_3 / count, 4),
        "mrr": round(reciprocal / count, 4),
        "misses": misses,
    }


def time_searches(kb: Retriever, queries: Sequence[str], *, repeats: int = 20) -> float:
    """Mean wall-clock time of one ``search(query, k=3)``, in microseconds."""
    if not queries or repeats < 1:
        raise ValueError("need at least one query and one repeat")
    started = time.perf_counter()
    for _ in range(repeats):
        for query in queries:
            kb.search(query, k=3)
    elapsed = time.perf_counter() - started
    return elapsed / (repeats * len(queries)) * 1e6


def main() -> None:
    started = time.perf_counter()
    kb = KnowledgeBase.load()
    build_ms = (time.perf_counter() - started) * 1e3
    questions = load_questions()
    report = evaluate(kb, questions)
    report["passages"] = len(kb)
    report["version"] = kb.version
    report["load_and_index_ms"] = round(build_ms, 2)
    report["search_us"] = round(time_searches(kb, [q.question for q in questions]), 1)
    sys.stdout.write(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
