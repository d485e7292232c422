import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Response
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pydantic import BaseModel

from directory.accounts.repository import ParentRepository, UserRepository
from directory.accounts.schemas import PasswordChange
from directory.accounts.service import WrongPassword, account_service
from directory.auth.errors import InvalidClient, InvalidGrant, UnsupportedGrantType
from directory.auth.schemas import MeRead, SmsCodeRequest, SmsCodeSent, TokenResponse
from directory.auth.service import SMS_CODE_GRANT, Rejected, auth_service
from directory.runtime import ClientIp, RuntimeDep
from directory.text import NO_NUL, storable
from shared.auth import AnyPrincipal, Staff
from shared.db import DbSession
from shared.errors import InvalidInput, TooManyRequests, UpstreamUnavailable, problem_response
from shared.i18n import Text

router = APIRouter(prefix="/auth", tags=["auth"])
me_router = APIRouter(prefix="/me", tags=["auth"])

_basic = HTTPBasic(
    auto_error=False,
    description="Client credentials (client id and secret) for the client_credentials grant.",
)
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class Acknowledged(BaseModel):
    ok: bool = True


def _require(value: str | None, field: str) -> str:
    if value is None or value == "":
        raise InvalidInput.for_field(
            f"body.{field}", Text("该授权类型需要此字段", "Required for this grant type"), "missing"
        )
    return value


@router.post(
    "/token",
    summary="Get tokens (OAuth2 token endpoint)",
    response_model=TokenResponse,
    responses={
        400: InvalidGrant.openapi_response(),
        401: InvalidClient.openapi_response(),
        429: TooManyRequests.openapi_response(),
    },
)
async def token(
    session: DbSession,
    runtime: RuntimeDep,
    client_ip: ClientIp,
    response: Response,
    grant_type: Annotated[str, Form(max_length=100, pattern=NO_NUL)],
    username: Annotated[str | None, Form(max_length=64, pattern=NO_NUL)] = None,
    password: Annotated[str | None, Form(max_length=128, pattern=NO_NUL)] = None,
    refresh_token: Annotated[str | None, Form(max_length=200, pattern=NO_NUL)] = None,
    scope: Annotated[str | None, Form(max_length=1000, pattern=NO_NUL)] = None,
    client_id: Annotated[str | None, Form(max_length=64, pattern=NO_NUL)] = None,
    client_secret: Annotated[str | None, Form(max_length=200, pattern=NO_NUL)] = None,
    phone: Annotated[str | None, Form(max_length=20, pattern=NO_NUL)] = None,
    code: Annotated[str | None, Form(max_length=10, pattern=NO_NUL)] = None,
    basic: Annotated[HTTPBasicCredentials | None, Depends(_basic)] = None,
) -> Any:
    """`application/x-www-form-urlencoded`, by `grant_type`:

    - `password` — staff: `username`, `password`. Five wrong passwords in a row lock the
      account for 15 minutes.
    - `refresh_token` — `refresh_token`; answers with a new one (each is usable once; using an
      old one again revokes the whole session).
    - `client_credentials` — agency clients and services: HTTP Basic auth with the client id
      and secret (or `client_id` / `client_secret` fields); optional `scope` to narrow.
    - `urn:xuezai:params:oauth:grant-type:sms-code` — parents: `phone` and the 6-digit `code`
      from `POST /v1/auth/sms-codes`.

    Access tokens live 15 minutes. Errors are problem documents whose `code` is
    `auth.invalid_grant`, `auth.invalid_client`, `auth.invalid_scope`,
    `auth.unsupported_grant_type` or `auth.account_locked`.
    """
    response.headers.update(NO_STORE)
    outcome: TokenResponse | Rejected
    if grant_type == "password":
        outcome = await auth_service.password_grant(
            session,
            runtime,
            username=_require(username, "username"),
            password=_require(password, "password"),
            client_ip=client_ip,
        )
    elif grant_type == "refresh_token":
        outcome = await auth_service.refresh_grant(
            session,
            runtime,
            refresh_token=_require(refresh_token, "refresh_token"),
            client_ip=client_ip,
        )
    elif grant_type == "client_credentials":
        if basic is not None:
            identifier, secret = basic.username, basic.password
            if not (storable(identifier) and len(identifier) <= 64):
                raise InvalidClient()
        else:
            identifier = _require(client_id, "client_id")
            secret = _require(client_secret, "client_secret")
        outcome = await auth_service.client_credentials_grant(
            session,
            runtime,
            client_id=identifier,
            client_secret=secret,
            scope=scope,
            client_ip=client_ip,
        )
    elif grant_type == SMS_CODE_GRANT:
        outcome = await auth_service.sms_code_grant(
            session,
            runtime,
            phone=_require(phone, "phone"),
            code=_require(code, "code"),
            client_ip=client_ip,
        )
    else:
        raise UnsupportedGrantType(
            Text(f"不支持的授权类型：{grant_type}", f"Unsupported grant type: {grant_type}")
        )
    if isinstance(outcome, Rejected):
        # Returned, not raised: the failed try, the revoked family and the audit rows commit.
        return problem_response(
            outcome.error.to_problem(), {**NO_STORE, **(outcome.error.headers or {})}
        )
    return outcome


@router.post(
    "/sms-codes",
    summary="Send a sign-in code to a parent's phone",
    status_code=201,
    response_model=SmsCodeSent,
    responses={
        429: TooManyRequests.openapi_response(),
        503: UpstreamUnavailable.openapi_response(),
    },
)
async def send_sms_code(
    data: SmsCodeRequest, session: DbSession, runtime: RuntimeDep, client_ip: ClientIp
) -> SmsCodeSent:
    """A 6-digit code valid for 5 minutes, at most 5 tries. One code per phone per 60 seconds,
    10 per phone per day, 30 per network address per hour; beyond that a 429 with
    `Retry-After`. Then exchange it at `POST /v1/auth/token` with grant type
    `urn:xuezai:params:oauth:grant-type:sms-code`."""
    return await auth_service.send_sms_code(session, runtime, phone=data.phone, client_ip=client_ip)


@router.post(
    "/logout",
    summary="Sign out: revoke this session everywhere",
    status_code=204,
    response_class=Response,
)
async def logout(
    principal: AnyPrincipal, session: DbSession, runtime: RuntimeDep, client_ip: ClientIp
) -> Response:
    """The session's refresh tokens stop working at once, and every service rejects its access
    tokens as soon as the revocation reaches Redis."""
    await auth_service.logout(session, runtime, principal, client_ip)
    return Response(status_code=204)


@router.post(
    "/revoke",
    summary="Revoke a refresh token and its session (RFC 7009)",
    response_model=Acknowledged,
)
async def revoke(
    token: Annotated[str, Form(max_length=200, pattern=NO_NUL)],
    session: DbSession,
    runtime: RuntimeDep,
    client_ip: ClientIp,
) -> Acknowledged:
    await auth_service.revoke_refresh_token(session, runtime, token, client_ip)
    return Acknowledged()


@me_router.get("", summary="Who am I", response_model=MeRead)
async def me(principal: AnyPrincipal, session: DbSession) -> MeRead:
    read = MeRead(
        subject=principal.subject,
        kind=principal.kind,
        name=principal.name,
        roles=[str(grant) for grant in principal.grants],
        scopes=sorted(principal.scopes),
        session_id=principal.session_id,
    )
    try:
        subject_id = uuid.UUID(principal.subject_id)
    except ValueError:
        return read
    if principal.kind == "staff":
        user = await UserRepository(session).get(subject_id)
        read.username = user.username if user else None
    elif principal.kind == "parent":
        parent = await ParentRepository(session).get(subject_id)
        read.phone = parent.phone_masked if parent else None
    return read


@me_router.post(
    "/password",
    summary="Change my password (signs out my other sessions)",
    status_code=204,
    response_class=Response,
    responses={422: WrongPassword.openapi_response()},
)
async def change_password(
    data: PasswordChange, principal: Staff, session: DbSession, runtime: RuntimeDep
) -> Response:
    await account_service.change_own_password(session, runtime, principal, data)
    return Response(status_code=204)
