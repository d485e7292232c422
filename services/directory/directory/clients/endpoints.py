import uuid

from fastapi import APIRouter

from directory.clients.repository import ApiClientRepository
from directory.clients.schemas import ClientCreate, ClientRead, ClientUpdate, ClientWithSecret
from directory.clients.service import ClientIdTaken, ClientNotFound, client_service
from directory.runtime import RuntimeDep
from shared.auth import CityAdmin
from shared.db import DbSession
from shared.pagination import CursorPagination, Page

router = APIRouter(prefix="/clients", tags=["clients"])


def _with_secret(client: object, secret: str) -> ClientWithSecret:
    return ClientWithSecret.model_validate(
        {**ClientRead.model_validate(client).model_dump(), "client_secret": secret}
    )


@router.post(
    "",
    summary="Register an agency client (client credentials)",
    status_code=201,
    response_model=ClientWithSecret,
    responses={409: ClientIdTaken.openapi_response()},
)
async def create_client(
    data: ClientCreate, session: DbSession, runtime: RuntimeDep, principal: CityAdmin
) -> ClientWithSecret:
    """The secret is in this response only; store it in the agency system's vault."""
    client, secret = await client_service.create(session, runtime, data, principal)
    return _with_secret(client, secret)


@router.get("", summary="List clients", response_model=Page[ClientRead])
async def list_clients(
    session: DbSession, principal: CityAdmin, pagination: CursorPagination
) -> Page[ClientRead]:
    items, next_cursor = await ApiClientRepository(session).list_page(pagination)
    return Page(items=[ClientRead.model_validate(item) for item in items], next_cursor=next_cursor)


@router.get(
    "/{client_uuid}",
    summary="Get a client",
    response_model=ClientRead,
    responses={404: ClientNotFound.openapi_response()},
)
async def get_client(
    client_uuid: uuid.UUID, session: DbSession, principal: CityAdmin
) -> ClientRead:
    return ClientRead.model_validate(await client_service.get(session, client_uuid))


@router.patch(
    "/{client_uuid}",
    summary="Change a client's scopes, limit or status",
    response_model=ClientRead,
    responses={404: ClientNotFound.openapi_response()},
)
async def update_client(
    client_uuid: uuid.UUID,
    data: ClientUpdate,
    session: DbSession,
    runtime: RuntimeDep,
    principal: CityAdmin,
) -> ClientRead:
    """Narrowing scopes, changing the limit or disabling the client revokes its live tokens."""
    client = await client_service.update(session, runtime, client_uuid, data, principal)
    return ClientRead.model_validate(client)


@router.post(
    "/{client_uuid}/secret",
    summary="Issue a new client secret (revokes the old one and its tokens)",
    response_model=ClientWithSecret,
    responses={404: ClientNotFound.openapi_response()},
)
async def rotate_client_secret(
    client_uuid: uuid.UUID, session: DbSession, runtime: RuntimeDep, principal: CityAdmin
) -> ClientWithSecret:
    client, secret = await client_service.rotate_secret(session, runtime, client_uuid, principal)
    return _with_secret(client, secret)
