"""`supervision evaluate-balance INPUT.json` (mounted as `xuezai supervision …`)."""

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from supervision.cli import supervision_app

runner = CliRunner()

ISSUE_EXAMPLE: dict[str, Any] = {
    "county": "450103",
    "stage": "primary",
    "schools": [
        {
            "id": "4501030001",
            "students": 1200,
            "kind": "school",
            "qualified_teachers": 60,
            "backbone_teachers": 14,
            "pe_art_teachers": 12,
            "teaching_space_m2": 6000,
            "sports_space_m2": 9500,
            "equipment_value_yuan": 2600000,
            "multimedia_classrooms": 30,
        }
    ],
}


def _write(tmp_path: Path, data: Any) -> str:
    path = tmp_path / "input.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return str(path)


def test_evaluate_balance_prints_the_result_as_json(tmp_path: Path) -> None:
    result = runner.invoke(supervision_app, ["evaluate-balance", _write(tmp_path, ISSUE_EXAMPLE)])

    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["county_pass"] is True
    assert payload["outcome"] == "pass"
    school = payload["schools"][0]
    assert school["id"] == "4501030001"
    assert school["qualified_teachers_per_100"] == {
        "key": "qualified_teachers_per_100",
        "name": "每百名学生拥有高于规定学历教师数",
        "unit": "人",
        "value": 5.0,
        "threshold": 4.2,
        "floor": 3.57,
        "met": True,
        "reaches_floor": True,
    }
    assert school["met_count"] == 7
    assert school["compliant"] is True
    assert set(payload["cv"]) == {
        "qualified_teachers_per_100",
        "backbone_teachers_per_100",
        "pe_art_teachers_per_100",
        "teaching_space_per_pupil",
        "sports_space_per_pupil",
        "equipment_value_per_pupil",
        "multimedia_classrooms_per_100",
    }
    assert payload["cv"]["teaching_space_per_pupil"]["threshold"] == 0.5
    assert payload["rule"]["framework_version"] == "2017.1"


def test_failing_county_still_exits_zero_with_chinese_reasons(tmp_path: Path) -> None:
    data = json.loads(json.dumps(ISSUE_EXAMPLE))
    data["schools"][0]["sports_space_m2"] = 6000  # 5 ㎡ per pupil, under the 85 % floor of 7.5

    result = runner.invoke(supervision_app, ["evaluate-balance", _write(tmp_path, data)])

    assert result.exit_code == 0
    payload = json.loads(result.stdout)
    assert payload["county_pass"] is False
    assert payload["reasons"] == [
        "学校 4501030001：生均体育运动场馆面积 5㎡，低于标准 7.5㎡ 的85%（6.375㎡）"
    ]


def test_input_from_stdin() -> None:
    result = runner.invoke(
        supervision_app, ["evaluate-balance", "-", "--compact"], input=json.dumps(ISSUE_EXAMPLE)
    )

    assert result.exit_code == 0
    assert json.loads(result.stdout)["county"] == "450103"
    assert len(result.stdout.strip().splitlines()) == 1


def test_bad_school_field_exits_2_naming_school_and_field(tmp_path: Path) -> None:
    data = json.loads(json.dumps(ISSUE_EXAMPLE))
    data["schools"].append({**data["schools"][0], "id": "4501030002", "students": "many"})

    result = runner.invoke(supervision_app, ["evaluate-balance", _write(tmp_path, data)])

    assert result.exit_code == 2
    assert result.stdout == ""
    assert "学校 4501030002（schools[1]）字段 students：应为整数" in result.stderr


def test_several_problems_are_all_reported(tmp_path: Path) -> None:
    data = {
        "county": "450103",
        "stage": "senior",
        "schools": [{"id": "A", "students": 10, "kind": "campus", "backbone_teachers": -1}],
    }

    result = runner.invoke(supervision_app, ["evaluate-balance", _write(tmp_path, data)])

    assert result.exit_code == 2
    assert "字段 stage：取值应为 'primary' or 'junior'" in result.stderr
    assert "学校 A（schools[0]）字段 kind" in result.stderr
    assert "学校 A（schools[0]）字段 backbone_teachers：应大于或等于 0" in result.stderr


def test_invalid_json_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(supervision_app, ["evaluate-balance", _write(tmp_path, '{"county": ')])

    assert result.exit_code == 2
    assert "不是合法的 JSON" in result.stderr


def test_missing_file_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(supervision_app, ["evaluate-balance", str(tmp_path / "nope.json")])

    assert result.exit_code == 2
    assert "无法读取输入文件" in result.stderr


def test_duplicate_school_exits_2(tmp_path: Path) -> None:
    data = json.loads(json.dumps(ISSUE_EXAMPLE))
    data["schools"].append(data["schools"][0])

    result = runner.invoke(supervision_app, ["evaluate-balance", _write(tmp_path, data)])

    assert result.exit_code == 2
    assert "学校 4501030001 重复出现" in result.stderr
