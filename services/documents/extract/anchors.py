"""Label-anchored reading: find a label, take the words where its value is printed, keep the
value only if it reads as the field's type.

A field's confidence is the lowest confidence among the words its value came from, times how
well the label matched, so a clean value under a half-legible label is still doubted.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass

from services.documents.extract.labels import COMBINED, LABELS, Rule
from services.documents.extract.match import Match, find_phrase, simplify
from services.documents.extract.words import Word
from services.documents.fields import FIELDS, ExtractedField, Extractor, PageKind, normalise


@dataclass(frozen=True)
class Reading:
    value: str
    confidence: float


def same_line(word: Word, y0: float, y1: float) -> bool:
    centre = (y0 + y1) / 2
    return y0 <= word.cy <= y1 or word.y0 <= centre <= word.y1


def segments(words: list[Word]) -> list[list[Word]]:
    """A line's words split where a gap is wider than a couple of spaces: separate phrases."""
    parts: list[list[Word]] = []
    for word in words:
        if parts:
            last = parts[-1][-1]
            height = statistics.median([w.height for w in parts[-1]] + [word.height])
            if word.x0 - last.x1 <= 1.6 * height:
                parts[-1].append(word)
                continue
        parts.append([word])
    return parts


def _strip(words: list[Word]) -> list[Word]:
    """Drops the punctuation a label leaves behind (``:``, ``-``) at the value's edges."""
    start, end = 0, len(words)
    while start < end and not simplify(words[start].text):
        start += 1
    while end > start and not simplify(words[end - 1].text):
        end -= 1
    return words[start:end]


def beside(words: list[Word], label: Match, rule: Rule) -> list[list[Word]]:
    line = [w for w in words if same_line(w, label.y0, label.y1) and w not in label.words]
    if rule.direction == "right":
        side = sorted((w for w in line if w.x0 >= label.x1 - 0.002), key=lambda w: w.x0)
    else:
        side = sorted((w for w in line if w.x1 <= label.x0 + 0.002), key=lambda w: w.x0)
    if not side:
        return []
    if rule.pattern is not None:
        return [side]
    parts = segments(side)
    return [parts[0] if rule.direction == "right" else parts[-1]]


def stacked(words: list[Word], label: Match, rule: Rule) -> list[list[Word]]:
    """Up to ``rule.lines`` lines under (or over) the label, within its horizontal span."""
    x0, x1 = label.x0, reach(words, label, rule)
    top, bottom, height = label.y0, label.y1, label.height
    found: list[list[Word]] = []
    for _ in range(rule.lines):
        if rule.direction == "below":
            near = [w for w in words if w.y0 >= bottom - 0.3 * height and w.cy > bottom]
            near = [w for w in near if w.y0 - bottom <= rule.max_gap * height]
        else:
            near = [w for w in words if w.y1 <= top + 0.3 * height and w.cy < top]
            near = [w for w in near if top - w.y1 <= rule.max_gap * height]
        near = [w for w in near if w.x1 >= x0 and w.x0 <= x1]
        if not near:
            break
        first = (
            min(near, key=lambda w: w.y0)
            if rule.direction == "below"
            else max(near, key=lambda w: w.y1)
        )
        line = sorted((w for w in words if same_line(w, first.y0, first.y1)), key=lambda w: w.x0)
        kept = [w for part in segments(line) if any(w in near for w in part) for w in part]
        found.append(kept)
        top = min(w.y0 for w in kept)
        bottom = max(w.y1 for w in kept)
        height = statistics.median(w.height for w in kept)
    return found if rule.direction == "below" else found[::-1]


def reach(words: list[Word], label: Match, rule: Rule) -> float:
    """The right edge of the label's cell: a value is often right-aligned in a box wider than
    its label, but never runs into the next label along the same line."""
    line = sorted(
        (w for w in words if same_line(w, label.y0, label.y1) and w.x0 >= label.x0),
        key=lambda w: w.x0,
    )
    parts = segments(line)
    own = next((i for i, part in enumerate(parts) if label.words[-1] in part), 0)
    limit = label.x1 + rule.reach * (label.x1 - label.x0)
    if own + 1 < len(parts):
        limit = min(limit, parts[own + 1][0].x0 - 0.002)
    return limit


def money_text(raw: str) -> str:
    """OCR's ``40.363,61`` or ``40,363.61`` as ``40363.61``: the last separator is the point."""
    body = re.sub(r"\s", "", raw)
    digits = re.sub(r"[^\d]", "", body)
    sign = "-" if body.startswith(("-", "(-", "$-")) or body.startswith("(") else ""
    return f"{sign}{digits[:-2]}.{digits[-2:]}"


def read(lines: list[list[Word]], rule: Rule, field_type: str) -> Reading | None:
    lines = [kept for line in lines if (kept := _strip(line))]
    if not lines:
        return None
    if rule.pattern is None:
        words = [w for line in lines for w in line]
        text = ", ".join(" ".join(w.text for w in line) for line in lines)
        if not re.search(r"[A-Za-z]", text):
            return None
        raw = text
    else:
        words, raw = _pattern(lines, rule)
        if not words:
            return None
        if field_type == "money":
            raw = money_text(raw)
        elif field_type == "year":
            # Large display type is often split into single digits by OCR.
            raw = re.sub(r"\s", "", raw)
    value = normalise(field_type, raw)  # type: ignore[arg-type]
    if value is None:
        return None
    return Reading(value, min(w.confidence for w in words))


def _pattern(lines: list[list[Word]], rule: Rule) -> tuple[list[Word], str]:
    spans: list[tuple[int, int, Word]] = []
    text = ""
    for line in lines:
        for word in line:
            if text:
                text += " "
            spans.append((len(text), len(text) + len(word.text), word))
            text += word.text
    assert rule.pattern is not None
    matches = list(re.finditer(rule.pattern, text))
    if len(matches) <= rule.occurrence:
        return [], ""
    match = matches[rule.occurrence]
    used = [w for start, end, w in spans if start < match.end() and end > match.start()]
    return used, match.group(0)


def extract_field(
    words: list[Word], lines: list[list[Word]], rules: tuple[Rule, ...], field_type: str
) -> Reading | None:
    for rule in rules:
        for label in rule.labels:
            for match in find_phrase(lines, label):
                if rule.direction in ("right", "left"):
                    near = beside(words, match, rule)
                else:
                    near = stacked(words, match, rule)
                reading = read(near, rule, field_type)
                if reading is not None:
                    return Reading(reading.value, round(reading.confidence * match.score, 4))
    return None


def extract_fields(
    kind: PageKind, words: list[Word], lines: list[list[Word]], source: Extractor
) -> dict[str, ExtractedField]:
    """Every field of ``kind`` the page shows legibly; the others are left out, not guessed."""
    types = FIELDS[kind]
    readings: dict[str, Reading] = {}
    for name, rules in LABELS[kind].items():
        field_type = "text" if name.startswith("_") else types[name]
        if (reading := extract_field(words, lines, rules, field_type)) is not None:
            readings[name] = reading
    for name, parts in COMBINED.get(kind, {}).items():
        if all(part in readings for part in parts):
            readings[name] = Reading(
                " ".join(readings[part].value for part in parts),
                min(readings[part].confidence for part in parts),
            )
    return {
        name: ExtractedField(value=r.value, confidence=r.confidence, source=source)
        for name, r in readings.items()
        if not name.startswith("_")
    }
