import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from plans.clock import Today
from plans.dependencies import StaffAccess
from plans.indicators.chart import render_chart
from plans.indicators.schemas import (
    Attainment,
    IndicatorRead,
    IndicatorWrite,
    PullQueued,
    TargetRead,
    TargetWrite,
    ValueRead,
    ValueWrite,
)
from plans.indicators.service import (
    IndicatorNameTaken,
    IndicatorNotFound,
    indicator_service,
    value_read,
)
from plans.models import AuditLog, ValueSource
from plans.planning.service import NotPlanOwner, PlanNotFound
from plans.planning.service import plan_service as plans
from plans.policies import Access, IndicatorAdmin, PlanAuthor, PlanStaff
from shared.audit import record
from shared.db import DbSession
from shared.errors import Forbidden, InvalidInput
from shared.i18n import Text
from shared.ids import uuid7
from shared.worker import enqueue_after_commit

router = APIRouter(prefix="/indicators", tags=["indicators"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: IndicatorNotFound.openapi_response()}
ScopeQuery = Annotated[
    str | None,
    Query(
        min_length=2,
        max_length=20,
        pattern=r"^[0-9A-Za-z_-]+$",
        description="Area code (GB/T 2260); default: the city.",
    ),
]


class AreaForbidden(Forbidden):
    code = "plans.indicator.area_forbidden"
    title = Text("无权查看或报送该地区的数据", "Not allowed for that area")


def _scope(request: Request, access: Access, scope: str | None) -> str:
    scope = scope or request.app.state.settings.city_code
    if not access.sees_scope(scope):
        raise AreaForbidden()
    return scope


@router.get("", summary="List indicators", response_model=list[IndicatorRead])
async def list_indicators(session: DbSession, principal: PlanStaff) -> list[IndicatorRead]:
    return [IndicatorRead.model_validate(i) for i in await indicator_service.list(session)]


@router.post(
    "",
    summary="Define an indicator (numerator / denominator × factor, unit, direction, source)",
    status_code=201,
    response_model=IndicatorRead,
    responses={409: IndicatorNameTaken.openapi_response()},
)
async def create_indicator(
    body: IndicatorWrite, session: DbSession, principal: IndicatorAdmin
) -> IndicatorRead:
    indicator = await indicator_service.create(session, body)
    record(
        session,
        AuditLog,
        action="plans.indicator.create",
        resource_type="indicator",
        resource_id=indicator.id,
        principal=principal,
    )
    return IndicatorRead.model_validate(indicator)


@router.get(
    "/{indicator_id}", summary="Get an indicator", response_model=IndicatorRead, responses=NOT_FOUND
)
async def get_indicator(
    indicator_id: uuid.UUID, session: DbSession, principal: PlanStaff
) -> IndicatorRead:
    return IndicatorRead.model_validate(await indicator_service.get(session, indicator_id))


@router.put(
    "/{indicator_id}",
    summary="Redefine an indicator (values keep their numerators and denominators)",
    response_model=IndicatorRead,
    responses={**NOT_FOUND, 409: IndicatorNameTaken.openapi_response()},
)
async def update_indicator(
    indicator_id: uuid.UUID, body: IndicatorWrite, session: DbSession, principal: IndicatorAdmin
) -> IndicatorRead:
    indicator = await indicator_service.update(session, indicator_id, body)
    record(
        session,
        AuditLog,
        action="plans.indicator.update",
        resource_type="indicator",
        resource_id=indicator.id,
        principal=principal,
    )
    return IndicatorRead.model_validate(indicator)


@router.get(
    "/{indicator_id}/targets",
    summary="Targets per plan, area and year (only areas the caller may see)",
    response_model=list[TargetRead],
    responses=NOT_FOUND,
)
async def list_targets(
    indicator_id: uuid.UUID,
    session: DbSession,
    access: StaffAccess,
    plan_id: uuid.UUID | None = None,
) -> list[TargetRead]:
    await indicator_service.get(session, indicator_id)
    targets = await indicator_service.targets(session, indicator_id, plan_id=plan_id)
    return [TargetRead.model_validate(t) for t in targets if access.sees_scope(t.scope_code)]


@router.put(
    "/{indicator_id}/targets",
    summary="Set one year's target for an area in a plan (the plan's owner only)",
    response_model=TargetRead,
    responses={**NOT_FOUND, 403: NotPlanOwner.openapi_response()},
)
async def set_target(
    indicator_id: uuid.UUID,
    body: TargetWrite,
    session: DbSession,
    principal: PlanAuthor,
    access: StaffAccess,
) -> TargetRead:
    indicator = await indicator_service.get(session, indicator_id)
    try:
        plan = await plans.get_owned(session, body.plan_id, access)
    except PlanNotFound:
        raise InvalidInput.for_field(
            "body.plan_id", Text("规划不存在", "No such plan"), "not_found"
        ) from None
    target = await indicator_service.set_target(session, indicator, plan, body)
    record(
        session,
        AuditLog,
        action="plans.indicator.target.set",
        resource_type="indicator_target",
        resource_id=target.id,
        principal=principal,
        details={"year": body.year, "scope": body.scope_code, "value": body.value},
    )
    return TargetRead.model_validate(target)


@router.post(
    "/{indicator_id}/values",
    summary="Report a value with its numerator and denominator (an area's own staff or the city)",
    status_code=201,
    response_model=ValueRead,
    responses={**NOT_FOUND, 403: AreaForbidden.openapi_response()},
)
async def report_value(
    indicator_id: uuid.UUID,
    body: ValueWrite,
    request: Request,
    session: DbSession,
    principal: PlanAuthor,
    access: StaffAccess,
) -> ValueRead:
    indicator = await indicator_service.get(session, indicator_id)
    _scope(request, access, body.scope_code)
    value, _ = await indicator_service.record_value(
        session,
        indicator,
        body,
        source=ValueSource.manual.value,
        subject=principal.subject,
        city_code=request.app.state.settings.city_code,
    )
    record(
        session,
        AuditLog,
        action="plans.indicator.value.report",
        resource_type="indicator_value",
        resource_id=value.id,
        principal=principal,
        details={"scope": body.scope_code, "period": body.period},
    )
    return value_read(indicator, value)


@router.get(
    "/{indicator_id}/values",
    summary="Values for an area (and the areas below it with `below=true`)",
    response_model=list[ValueRead],
    responses={**NOT_FOUND, 403: AreaForbidden.openapi_response()},
)
async def list_values(
    indicator_id: uuid.UUID,
    request: Request,
    session: DbSession,
    access: StaffAccess,
    scope: ScopeQuery = None,
    year: Annotated[int | None, Query(ge=1949, le=2100)] = None,
    history: bool = False,
) -> list[ValueRead]:
    indicator = await indicator_service.get(session, indicator_id)
    area = _scope(request, access, scope)
    values = await indicator_service.values(
        session, indicator_id, scopes=[area], year=year, history=history
    )
    return [value_read(indicator, v) for v in values]


@router.get(
    "/{indicator_id}/attainment",
    summary="Attainment over the years: value (Σnum/Σden), target, 序时进度, traffic light",
    response_model=Attainment,
    responses={**NOT_FOUND, 403: AreaForbidden.openapi_response()},
)
async def get_attainment(
    indicator_id: uuid.UUID,
    request: Request,
    session: DbSession,
    access: StaffAccess,
    today: Today,
    scope: ScopeQuery = None,
    plan_id: uuid.UUID | None = None,
) -> Attainment:
    indicator = await indicator_service.get(session, indicator_id)
    area = _scope(request, access, scope)
    return await indicator_service.attainment(
        session,
        indicator,
        scope_code=area,
        plan_id=plan_id,
        today=today,
        yellow_ratio=request.app.state.settings.attainment_yellow_ratio,
    )


@router.get(
    "/{indicator_id}/chart.svg",
    summary="An SVG chart of the indicator's values against its targets",
    response_class=Response,
    responses={
        200: {"content": {"image/svg+xml": {}}, "description": "The chart"},
        **NOT_FOUND,
        403: AreaForbidden.openapi_response(),
    },
)
async def get_chart(
    indicator_id: uuid.UUID,
    request: Request,
    session: DbSession,
    access: StaffAccess,
    today: Today,
    scope: ScopeQuery = None,
    plan_id: uuid.UUID | None = None,
) -> Response:
    attainment = await get_attainment(
        indicator_id, request, session, access, today, scope=scope, plan_id=plan_id
    )
    return Response(render_chart(attainment), media_type="image/svg+xml")


@router.post(
    "/{indicator_id}/pull",
    summary="Pull this indicator's values from the service that computes them, now",
    status_code=202,
    response_model=PullQueued,
    responses=NOT_FOUND,
)
async def pull_values(
    indicator_id: uuid.UUID, session: DbSession, principal: IndicatorAdmin
) -> PullQueued:
    indicator = await indicator_service.get(session, indicator_id)
    if indicator.source == ValueSource.manual:
        raise InvalidInput.for_field(
            "path.indicator_id",
            Text("该指标的数据由人工报送", "This indicator's values are reported by hand"),
            "manual_source",
        )
    job_id = f"plans.indicators.pull:{indicator.id}:{uuid7()}"
    enqueue_after_commit(session, "plans.indicators.pull", str(indicator.id), job_id=job_id)
    return PullQueued(job_id=job_id)
