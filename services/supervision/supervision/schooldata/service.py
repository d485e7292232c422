"""School statistics per school and year: draft → submitted → approved / returned.

A school fills in its own return; the district may enter it on the school's behalf (one return
or a whole spreadsheet) and reviews it. Only approved returns feed evaluations, and an approved
return can change only after the district returns it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import record
from shared.errors import Conflict, FieldError, InvalidInput, NotFound
from shared.i18n import Text
from shared.pagination import CursorParams
from supervision import clock
from supervision.catalog.service import framework_service
from supervision.evaluations.service import evaluation_service
from supervision.frameworks.balance import BalanceInput, BalanceResult, evaluate_balance
from supervision.frameworks.builtin import COMPULSORY_QUALITY_BALANCE
from supervision.frameworks.model import Stage
from supervision.models import AuditLog, Evaluation, ReturnStatus, SchoolReturn
from supervision.peers import SCHOOL_KINDS, Org, Peers, lookup_orgs, resolve_school
from supervision.policies import OutOfScope, Scope
from supervision.schooldata import xlsx
from supervision.schooldata.repository import SchoolReturnRepository
from supervision.schooldata.schemas import ImportReport, SchoolStatistics

EDITABLE = (ReturnStatus.draft, ReturnStatus.returned)


class SchoolReturnNotFound(NotFound):
    code = "supervision.school_return.not_found"
    title = Text("学校统计数据不存在", "School return not found")


class SchoolReturnLocked(Conflict):
    code = "supervision.school_return.locked"
    title = Text(
        "已提交或已审核的数据不能修改，请先由县区退回",
        "A submitted or approved return cannot change until the district returns it",
    )


class SchoolReturnState(Conflict):
    code = "supervision.school_return.state"
    title = Text("当前状态不允许该操作", "Not allowed in the return's current state")


class NoSchoolData(Conflict):
    code = "supervision.school_return.none"
    title = Text("没有可用于计算的已审核学校数据", "No approved school data to evaluate")


def _may_write(scope: Scope, school_code: str, district_code: str) -> bool:
    return scope.manages(district_code) or scope.is_school_staff_of(school_code)


def _check_stages(org: Org, statistics: SchoolStatistics, field: str) -> None:
    if org.kind != "school":
        raise InvalidInput.for_field(
            field,
            Text(
                f"{org.name} 不是中小学，不填报义务教育学校统计",
                f"{org.name} is not a school with compulsory stages",
            ),
        )
    if not org.stages:
        return
    errors = [
        FieldError(
            field=f"{field}.parts.{part}",
            message=str(
                Text(f"{org.name} 没有该学段（{part}）", f"{org.name} has no {part} stage")
            ),
            type="stage_not_offered",
        )
        for part in statistics.parts
        if part not in org.stages
    ]
    if errors:
        raise InvalidInput(Text("学段与学校不符", "Stages do not match the school"), errors=errors)


class SchoolDataService:
    async def page(
        self,
        session: AsyncSession,
        scope: Scope,
        params: CursorParams,
        *,
        year: int | None = None,
        status: ReturnStatus | None = None,
        district_code: str | None = None,
        school_code: str | None = None,
    ) -> tuple[list[SchoolReturn], str | None]:
        return await SchoolReturnRepository(session).list_page(
            params,
            scope.where(SchoolReturn.district_code, SchoolReturn.school_code),
            year=year,
            status=status,
            district_code=district_code,
            school_code=school_code,
        )

    async def get(self, session: AsyncSession, scope: Scope, id: uuid.UUID) -> SchoolReturn:
        row = await SchoolReturnRepository(session).get_visible(
            id, scope.where(SchoolReturn.district_code, SchoolReturn.school_code)
        )
        if row is None:
            raise SchoolReturnNotFound()
        return row

    async def save(
        self,
        session: AsyncSession,
        scope: Scope,
        peers: Peers,
        *,
        school_code: str,
        year: int,
        statistics: SchoolStatistics,
    ) -> tuple[SchoolReturn, bool]:
        """Create or update a school's draft for the year; True when it was created."""
        if not (scope.city_wide or scope.districts or scope.is_school_staff_of(school_code)):
            raise OutOfScope()
        org = await resolve_school(peers, school_code, field="path.school_code")
        if not _may_write(scope, school_code, org.district_code):
            raise OutOfScope()
        _check_stages(org, statistics, "body.data")
        repository = SchoolReturnRepository(session)
        row = await repository.get_for(school_code, year)
        data = statistics.model_dump(mode="json")
        created = row is None
        if row is None:
            row = SchoolReturn(
                school_code=school_code,
                school_name=org.name,
                district_code=org.district_code,
                year=year,
                status=ReturnStatus.draft,
                data=data,
                source="manual",
                updated_by=scope.subject,
            )
            await repository.create(row, flush=True)
        else:
            if row.status not in EDITABLE:
                raise SchoolReturnLocked()
            row.data = data
            row.school_name = org.name
            row.status = ReturnStatus.draft
            row.source = "manual"
            row.updated_by = scope.subject
            await session.flush()
        self._audit(session, scope, "school_return.save", row)
        return row, created

    async def submit(self, session: AsyncSession, scope: Scope, id: uuid.UUID) -> SchoolReturn:
        row = await self.get(session, scope, id)
        if not _may_write(scope, row.school_code, row.district_code):
            raise OutOfScope()
        if row.status not in EDITABLE:
            raise SchoolReturnState()
        missing = SchoolStatistics.model_validate(row.data).missing_fields()
        if missing:
            raise InvalidInput(
                Text("数据不完整，不能提交", "The return is incomplete"),
                errors=[
                    FieldError(
                        field=f"data.{name}",
                        message=str(Text("提交前必须填写", "Required before submitting")),
                        type="missing",
                    )
                    for name in missing
                ],
            )
        row.status = ReturnStatus.submitted
        row.submitted_at = clock.now()
        row.submitted_by = scope.subject
        row.return_reason = None
        self._audit(session, scope, "school_return.submit", row)
        return row

    async def approve(self, session: AsyncSession, scope: Scope, id: uuid.UUID) -> SchoolReturn:
        row = await self.get(session, scope, id)
        scope.require_manager(row.district_code)
        if row.status != ReturnStatus.submitted:
            raise SchoolReturnState()
        row.status = ReturnStatus.approved
        row.reviewed_at = clock.now()
        row.reviewed_by = scope.subject
        self._audit(session, scope, "school_return.approve", row)
        return row

    async def return_(
        self, session: AsyncSession, scope: Scope, id: uuid.UUID, reason: str
    ) -> SchoolReturn:
        row = await self.get(session, scope, id)
        scope.require_manager(row.district_code)
        if row.status not in (ReturnStatus.submitted, ReturnStatus.approved):
            raise SchoolReturnState()
        row.status = ReturnStatus.returned
        row.return_reason = reason
        row.reviewed_at = clock.now()
        row.reviewed_by = scope.subject
        self._audit(session, scope, "school_return.return", row, {"reason": reason[:200]})
        return row

    async def import_xlsx(
        self,
        session: AsyncSession,
        scope: Scope,
        peers: Peers,
        *,
        data: bytes,
        year: int,
        submit: bool,
        dry_run: bool,
        max_rows: int,
    ) -> ImportReport:
        """All rows or none: any row error gives a 422 listing every row's errors."""
        try:
            rows = xlsx.parse(data, max_rows=max_rows)
        except xlsx.SheetError as error:
            raise InvalidInput.for_field("body.file", Text(str(error), str(error))) from None
        if not rows:
            raise InvalidInput.for_field("body.file", Text("文件中没有数据行", "No data rows"))
        errors: list[xlsx.RowError] = [e for r in rows for e in r.errors]
        seen: dict[str, int] = {}
        for row in rows:
            if row.school_code and row.school_code in seen:
                errors.append(
                    xlsx.RowError(row.row, "school_code", f"与第{seen[row.school_code]}行学校重复")
                )
            seen.setdefault(row.school_code, row.row)
        codes = [r.school_code for r in rows if r.statistics is not None]
        orgs = await lookup_orgs(peers, codes, kinds=SCHOOL_KINDS)
        existing = {
            r.school_code: r
            for r in await SchoolReturnRepository(session).get_many_for(codes, year)
        }
        for row in rows:
            if row.statistics is None:
                continue
            org = orgs.get(row.school_code)
            if org is None:
                errors.append(
                    xlsx.RowError(row.row, "school_code", f"目录中没有学校 {row.school_code}")
                )
                continue
            if not scope.manages(org.district_code):
                errors.append(xlsx.RowError(row.row, "school_code", f"{org.name} 不在您管辖的县区"))
                continue
            if org.kind != "school":
                errors.append(
                    xlsx.RowError(row.row, "school_code", f"{org.name} 不是中小学，不填报本表")
                )
                continue
            for part in row.statistics.parts:
                if org.stages and part not in org.stages:
                    errors.append(
                        xlsx.RowError(row.row, f"{part}_students", f"{org.name} 没有该学段")
                    )
            current = existing.get(row.school_code)
            if current is not None and current.status not in EDITABLE:
                errors.append(
                    xlsx.RowError(
                        row.row, "school_code", f"{org.name} {year}年数据已提交或已审核，需先退回"
                    )
                )
            if submit:
                for name in row.statistics.missing_fields():
                    errors.append(
                        xlsx.RowError(
                            row.row, name.replace("parts.", "").replace(".", "_"), "提交前必须填写"
                        )
                    )
        if errors:
            errors.sort(key=lambda e: (e.row, e.column))
            raise InvalidInput(
                Text(
                    f"导入文件有 {len(errors)} 处错误，未导入任何数据",
                    f"{len(errors)} errors in the file; nothing was imported",
                ),
                errors=[
                    FieldError(
                        field=f"rows[{e.row}].{e.column}",
                        message=f"第{e.row}行 {xlsx.header_of(e.column)}：{e.message}",
                        type="row_error",
                    )
                    for e in errors
                ],
            )
        status = ReturnStatus.submitted if submit else ReturnStatus.draft
        created = updated = 0
        if not dry_run:
            repository = SchoolReturnRepository(session)
            now = clock.now()
            for row in rows:
                assert row.statistics is not None
                org = orgs[row.school_code]
                current = existing.get(row.school_code)
                values: dict[str, Any] = {
                    "school_name": org.name,
                    "district_code": org.district_code,
                    "status": status,
                    "data": row.statistics.model_dump(mode="json"),
                    "source": "import",
                    "updated_by": scope.subject,
                    "return_reason": None,
                }
                if submit:
                    values |= {"submitted_at": now, "submitted_by": scope.subject}
                if current is None:
                    await repository.create(
                        SchoolReturn(school_code=row.school_code, year=year, **values)
                    )
                    created += 1
                else:
                    await repository.update(current, values)
                    updated += 1
            await session.flush()
            record(
                session,
                AuditLog,
                action="school_return.import",
                resource_type="school_return",
                principal=scope.principal,
                details={"year": year, "rows": len(rows), "created": created, "updated": updated},
            )
        else:
            created = sum(1 for r in rows if r.school_code not in existing)
            updated = len(rows) - created
        return ImportReport(
            year=year,
            rows=len(rows),
            created=created,
            updated=updated,
            status=status,
            dry_run=dry_run,
            school_codes=[r.school_code for r in rows],
        )

    # --- balance over stored data -------------------------------------------------------------

    async def county_input(
        self,
        session: AsyncSession,
        district_code: str,
        year: int,
        stage: Stage,
        *,
        statuses: Sequence[ReturnStatus] = (ReturnStatus.approved,),
    ) -> BalanceInput | None:
        """The county's schools of one stage from its returns (combined schools apportioned)."""
        schools = []
        for row in await SchoolReturnRepository(session).for_county(district_code, year, statuses):
            parts = SchoolStatistics.model_validate(row.data).to_balance(row.school_code)
            if stage in parts:
                schools.append(parts[stage])
        if not schools:
            return None
        return BalanceInput(county=district_code, stage=stage, schools=schools)

    async def evaluate_county(
        self,
        session: AsyncSession,
        scope: Scope,
        *,
        district_code: str,
        year: int,
        stage: Stage,
        as_of: date | None,
    ) -> tuple[Evaluation, BalanceResult]:
        scope.require_manager(district_code)
        balance_input = await self.county_input(session, district_code, year, stage)
        if balance_input is None:
            raise NoSchoolData(
                Text(
                    f"{district_code} {year}年没有已审核的{'小学' if stage == 'primary' else '初中'}数据",
                    f"No approved {stage} returns for {district_code} in {year}",
                )
            )
        return await self.evaluate_input(session, scope, balance_input, as_of=as_of)

    async def evaluate_input(
        self,
        session: AsyncSession,
        scope: Scope,
        balance_input: BalanceInput,
        *,
        as_of: date | None,
    ) -> tuple[Evaluation, BalanceResult]:
        """Evaluate under the stored rules in force on ``as_of`` and keep the result."""
        scope.require_manager(balance_input.county)
        day = as_of or clock.today()
        rules = await framework_service.resolve(session, COMPULSORY_QUALITY_BALANCE.code, day)
        result = evaluate_balance(balance_input, framework=rules)
        evaluation = await evaluation_service.store(
            session,
            scope,
            kind="balance",
            rules=rules,
            inputs=balance_input.model_dump(mode="json"),
            result=result.model_dump(mode="json"),
            outcome=result.outcome,
            org_code=balance_input.county,
            district_code=balance_input.county,
            as_of=day,
        )
        return evaluation, result

    def _audit(
        self,
        session: AsyncSession,
        scope: Scope,
        action: str,
        row: SchoolReturn,
        details: dict[str, Any] | None = None,
    ) -> None:
        record(
            session,
            AuditLog,
            action=action,
            resource_type="school_return",
            resource_id=row.id,
            principal=scope.principal,
            details={"school": row.school_code, "year": row.year, **(details or {})},
        )


school_data_service = SchoolDataService()
