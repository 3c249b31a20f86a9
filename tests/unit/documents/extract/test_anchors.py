from __future__ import annotations

from services.documents.extract.anchors import extract_fields
from services.documents.extract.classify import classify
from services.documents.extract.match import find_phrase
from services.documents.extract.words import Word, group_lines, parse_tsv
from services.documents.fields import PageKind


def line(y: float, *texts: str, x: float = 0.05, confidence: float = 1.0) -> list[Word]:
    """Words left to right on one line, a fixed advance per character."""
    words = []
    for text in texts:
        width = 0.012 * len(text)
        words.append(Word(text=text, x0=x, y0=y, x1=x + width, y1=y + 0.012, confidence=confidence))
        x += width + 0.008
    return words


def test_label_matching_tolerates_ocr_noise() -> None:
    words = line(0.1, "Emptoyee's", "first", "narne", "and", "ital", "Last", "name")
    matches = find_phrase(group_lines(words), "Employee's first name and initial Last name")
    assert matches
    assert 0.5 < matches[0].score < 1.0


def test_label_matching_rejects_a_different_label() -> None:
    words = line(0.1, "Employer's", "name,", "address,", "and", "ZIP", "code")
    assert not find_phrase(group_lines(words), "Employee's address and ZIP code")


def test_short_labels_accept_only_look_alike_characters() -> None:
    lines = group_lines(line(0.1, "D0B", "01/02/1990") + line(0.2, "DOE", "x"))
    matches = find_phrase(lines, "DOB")
    assert len(matches) == 1
    assert matches[0].words[0].text == "D0B"


def test_value_right_of_label_is_normalised_with_confidence() -> None:
    words = line(0.1, "Amount", "due", "$1,234.50", confidence=0.9)
    fields = extract_fields(PageKind.UTILITY_BILL, words, group_lines(words), "ocr")
    assert fields["amount_due"].value == "1234.50"
    assert fields["amount_due"].confidence == 0.9
    assert fields["amount_due"].source == "ocr"


def test_ocr_separator_confusion_in_money_is_read() -> None:
    words = line(0.1, "Amount", "due", "$1.234,50")
    fields = extract_fields(PageKind.UTILITY_BILL, words, group_lines(words), "ocr")
    assert fields["amount_due"].value == "1234.50"


def test_a_value_that_does_not_normalise_is_dropped() -> None:
    words = line(0.1, "Bill", "date:", "Smarch", "45,", "2O24") + line(0.2, "DOB", "13/45/1990")
    assert "bill_date" not in extract_fields(
        PageKind.UTILITY_BILL, words, group_lines(words), "ocr"
    )
    assert "date_of_birth" not in extract_fields(
        PageKind.GOVERNMENT_ID, words, group_lines(words), "ocr"
    )


def test_ssn_is_reduced_to_its_last_four_digits() -> None:
    words = line(0.1, "Your", "social", "security", "number") + line(0.125, "123-45-6789")
    fields = extract_fields(PageKind.FORM_1040, words, group_lines(words), "text_layer")
    assert fields["taxpayer_ssn_last4"].value == "6789"


def test_value_below_label_spans_two_lines() -> None:
    words = (
        line(0.1, "f", "Employee's", "address", "and", "ZIP", "code")
        + line(0.115, "12", "Elm", "Street", x=0.06)
        + line(0.13, "Springfield,", "IL", "62701", x=0.06)
    )
    fields = extract_fields(PageKind.W2, words, group_lines(words), "text_layer")
    assert fields["employee_address"].value == "12 Elm Street, Springfield, IL 62701"


def test_a_page_without_evidence_is_other() -> None:
    words = line(0.1, "Dear", "customer,", "thank", "you", "for", "your", "letter")
    assert classify(words)[0] is PageKind.OTHER
    assert classify([])[0] is PageKind.OTHER


def test_tesseract_tsv_rows_without_confidence_are_dropped() -> None:
    header = "\t".join(
        [
            "level",
            "page_num",
            "block_num",
            "par_num",
            "line_num",
            "word_num",
            "left",
            "top",
            "width",
            "height",
            "conf",
            "text",
        ]
    )
    rows = [
        "1\t1\t0\t0\t0\t0\t0\t0\t1000\t2000\t-1\t",
        "4\t1\t1\t1\t1\t0\t100\t200\t300\t20\t-1\t",
        "5\t1\t1\t1\t1\t1\t100\t200\t100\t20\t95.5\tNet",
        "5\t1\t1\t1\t1\t2\t250\t200\t150\t20\t-1\t ",
    ]
    words = parse_tsv("\n".join([header, *rows]))
    assert [w.text for w in words] == ["Net"]
    assert words[0].x0 == 0.1 and words[0].y0 == 0.1 and words[0].confidence == 0.955
