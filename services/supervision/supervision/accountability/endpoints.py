import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from shared.db import DbSession
from shared.pagination import CursorPagination, Page
from supervision.accountability.forms import (
    INDIVIDUAL_FORMS,
    PRIVATE_INDIVIDUAL_FORMS,
    SITUATIONS,
    UNIT_FORMS,
)
from supervision.accountability.schemas import (
    ActionCreate,
    ActionDecision,
    ActionRead,
    ActionRevoke,
    FormCatalogue,
    NamedCode,
)
from supervision.accountability.service import ActionNotFound, ActionState, accountability_service
from supervision.models import AccountabilityStatus
from supervision.policies import ManagerScope, OutOfScope, ReaderScope

router = APIRouter(prefix="/accountability", tags=["accountability"])

ERRORS: dict[int | str, dict[str, Any]] = {
    404: ActionNotFound.openapi_response(),
    409: ActionState.openapi_response(),
}


@router.get(
    "/forms",
    summary="The forms and situations of 《教育督导问责办法》",
    response_model=FormCatalogue,
)
async def accountability_forms(scope: ReaderScope) -> FormCatalogue:
    def named(values: dict[str, str]) -> list[NamedCode]:
        return [NamedCode(code=k, name=v) for k, v in values.items()]

    return FormCatalogue(
        unit_forms=named(UNIT_FORMS),
        individual_forms=named(INDIVIDUAL_FORMS),
        private_individual_forms=named(PRIVATE_INDIVIDUAL_FORMS),
        situations=named(SITUATIONS),
        basis="《教育督导问责办法》（国务院教育督导委员会，2021年9月1日起施行）",
    )


@router.post(
    "/actions",
    summary="Propose an accountability action (问责)",
    status_code=201,
    response_model=ActionRead,
    responses={403: OutOfScope.openapi_response()},
)
async def propose_action(body: ActionCreate, session: DbSession, scope: ManagerScope) -> ActionRead:
    return ActionRead.model_validate(await accountability_service.create(session, scope, body))


@router.get("/actions", summary="The accountability register", response_model=Page[ActionRead])
async def list_actions(
    session: DbSession,
    scope: ManagerScope,
    pagination: CursorPagination,
    status: AccountabilityStatus | None = None,
    district_code: Annotated[str | None, Query(max_length=20)] = None,
    finding_id: uuid.UUID | None = None,
) -> Page[ActionRead]:
    items, cursor = await accountability_service.page(
        session,
        scope,
        pagination,
        status=status,
        district_code=district_code,
        finding_id=finding_id,
    )
    return Page(items=[ActionRead.model_validate(i) for i in items], next_cursor=cursor)


@router.get(
    "/actions/{action_id}",
    summary="Get an accountability entry",
    response_model=ActionRead,
    responses={404: ActionNotFound.openapi_response()},
)
async def get_action(action_id: uuid.UUID, session: DbSession, scope: ManagerScope) -> ActionRead:
    return ActionRead.model_validate(await accountability_service.get(session, scope, action_id))


@router.post(
    "/actions/{action_id}/decide",
    summary="Record the decision",
    response_model=ActionRead,
    responses=ERRORS,
)
async def decide_action(
    action_id: uuid.UUID, body: ActionDecision, session: DbSession, scope: ManagerScope
) -> ActionRead:
    return ActionRead.model_validate(
        await accountability_service.decide(session, scope, action_id, body)
    )


@router.post(
    "/actions/{action_id}/execute",
    summary="Record that the action was carried out",
    response_model=ActionRead,
    responses=ERRORS,
)
async def execute_action(
    action_id: uuid.UUID, body: ActionDecision, session: DbSession, scope: ManagerScope
) -> ActionRead:
    return ActionRead.model_validate(
        await accountability_service.execute(session, scope, action_id, body)
    )


@router.post(
    "/actions/{action_id}/revoke",
    summary="Revoke a proposed or decided action",
    response_model=ActionRead,
    responses=ERRORS,
)
async def revoke_action(
    action_id: uuid.UUID, body: ActionRevoke, session: DbSession, scope: ManagerScope
) -> ActionRead:
    return ActionRead.model_validate(
        await accountability_service.revoke(session, scope, action_id, body.reason)
    )
