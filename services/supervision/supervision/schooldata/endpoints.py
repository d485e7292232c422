import uuid
from typing import Annotated

from fastapi import APIRouter, File, Path, Query, Request, Response, UploadFile

from shared.db import DbSession
from shared.errors import PayloadTooLarge
from shared.i18n import Text
from shared.pagination import CursorPagination, Page
from shared.params import Day
from supervision.catalog.service import FrameworkNotInForce
from supervision.frameworks.balance import BalanceInput
from supervision.frameworks.model import Stage
from supervision.models import ReturnStatus
from supervision.peers import PeersDep
from supervision.policies import ManagerScope, OutOfScope, ReaderScope
from supervision.schooldata import xlsx
from supervision.schooldata.schemas import (
    BalanceRun,
    ImportReport,
    ReturnDecision,
    SchoolReturnRead,
    SchoolReturnWrite,
)
from supervision.schooldata.service import (
    NoSchoolData,
    SchoolReturnLocked,
    SchoolReturnNotFound,
    SchoolReturnState,
    school_data_service,
)

router = APIRouter(tags=["school data"])

SchoolCode = Annotated[str, Path(min_length=1, max_length=20, pattern=r"^[0-9]+$")]
Year = Annotated[int, Path(ge=2000, le=2100)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/school-data", summary="List school returns", response_model=Page[SchoolReturnRead])
async def list_school_returns(
    session: DbSession,
    scope: ReaderScope,
    pagination: CursorPagination,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    status: ReturnStatus | None = None,
    district_code: Annotated[str | None, Query(max_length=20)] = None,
    school_code: Annotated[str | None, Query(max_length=20)] = None,
) -> Page[SchoolReturnRead]:
    items, cursor = await school_data_service.page(
        session,
        scope,
        pagination,
        year=year,
        status=status,
        district_code=district_code,
        school_code=school_code,
    )
    return Page(items=[SchoolReturnRead.model_validate(i) for i in items], next_cursor=cursor)


@router.get(
    "/school-data/template.xlsx",
    summary="Download the spreadsheet template for bulk import",
    response_class=Response,
    responses={200: {"description": "The template", "content": {XLSX: {}}}},
)
async def school_data_template(scope: ManagerScope) -> Response:
    return Response(
        xlsx.template(),
        media_type=XLSX,
        headers={"Content-Disposition": "attachment; filename=school-data-template.xlsx"},
    )


@router.post(
    "/school-data/import",
    summary="Import school returns from a spreadsheet (all rows or none)",
    response_model=ImportReport,
    responses={413: {"description": "File too large"}},
)
async def import_school_returns(
    request: Request,
    session: DbSession,
    scope: ManagerScope,
    peers: PeersDep,
    file: Annotated[UploadFile, File(description="xlsx, one row per school")],
    year: Annotated[int, Query(ge=2000, le=2100)],
    submit: Annotated[bool, Query(description="Store the rows as submitted, not draft")] = False,
    dry_run: Annotated[bool, Query(description="Check the file without storing it")] = False,
) -> ImportReport:
    settings = request.app.state.settings
    data = await file.read(settings.evidence_max_bytes + 1)
    if len(data) > settings.evidence_max_bytes:
        raise PayloadTooLarge(Text("文件过大", "The file is too large"))
    return await school_data_service.import_xlsx(
        session,
        scope,
        peers,
        data=data,
        year=year,
        submit=submit,
        dry_run=dry_run,
        max_rows=settings.import_max_rows,
    )


@router.put(
    "/school-data/{school_code}/{year}",
    summary="Save a school's draft return for a year",
    response_model=SchoolReturnRead,
    responses={
        201: {"model": SchoolReturnRead, "description": "Created"},
        409: SchoolReturnLocked.openapi_response(),
    },
)
async def save_school_return(
    school_code: SchoolCode,
    year: Year,
    body: SchoolReturnWrite,
    response: Response,
    session: DbSession,
    scope: ReaderScope,
    peers: PeersDep,
) -> SchoolReturnRead:
    row, created = await school_data_service.save(
        session, scope, peers, school_code=school_code, year=year, statistics=body.data
    )
    if created:
        response.status_code = 201
    return SchoolReturnRead.model_validate(row)


@router.get(
    "/school-data/{return_id}",
    summary="Get a school return",
    response_model=SchoolReturnRead,
    responses={404: SchoolReturnNotFound.openapi_response()},
)
async def get_school_return(
    return_id: uuid.UUID, session: DbSession, scope: ReaderScope
) -> SchoolReturnRead:
    return SchoolReturnRead.model_validate(await school_data_service.get(session, scope, return_id))


@router.post(
    "/school-data/{return_id}/submit",
    summary="Submit a return for the district's review",
    response_model=SchoolReturnRead,
    responses={
        404: SchoolReturnNotFound.openapi_response(),
        409: SchoolReturnState.openapi_response(),
    },
)
async def submit_school_return(
    return_id: uuid.UUID, session: DbSession, scope: ReaderScope
) -> SchoolReturnRead:
    return SchoolReturnRead.model_validate(
        await school_data_service.submit(session, scope, return_id)
    )


@router.post(
    "/school-data/{return_id}/approve",
    summary="Approve a submitted return",
    response_model=SchoolReturnRead,
    responses={
        404: SchoolReturnNotFound.openapi_response(),
        409: SchoolReturnState.openapi_response(),
    },
)
async def approve_school_return(
    return_id: uuid.UUID, session: DbSession, scope: ManagerScope
) -> SchoolReturnRead:
    return SchoolReturnRead.model_validate(
        await school_data_service.approve(session, scope, return_id)
    )


@router.post(
    "/school-data/{return_id}/return",
    summary="Return a submitted or approved return to the school for correction",
    response_model=SchoolReturnRead,
    responses={
        404: SchoolReturnNotFound.openapi_response(),
        409: SchoolReturnState.openapi_response(),
    },
)
async def return_school_return(
    return_id: uuid.UUID, body: ReturnDecision, session: DbSession, scope: ManagerScope
) -> SchoolReturnRead:
    return SchoolReturnRead.model_validate(
        await school_data_service.return_(session, scope, return_id, body.reason)
    )


@router.post(
    "/balance/evaluate",
    summary="优质均衡 resource verdict for posted school data (as `xuezai supervision evaluate-balance`)",
    response_model=BalanceRun,
    responses={403: OutOfScope.openapi_response(), 409: FrameworkNotInForce.openapi_response()},
)
async def evaluate_balance_input(
    body: BalanceInput,
    session: DbSession,
    scope: ManagerScope,
    as_of: Day | None = None,
) -> BalanceRun:
    evaluation, result = await school_data_service.evaluate_input(session, scope, body, as_of=as_of)
    return BalanceRun(evaluation_id=evaluation.id, result=result)


@router.post(
    "/balance/counties/{district_code}/evaluate",
    summary="优质均衡 resource verdict for a county from its approved school returns",
    response_model=BalanceRun,
    responses={409: NoSchoolData.openapi_response()},
)
async def evaluate_county_balance(
    district_code: Annotated[str, Path(min_length=6, max_length=20, pattern=r"^[0-9]+$")],
    session: DbSession,
    scope: ManagerScope,
    year: Annotated[int, Query(ge=2000, le=2100)],
    stage: Stage,
    as_of: Day | None = None,
) -> BalanceRun:
    evaluation, result = await school_data_service.evaluate_county(
        session, scope, district_code=district_code, year=year, stage=stage, as_of=as_of
    )
    return BalanceRun(evaluation_id=evaluation.id, result=result)
