import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from shared.db import DbSession
from shared.pagination import CursorPagination, Page
from shared.params import Day
from supervision import clock
from supervision.catalog.schemas import (
    CampaignTemplateRead,
    FrameworkCopy,
    FrameworkIn,
    FrameworkRead,
    FrameworkSummary,
)
from supervision.catalog.service import (
    FrameworkExists,
    FrameworkNotEditable,
    FrameworkNotFound,
    FrameworkNotInForce,
    FrameworkStateConflict,
    framework_service,
)
from supervision.frameworks.model import ResolvedFramework
from supervision.frameworks.special import CAMPAIGN_TEMPLATES
from supervision.models import FrameworkOrigin, FrameworkStatus
from supervision.policies import CityScope, ReaderScope

router = APIRouter(tags=["frameworks"])


@router.get(
    "/frameworks", summary="List frameworks and overlays", response_model=Page[FrameworkSummary]
)
async def list_frameworks(
    session: DbSession,
    scope: ReaderScope,
    pagination: CursorPagination,
    code: Annotated[str | None, Query(max_length=64)] = None,
    status: FrameworkStatus | None = None,
    origin: FrameworkOrigin | None = None,
) -> Page[FrameworkSummary]:
    items, cursor = await framework_service.page(
        session, pagination, code=code, status=status, origin=origin
    )
    return Page(items=[FrameworkSummary.model_validate(i) for i in items], next_cursor=cursor)


@router.get(
    "/frameworks/resolve",
    summary="The rules of a framework in force on a date, overlays applied",
    response_model=ResolvedFramework,
    responses={
        404: FrameworkNotFound.openapi_response(),
        409: FrameworkNotInForce.openapi_response(),
    },
)
async def resolve_framework(
    session: DbSession,
    scope: ReaderScope,
    code: Annotated[str, Query(min_length=1, max_length=64)],
    as_of: Day | None = None,
    version: Annotated[str | None, Query(max_length=32)] = None,
) -> ResolvedFramework:
    return await framework_service.resolve(session, code, as_of or clock.today(), version)


@router.get(
    "/frameworks/{framework_id}",
    summary="Get a framework version with its document",
    response_model=FrameworkRead,
    responses={404: FrameworkNotFound.openapi_response()},
)
async def get_framework(
    framework_id: uuid.UUID, session: DbSession, scope: ReaderScope
) -> FrameworkRead:
    return FrameworkRead.model_validate(await framework_service.get(session, framework_id))


@router.post(
    "/frameworks",
    summary="Create a draft framework or overlay",
    status_code=201,
    response_model=FrameworkRead,
    responses={409: FrameworkExists.openapi_response()},
)
async def create_framework(
    body: FrameworkIn, session: DbSession, scope: CityScope
) -> FrameworkRead:
    return FrameworkRead.model_validate(await framework_service.create(session, scope, body))


@router.put(
    "/frameworks/{framework_id}",
    summary="Replace a draft's document",
    response_model=FrameworkRead,
    responses={
        404: FrameworkNotFound.openapi_response(),
        409: FrameworkNotEditable.openapi_response(),
    },
)
async def replace_framework(
    framework_id: uuid.UUID, body: FrameworkIn, session: DbSession, scope: CityScope
) -> FrameworkRead:
    return FrameworkRead.model_validate(
        await framework_service.replace(session, scope, framework_id, body)
    )


@router.delete(
    "/frameworks/{framework_id}",
    summary="Delete a draft",
    status_code=204,
    response_class=Response,
    responses={
        404: FrameworkNotFound.openapi_response(),
        409: FrameworkNotEditable.openapi_response(),
    },
)
async def delete_framework(
    framework_id: uuid.UUID, session: DbSession, scope: CityScope
) -> Response:
    await framework_service.delete(session, scope, framework_id)
    return Response(status_code=204)


@router.post(
    "/frameworks/{framework_id}/copy",
    summary="Copy a framework (built-in or not) into an editable draft",
    status_code=201,
    response_model=FrameworkRead,
    responses={
        404: FrameworkNotFound.openapi_response(),
        409: FrameworkExists.openapi_response(),
    },
)
async def copy_framework(
    framework_id: uuid.UUID, body: FrameworkCopy, session: DbSession, scope: CityScope
) -> FrameworkRead:
    return FrameworkRead.model_validate(
        await framework_service.copy(session, scope, framework_id, body)
    )


@router.post(
    "/frameworks/{framework_id}/activate",
    summary="Activate a draft (it becomes immutable)",
    response_model=FrameworkRead,
    responses={
        404: FrameworkNotFound.openapi_response(),
        409: FrameworkStateConflict.openapi_response(),
    },
)
async def activate_framework(
    framework_id: uuid.UUID, session: DbSession, scope: CityScope
) -> FrameworkRead:
    return FrameworkRead.model_validate(
        await framework_service.activate(session, scope, framework_id)
    )


@router.post(
    "/frameworks/{framework_id}/retire",
    summary="Retire an active version (no longer chosen for new evaluations)",
    response_model=FrameworkRead,
    responses={
        404: FrameworkNotFound.openapi_response(),
        409: FrameworkStateConflict.openapi_response(),
    },
)
async def retire_framework(
    framework_id: uuid.UUID, session: DbSession, scope: CityScope
) -> FrameworkRead:
    return FrameworkRead.model_validate(
        await framework_service.retire(session, scope, framework_id)
    )


@router.get(
    "/campaign-templates",
    summary="专项督导 templates",
    response_model=list[CampaignTemplateRead],
)
async def list_campaign_templates(scope: ReaderScope) -> list[CampaignTemplateRead]:
    return [
        CampaignTemplateRead(
            code=t.code,
            name=t.name,
            framework_code=t.framework.code,
            framework_version=t.framework.version,
            target_kind=t.target_kind,
            default_days=t.default_days,
            focus=t.focus,
            basis=t.framework.basis,
        )
        for t in CAMPAIGN_TEMPLATES
    ]
