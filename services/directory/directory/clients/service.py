"""OAuth2 clients: other agencies' systems (scopes, rate limit) and our own four services."""

import uuid
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from directory.auth.service import auth_service
from directory.auth.sessions import publish_revocations, revocation_ttl
from directory.clients.repository import ApiClientRepository
from directory.clients.schemas import ClientCreate, ClientUpdate
from directory.crypto import new_token
from directory.models import ApiClient, AuditLog, ClientKind
from directory.organizations.repository import OrganizationRepository
from directory.runtime import Runtime
from shared import audit
from shared.auth import Principal
from shared.db import SERVICE_SCHEMAS
from shared.errors import Conflict, Forbidden, InvalidInput, NotFound
from shared.i18n import Text
from shared.ids import uuid7
from shared.scopes import KNOWN_SCOPES, SERVICE_SCOPES

# One client per service, named like the service (`shared.auth.service_token_source`).
SERVICE_CLIENT_IDS: tuple[str, ...] = SERVICE_SCHEMAS


class ClientNotFound(NotFound):
    code = "directory.client.not_found"
    title = Text("客户端不存在", "Client not found")


class ClientIdTaken(Conflict):
    code = "directory.client.id_taken"
    title = Text("客户端 ID 已被使用", "The client id is taken")


def _check_scopes(scopes: list[str]) -> list[str]:
    unknown = sorted(set(scopes) - set(KNOWN_SCOPES))
    if unknown:
        raise InvalidInput.for_field(
            "body.scopes",
            Text(f"未知的权限范围：{' '.join(unknown)}", f"Unknown scopes: {' '.join(unknown)}"),
        )
    return sorted(set(scopes))


def new_secret() -> str:
    return new_token(32)


class ClientService:
    async def create(
        self, session: AsyncSession, runtime: Runtime, data: ClientCreate, principal: Principal
    ) -> tuple[ApiClient, str]:
        scopes = _check_scopes(data.scopes)
        repository = ApiClientRepository(session)
        client_id = data.client_id or f"agency-{new_token(6).lower().replace('_', '-')}"
        if client_id in SERVICE_CLIENT_IDS or await repository.get_by_client_id(client_id):
            raise ClientIdTaken()
        if data.organization_id is not None and (
            await OrganizationRepository(session).get(data.organization_id) is None
        ):
            raise InvalidInput.for_field(
                "body.organization_id", Text("机构不存在", "The organisation does not exist")
            )
        secret = new_secret()
        client = ApiClient(
            id=uuid7(),
            client_id=client_id,
            name=data.name,
            kind=ClientKind.agency,
            secret_hash=await runtime.crypto.secrets.hash(secret),
            scopes=scopes,
            rate_limit_per_minute=data.rate_limit_per_minute
            or runtime.settings.default_client_rate_limit_per_minute,
            organization_id=data.organization_id,
            is_active=True,
            token_generation=1,
            created_by=principal.subject,
        )
        session.add(client)
        try:
            await session.flush()
        except IntegrityError as error:
            raise ClientIdTaken() from error
        audit.record(
            session,
            AuditLog,
            action="client.created",
            resource_type="client",
            resource_id=client.id,
            principal=principal,
            details={"client_id": client.client_id, "scopes": scopes},
        )
        return client, secret

    async def get(self, session: AsyncSession, client_uuid: uuid.UUID) -> ApiClient:
        client = await ApiClientRepository(session).get(client_uuid)
        if client is None:
            raise ClientNotFound()
        return client

    async def _revoke_tokens(self, runtime: Runtime, client: ApiClient) -> None:
        """Bump the generation: tokens carry it in `sid`, and the old `sid` is revoked."""
        old = auth_service.client_session_id(client)
        client.token_generation += 1
        await publish_revocations(runtime.redis, [old], revocation_ttl(runtime))

    def _agency_only(self, client: ApiClient) -> None:
        if client.kind == ClientKind.service:
            raise Forbidden(
                Text(
                    "服务客户端由部署配置管理（service_client_secret）",
                    "Service clients follow the deployment's service_client_secret",
                )
            )

    async def update(
        self,
        session: AsyncSession,
        runtime: Runtime,
        client_uuid: uuid.UUID,
        data: ClientUpdate,
        principal: Principal,
    ) -> ApiClient:
        client = await self.get(session, client_uuid)
        self._agency_only(client)
        revoke = False
        if data.name is not None:
            client.name = data.name
        if data.scopes is not None:
            scopes = _check_scopes(data.scopes)
            revoke = revoke or not set(client.scopes) <= set(scopes)
            client.scopes = scopes
        if data.rate_limit_per_minute is not None:
            client.rate_limit_per_minute = data.rate_limit_per_minute
            revoke = True  # the limit travels in the tokens
        if data.is_active is not None and data.is_active != client.is_active:
            client.is_active = data.is_active
            revoke = revoke or not data.is_active
        if revoke:
            await self._revoke_tokens(runtime, client)
        await session.flush()
        audit.record(
            session,
            AuditLog,
            action="client.updated",
            resource_type="client",
            resource_id=client.id,
            principal=principal,
            details={
                "fields": sorted(data.model_dump(exclude_unset=True)),
                "tokens_revoked": revoke,
            },
        )
        return client

    async def rotate_secret(
        self, session: AsyncSession, runtime: Runtime, client_uuid: uuid.UUID, principal: Principal
    ) -> tuple[ApiClient, str]:
        client = await self.get(session, client_uuid)
        self._agency_only(client)
        secret = new_secret()
        client.secret_hash = await runtime.crypto.secrets.hash(secret)
        client.secret_rotated_at = datetime.now(UTC)
        await self._revoke_tokens(runtime, client)
        await session.flush()
        audit.record(
            session,
            AuditLog,
            action="client.secret_rotated",
            resource_type="client",
            resource_id=client.id,
            principal=principal,
        )
        return client, secret

    async def ensure_service_clients(self, session: AsyncSession, runtime: Runtime) -> int:
        """One client per service with the deployment's `service_client_secret` (start-up).

        Returns how many were created or changed. Safe on every replica at once (locked).
        """
        repository = ApiClientRepository(session)
        await repository.lock_service_clients()
        secret = runtime.settings.service_client_secret
        changed = 0
        for name in SERVICE_CLIENT_IDS:
            client = await repository.get_by_client_id(name)
            if client is None:
                client = ApiClient(
                    id=uuid7(),
                    client_id=name,
                    name=f"学在 {name} service",
                    kind=ClientKind.service,
                    secret_hash=await runtime.crypto.secrets.hash(secret),
                    scopes=list(SERVICE_SCOPES),
                    rate_limit_per_minute=None,
                    is_active=True,
                    token_generation=1,
                    created_by="system",
                )
                session.add(client)
                action = "client.created"
            else:
                secret_matches = await runtime.crypto.secrets.verify(client.secret_hash, secret)
                if (
                    secret_matches
                    and client.scopes == list(SERVICE_SCOPES)
                    and client.kind == ClientKind.service
                    and client.is_active
                ):
                    continue
                if not secret_matches:
                    client.secret_hash = await runtime.crypto.secrets.hash(secret)
                    client.secret_rotated_at = datetime.now(UTC)
                    await self._revoke_tokens(runtime, client)
                client.scopes = list(SERVICE_SCOPES)
                client.kind = ClientKind.service
                client.is_active = True
                action = "client.updated"
            changed += 1
            await session.flush()
            audit.record(
                session,
                AuditLog,
                action=action,
                resource_type="client",
                resource_id=client.id,
                subject="system",
                details={"client_id": name, "kind": "service"},
            )
        return changed


client_service = ClientService()
