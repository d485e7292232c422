"""Policy text → an editable preview → a plan, once a person confirms it."""

import re
import uuid
from collections import Counter
from datetime import date

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from plans.imports.parser import DocumentReadError, ParsedPlan, parse_policy_text, read_document
from plans.imports.schemas import (
    ImportConfirm,
    ImportPreviewRead,
    ImportSummary,
    OrganizationBrief,
    PreviewContent,
    PreviewDeadline,
    PreviewNode,
    PreviewPeriod,
    PreviewPlan,
    PreviewTarget,
    PreviewUnit,
    UnitNamePreview,
)
from plans.indicators.service import indicator_service
from plans.models import (
    DeadlineSource,
    ImportState,
    IndicatorTarget,
    NodeKind,
    Plan,
    PlanImport,
    PlanKind,
    PlanNode,
    ResolutionStatus,
    UnitRole,
)
from plans.planning.service import PlanNotFound, owner_of, plan_service, set_deadline
from plans.policies import Access
from plans.units.resolution import UnitResolver
from plans.units.service import unit_service
from shared.auth import Principal
from shared.errors import AppError, Conflict, FieldError, InvalidInput, NotFound
from shared.i18n import Text
from shared.ids import uuid7


class ImportNotFound(NotFound):
    code = "plans.import.not_found"
    title = Text("导入记录不存在", "Import not found")


class ImportAlreadyConfirmed(Conflict):
    code = "plans.import.already_confirmed"
    title = Text("该导入已确认生成规划", "This import was already confirmed into a plan")


class DocumentUnreadable(AppError):
    status = 422
    code = "plans.import.unreadable"
    title = Text("无法读取上传的文件", "The uploaded document cannot be read")


class DocumentUnsupported(AppError):
    status = 415
    code = "plans.import.unsupported_format"
    title = Text(
        "不支持的文件格式，请上传 .txt 或 .docx", "Unsupported format; upload .txt or .docx"
    )


def document_text(data: bytes, filename: str) -> str:
    try:
        return read_document(data, filename)
    except DocumentReadError as error:
        if error.code == "plans.import.unsupported_format":
            raise DocumentUnsupported(Text(error.message, error.message)) from error
        raise DocumentUnreadable(
            Text(error.message, error.message),
            errors=[FieldError(field="body.file", message=error.message, type=error.code)],
        ) from error


_ANNUAL = re.compile(r"工作要点|年度工作|工作计划")


def guess_kind(title: str, period: PreviewPeriod | None) -> PlanKind:
    if _ANNUAL.search(title):
        return PlanKind.annual_points
    if "子方案" in title or "专项" in title:
        return PlanKind.special
    if "三年" in title or (
        period and period.start and period.end and period.end - period.start == 2
    ):
        return PlanKind.three_year
    if "总体方案" in title or "规划" in title or "纲要" in title:
        return PlanKind.overall
    if period and period.start and period.start == period.end:
        return PlanKind.annual_points
    return PlanKind.other


def _stricter(a: PreviewTarget, b: PreviewTarget) -> PreviewTarget:
    if a.comparator in (">=", ">") and b.comparator in (">=", ">"):
        return a if a.value > b.value else b
    if a.comparator in ("<=", "<") and b.comparator in ("<=", "<"):
        return a if a.value < b.value else b
    return b


def build_preview(parsed: ParsedPlan) -> tuple[PreviewContent, list[str]]:
    header = parsed.plan
    warnings = list(header.warnings)
    period: PreviewPeriod | None = None
    if header.period and header.period.start:
        try:
            period = PreviewPeriod(start=header.period.start, end=header.period.end)
        except ValidationError:
            warnings.append(f"the period {header.period.start}—{header.period.end} was ignored")
    document_year = header.document_year
    if document_year is not None and not 1949 <= document_year <= 2100:
        document_year = None
    title = (header.title or "").strip()[:300] or "未命名规划"
    if not header.title:
        warnings.append("no title was found: give the plan a title before confirming")
    plan = PreviewPlan(
        title=title,
        kind=guess_kind(title, period),
        doc_number=header.doc_number,
        issuer=header.issuer,
        period=period,
        document_year=document_year,
    )
    try:
        nodes = [
            PreviewNode(
                ref=node.ref,
                parent=node.parent,
                numbering=node.numbering[:40],
                kind=NodeKind(node.kind),
                title=(node.title or node.numbering)[:300],
                text=node.text[:50_000],
                units=[PreviewUnit(name=u.name[:100], role=UnitRole(u.role)) for u in node.units],
                deadline=PreviewDeadline.model_validate(node.deadline.model_dump())
                if node.deadline
                else None,
                level=node.level,
            )
            for node in parsed.nodes
        ]
    except ValidationError as error:
        # Only a pathological document gets here (numbering nested past 300 characters).
        raise DocumentUnreadable(
            Text("文档结构无法识别（层级过深）", "The document's structure is too deep to read")
        ) from error
    # One target per indicator and year: a plan often states the final year twice (overall
    # goals, then year by year); keep the stricter and say so.
    end_year = period.end if period else None
    chosen: dict[tuple[str, int | None], PreviewTarget] = {}
    order: list[tuple[str, int | None]] = []
    for target in parsed.targets:
        fields = target.model_dump()
        fields["indicator"] = fields["indicator"][:200]
        fields["raw"] = (fields.get("raw") or "")[:300] or None
        fields["unit"] = (fields.get("unit") or "")[:20] or None
        try:
            candidate = PreviewTarget.model_validate(fields)
        except ValidationError:
            warnings.append(f"target {target.indicator[:40]} was not understood and left out")
            continue
        if candidate.year is None and end_year is not None:
            candidate = candidate.model_copy(update={"year": end_year, "year_inferred": True})
            warnings.append(
                f"target {candidate.indicator} {candidate.comparator} {candidate.value:g} names no "
                f"year: read as the plan's last year, {end_year}"
            )
        key = (candidate.indicator, candidate.year)
        previous = chosen.get(key)
        if previous is None:
            chosen[key] = candidate
            order.append(key)
            continue
        kept = _stricter(previous, candidate)
        dropped = candidate if kept is previous else previous
        chosen[key] = kept
        warnings.append(
            f"two targets for {key[0]} in {key[1]}: kept {kept.comparator} {kept.value:g}"
            f" ({kept.node or 'preamble'}), not {dropped.value:g} ({dropped.node or 'preamble'})"
        )
    targets = [chosen[key] for key in order]
    undated = sum(
        1
        for node in nodes
        if node.kind == NodeKind.task
        and (node.deadline is None or node.deadline.due is None)
        and not (node.deadline and node.deadline.ongoing)
    )
    if undated and end_year:
        warnings.append(
            f"{undated} tasks give no deadline: confirming makes them due on the plan's last day "
            f"({end_year}-12-31) unless you set one"
        )
    return PreviewContent(plan=plan, nodes=nodes, targets=targets), warnings


def validate_content(content: PreviewContent, *, confirming: bool) -> None:
    """Cross-field rules a person's edits must keep; every problem is named by its field."""
    errors: list[FieldError] = []
    seen: set[str] = set()
    for index, node in enumerate(content.nodes):
        if node.ref in seen:
            errors.append(
                FieldError(
                    field=f"body.nodes.{index}.ref",
                    message=str(Text(f"编号路径重复：{node.ref}", f"Duplicate ref {node.ref}")),
                    type="duplicate",
                )
            )
        if node.parent is not None and node.parent not in seen:
            errors.append(
                FieldError(
                    field=f"body.nodes.{index}.parent",
                    message=str(
                        Text(
                            f"上级 {node.parent} 不存在或不在它之前",
                            f"Parent {node.parent} is missing or comes after it",
                        )
                    ),
                    type="unknown_parent",
                )
            )
        seen.add(node.ref)
    keys: Counter[tuple[str, int | None]] = Counter()
    for index, target in enumerate(content.targets):
        keys[(target.indicator, target.year)] += 1
        if target.node is not None and target.node not in seen:
            errors.append(
                FieldError(
                    field=f"body.targets.{index}.node",
                    message=str(Text("目标所属条目不存在", "The target's item does not exist")),
                    type="unknown_node",
                )
            )
        if confirming and target.year is None:
            errors.append(
                FieldError(
                    field=f"body.targets.{index}.year",
                    message=str(Text("请填写目标年份", "Give the target's year")),
                    type="missing",
                )
            )
        if keys[(target.indicator, target.year)] == 2:
            errors.append(
                FieldError(
                    field=f"body.targets.{index}",
                    message=str(
                        Text(
                            f"{target.indicator} 在 {target.year} 年有两个目标",
                            f"Two targets for {target.indicator} in {target.year}",
                        )
                    ),
                    type="duplicate",
                )
            )
    if errors:
        raise InvalidInput(errors=errors)


class ImportService:
    async def create(
        self,
        session: AsyncSession,
        text: str,
        filename: str | None,
        principal: Principal,
        access: Access,
        resolver: UnitResolver,
    ) -> PlanImport:
        owner_code, owner_district = owner_of(principal, access)
        parsed = parse_policy_text(text)
        content, warnings = build_preview(parsed)
        units = await self._unit_preview(content, resolver)
        item = PlanImport(
            id=uuid7(),
            state=ImportState.preview,
            filename=filename,
            source_text=text,
            preview={
                "content": content.model_dump(mode="json"),
                "warnings": warnings,
                "units": [u.model_dump(mode="json") for u in units],
            },
            created_by=principal.subject,
            owner_org_code=owner_code,
            owner_district_code=owner_district,
        )
        session.add(item)
        await session.flush()
        return item

    async def get(self, session: AsyncSession, import_id: uuid.UUID, access: Access) -> PlanImport:
        item = await session.get(PlanImport, import_id)
        if item is None or not self._visible(item, access):
            raise ImportNotFound()
        return item

    def _visible(self, item: PlanImport, access: Access) -> bool:
        return (
            access.city_wide
            or item.created_by == access.subject
            or (
                item.owner_district_code is not None
                and item.owner_district_code in access.districts
            )
        )

    async def update(
        self,
        session: AsyncSession,
        import_id: uuid.UUID,
        content: PreviewContent,
        access: Access,
        resolver: UnitResolver,
    ) -> PlanImport:
        item = await self._lock(session, import_id, access)
        if item.state != ImportState.preview:
            raise ImportAlreadyConfirmed()
        validate_content(content, confirming=False)
        units = await self._unit_preview(content, resolver)
        item.preview = {
            **item.preview,
            "content": content.model_dump(mode="json"),
            "units": [u.model_dump(mode="json") for u in units],
        }
        await session.flush()
        return item

    async def confirm(
        self,
        session: AsyncSession,
        import_id: uuid.UUID,
        body: ImportConfirm,
        principal: Principal,
        access: Access,
        resolver: UnitResolver,
    ) -> Plan:
        item = await self._lock(session, import_id, access)
        if item.state != ImportState.preview:
            raise ImportAlreadyConfirmed(
                Text(f"已生成规划 {item.plan_id}", f"Already confirmed as plan {item.plan_id}")
            )
        content = PreviewContent.model_validate(item.preview["content"])
        validate_content(content, confirming=True)
        if body.parent_id is not None and await self._parent_missing(
            session, body.parent_id, access
        ):
            raise InvalidInput.for_field(
                "body.parent_id",
                Text("上级规划不存在", "The parent plan does not exist"),
                "not_found",
            )
        header = content.plan
        plan = Plan(
            id=uuid7(),
            kind=body.kind or header.kind,
            title=header.title,
            doc_number=header.doc_number,
            issuer=header.issuer,
            period_start=header.period.start if header.period else None,
            period_end=header.period.end if header.period else None,
            status=body.status,
            parent_id=body.parent_id,
            owner_org_code=item.owner_org_code,
            owner_org_id=body.owner_org_id,
            owner_district_code=item.owner_district_code,
            leader_name=body.leader_name,
            leader_subject=body.leader_subject,
            document_year=header.document_year,
            source_text=item.source_text,
            source_filename=item.filename,
            version=1,
            created_by=principal.subject,
        )
        session.add(plan)
        await session.flush()
        nodes = self._nodes(plan, content, default_due=body.default_due_from_period)
        session.add_all(nodes.values())
        await session.flush()
        for preview in content.nodes:
            unit_service.add_names(
                session, nodes[preview.ref], [(u.name, u.role) for u in preview.units]
            )
        for target in content.targets:
            indicator = await indicator_service.find_or_create(
                session, target.indicator, unit=target.unit, comparator=target.comparator
            )
            assert target.year is not None  # validate_content(confirming=True)
            session.add(
                IndicatorTarget(
                    indicator_id=indicator.id,
                    plan_id=plan.id,
                    node_id=nodes[target.node].id if target.node else None,
                    scope_code=plan.owner_district_code or plan.owner_org_code,
                    org_id=plan.owner_org_id,
                    year=target.year,
                    comparator=target.comparator,
                    value=target.value,
                    raw=target.raw[:300] if target.raw else None,
                    year_inferred=target.year_inferred,
                )
            )
        await session.flush()
        await unit_service.resolve_pending(session, plan, resolver)
        await plan_service.record_version(
            session, plan, f"imported from {item.filename or 'text'}", principal.subject, first=True
        )
        item.state = ImportState.confirmed
        item.plan_id = plan.id
        await session.flush()
        return plan

    def _nodes(
        self, plan: Plan, content: PreviewContent, *, default_due: bool
    ) -> dict[str, PlanNode]:
        nodes: dict[str, PlanNode] = {}
        last_day = date(plan.period_end, 12, 31) if plan.period_end else None
        for position, preview in enumerate(content.nodes, start=1):
            parent = nodes.get(preview.parent) if preview.parent else None
            node = PlanNode(
                id=uuid7(),
                plan_id=plan.id,
                parent_id=parent.id if parent else None,
                position=position,
                ref=preview.ref,
                level=(parent.level + 1) if parent else 1,
                numbering=preview.numbering,
                kind=preview.kind,
                title=preview.title,
                text=preview.text,
            )
            deadline = preview.deadline
            if deadline is not None and (
                deadline.due is not None or deadline.ongoing or deadline.raw
            ):
                set_deadline(
                    node,
                    raw=deadline.raw,
                    due=deadline.due,
                    granularity=deadline.granularity,
                    ongoing=deadline.ongoing,
                    range_start=deadline.range_start,
                    year_inferred=deadline.year_inferred,
                    ambiguous=deadline.ambiguous,
                    source=DeadlineSource.document,
                )
            if (
                node.kind == NodeKind.task
                and node.due_date is None
                and not node.deadline_ongoing
                and default_due
                and last_day is not None
            ):
                set_deadline(
                    node,
                    raw=node.deadline_raw,
                    due=last_day,
                    granularity="year",
                    ongoing=False,
                    source=DeadlineSource.plan_period,
                )
            if node.deadline_source is None:
                set_deadline(node, raw=None, due=None, granularity=None, ongoing=False, source=None)
            nodes[preview.ref] = node
        return nodes

    async def _lock(
        self, session: AsyncSession, import_id: uuid.UUID, access: Access
    ) -> PlanImport:
        item = (
            await session.scalars(
                select(PlanImport)
                .where(PlanImport.id == import_id)
                .options(undefer(PlanImport.source_text))
                .with_for_update()
            )
        ).one_or_none()
        if item is None or not self._visible(item, access):
            raise ImportNotFound()
        return item

    async def _parent_missing(
        self, session: AsyncSession, parent_id: uuid.UUID, access: Access
    ) -> bool:
        try:
            await plan_service.get_visible(session, parent_id, access)
        except PlanNotFound:
            return True
        return False

    async def _unit_preview(
        self, content: PreviewContent, resolver: UnitResolver
    ) -> list[UnitNamePreview]:
        tasks: Counter[str] = Counter()
        for node in content.nodes:
            for name in {u.name for u in node.units}:
                tasks[name] += 1
        if not tasks:
            return []
        start = content.plan.period.start if content.plan.period else None
        results = await resolver.resolve(list(tasks), as_of=date(start, 1, 1) if start else None)
        return [
            UnitNamePreview(
                name=name,
                status=result.status,
                match=result.match,
                organizations=[
                    OrganizationBrief(id=o.id, name=o.name, code=o.code, kind=o.kind)
                    for o in result.organizations
                ],
                tasks=tasks[name],
            )
            for name, result in results.items()
        ]

    def to_read(self, item: PlanImport) -> ImportPreviewRead:
        content = PreviewContent.model_validate(item.preview["content"])
        units = [UnitNamePreview.model_validate(u) for u in item.preview.get("units", [])]
        tasks = [n for n in content.nodes if n.kind == NodeKind.task]
        return ImportPreviewRead(
            id=item.id,
            state=item.state,
            filename=item.filename,
            plan_id=item.plan_id,
            created_at=item.created_at,
            content=content,
            warnings=list(item.preview.get("warnings", [])),
            units=units,
            summary=ImportSummary(
                nodes=len(content.nodes),
                tasks=len(tasks),
                tasks_without_deadline=sum(
                    1 for n in tasks if n.deadline is None or n.deadline.due is None
                ),
                targets=len(content.targets),
                unit_names=len(units),
                unresolved_unit_names=sum(
                    1
                    for u in units
                    if u.status not in (ResolutionStatus.resolved, ResolutionStatus.mapped)
                ),
            ),
        )


import_service = ImportService()
