"""The single `xuezai` command mounts every service's subcommands."""

import json
from pathlib import Path

from typer.testing import CliRunner

from xuezai.cli import app

runner = CliRunner()


def test_admit_simulate_through_the_top_level_command(tmp_path: Path) -> None:
    instance = tmp_path / "instance.json"
    instance.write_text(
        json.dumps(
            {
                "schools": [{"id": "S1", "capacity": 1}, {"id": "S2", "capacity": 1}],
                "applicants": [
                    {"id": "A1", "choices": ["S1", "S2"], "priority": {"S1": [2]}, "lottery": 0.1},
                    {"id": "A2", "choices": ["S1"], "priority": {"S1": [1]}, "lottery": 0.9},
                ],
            }
        ),
        encoding="utf-8",
    )

    result = runner.invoke(app, ["admit", "simulate", str(instance)])

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["assignment"] == {"A1": "S2", "A2": "S1"}


def test_lottery_number_through_the_top_level_command() -> None:
    import hashlib
    import hmac

    seed = "00" * 32
    expected = int.from_bytes(hmac.new(bytes(32), b"C1:APP-1", hashlib.sha256).digest(), "big")

    result = runner.invoke(app, ["lottery", "number", "--seed", seed, "--cycle", "C1", "APP-1"])

    assert result.exit_code == 0, result.output
    assert int(result.stdout.strip()) == expected


def test_every_subcommand_group_is_mounted() -> None:
    result = runner.invoke(app, ["--help"])

    for group in (
        "run",
        "migrate",
        "serve",
        "worker",
        "openapi",
        "admit",
        "lottery",
        "plans",
        "supervision",
    ):
        assert group in result.stdout
