import json
from pathlib import Path

from typer.testing import CliRunner

from plans.cli import plans_app
from plans.imports.parser import parse_policy_text

DATA = Path(__file__).parent / "data"
SEED_001 = DATA / "001_ae262387f17bac79.txt"
runner = CliRunner()


def test_import_json_prints_the_parsed_plan() -> None:
    result = runner.invoke(plans_app, ["import", str(SEED_001), "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    expected = parse_policy_text(SEED_001.read_text(encoding="utf-8")).model_dump(mode="json")
    assert printed == expected
    assert printed["plan"]["doc_number"] == "南府办函〔2018〕402号"
    assert printed["plan"]["period"] == {"start": 2018, "end": 2020}
    first_task = next(n for n in printed["nodes"] if n["ref"] == "四/（一）/1")
    assert first_task["parent"] == "四/（一）"
    assert first_task["kind"] == "task"
    assert first_task["deadline"] is None
    assert {"name": "市教育局", "role": "organizing"} in first_task["units"]
    assert {
        "indicator": "学前三年毛入园率",
        "year": 2020,
        "comparator": ">=",
        "value": 97.0,
        "unit": "%",
    }.items() <= printed["targets"][0].items()
    # Chinese is printed as is, not as \\u escapes, so the output can be read and grepped
    assert "学前三年毛入园率" in result.stdout


def test_import_without_json_prints_an_outline() -> None:
    result = runner.invoke(plans_app, ["import", str(DATA / "002_42d7a22f1583c568.txt")])
    assert result.exit_code == 0, result.output
    assert "南宁市教育局2018年工作要点" in result.stdout
    assert "七、 提升保障能力,为教育改革发展奠定坚实基础" in result.stdout
    assert "期限: 2018" in result.stdout


def test_missing_file_exits_2_with_a_message(tmp_path: Path) -> None:
    result = runner.invoke(plans_app, ["import", str(tmp_path / "nope.txt"), "--json"])
    assert result.exit_code == 2
    assert "cannot read" in result.stderr
    assert "nope.txt" in result.stderr
    assert result.stdout == ""


def test_corrupt_docx_exits_2_with_a_message(tmp_path: Path) -> None:
    bad = tmp_path / "plan.docx"
    bad.write_bytes(b"PK\x03\x04 broken")
    result = runner.invoke(plans_app, ["import", str(bad), "--json"])
    assert result.exit_code == 2
    assert "plan.docx" in result.stderr
    assert "docx" in result.stderr


def test_unsupported_type_exits_2(tmp_path: Path) -> None:
    pdf = tmp_path / "plan.pdf"
    pdf.write_bytes(b"%PDF-1.7")
    result = runner.invoke(plans_app, ["import", str(pdf)])
    assert result.exit_code == 2
    assert "unsupported" in result.stderr


def test_directory_is_unreadable(tmp_path: Path) -> None:
    result = runner.invoke(plans_app, ["import", str(tmp_path)])
    assert result.exit_code == 2
    assert "cannot read" in result.stderr
