import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from shared.db import DbSession
from shared.errors import InvalidInput, NotFound
from shared.i18n import Text
from shared.pagination import CursorPagination, Page
from supervision import clock
from supervision.disclosure.schemas import (
    PublicationRead,
    PublicResult,
    PublicResultSummary,
    PublicStatistics,
    PublishRequest,
    RedactionRequest,
    StaffStatistics,
    WithdrawRequest,
)
from supervision.disclosure.service import (
    NothingToPublish,
    PublicationNotFound,
    PublicationState,
    disclosure_service,
)
from supervision.evidence.storage import BlobStore
from supervision.inspectors.checklist import CHECKLIST, DUTIES
from supervision.inspectors.schemas import InspectorSign
from supervision.inspectors.service import inspector_service
from supervision.models import Publication, PublicationStatus
from supervision.policies import CityScope, ManagerScope

router = APIRouter(tags=["disclosure"])
public_router = APIRouter(prefix="/public", tags=["public"])

STATE_ERRORS: dict[int | str, dict[str, Any]] = {
    404: PublicationNotFound.openapi_response(),
    409: PublicationState.openapi_response(),
}
CSV = "text/csv; charset=utf-8"
CSV_LIMIT = 10_000


@router.post(
    "/assessments/{assessment_id}/publications",
    summary="Prepare the assessment's results for publication (draft)",
    status_code=201,
    response_model=PublicationRead,
    responses={409: NothingToPublish.openapi_response()},
)
async def prepare_publication(
    assessment_id: uuid.UUID, session: DbSession, scope: ManagerScope
) -> PublicationRead:
    return PublicationRead.model_validate(
        await disclosure_service.prepare(session, scope, assessment_id)
    )


@router.get("/publications", summary="List publications", response_model=Page[PublicationRead])
async def list_publications(
    session: DbSession,
    scope: ManagerScope,
    pagination: CursorPagination,
    status: PublicationStatus | None = None,
    assessment_id: uuid.UUID | None = None,
) -> Page[PublicationRead]:
    items, cursor = await disclosure_service.page(
        session, scope, pagination, status=status, assessment_id=assessment_id
    )
    return Page(items=[PublicationRead.model_validate(i) for i in items], next_cursor=cursor)


@router.get(
    "/publications/{publication_id}",
    summary="Get a publication",
    response_model=PublicationRead,
    responses={404: PublicationNotFound.openapi_response()},
)
async def get_publication(
    publication_id: uuid.UUID, session: DbSession, scope: ManagerScope
) -> PublicationRead:
    return PublicationRead.model_validate(
        await disclosure_service.get(session, scope, publication_id)
    )


@router.post(
    "/publications/{publication_id}/approve",
    summary="Approve a draft for publication (city)",
    response_model=PublicationRead,
    responses=STATE_ERRORS,
)
async def approve_publication(
    publication_id: uuid.UUID, session: DbSession, scope: CityScope
) -> PublicationRead:
    return PublicationRead.model_validate(
        await disclosure_service.approve(session, scope, publication_id)
    )


@router.post(
    "/publications/{publication_id}/redact",
    summary="Redact an approved publication (personal names always removed)",
    response_model=PublicationRead,
    responses=STATE_ERRORS,
)
async def redact_publication(
    publication_id: uuid.UUID, body: RedactionRequest, session: DbSession, scope: ManagerScope
) -> PublicationRead:
    return PublicationRead.model_validate(
        await disclosure_service.redact(session, scope, publication_id, body)
    )


@router.post(
    "/publications/{publication_id}/publish",
    summary="Publish with an as-of date (city)",
    response_model=PublicationRead,
    responses=STATE_ERRORS,
)
async def publish_publication(
    publication_id: uuid.UUID, body: PublishRequest, session: DbSession, scope: CityScope
) -> PublicationRead:
    return PublicationRead.model_validate(
        await disclosure_service.publish(session, scope, publication_id, body.as_of)
    )


@router.post(
    "/publications/{publication_id}/withdraw",
    summary="Withdraw a published result (city)",
    response_model=PublicationRead,
    responses=STATE_ERRORS,
)
async def withdraw_publication(
    publication_id: uuid.UUID, body: WithdrawRequest, session: DbSession, scope: CityScope
) -> PublicationRead:
    return PublicationRead.model_validate(
        await disclosure_service.withdraw(session, scope, publication_id, body.reason)
    )


@router.get(
    "/statistics/counties",
    summary="Statistics and ranking by county (staff: assessments, findings, visit coverage)",
    response_model=StaffStatistics,
)
async def staff_statistics(
    session: DbSession,
    scope: ManagerScope,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")] = None,
) -> StaffStatistics:
    try:
        first = clock.parse_month(month) if month else clock.month_start(clock.today())
    except ValueError:
        raise InvalidInput.for_field("query.month", Text("月份无效", "Invalid month")) from None
    return await disclosure_service.staff_statistics(session, scope, year=year, month=first)


# --- public, no sign-in ---------------------------------------------------------------------------


def _summary(publication: Publication) -> PublicResultSummary:
    assert publication.as_of is not None
    assert publication.published_at is not None
    targets = (publication.public_content or {}).get("targets", [])
    return PublicResultSummary(
        id=publication.id,
        title=publication.title,
        kind=publication.kind,
        year=publication.year,
        district_code=publication.district_code,
        as_of=publication.as_of,
        published_at=publication.published_at,
        targets=len(targets),
        passed=sum(1 for t in targets if t.get("outcome") == "pass"),
    )


@public_router.get(
    "/results", summary="Published supervision results", response_model=Page[PublicResultSummary]
)
async def public_results(
    session: DbSession,
    pagination: CursorPagination,
    kind: Annotated[str | None, Query(max_length=30)] = None,
    district_code: Annotated[str | None, Query(max_length=20)] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> Page[PublicResultSummary]:
    items, cursor = await disclosure_service.published(
        session, pagination, kind=kind, district_code=district_code, year=year
    )
    return Page(items=[_summary(i) for i in items], next_cursor=cursor)


@public_router.get(
    "/results.csv",
    summary="Published results as CSV open data (one row per inspected unit)",
    response_class=Response,
    responses={200: {"description": "CSV", "content": {"text/csv": {}}}},
)
async def public_results_csv(
    session: DbSession,
    kind: Annotated[str | None, Query(max_length=30)] = None,
    district_code: Annotated[str | None, Query(max_length=20)] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> Response:
    body = await disclosure_service.results_csv(
        session, kind=kind, district_code=district_code, year=year, limit=CSV_LIMIT
    )
    return Response(
        body,
        media_type=CSV,
        headers={"Content-Disposition": "attachment; filename=supervision-results.csv"},
    )


@public_router.get(
    "/results/{publication_id}",
    summary="One published result",
    response_model=PublicResult,
    responses={404: PublicationNotFound.openapi_response()},
)
async def public_result(publication_id: uuid.UUID, session: DbSession) -> PublicResult:
    publication = await disclosure_service.published_one(session, publication_id)
    summary = _summary(publication)
    return PublicResult(
        id=summary.id,
        title=summary.title,
        kind=summary.kind,
        year=summary.year,
        district_code=summary.district_code,
        as_of=summary.as_of,
        published_at=summary.published_at,
        content=publication.public_content or {},
    )


@public_router.get(
    "/results/{publication_id}/cv.csv",
    summary="The coefficient-of-variation tables of a published result as CSV",
    response_class=Response,
    responses={
        200: {"description": "CSV", "content": {"text/csv": {}}},
        404: PublicationNotFound.openapi_response(),
    },
)
async def public_cv_csv(publication_id: uuid.UUID, session: DbSession) -> Response:
    publication = await disclosure_service.published_one(session, publication_id)
    return Response(
        disclosure_service.cv_csv(publication),
        media_type=CSV,
        headers={"Content-Disposition": f"attachment; filename=cv-{publication.id}.csv"},
    )


@public_router.get(
    "/statistics/counties",
    summary="Statistics and ranking by county from published results",
    response_model=PublicStatistics,
)
async def public_statistics(
    session: DbSession,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    kind: Annotated[str | None, Query(max_length=30)] = None,
) -> PublicStatistics:
    return PublicStatistics(
        year=year,
        kind=kind,
        counties=await disclosure_service.public_statistics(session, year=year, kind=kind),
        note="仅统计已公开的督导结果；排名按达标率、问题销号率",
    )


@public_router.get(
    "/schools/{school_code}/inspector",
    summary="The school's responsible inspector, as on the sign at the gate (挂牌)",
    response_model=InspectorSign,
    responses={404: {"description": "No responsible inspector"}},
)
async def public_sign(
    school_code: Annotated[str, Path(min_length=1, max_length=20, pattern=r"^[0-9]+$")],
    session: DbSession,
) -> InspectorSign:
    found = await inspector_service.sign(session, school_code)
    if found is None:
        raise NotFound(Text("该校暂无挂牌责任督学", "No responsible inspector for this school"))
    assignment, inspector = found
    return InspectorSign(
        school_code=assignment.school_code,
        school_name=assignment.school_name,
        inspector_name=inspector.name,
        certificate_no=inspector.certificate_no,
        phone=inspector.phone,
        photo_url=(
            f"/v1/public/schools/{assignment.school_code}/inspector/photo"
            if inspector.photo_id
            else None
        ),
        duties=list(DUTIES),
        items=[name for _, name in CHECKLIST],
    )


@public_router.get(
    "/schools/{school_code}/inspector/photo",
    summary="The responsible inspector's photo on the school's sign",
    response_class=Response,
    responses={
        200: {"description": "The photo", "content": {"image/jpeg": {}, "image/png": {}}},
        404: {"description": "No photo"},
    },
)
async def public_sign_photo(
    school_code: Annotated[str, Path(min_length=1, max_length=20, pattern=r"^[0-9]+$")],
    session: DbSession,
    request: Request,
) -> Response:
    photo = await inspector_service.sign_photo(session, school_code)
    if photo is None:
        raise NotFound(Text("没有照片", "No photo"))
    store: BlobStore = request.app.state.blob_store
    return Response(await store.get(photo.storage_key), media_type=photo.content_type)
