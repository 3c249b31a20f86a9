"""Credit policy tables: each knock-out in isolation, grade cut-offs, versioning, load errors."""

from __future__ import annotations

import json
import math
import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from services.common.contracts.primitives import EmploymentStatus, LoanProduct
from services.scoring.policy import (
    CreditPolicy,
    GradeBand,
    PolicyEvaluationError,
    PolicyInput,
    PolicyLoadError,
    PolicyResult,
    default_tables_dir,
)

TABLE_FILES = ("knockouts.json", "grades.json")

# A term inside every product's allowed range, so a clean applicant trips nothing.
CLEAN_TERM = {
    LoanProduct.CAR: 5.0,
    LoanProduct.HOME: 20.0,
    LoanProduct.GOLD: 1.0,
    LoanProduct.EDUCATION: 10.0,
    LoanProduct.PERSONAL: 3.0,
    LoanProduct.MEDICAL: 3.0,
    LoanProduct.HOME_IMPROVEMENT: 10.0,
}
POLICY_PRODUCTS = list(CLEAN_TERM)
MIN_SCORE = {
    "Home": 650,
    "Car": 600,
    "Personal": 620,
    "Medical": 600,
    "Education": 580,
    "Gold": 580,
    "Home Improvement": 620,
}
TERM_RANGE = {
    "Car": (0.5, 7.0),
    "Home": (2.0, 30.0),
    "Gold": (0.5, 3.0),
    "Education": (5.0, 15.0),
    "Personal": (2.0, 5.0),
    "Medical": (2.0, 5.0),
    "Home Improvement": (1.0, 15.0),
}


def applicant(**changes: Any) -> PolicyInput:
    product = changes.get("product", LoanProduct.PERSONAL)
    facts: dict[str, Any] = {
        "age": 35,
        "credit_score": 760,
        "product": product,
        "debt_to_income_ratio": 25.0,
        "annual_income": 65_000.0,
        "employment_status": EmploymentStatus.EMPLOYED,
        "education_level": "Bachelor's",
        "home_ownership": "Rent",
        "term_years": CLEAN_TERM[LoanProduct(product)],
        "amount": 15_000.0,
        "recent_bankruptcy": False,
    }
    return PolicyInput(**(facts | changes))


@pytest.fixture(scope="module")
def policy() -> CreditPolicy:
    return CreditPolicy()


def copy_tables(target: Path) -> Path:
    for name in TABLE_FILES:
        (target / name).write_bytes(default_tables_dir().joinpath(name).read_bytes())
    return target


def edit_table(directory: Path, name: str, change: Callable[[dict[str, Any]], None]) -> None:
    path = directory / name
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document, indent=2))


def table_content(document: dict[str, Any]) -> dict[str, Any]:
    (table,) = [node for node in document["nodes"] if node["type"] == "decisionTableNode"]
    content: dict[str, Any] = table["content"]
    return content


def table_row(document: dict[str, Any], row_id: str) -> dict[str, str]:
    rows: list[dict[str, str]] = table_content(document)["rules"]
    (row,) = [row for row in rows if row["_id"] == row_id]
    return row


def assert_only(result: PolicyResult, rule_id: str, row_id: str, reason_code: str) -> None:
    assert [knockout.rule_id for knockout in result.knockouts] == [rule_id]
    assert result.reason_codes == (reason_code,)
    assert result.trace.matched_rows == (row_id,)
    assert "Knock-out rules" in result.trace.nodes
    assert not result.passed


# -- knock-outs -------------------------------------------------------------------------------


@pytest.mark.parametrize("product", POLICY_PRODUCTS)
def test_clean_applicant_has_no_knockouts(policy: CreditPolicy, product: LoanProduct) -> None:
    result = policy.check_knockouts(applicant(product=product))
    assert result.passed
    assert result.knockouts == ()
    assert result.trace.matched_rows == ()
    assert result.policy_version == policy.version


SINGLE_KNOCKOUTS: list[Any] = [
    pytest.param({"age": 17}, "KO-01", "KO-01", "KO_UNDERAGE", id="underage"),
    *[
        pytest.param(
            {"product": product, "credit_score": minimum - 1},
            "KO-02",
            f"KO-02.{product}",
            "KO_SCORE_BELOW_MINIMUM",
            id=f"score-{product}",
        )
        for product, minimum in MIN_SCORE.items()
    ],
    pytest.param(
        {"product": "Home", "debt_to_income_ratio": 43.01},
        "KO-03",
        "KO-03.Home",
        "KO_DTI_ABOVE_CAP",
        id="dti-home",
    ),
    pytest.param(
        {"product": "Home Improvement", "debt_to_income_ratio": 43.01},
        "KO-03",
        "KO-03.Home Improvement",
        "KO_DTI_ABOVE_CAP",
        id="dti-home-improvement",
    ),
    *[
        pytest.param(
            {"product": product, "debt_to_income_ratio": 40.01},
            "KO-03",
            "KO-03.Other",
            "KO_DTI_ABOVE_CAP",
            id=f"dti-{product}",
        )
        for product in MIN_SCORE
        if product not in ("Home", "Home Improvement")
    ],
    pytest.param({"annual_income": 0.0}, "KO-04", "KO-04", "KO_NO_INCOME", id="no-income"),
    pytest.param(
        {"product": "Home", "employment_status": EmploymentStatus.STUDENT},
        "KO-05",
        "KO-05",
        "KO_STUDENT_HOME_LOAN",
        id="student-home",
    ),
    pytest.param(
        {"recent_bankruptcy": True}, "KO-06", "KO-06", "KO_RECENT_BANKRUPTCY", id="bankruptcy"
    ),
    pytest.param(
        {"age": 60, "product": "Home", "term_years": 16.0},
        "KO-07",
        "KO-07",
        "KO_AGE_AT_MATURITY",
        id="age-at-maturity",
    ),
    *[
        pytest.param(
            {"product": product, "term_years": term},
            "KO-08",
            f"KO-08.{product}",
            "KO_TERM_OUT_OF_RANGE",
            id=f"term-{product}-{side}",
        )
        for product, (shortest, longest) in TERM_RANGE.items()
        for side, term in (("short", shortest - 0.1), ("long", longest + 0.5))
    ],
]


@pytest.mark.parametrize(("changes", "rule_id", "row_id", "reason_code"), SINGLE_KNOCKOUTS)
def test_each_knockout_fires_alone(
    policy: CreditPolicy, changes: dict[str, Any], rule_id: str, row_id: str, reason_code: str
) -> None:
    assert_only(policy.check_knockouts(applicant(**changes)), rule_id, row_id, reason_code)


AT_THE_LIMIT: list[Any] = [
    pytest.param({"age": 18}, id="age-18"),
    *[
        pytest.param({"product": product, "credit_score": minimum}, id=f"score-{product}")
        for product, minimum in MIN_SCORE.items()
    ],
    pytest.param({"product": "Home", "debt_to_income_ratio": 43.0}, id="dti-home"),
    pytest.param({"product": "Car", "debt_to_income_ratio": 40.0}, id="dti-car"),
    pytest.param({"annual_income": 0.01}, id="some-income"),
    pytest.param({"product": "Car", "employment_status": EmploymentStatus.STUDENT}, id="student"),
    pytest.param({"age": 55, "product": "Home", "term_years": 20.0}, id="maturity-75"),
    *[
        pytest.param({"product": product, "term_years": term}, id=f"term-{product}-{term}")
        for product, limits in TERM_RANGE.items()
        for term in limits
    ],
]


@pytest.mark.parametrize("changes", AT_THE_LIMIT)
def test_values_at_a_limit_pass(policy: CreditPolicy, changes: dict[str, Any]) -> None:
    result = policy.check_knockouts(applicant(**changes))
    assert result.passed, result.knockouts


def test_several_knockouts_are_all_reported(policy: CreditPolicy) -> None:
    facts = applicant(
        age=17,
        product="Home",
        credit_score=600,
        debt_to_income_ratio=50.0,
        annual_income=0.0,
        employment_status=EmploymentStatus.STUDENT,
        recent_bankruptcy=True,
        term_years=35.0,
    )
    result = policy.check_knockouts(facts)
    assert [knockout.rule_id for knockout in result.knockouts] == [
        "KO-01",
        "KO-02",
        "KO-03",
        "KO-04",
        "KO-05",
        "KO-06",
        "KO-08",
    ]
    assert result.trace.matched_rows == (
        "KO-01",
        "KO-02.Home",
        "KO-03.Home",
        "KO-04",
        "KO-05",
        "KO-06",
        "KO-08.Home",
    )


def test_age_at_maturity_is_derived_not_accepted() -> None:
    assert applicant(age=40, product="Home", term_years=25.0).age_at_maturity == 65.0
    with pytest.raises(ValidationError):
        PolicyInput.model_validate(applicant().model_dump() | {"age_at_maturity": 30.0})


def test_marital_status_is_not_a_policy_input() -> None:
    assert not any("marital" in name for name in PolicyInput.model_fields)
    with pytest.raises(ValidationError, match="marital_status"):
        facts = applicant().model_dump(exclude={"age_at_maturity"})
        PolicyInput.model_validate(facts | {"marital_status": "Single"})
    for name in TABLE_FILES:
        assert "marital" not in default_tables_dir().joinpath(name).read_text().lower()


# -- grades -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pd", "grade", "band"),
    [
        (0.0, "A", GradeBand.APPROVE),
        (0.029999, "A", GradeBand.APPROVE),
        (0.03, "B", GradeBand.APPROVE),
        (0.069999, "B", GradeBand.APPROVE),
        (0.07, "C", GradeBand.APPROVE),
        (0.119999, "C", GradeBand.APPROVE),
        (0.12, "D", GradeBand.REFER),
        (0.199999, "D", GradeBand.REFER),
        (0.2, "E", GradeBand.DECLINE),
        (1.0, "E", GradeBand.DECLINE),
    ],
)
def test_grade_cut_offs(policy: CreditPolicy, pd: float, grade: str, band: GradeBand) -> None:
    result = policy.grade(pd)
    assert (result.grade, result.band, result.rule_id) == (grade, band, f"GR-{grade}")
    assert result.policy_version == policy.version


def test_probability_is_rounded_to_six_decimals_before_the_lookup(policy: CreditPolicy) -> None:
    assert policy.grade(math.nextafter(0.03, 0.0)).grade == "B"
    assert policy.grade(0.0299994).grade == "A"


@pytest.mark.parametrize("pd", [-0.01, 1.01, math.nan, math.inf])
def test_probability_outside_zero_to_one_is_refused(policy: CreditPolicy, pd: float) -> None:
    with pytest.raises(ValueError, match="probability of default"):
        policy.grade(pd)


def test_a_gap_in_the_grade_table_fails_loudly(tmp_path: Path) -> None:
    def drop_grade_e(document: dict[str, Any]) -> None:
        content = table_content(document)
        content["rules"] = [row for row in content["rules"] if row["_id"] != "GR-E"]

    directory = copy_tables(tmp_path)
    edit_table(directory, "grades.json", drop_grade_e)
    with pytest.raises(PolicyEvaluationError, match="no grade row matched"):
        CreditPolicy(directory).grade(0.5)


# -- versioning -------------------------------------------------------------------------------


def test_version_is_stable_for_the_same_files(policy: CreditPolicy, tmp_path: Path) -> None:
    assert re.fullmatch(r"1\.1\.0\+[0-9a-f]{12}", policy.version)
    assert CreditPolicy().version == policy.version
    assert CreditPolicy(copy_tables(tmp_path)).version == policy.version


def test_version_changes_when_a_cut_off_changes(policy: CreditPolicy, tmp_path: Path) -> None:
    def raise_home_minimum(document: dict[str, Any]) -> None:
        table_row(document, "KO-02.Home")["in-credit_score"] = "< 660"

    directory = copy_tables(tmp_path)
    edit_table(directory, "knockouts.json", raise_home_minimum)
    edited = CreditPolicy(directory)

    assert edited.version != policy.version
    assert edited.version.startswith("1.1.0+")
    facts = applicant(product="Home", credit_score=655)
    assert policy.check_knockouts(facts).passed
    assert edited.check_knockouts(facts).reason_codes == ("KO_SCORE_BELOW_MINIMUM",)


def test_release_label_comes_from_table_metadata(tmp_path: Path) -> None:
    def bump(document: dict[str, Any]) -> None:
        document["metadata"]["version"] = "1.1.0"

    directory = copy_tables(tmp_path)
    for name in TABLE_FILES:
        edit_table(directory, name, bump)
    assert CreditPolicy(directory).version.startswith("1.1.0+")


# -- loading errors ---------------------------------------------------------------------------


def _set_cell(row_id: str, column: str, value: str) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        table_row(document, row_id)[column] = value

    return change


def _rename_input(field: str) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        table_content(document)["inputs"][0]["field"] = field

    return change


def _set_content(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        table_content(document)[key] = value

    return change


def _set_release(value: Any) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        document["metadata"]["version"] = value

    return change


def _break_nodes(document: dict[str, Any]) -> None:
    document["nodes"] = ["inputNode"]


def _copy_description(source: str, target: str) -> Callable[[dict[str, Any]], None]:
    """Give ``target`` the outputs of ``source``: two rows an audit could not tell apart."""

    def change(document: dict[str, Any]) -> None:
        table_row(document, target)["out-description"] = table_row(document, source)[
            "out-description"
        ]

    return change


def _drop_edges(document: dict[str, Any]) -> None:
    document["edges"] = document["edges"][:1]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_set_cell("KO-01", "in-age", "< 18 >"), "bad condition"),
        (_set_cell("KO-01", "out-reason_code", '"underage"'), "outputs rejected"),
        (_set_cell("KO-01", "out-rule_id", '"KO-99"'), "_id must be"),
        (_set_cell("KO-01", "out-description", '"unterminated'), "bad description output"),
        (_rename_input("credit_scor"), "fields the policy lacks"),
        (_rename_input("marital_status"), "fields the policy lacks"),
        (_set_content("hitPolicy", "first"), "hitPolicy must be 'collect'"),
        (_set_content("outputPath", ""), "outputPath must be 'knockouts'"),
        (_set_release(None), "metadata.version"),
        (_set_release("1.2.0"), "disagree on metadata.version"),
        (_break_nodes, "not a JDM graph"),
        (_copy_description("KO-02.Car", "KO-02.Medical"), "have the same outputs"),
        (_drop_edges, "single chain of nodes"),
    ],
)
def test_inconsistent_table_fails_loading(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], message: str
) -> None:
    directory = copy_tables(tmp_path)
    edit_table(directory, "knockouts.json", change)
    with pytest.raises(PolicyLoadError, match=re.escape(message)):
        CreditPolicy(directory)


def test_malformed_json_fails_loading_with_the_file_name(tmp_path: Path) -> None:
    directory = copy_tables(tmp_path)
    (directory / "grades.json").write_text('{"nodes": [')
    with pytest.raises(PolicyLoadError, match=r"grades\.json is not valid JSON"):
        CreditPolicy(directory)


def test_missing_table_fails_loading(tmp_path: Path) -> None:
    directory = copy_tables(tmp_path)
    (directory / "knockouts.json").unlink()
    with pytest.raises(PolicyLoadError, match=r"cannot read policy table knockouts\.json"):
        CreditPolicy(directory)


def test_unknown_node_type_is_rejected_by_zen(tmp_path: Path) -> None:
    def rename_output_node(document: dict[str, Any]) -> None:
        document["nodes"][-1]["type"] = "outputNodeTypo"

    directory = copy_tables(tmp_path)
    edit_table(directory, "grades.json", rename_output_node)
    with pytest.raises(PolicyLoadError, match="zen rejected the graph"):
        CreditPolicy(directory)


# -- batch ------------------------------------------------------------------------------------


def random_applicant(rng: random.Random) -> PolicyInput:
    product = rng.choice(list(CLEAN_TERM))
    return applicant(
        product=product,
        age=rng.randint(16, 80),
        credit_score=rng.randint(540, 850),
        debt_to_income_ratio=round(rng.uniform(0, 60), 2),
        annual_income=rng.choice([0.0, round(rng.uniform(5_000, 250_000), 2)]),
        employment_status=rng.choice(list(EmploymentStatus)),
        term_years=round(rng.uniform(0.25, 32), 2),
        recent_bankruptcy=rng.random() < 0.05,
    )


def test_batch_matches_one_by_one(policy: CreditPolicy) -> None:
    rng = random.Random(20240611)
    inputs = [random_applicant(rng) for _ in range(1_000)]

    batched = policy.check_knockouts_batch(inputs)

    assert batched == [policy.check_knockouts(facts) for facts in inputs]
    assert 0 < sum(result.passed for result in batched) < len(batched)
    assert policy.check_knockouts_batch([]) == []


def test_grading_a_batch_gives_the_same_answers_as_one_by_one() -> None:
    policy = CreditPolicy()
    probabilities = [0.0, 0.0299999, 0.03, 0.07, 0.1199, 0.12, 0.19999, 0.2, 0.55, 1.0]
    assert policy.grade_batch(probabilities) == [policy.grade(p) for p in probabilities]
    assert policy.grade_batch([]) == []
    with pytest.raises(ValueError):
        policy.grade_batch([0.5, 1.5])


def test_a_product_the_tables_do_not_cover_fails_closed(tmp_path: Path) -> None:
    # As if Gold had just been added to the enumeration and not yet to KO-09's list.
    def forget_gold(document: dict[str, Any]) -> None:
        row = table_row(document, "KO-09")
        row["in-product"] = row["in-product"].replace('"Gold", ', "")

    directory = copy_tables(tmp_path)
    edit_table(directory, "knockouts.json", forget_gold)
    result = CreditPolicy(directory).check_knockouts(applicant(product="Gold"))
    assert "KO_PRODUCT_NOT_IN_POLICY" in result.reason_codes
