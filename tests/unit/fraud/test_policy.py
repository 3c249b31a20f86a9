"""The fraud rule tables: weights, outcomes, and a table that tests for a code nothing makes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from services.common.decision_tables import DecisionTableError
from services.fraud.policy import FraudFacts, FraudPolicy, Outcome, default_tables_dir
from services.fraud.policy.codes import known_codes
from services.fraud.velocity import VELOCITY_CODES


@pytest.fixture(scope="module")
def policy() -> FraudPolicy:
    return FraudPolicy(known_codes())


def test_a_clean_applicant_passes_with_no_rule_fired(policy: FraudPolicy) -> None:
    assessed = policy.assess(FraudFacts(watchlist_band="none"))
    assert (assessed.outcome, assessed.score, assessed.fired) == (Outcome.PASS, 0.0, ())
    assert assessed.outcome_rule_id == "FO-PASS"
    assert assessed.policy_version == policy.version


def test_a_watchlist_hit_is_referred_never_passed_nor_rejected(policy: FraudPolicy) -> None:
    assessed = policy.assess(FraudFacts(watchlist_band="hit"))
    assert assessed.outcome is Outcome.REVIEW and assessed.outcome_rule_id == "FO-HIT"
    assert [rule.reason_code for rule in assessed.fired] == ["WATCHLIST_HIT"]
    # Even with every other signal on, a hit goes to compliance rather than a decline.
    loud = FraudFacts(watchlist_band="hit", velocity=tuple(sorted(VELOCITY_CODES)))
    assert policy.assess(loud).outcome is Outcome.REVIEW


def test_a_device_burst_alone_is_reviewed(policy: FraudPolicy) -> None:
    assessed = policy.assess(FraudFacts(watchlist_band="none", velocity=("VELOCITY_DEVICE_1H",)))
    assert assessed.outcome is Outcome.REVIEW
    assert [rule.rule_id for rule in assessed.fired] == ["FR-19"]


def test_weights_add_up_and_the_strongest_come_first(policy: FraudPolicy) -> None:
    facts = FraudFacts(
        watchlist_band="none",
        velocity=("VELOCITY_DEVICE_1H", "MANY_SSNS_ON_DEVICE_24H"),
        identity=("EMAIL_DISPOSABLE:medium",),
    )
    assessed = policy.assess(facts)
    weights = [rule.weight for rule in assessed.fired]
    assert weights == sorted(weights, reverse=True)
    assert assessed.score == pytest.approx(min(1.0, sum(weights)))
    assert assessed.outcome is Outcome.REJECT


def test_every_check_code_has_a_rule(policy: FraudPolicy) -> None:
    # A signal with no rule would be computed and then ignored: each one must weigh something.
    for code in VELOCITY_CODES:
        assert policy.assess(FraudFacts(watchlist_band="none", velocity=(code,))).fired, code
    for code in known_codes()["identity"]:
        if code.endswith((":medium", ":high")):
            facts = FraudFacts(watchlist_band="none", identity=(code,))
            assert policy.assess(facts).fired, code


def test_a_table_testing_for_a_code_no_check_makes_fails_to_load(tmp_path: Path) -> None:
    for name in ("rules.json", "outcome.json"):
        shutil.copy(Path(str(default_tables_dir() / name)), tmp_path / name)
    document = json.loads((tmp_path / "rules.json").read_text())
    [table] = [n for n in document["nodes"] if n["type"] == "decisionTableNode"]
    table["content"]["rules"][2]["in-velocity"] = 'contains($, "VELOCITY_SSN_1HOUR")'
    (tmp_path / "rules.json").write_text(json.dumps(document))
    with pytest.raises(DecisionTableError, match="VELOCITY_SSN_1HOUR"):
        FraudPolicy(known_codes(), tmp_path)
