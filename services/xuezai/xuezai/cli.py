"""The `xuezai` command."""

import asyncio
import importlib
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from enrolment.cli import admit_app, lottery_app
from plans.cli import plans_app
from supervision.cli import supervision_app
from xuezai.platform import API_SERVICES, ServiceSpec

app = typer.Typer(
    help="学在 Xuezai: run, migrate and operate the platform.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(admit_app, name="admit", help="Admission engine: what-if simulations.")
app.add_typer(lottery_app, name="lottery", help="Verifiable lottery: numbers and verification.")
app.add_typer(plans_app, name="plans", help="Plans: import policy documents.")
app.add_typer(supervision_app, name="supervision", help="Supervision: evaluations.")


@app.command()
def run(
    data_dir: Annotated[Path | None, typer.Option(help="Where embedded servers keep data.")] = None,
    seed: Annotated[bool, typer.Option(help="Load demo data.")] = True,
    port_offset: Annotated[
        int,
        typer.Option(
            envvar="XUEZAI_PORT_OFFSET",
            help="Added to every service port, to run a second platform beside another.",
        ),
    ] = 0,
) -> None:
    """Start the whole platform (embedded PostgreSQL/Redis unless DATABASE_URL/REDIS_URL)."""
    from xuezai.runner import run as run_platform

    raise typer.Exit(run_platform(data_dir=data_dir, seed=seed, port_offset=port_offset))


@app.command()
def migrate(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply the Alembic chain to DATABASE_URL."""
    from shared import migrations

    migrations.upgrade(_database_url(), revision)


@app.command()
def seed() -> None:
    """Load the idempotent demo data into DATABASE_URL."""
    from xuezai.seed import load_demo_data

    asyncio.run(load_demo_data(_database_url()))


@app.command()
def serve(
    service: Annotated[str, typer.Argument(help="directory, plans, supervision or enrolment")],
    host: str = "0.0.0.0",
    port: Annotated[int | None, typer.Option(help="Defaults to the service's port.")] = None,
    workers: int = 1,
) -> None:
    """Run one service's API with uvicorn."""
    import uvicorn

    spec = _spec(service)
    uvicorn.run(
        spec.app,
        factory=True,
        host=host,
        port=port or spec.port,
        workers=workers,
        access_log=False,
    )


@app.command()
def worker(
    service: Annotated[str, typer.Argument(help="directory, plans, supervision or enrolment")],
    burst: Annotated[bool, typer.Option(help="Stop when the queue is empty.")] = False,
) -> None:
    """Run one service's arq worker."""
    from arq.worker import run_worker

    spec = _spec(service)
    assert spec.worker is not None
    module_name, _, attribute = spec.worker.rpartition(".")
    settings = getattr(importlib.import_module(module_name), attribute)
    run_worker(settings, burst=burst)


@app.command()
def openapi(
    check: Annotated[bool, typer.Option(help="Fail if a committed document is stale.")] = False,
) -> None:
    """Regenerate openapi/<service>.json (or check that they are current)."""
    from xuezai import openapi as documents

    if check:
        stale = documents.stale_documents()
        if stale:
            typer.echo(
                f"stale OpenAPI documents: {', '.join(stale)} — run `make openapi`", err=True
            )
            raise typer.Exit(1)
        typer.echo("OpenAPI documents are current")
        return
    for path in documents.write_documents():
        typer.echo(f"wrote {path}")


def _spec(service: str) -> ServiceSpec:
    spec = API_SERVICES.get(service)
    if spec is None:
        typer.echo(f"unknown service {service!r}; choose from {', '.join(API_SERVICES)}", err=True)
        raise typer.Exit(2)
    return spec


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        typer.echo("DATABASE_URL is not set", err=True)
        raise typer.Exit(2)
    return url.replace("postgresql://", "postgresql+asyncpg://", 1)


def main() -> None:
    sys.exit(app())
