"""Cycles, offerings and catchments: what staff configure and what every submission reads."""

import io
import uuid
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from enrolment.addresses import normalise_name
from enrolment.cycles.repository import CatchmentRepository, CycleRepository, OfferingRepository
from enrolment.cycles.schemas import (
    CatchmentUnitCreate,
    CycleCreate,
    CycleUpdate,
    ImportReport,
    ImportRowError,
    OfferingCreate,
    OfferingUpdate,
)
from enrolment.errors import (
    CatchmentUnitNotFound,
    CycleConflict,
    CycleNotFound,
    OfferingConflict,
    OfferingNotFound,
)
from enrolment.models import AuditLog, CatchmentUnit, Cycle, CycleStatus, Offering, Stage
from enrolment.schools import SchoolRegistry, mismatch
from shared import audit
from shared.auth import Principal, Role
from shared.errors import Forbidden, InvalidInput
from shared.i18n import Text
from shared.pagination import CursorParams

DEFAULT_CLASS_SIZE_MAX = {Stage.primary_g1: 45, Stage.junior_g7: 50}


def can_manage(principal: Principal, district_code: str | None) -> bool:
    scope = principal.org_filter(Role.city_admin, Role.district_admin)
    if scope.city_wide:
        return True
    return district_code is not None and district_code in scope.districts


def _check_seats(cycle: Cycle, seats: int, classes: int, field: str) -> None:
    if seats > classes * cycle.class_size_max:
        raise InvalidInput.for_field(
            field,
            Text(
                f"学位数 {seats} 超过班额上限：{classes} 个班 × 每班 {cycle.class_size_max} 人",
                f"{seats} seats exceed the class cap: {classes} classes × {cycle.class_size_max}",
            ),
            "class_cap",
        )


class CycleService:
    async def create(self, session: AsyncSession, principal: Principal, data: CycleCreate) -> Cycle:
        if not can_manage(principal, data.district_code):
            raise Forbidden(Text("不能为其他区县创建招生周期", "Not your district"))
        repository = CycleRepository(session)
        if await repository.find(data.year, data.stage, data.district_code) is not None:
            raise CycleConflict(
                Text(
                    "该年度、学段和区县的招生周期已存在",
                    "A cycle for this year, stage and district exists",
                )
            )
        values = data.model_dump(
            mode="json",
            exclude={
                "registration_opens_at",
                "registration_closes_at",
                "review_closes_at",
                "lottery_at",
                "publication_at",
            },
        )
        cycle = Cycle(
            **{key: value for key, value in values.items() if key not in ("year", "stage")},
            year=data.year,
            stage=data.stage,
            registration_opens_at=data.registration_opens_at,
            registration_closes_at=data.registration_closes_at,
            review_closes_at=data.review_closes_at,
            lottery_at=data.lottery_at,
            publication_at=data.publication_at,
            status=CycleStatus.draft,
        )
        cycle.class_size_max = data.class_size_max or DEFAULT_CLASS_SIZE_MAX[data.stage]
        await repository.create(cycle, flush=True)
        audit.record(
            session,
            AuditLog,
            action="cycle.create",
            resource_type="cycle",
            resource_id=cycle.id,
            principal=principal,
        )
        return cycle

    async def get(self, session: AsyncSession, cycle_id: uuid.UUID) -> Cycle:
        cycle = await CycleRepository(session).get(cycle_id)
        if cycle is None:
            raise CycleNotFound()
        return cycle

    async def get_visible(
        self, session: AsyncSession, principal: Principal, cycle_id: uuid.UUID
    ) -> Cycle:
        cycle = await self.get(session, cycle_id)
        if cycle.status == CycleStatus.draft and not can_manage(principal, cycle.district_code):
            raise CycleNotFound()
        return cycle

    async def get_published(self, session: AsyncSession, cycle_id: uuid.UUID) -> Cycle:
        cycle = await self.get(session, cycle_id)
        if cycle.status == CycleStatus.draft:
            raise CycleNotFound()
        return cycle

    async def get_managed(
        self, session: AsyncSession, principal: Principal, cycle_id: uuid.UUID
    ) -> Cycle:
        cycle = await self.get(session, cycle_id)
        if not can_manage(principal, cycle.district_code):
            # Drafts of other districts do not exist for this principal; published ones do.
            if cycle.status == CycleStatus.draft:
                raise CycleNotFound()
            raise Forbidden(Text("不能管理其他区县的招生周期", "Not your district's cycle"))
        return cycle

    async def update(
        self, session: AsyncSession, principal: Principal, cycle_id: uuid.UUID, data: CycleUpdate
    ) -> Cycle:
        cycle = await self.get_managed(session, principal, cycle_id)
        changes = data.model_dump(exclude_unset=True, mode="json")
        for name in (
            "registration_opens_at",
            "registration_closes_at",
            "review_closes_at",
            "lottery_at",
            "publication_at",
        ):
            if name in changes:
                changes[name] = getattr(data, name)
        for name, value in changes.items():
            if value is None and name in (
                "name",
                "registration_opens_at",
                "registration_closes_at",
                "daily_hours",
                "daily_hours_overrides",
                "batches",
                "max_private_choices",
                "class_size_max",
                "class_size_min",
            ):
                raise InvalidInput.for_field(
                    f"body.{name}", Text("不能置空", "Must not be null"), "null"
                )
            setattr(cycle, name, value)
        if cycle.registration_closes_at <= cycle.registration_opens_at:
            raise InvalidInput.for_field(
                "body.registration_closes_at",
                Text("报名截止时间应晚于开始时间", "The window must close after it opens"),
            )
        if cycle.class_size_min > cycle.class_size_max:
            raise InvalidInput.for_field(
                "body.class_size_min",
                Text("最小班额不能超过班额上限", "class_size_min exceeds class_size_max"),
            )
        await session.flush()
        audit.record(
            session,
            AuditLog,
            action="cycle.update",
            resource_type="cycle",
            resource_id=cycle.id,
            principal=principal,
            details={"fields": sorted(changes)},
        )
        return cycle

    async def publish(
        self, session: AsyncSession, principal: Principal, cycle_id: uuid.UUID
    ) -> Cycle:
        cycle = await self.get_managed(session, principal, cycle_id)
        if cycle.status != CycleStatus.draft:
            raise CycleConflict(
                Text("只有草稿状态的招生周期可以发布", "Only a draft cycle can be published")
            )
        cycle.status = CycleStatus.published
        await session.flush()
        audit.record(
            session,
            AuditLog,
            action="cycle.publish",
            resource_type="cycle",
            resource_id=cycle.id,
            principal=principal,
        )
        return cycle

    async def delete(
        self, session: AsyncSession, principal: Principal, cycle_id: uuid.UUID
    ) -> None:
        """A cycle created by mistake goes, with its offerings and catchments, as long as no
        family has applied to it (drafts included)."""
        cycle = await self.get_managed(session, principal, cycle_id)
        repository = CycleRepository(session)
        # Locked first: a submission's foreign-key check waits for this transaction, then
        # finds no cycle (404) — or committed first, and the cycle stays (409).
        await repository.lock(cycle.id)
        if await repository.has_applications(cycle.id):
            raise CycleConflict(
                Text(
                    "该招生周期已有报名（含草稿），不能删除",
                    "Families have applied to this cycle (drafts included); it cannot be deleted",
                )
            )
        await repository.delete(cycle, flush=True)
        audit.record(
            session,
            AuditLog,
            action="cycle.delete",
            resource_type="cycle",
            resource_id=cycle_id,
            principal=principal,
            details={
                "year": cycle.year,
                "stage": cycle.stage.value,
                "district": cycle.district_code,
            },
        )

    async def list(
        self,
        session: AsyncSession,
        principal: Principal | None,
        params: CursorParams,
        **filters: Any,
    ) -> tuple[list[Cycle], str | None]:
        if principal is None:
            return await CycleRepository(session).list_page(params, published_only=True, **filters)
        scope = principal.org_filter(Role.city_admin, Role.district_admin)
        return await CycleRepository(session).list_page(params, manageable=scope, **filters)

    # --- offerings ------------------------------------------------------------------------

    async def create_offering(
        self,
        session: AsyncSession,
        principal: Principal,
        cycle_id: uuid.UUID,
        data: OfferingCreate,
        schools: SchoolRegistry,
    ) -> Offering:
        cycle = await self.get_managed(session, principal, cycle_id)
        self._check_offering_scope(principal, cycle, data.district_code)
        _check_seats(cycle, data.seats, data.classes, "body.seats")
        registered = (await schools.find([data.school_code])).get(data.school_code)
        problem = mismatch(
            registered,
            district_code=data.district_code,
            ownership=data.ownership,
            stage=cycle.stage,
        )
        if problem is not None:
            raise InvalidInput.for_field(
                f"body.{problem[0]}", Text(problem[1], "The school does not match the directory")
            )
        assert registered is not None
        repository = OfferingRepository(session)
        if await repository.by_school(cycle.id, data.school_code) is not None:
            raise OfferingConflict()
        offering = Offering(
            cycle_id=cycle.id, **{**data.model_dump(), "school_name": registered.name}
        )
        await repository.create(offering, flush=True)
        audit.record(
            session,
            AuditLog,
            action="offering.create",
            resource_type="offering",
            resource_id=offering.id,
            principal=principal,
        )
        return offering

    def _check_offering_scope(self, principal: Principal, cycle: Cycle, district_code: str) -> None:
        if cycle.district_code is not None and district_code != cycle.district_code:
            raise InvalidInput.for_field(
                "body.district_code",
                Text("学校所在区县应与招生周期一致", "The school's district must be the cycle's"),
            )
        if not can_manage(principal, district_code):
            raise Forbidden(Text("不能管理其他区县的学校", "Not your district's school"))

    async def get_offering(self, session: AsyncSession, offering_id: uuid.UUID) -> Offering:
        offering = await OfferingRepository(session).get(offering_id)
        if offering is None:
            raise OfferingNotFound()
        return offering

    async def get_managed_offering(
        self, session: AsyncSession, principal: Principal, offering_id: uuid.UUID
    ) -> tuple[Cycle, Offering]:
        offering = await self.get_offering(session, offering_id)
        cycle = await self.get(session, offering.cycle_id)
        if not can_manage(principal, offering.district_code):
            if cycle.status == CycleStatus.draft:
                raise OfferingNotFound()
            raise Forbidden(Text("不能管理其他区县的学校", "Not your district's school"))
        return cycle, offering

    async def update_offering(
        self,
        session: AsyncSession,
        principal: Principal,
        offering_id: uuid.UUID,
        data: OfferingUpdate,
    ) -> Offering:
        cycle, offering = await self.get_managed_offering(session, principal, offering_id)
        for name, value in data.model_dump(exclude_unset=True).items():
            if value is None and name != "polygon":
                raise InvalidInput.for_field(
                    f"body.{name}", Text("不能置空", "Must not be null"), "null"
                )
            setattr(offering, name, value)
        _check_seats(cycle, offering.seats, offering.classes, "body.seats")
        await session.flush()
        audit.record(
            session,
            AuditLog,
            action="offering.update",
            resource_type="offering",
            resource_id=offering.id,
            principal=principal,
        )
        return offering

    async def delete_offering(
        self, session: AsyncSession, principal: Principal, offering_id: uuid.UUID
    ) -> None:
        _, offering = await self.get_managed_offering(session, principal, offering_id)
        try:
            async with session.begin_nested():
                await OfferingRepository(session).delete(offering, flush=True)
        except IntegrityError:
            raise OfferingConflict(
                Text("已有报名指向该学校，不能删除", "Applications refer to this offering")
            ) from None
        audit.record(
            session,
            AuditLog,
            action="offering.delete",
            resource_type="offering",
            resource_id=offering_id,
            principal=principal,
        )

    # --- catchments -----------------------------------------------------------------------

    async def add_unit(
        self,
        session: AsyncSession,
        principal: Principal,
        offering_id: uuid.UUID,
        data: CatchmentUnitCreate,
    ) -> CatchmentUnit:
        _, offering = await self.get_managed_offering(session, principal, offering_id)
        unit = build_unit(offering, data)
        await CatchmentRepository(session).create(unit, flush=True)
        audit.record(
            session,
            AuditLog,
            action="catchment.add",
            resource_type="offering",
            resource_id=offering.id,
            principal=principal,
        )
        return unit

    async def delete_unit(
        self, session: AsyncSession, principal: Principal, unit_id: uuid.UUID
    ) -> None:
        repository = CatchmentRepository(session)
        unit = await repository.get(unit_id)
        if unit is None:
            raise CatchmentUnitNotFound()
        await self.get_managed_offering(session, principal, unit.offering_id)
        await repository.delete(unit, flush=True)
        audit.record(
            session,
            AuditLog,
            action="catchment.delete",
            resource_type="offering",
            resource_id=unit.offering_id,
            principal=principal,
        )

    async def units(self, session: AsyncSession, offering_id: uuid.UUID) -> Sequence[CatchmentUnit]:
        return await CatchmentRepository(session).of_offering(offering_id)


def build_unit(offering: Offering, data: CatchmentUnitCreate) -> CatchmentUnit:
    return CatchmentUnit(
        offering_id=offering.id,
        cycle_id=offering.cycle_id,
        district_code=data.district_code,
        community=data.community,
        road=data.road.strip() if data.road else None,
        road_key=normalise_name(data.road),
        number_from=data.number_from,
        number_to=data.number_to,
        parity=data.parity,
        estate=data.estate.strip() if data.estate else None,
        estate_key=normalise_name(data.estate),
    )


# --- xlsx import ---------------------------------------------------------------------------

# A school-name column may be present; it is not read (the name is the directory's).
OFFERING_COLUMNS = {
    "school_code": ("school_code", "学校标识码"),
    "district_code": ("district_code", "区县代码"),
    "ownership": ("ownership", "办学性质"),
    "seats": ("seats", "招生学位"),
    "classes": ("classes", "招生班数"),
}
UNIT_COLUMNS = {
    "school_code": ("school_code", "学校标识码"),
    "district_code": ("district_code", "区县代码"),
    "community": ("community", "街道社区"),
    "road": ("road", "道路"),
    "number_from": ("number_from", "起始门牌号"),
    "number_to": ("number_to", "截止门牌号"),
    "parity": ("parity", "单双号"),
    "estate": ("estate", "小区"),
}
OWNERSHIP_WORDS = {"公办": "public", "民办": "private"}
PARITY_WORDS = {"全部": "all", "单号": "odd", "双号": "even"}
MAX_IMPORT_ROWS = 50_000


@dataclass
class _Sheet:
    title: str
    rows: list[tuple[int, dict[str, Any]]]


def _read_sheet(
    workbook: Any, names: tuple[str, ...], columns: Mapping[str, tuple[str, ...]]
) -> _Sheet | None:
    sheet = next(
        (workbook[name] for name in workbook.sheetnames if name.strip().lower() in names), None
    )
    if sheet is None:
        return None
    iterator = sheet.iter_rows(values_only=True)
    header = next(iterator, None) or ()
    positions: dict[str, int] = {}
    for index, cell in enumerate(header):
        label = str(cell).strip() if cell is not None else ""
        for field, aliases in columns.items():
            if label in aliases:
                positions[field] = index
    rows: list[tuple[int, dict[str, Any]]] = []
    for number, values in enumerate(iterator, start=2):
        if number - 1 > MAX_IMPORT_ROWS:
            raise InvalidInput.for_field(
                "body.file",
                Text(
                    f"每张表最多 {MAX_IMPORT_ROWS} 行", f"At most {MAX_IMPORT_ROWS} rows per sheet"
                ),
                "too_many_rows",
            )
        if not any(value not in (None, "") for value in values):
            continue
        row: dict[str, Any] = {}
        for field, index in positions.items():
            value = values[index] if index < len(values) else None
            if isinstance(value, str):
                value = value.strip() or None
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            if field in ("school_code", "district_code") and value is not None:
                value = str(value)
            row[field] = value
        rows.append((number, row))
    return _Sheet(sheet.title, rows)


def _row_errors(sheet: str, row: int, error: ValidationError) -> list[ImportRowError]:
    return [
        ImportRowError(
            sheet=sheet,
            row=row,
            field=".".join(str(p) for p in item["loc"]) or "row",
            message=item["msg"],
        )
        for item in error.errors()
    ]


async def import_workbook(
    session: AsyncSession,
    principal: Principal,
    cycle: Cycle,
    content: bytes,
    *,
    dry_run: bool,
    schools: SchoolRegistry,
) -> ImportReport:
    """Offerings and catchment units from one xlsx. Valid rows are stored, each bad row is
    reported by sheet, row and field; a school's catchment rows replace its previous units."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as error:
        raise InvalidInput.for_field(
            "body.file",
            Text("文件不是有效的 xlsx 工作簿", "The file is not a valid xlsx workbook"),
            "xlsx_invalid",
        ) from error
    try:
        offerings_sheet = _read_sheet(workbook, ("offerings", "学校", "招生计划"), OFFERING_COLUMNS)
        units_sheet = _read_sheet(workbook, ("catchments", "地段", "招生地段"), UNIT_COLUMNS)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as error:
        raise InvalidInput.for_field(
            "body.file", Text("工作簿内容无法读取", "The workbook cannot be read"), "xlsx_invalid"
        ) from error
    finally:
        workbook.close()
    if offerings_sheet is None and units_sheet is None:
        raise InvalidInput.for_field(
            "body.file",
            Text(
                "工作簿中应有名为 offerings（学校）或 catchments（地段）的工作表",
                "The workbook needs an `offerings` or `catchments` sheet",
            ),
            "xlsx_sheets",
        )

    errors: list[ImportRowError] = []
    repository = OfferingRepository(session)
    created = updated = unit_count = 0
    rejected_rows: set[tuple[str, int]] = set()
    offerings_title = offerings_sheet.title if offerings_sheet else ""
    registered = await schools.find(
        [
            str(row.get("school_code"))
            for _, row in (offerings_sheet.rows if offerings_sheet else [])
        ]
    )
    for number, row in offerings_sheet.rows if offerings_sheet else []:
        row["ownership"] = OWNERSHIP_WORDS.get(str(row.get("ownership")), row.get("ownership"))
        try:
            data = OfferingCreate.model_validate(row)
        except ValidationError as error:
            errors += _row_errors(offerings_title, number, error)
            rejected_rows.add(("offerings", number))
            continue
        problem = None
        if cycle.district_code is not None and data.district_code != cycle.district_code:
            problem = ("district_code", "学校所在区县应与招生周期一致")
        elif not can_manage(principal, data.district_code):
            problem = ("district_code", "不能管理其他区县的学校")
        elif data.seats > data.classes * cycle.class_size_max:
            problem = (
                "seats",
                f"学位数超过班额上限（{data.classes} 个班 × {cycle.class_size_max} 人）",
            )
        else:
            problem = mismatch(
                registered.get(data.school_code),
                district_code=data.district_code,
                ownership=data.ownership,
                stage=cycle.stage,
            )
        if problem:
            errors.append(
                ImportRowError(
                    sheet=offerings_title, row=number, field=problem[0], message=problem[1]
                )
            )
            rejected_rows.add(("offerings", number))
            continue
        values = {**data.model_dump(), "school_name": registered[data.school_code].name}
        existing = await repository.by_school(cycle.id, data.school_code)
        if existing is None:
            await repository.create(Offering(cycle_id=cycle.id, **values))
            created += 1
        else:
            for name, value in values.items():
                if name not in ("school_code", "polygon"):
                    setattr(existing, name, value)
            updated += 1
    await session.flush()

    if units_sheet is not None:
        codes = sorted(
            {str(row.get("school_code")) for _, row in units_sheet.rows if row.get("school_code")}
        )
        offerings = await repository.by_schools(cycle.id, codes)
        units: list[CatchmentUnit] = []
        for number, row in units_sheet.rows:
            offering = offerings.get(str(row.get("school_code")))
            if offering is None:
                errors.append(
                    ImportRowError(
                        sheet=units_sheet.title,
                        row=number,
                        field="school_code",
                        message="本周期没有该学校的招生计划",
                    )
                )
                rejected_rows.add(("catchments", number))
                continue
            if not can_manage(principal, offering.district_code):
                errors.append(
                    ImportRowError(
                        sheet=units_sheet.title,
                        row=number,
                        field="school_code",
                        message="不能管理其他区县的学校",
                    )
                )
                rejected_rows.add(("catchments", number))
                continue
            fields = {key: value for key, value in row.items() if key != "school_code"}
            fields["parity"] = PARITY_WORDS.get(
                str(fields.get("parity")), fields.get("parity") or "all"
            )
            for key in ("road", "estate", "community"):
                if fields.get(key) is not None:
                    fields[key] = str(fields[key])
            try:
                data_unit = CatchmentUnitCreate.model_validate(fields)
            except ValidationError as error:
                errors += _row_errors(units_sheet.title, number, error)
                rejected_rows.add(("catchments", number))
                continue
            units.append(build_unit(offering, data_unit))
        await CatchmentRepository(session).delete_of_offerings(
            sorted({unit.offering_id for unit in units})
        )
        session.add_all(units)
        unit_count = len(units)
        await session.flush()

    report = ImportReport(
        dry_run=dry_run,
        offerings_created=created,
        offerings_updated=updated,
        catchment_units=unit_count,
        rows_rejected=len(rejected_rows),
        errors=errors[:1000],
    )
    if not dry_run:
        audit.record(
            session,
            AuditLog,
            action="cycle.import",
            resource_type="cycle",
            resource_id=cycle.id,
            principal=principal,
            details=report.model_dump(exclude={"errors"}),
        )
    return report


cycle_service = CycleService()
