"""Command-line tools over the pure admission modules: ``xuezai admit …`` and ``xuezai lottery …``.

The top-level ``xuezai`` command mounts these with ``app.add_typer(admit_app, name="admit")``
and ``app.add_typer(lottery_app, name="lottery")``. Bad input exits with code 2 and a message on
stderr naming the applicant or school at fault; a failed verification exits with code 1.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from pydantic import BaseModel

from enrolment.admission.instance import (
    InstanceError,
    load_published,
    simulate,
    verify_published,
)
from enrolment.admission.lottery import InvalidSeedError, commitment, lottery_number

admit_app = typer.Typer(no_args_is_help=True)
lottery_app = typer.Typer(no_args_is_help=True)


# A callback keeps ``admit`` a command group even while it has one command, so the command
# line is ``admit simulate FILE`` whether the app is run alone or mounted under ``xuezai``.
@admit_app.callback()
def admit() -> None:
    """Run the admission engine outside a cycle, for what-if analysis."""


@lottery_app.callback()
def lottery() -> None:
    """Recompute and verify lottery numbers from a revealed seed."""


BAD_INPUT = 2


def _fail(message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(BAD_INPUT)


def _read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        _fail(f"{path}: cannot read: {error.strerror or error}")
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        _fail(f"{path}: not valid JSON: {error}")


def _print_json(document: BaseModel) -> None:
    # The standard library keeps 256-bit lottery numbers exact; Chinese stays readable.
    typer.echo(json.dumps(document.model_dump(mode="json"), ensure_ascii=False, indent=2))


@admit_app.command("simulate")
def simulate_command(
    instance: Annotated[Path, typer.Argument(help="Instance JSON: schools, applicants, …")],
) -> None:
    """Admit an instance by deferred acceptance and print assignment, cutoffs and explanations."""
    raw = _read_json(instance)
    try:
        result = simulate(raw)
    except InstanceError as error:
        _fail(f"{instance}: {error}")
    _print_json(result)


SeedOption = Annotated[str, typer.Option("--seed", help="The revealed seed, as hex.")]


@lottery_app.command("number")
def number_command(
    seed: SeedOption,
    cycle: Annotated[str, typer.Option("--cycle", help="The cycle id.")],
    application_id: Annotated[str, typer.Argument(help="The application's public id.")],
) -> None:
    """Print the lottery number of one application (smaller wins)."""
    try:
        typer.echo(str(lottery_number(seed, cycle, application_id)))
    except InvalidSeedError as error:
        _fail(str(error))


@lottery_app.command("commit")
def commit_command(seed: SeedOption) -> None:
    """Print the commitment to a seed: SHA-256 of the seed's bytes, as hex."""
    try:
        typer.echo(commitment(seed))
    except InvalidSeedError as error:
        _fail(str(error))


@lottery_app.command("verify")
def verify_command(
    results: Annotated[Path, typer.Argument(help="Published results JSON of a cycle.")],
) -> None:
    """Recompute every lottery number and the whole result; exit 1 on any mismatch."""
    raw = _read_json(results)
    try:
        report = verify_published(load_published(raw))
    except InstanceError as error:
        _fail(f"{results}: {error}")
    _print_json(report)
    if not report.ok:
        raise typer.Exit(1)
