import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from directory.accounts.policies import AccountAdmin
from directory.accounts.schemas import (
    GrantIn,
    GrantRead,
    UserCreate,
    UserFilters,
    UserRead,
    UserUpdate,
)
from directory.accounts.service import (
    GrantExists,
    GrantNotFound,
    UsernameTaken,
    UserNotFound,
    account_service,
)
from directory.runtime import RuntimeDep
from shared.db import DbSession
from shared.pagination import CursorPagination, Page

router = APIRouter(prefix="/users", tags=["users"])


@router.post(
    "",
    summary="Create a staff or inspector account",
    status_code=201,
    response_model=UserRead,
    responses={409: UsernameTaken.openapi_response()},
)
async def create_user(
    data: UserCreate, session: DbSession, runtime: RuntimeDep, principal: AccountAdmin
) -> UserRead:
    """District admins create accounts with grants inside their own district."""
    user = await account_service.create_user(session, runtime, data, principal)
    return UserRead.model_validate(user)


@router.get("", summary="List accounts in my scope", response_model=Page[UserRead])
async def list_users(
    session: DbSession,
    principal: AccountAdmin,
    pagination: CursorPagination,
    filters: Annotated[UserFilters, Depends()],
) -> Page[UserRead]:
    items, next_cursor = await account_service.list_users(session, principal, filters, pagination)
    return Page(items=[UserRead.model_validate(item) for item in items], next_cursor=next_cursor)


@router.get(
    "/{user_id}",
    summary="Get an account",
    response_model=UserRead,
    responses={404: UserNotFound.openapi_response()},
)
async def get_user(user_id: uuid.UUID, session: DbSession, principal: AccountAdmin) -> UserRead:
    return UserRead.model_validate(await account_service.get(session, principal, user_id))


@router.patch(
    "/{user_id}",
    summary="Change an account (name, active, password)",
    response_model=UserRead,
    responses={404: UserNotFound.openapi_response()},
)
async def update_user(
    user_id: uuid.UUID,
    data: UserUpdate,
    session: DbSession,
    runtime: RuntimeDep,
    principal: AccountAdmin,
) -> UserRead:
    """Deactivating an account or setting its password signs it out everywhere."""
    user = await account_service.update(session, runtime, principal, user_id, data)
    return UserRead.model_validate(user)


@router.post(
    "/{user_id}/unlock",
    summary="Lift a sign-in lockout",
    response_model=UserRead,
    responses={404: UserNotFound.openapi_response()},
)
async def unlock_user(user_id: uuid.UUID, session: DbSession, principal: AccountAdmin) -> UserRead:
    return UserRead.model_validate(await account_service.unlock(session, principal, user_id))


@router.post(
    "/{user_id}/grants",
    summary="Grant a role with an org scope",
    status_code=201,
    response_model=GrantRead,
    responses={404: UserNotFound.openapi_response(), 409: GrantExists.openapi_response()},
)
async def add_grant(
    user_id: uuid.UUID, data: GrantIn, session: DbSession, principal: AccountAdmin
) -> GrantRead:
    return GrantRead.model_validate(
        await account_service.add_grant(session, principal, user_id, data)
    )


@router.delete(
    "/{user_id}/grants/{grant_id}",
    summary="Revoke a grant (effective at the next token refresh)",
    status_code=204,
    response_class=Response,
    responses={404: GrantNotFound.openapi_response()},
)
async def remove_grant(
    user_id: uuid.UUID, grant_id: uuid.UUID, session: DbSession, principal: AccountAdmin
) -> Response:
    await account_service.remove_grant(session, principal, user_id, grant_id)
    return Response(status_code=204)
