"""`admit simulate` and `lottery number|commit|verify`, through the command line a user runs."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from enrolment.admission.lottery import commitment, lottery_number
from enrolment.cli import admit_app, lottery_app

SEED = "5eed" * 16
CYCLE = "2025-qingxiu-g1"


def run(app: Any, *args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def write_json(path: Path, document: object) -> str:
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return str(path)


def small_instance() -> dict[str, Any]:
    return {
        "schools": [
            {"id": "S1", "capacity": 1},
            {"id": "S2", "capacity": 1},
            {"id": "S3", "capacity": 5},
        ],
        "applicants": [
            {
                "id": "A1",
                "choices": ["S2", "S1"],
                "priority": {"S2": [3, 20190301], "S1": [1, 20170105]},
                "lottery": 0.4172,
            },
            {
                "id": "A2",
                "choices": ["S2", "S1"],
                "priority": {"S2": [1, 20190301], "S1": [1, 20170105]},
                "lottery": 0.5,
            },
            {"id": "A3", "choices": ["S1"], "priority": {"S1": [1, 20170105]}, "lottery": 0.1},
            {
                "id": "A4",
                "choices": ["S1", "S2"],
                "priority": {"S1": [2]},
                "lottery": 0.2,
                "ineligible": {"S2": "非本区户籍"},
            },
            {"id": "A5", "choices": ["S1"], "priority": {"S1": [2]}, "lottery": 0.3},
        ],
    }


def test_simulate_prints_assignment_cutoffs_and_explanations(tmp_path: Path) -> None:
    result = run(admit_app, "simulate", write_json(tmp_path / "instance.json", small_instance()))

    assert result.exit_code == 0, result.stderr
    output = json.loads(result.stdout)
    assert output["assignment"] == {"A1": None, "A2": "S2", "A3": "S1", "A4": None, "A5": None}
    assert output["cutoffs"] == {"S1": [[1, 20170105], 0.1], "S2": [[1, 20190301], 0.5], "S3": None}
    assert output["reassigned"] == []
    assert output["explanations"]["A2"] == []
    s2, s1 = output["explanations"]["A1"]
    assert (s2["school"], s2["choice"], s2["reason"]) == ("S2", 1, "below_cutoff")
    assert s2["key"] == [[3, 20190301], 0.4172]
    assert s2["cutoff"] == [[1, 20190301], 0.5]
    assert "低于该校最后录取者" in s2["message"]
    assert (s1["school"], s1["reason"]) == ("S1", "lottery_below_cutoff")
    assert [e["reason"] for e in output["explanations"]["A4"]] == ["below_cutoff", "not_eligible"]
    assert "非本区户籍" in output["explanations"]["A4"][1]["message"]


def test_simulate_runs_the_reassignment_section(tmp_path: Path) -> None:
    instance = small_instance()
    instance["reassignment"] = {
        "candidates": {"A1": ["S2", "S3"]},
        "distance": {"A4": {"S3": 2.5}, "A5": {"S2": 0.1}},
    }
    result = run(admit_app, "simulate", write_json(tmp_path / "instance.json", instance))

    assert result.exit_code == 0, result.stderr
    output = json.loads(result.stdout)
    # S2 is full; A5's only reachable school has no seat left, so A5 stays unplaced.
    assert output["assignment"] == {"A1": "S3", "A2": "S2", "A3": "S1", "A4": "S3", "A5": None}
    assert output["reassigned"] == ["A1", "A4"]


def test_simulate_keeps_big_lottery_numbers_exact(tmp_path: Path) -> None:
    instance = small_instance()
    big = [lottery_number(SEED, CYCLE, a["id"]) for a in instance["applicants"]]
    for applicant, number in zip(instance["applicants"], big, strict=True):
        applicant["lottery"] = number
    result = run(admit_app, "simulate", write_json(tmp_path / "instance.json", instance))

    assert result.exit_code == 0, result.stderr
    cutoff = json.loads(result.stdout)["cutoffs"]["S1"]
    assert cutoff[1] in big


def test_a_priority_for_an_unchosen_school_is_ignored(tmp_path: Path) -> None:
    instance = small_instance()
    instance["applicants"][2]["priority"]["S3"] = [0]
    result = run(admit_app, "simulate", write_json(tmp_path / "instance.json", instance))

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["assignment"]["A3"] == "S1"


def _set(path: tuple[Any, ...], value: object) -> dict[str, Any]:
    instance = small_instance()
    target: Any = instance
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return instance


@pytest.mark.parametrize(
    ("instance", "message"),
    [
        (
            _set(("applicants", 1, "choices"), ["S2", "S9"]),
            "applicant 'A2': choices names unknown school 'S9'",
        ),
        (
            _set(("applicants", 1, "choices"), ["S2", "S2"]),
            "applicant 'A2' lists a school more than once",
        ),
        (_set(("applicants", 1, "id"), "A1"), "applicant 'A1' appears more than once"),
        (_set(("schools", 1, "id"), "S1"), "school 'S1' appears more than once"),
        (
            _set(("schools", 2, "capacity"), -1),
            "school 'S3': capacity: Input should be greater than or equal to 0",
        ),
        (_set(("schools", 2, "capacity"), 2.5), "school 'S3': capacity"),
        (
            _set(("applicants", 3, "priority", "S1"), ["2"]),
            "applicant 'A4': priority.S1.0: must be a number",
        ),
        (
            _set(("applicants", 3, "priority", "S1"), [True]),
            "applicant 'A4': priority.S1.0: must be a number",
        ),
        (
            _set(("applicants", 3, "lottery"), math.nan),
            "applicant 'A4': lottery: must be a finite number",
        ),
        (_set(("applicants", 3, "lottery"), None), "applicant 'A4': lottery: must be a number"),
        (
            _set(("applicants", 3, "priority", "S7"), [1]),
            "applicant 'A4': priority names unknown school 'S7'",
        ),
        (
            _set(("applicants", 3, "ineligible", "S7"), "x"),
            "applicant 'A4': ineligible names unknown school 'S7'",
        ),
        (
            _set(("applicants", 3, "shoe_size"), 30),
            "applicant 'A4': shoe_size: Extra inputs are not permitted",
        ),
        (
            _set(("reassignment",), {"candidates": {"A9": ["S3"]}}),
            "reassignment.candidates names unknown applicant 'A9'",
        ),
        (
            _set(("reassignment",), {"distance": {"A1": {"S9": 1}}}),
            "applicant 'A1': reassignment.distance names unknown school 'S9'",
        ),
        ({"schools": []}, "applicants: Field required"),
        ([1, 2], "Input should be a valid dictionary"),
    ],
)
def test_simulate_bad_input_exits_2_naming_the_culprit(
    tmp_path: Path, instance: object, message: str
) -> None:
    result = run(admit_app, "simulate", write_json(tmp_path / "instance.json", instance))

    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_simulate_reports_unreadable_files(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"schools": [', encoding="utf-8")

    not_json = run(admit_app, "simulate", str(broken))
    missing = run(admit_app, "simulate", str(tmp_path / "missing.json"))

    assert (not_json.exit_code, missing.exit_code) == (2, 2)
    assert "not valid JSON" in not_json.stderr
    assert "cannot read" in missing.stderr


# --- lottery ----------------------------------------------------------------------------------


def test_lottery_number_prints_the_family_number() -> None:
    result = run(lottery_app, "number", "--seed", SEED, "--cycle", CYCLE, "APP-000123")

    assert result.exit_code == 0, result.stderr
    assert int(result.stdout) == lottery_number(SEED, CYCLE, "APP-000123")


def test_lottery_commit_prints_the_commitment() -> None:
    result = run(lottery_app, "commit", "--seed", SEED)

    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == commitment(SEED)


def test_lottery_refuses_a_bad_seed() -> None:
    result = run(lottery_app, "number", "--seed", "not-hex", "--cycle", CYCLE, "APP-1")

    assert result.exit_code == 2
    assert "seed must be hexadecimal" in result.stderr


def published_results() -> dict[str, Any]:
    """A cycle's publication, produced the way the admission job will: lottery, then engine."""
    instance = small_instance()
    for applicant in instance["applicants"]:
        applicant["lottery"] = lottery_number(SEED, CYCLE, applicant["id"])
    from enrolment.admission.instance import simulate

    result = simulate(instance)
    return {
        "cycle_id": CYCLE,
        "seed": SEED,
        "commitment": commitment(SEED),
        "schools": instance["schools"],
        "applicants": [
            {k: v for k, v in applicant.items() if k != "lottery"}
            for applicant in instance["applicants"]
        ],
        "assignment": result.assignment,
        "cutoffs": result.model_dump(mode="json")["cutoffs"],
    }


def verify(tmp_path: Path, published: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    result = run(lottery_app, "verify", write_json(tmp_path / "published.json", published))
    assert result.stderr == ""
    return result.exit_code, json.loads(result.stdout)


def test_verify_accepts_an_honest_publication(tmp_path: Path) -> None:
    published = published_results()
    published["applicants"][0]["lottery"] = lottery_number(SEED, CYCLE, "A1")

    exit_code, report = verify(tmp_path, published)

    assert exit_code == 0
    assert report == {
        "ok": True,
        "cycle_id": CYCLE,
        "commitment_ok": True,
        "applicants": 5,
        "mismatches": [],
    }


def test_verify_finds_a_swapped_placement(tmp_path: Path) -> None:
    published = published_results()
    assignment = published["assignment"]
    assert assignment["A1"] != assignment["A3"]
    assignment["A1"], assignment["A3"] = assignment["A3"], assignment["A1"]

    exit_code, report = verify(tmp_path, published)

    assert exit_code == 1
    assert report["ok"] is False
    assert {(m["kind"], m["subject"]) for m in report["mismatches"]} == {
        ("assignment", "A1"),
        ("assignment", "A3"),
    }


def test_verify_finds_a_seed_that_does_not_match_the_commitment(tmp_path: Path) -> None:
    published = published_results()
    published["commitment"] = commitment("ab" * 32)

    exit_code, report = verify(tmp_path, published)

    assert exit_code == 1
    assert report["commitment_ok"] is False
    assert [m["kind"] for m in report["mismatches"]] == ["commitment"]


def test_verify_finds_a_wrong_published_number_cutoff_and_missing_child(tmp_path: Path) -> None:
    published = published_results()
    published["applicants"][1]["lottery"] = 1
    published["cutoffs"]["S2"] = [[1, 20190301], 2]
    del published["assignment"]["A5"]
    published["assignment"]["GHOST"] = "S3"

    exit_code, report = verify(tmp_path, published)

    assert exit_code == 1
    assert {(m["kind"], m["subject"]) for m in report["mismatches"]} == {
        ("lottery", "A2"),
        ("cutoff", "S2"),
        ("missing_applicant", "A5"),
        ("unknown_applicant", "GHOST"),
    }


def test_verify_bad_publication_exits_2(tmp_path: Path) -> None:
    published = published_results()
    published["seed"] = "zz"

    result = run(lottery_app, "verify", write_json(tmp_path / "published.json", published))

    assert result.exit_code == 2
    assert "seed must be hexadecimal" in result.stderr
