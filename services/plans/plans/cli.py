"""``xuezai plans …`` commands. The top-level CLI mounts this with
``app.add_typer(plans_app, name="plans")``; it calls the pure parser only, no service or database.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from plans.imports.parser import DocumentReadError, ParsedPlan, parse_policy_text, read_document

__all__ = ["plans_app"]

plans_app = typer.Typer(
    help="Plans (规划与任务督办): import policy documents.",
    no_args_is_help=True,
    add_completion=False,
)


@plans_app.callback()
def _plans() -> None:
    """Plans (规划与任务督办) commands."""
    # A callback keeps "import" a named sub-command even while it is the only one.


_ROLE_LABEL = {"organizing": "组织实施", "implementing": "具体实施", "cooperating": "配合"}


def _period(result: ParsedPlan) -> str:
    period = result.plan.period
    if period is None or period.start is None:
        return "—"
    if period.start == period.end:
        return str(period.start)
    return f"{period.start}—{period.end}"


def _outline(result: ParsedPlan) -> str:
    plan = result.plan
    lines = [
        f"标题: {plan.title or '—'}",
        f"文号: {plan.doc_number or '—'}",
        f"发文机关: {plan.issuer or '—'}",
        f"期限: {_period(result)}",
        "",
    ]
    for node in result.nodes:
        indent = "  " * (node.level - 1)
        mark = "☐ " if node.kind == "task" else ""
        lines.append(f"{indent}{node.numbering} {mark}{node.title}")
        if node.units:
            by_role: dict[str, list[str]] = {}
            for unit in node.units:
                by_role.setdefault(unit.role, []).append(unit.name)
            for role, names in by_role.items():
                lines.append(f"{indent}    {_ROLE_LABEL[role]}: {'、'.join(names)}")
        if node.deadline is not None:
            due = node.deadline.due.isoformat() if node.deadline.due else "—"
            ongoing = "，持续" if node.deadline.ongoing else ""
            lines.append(f"{indent}    时限: {node.deadline.raw} → {due}{ongoing}")
    if result.targets:
        lines.append("")
        lines.append("指标目标:")
        for t in result.targets:
            year = t.year if t.year is not None else "?"
            lines.append(f"  {year} {t.indicator} {t.comparator} {t.value:g}{t.unit or ''}")
    for warning in plan.warnings:
        lines.append(f"注意: {warning}")
    return "\n".join(lines)


@plans_app.command("import")
def import_document(
    file: Annotated[Path, typer.Argument(help="Policy document: .txt (UTF-8 or GB18030) or .docx")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the parsed plan as JSON instead of an outline")
    ] = False,
) -> None:
    """Parse a plan document into its tree of headings and tasks, units, deadlines and targets.

    Nothing is saved: this is the same preview the import endpoint returns.
    """
    try:
        data = file.read_bytes()
    except OSError as exc:
        typer.echo(f"error: cannot read {file}: {exc.strerror or exc}", err=True)
        raise typer.Exit(code=2) from exc
    try:
        text = read_document(data, file.name)
    except DocumentReadError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(code=2) from exc
    result = parse_policy_text(text)
    if as_json:
        typer.echo(json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=2))
    else:
        typer.echo(_outline(result))
