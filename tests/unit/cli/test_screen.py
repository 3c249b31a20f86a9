"""``prescreen screen``: JSON lines in, one JSON line out per applicant, errors in place."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from services.cli.main import app
from tests.unit.fraud.watchlist.test_sdn import write_sample

APPLICANTS = [
    {"id": "a-1", "name": "Omar Khalil Al-Rashid", "date_of_birth": "1970-01-12", "country": "IQ"},
    {"id": 2, "name": "Lena Vorst", "date_of_birth": None, "country": None},
    {"id": "a-3", "name": "Omar Khalil Al-Rashid", "date_of_birth": "1990-05-05"},
    {"id": "a-4", "name": "Ivan Sergeyevich Drobnikov", "date_of_birth": "1961-02-03"},
]


def run(args: list[str], lines: list[str]) -> tuple[int, list[dict[str, Any]], str]:
    result = CliRunner().invoke(app, ["screen", *args], input="\n".join(lines) + "\n")
    out = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return result.exit_code, out, result.stderr


def test_each_applicant_gets_its_matches_in_order(tmp_path: Path) -> None:
    code, out, _ = run(
        ["--watchlist", str(write_sample(tmp_path))], [json.dumps(a) for a in APPLICANTS]
    )
    assert code == 0
    assert [o["id"] for o in out] == ["a-1", 2, "a-3", "a-4"]
    [hit] = out[0]["matches"]
    assert hit == {
        "uid": "sdn:2674",
        "matched_name": "AL-RASHID, Omar Khalil",
        "score": 1.0,
        "band": "hit",
    }
    assert out[1]["matches"] == []  # not listed
    assert out[2]["matches"] == []  # the listed name, born twenty years later
    [review] = out[3]["matches"]
    assert review["uid"] == "sdn:3001" and review["band"] in {"hit", "review"}


def test_a_malformed_line_is_reported_and_the_rest_screened(tmp_path: Path) -> None:
    lines = [
        "this is not json",
        json.dumps({"id": "b-1", "name": "Omar Khalil Al-Rashid", "date_of_birth": "12/01/1970"}),
        json.dumps({"id": "b-2"}),
        json.dumps({"name": "No Id"}),
        json.dumps(["a", "list"]),
        "",
        json.dumps(APPLICANTS[0]),
    ]
    code, out, _ = run(["--watchlist", str(write_sample(tmp_path))], lines)
    assert code == 0
    assert len(out) == 6  # the blank line gives nothing
    assert out[0]["id"] is None and "not JSON" in str(out[0]["error"])
    assert out[1]["id"] == "b-1" and str(out[1]["error"]).startswith("date_of_birth:")
    assert out[2]["id"] == "b-2" and "name:" in str(out[2]["error"])
    assert out[3]["id"] is None and "id:" in str(out[3]["error"])
    assert out[4] == {"id": None, "error": "line: expected a JSON object"}
    assert out[5]["id"] == "a-1" and out[5]["matches"]


def test_thresholds_are_options(tmp_path: Path) -> None:
    directory = str(write_sample(tmp_path))
    line = json.dumps({"id": 1, "name": "Omar Khalil Al-Rashid"})
    _, [strict], _ = run(["--watchlist", directory, "--hit-threshold", "1.0"], [line])
    assert strict["matches"][0]["band"] == "hit"
    typo = json.dumps({"id": 1, "name": "Omar Khalil Al-Rashidd"})
    _, [default], _ = run(["--watchlist", directory], [typo])
    _, [high], _ = run(["--watchlist", directory, "--hit-threshold", "1.0"], [typo])
    assert default["matches"][0]["band"] == "hit"
    assert high["matches"][0]["band"] == "review"
    code, _, _ = run(
        ["--watchlist", directory, "--hit-threshold", "0.8", "--review-threshold", "0.9"], [line]
    )
    assert code != 0


def test_a_list_that_cannot_load_exits_1_with_a_message(tmp_path: Path) -> None:
    code, out, err = run(["--watchlist", str(tmp_path / "nowhere")], ['{"id": 1, "name": "A B"}'])
    assert code == 1 and out == []
    assert "cannot load the watch list" in err
    (tmp_path / "sdn.csv").write_text('"1","ONLY, Three","individual"\n')
    code, _, err = run(["--watchlist", str(tmp_path)], ['{"id": 1, "name": "A B"}'])
    assert code == 1 and "sdn.csv line 1" in err
