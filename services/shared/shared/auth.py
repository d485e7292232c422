"""Tokens → principals → policies.

The directory is the only issuer: it signs short-lived access tokens (EdDSA) and publishes its
public keys at `/.well-known/jwks.json`. Every service verifies offline against that key set,
cached and refreshed when a token names a key id it has not seen. A signed-out session is
revoked in Redis; services check that list and fail open if Redis is unreachable, because the
token expires within minutes anyway and an outage must not stop submissions.

Grants travel in the token as compact strings, `role@level:code`:
`city_admin@city:450100`, `district_admin@district:450103`, `school_staff@school:4501030001`,
`unit_reporter@org:<uuid>`, `inspector@district:450103`, `parent`.

Claims: `iss` (`xuezai-directory`), `aud` (`xuezai`), `sub` (`user:<uuid>`, `parent:<uuid>`,
`client:<client id>`, `service:<name>`), `kind` (staff | parent | client | service), `typ`
(`access`), `roles` (grant strings), `scope` (space-separated), `sid` (the session, or the
client's token generation, that revocation names), `jti`, `iat`, `exp`, optional `name`. Client
tokens also carry `client_id` and `rate_limit` (requests per minute across the platform), which
`authenticate` enforces in Redis (see `shared.ratelimit`).
"""

import asyncio
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Annotated, Any, Literal, Protocol

import httpx
import jwt
import structlog
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from redis.asyncio import Redis
from sqlalchemy import ColumnElement, false, or_, true

from shared.errors import Forbidden, TooManyRequests, Unauthenticated
from shared.http import ClientCredentialsToken
from shared.i18n import Text
from shared.ratelimit import RateLimiter
from shared.settings import BaseServiceSettings

log = structlog.get_logger("shared.auth")

ALGORITHMS = ["EdDSA", "RS256"]
AUDIENCE = "xuezai"
REVOKED_SESSION_KEY = "xuezai:revoked-session:{session_id}"


class Role(StrEnum):
    city_admin = "city_admin"
    district_admin = "district_admin"
    school_staff = "school_staff"
    inspector = "inspector"
    unit_reporter = "unit_reporter"
    parent = "parent"
    agency_client = "agency_client"
    service = "service"


class ScopeLevel(StrEnum):
    city = "city"
    district = "district"
    school = "school"
    org = "org"


PrincipalKind = Literal["staff", "parent", "client", "service"]


@dataclass(frozen=True, slots=True)
class Grant:
    role: Role
    level: ScopeLevel | None = None
    code: str | None = None

    @classmethod
    def parse(cls, value: str) -> "Grant":
        role, _, scope = value.partition("@")
        if not scope:
            return cls(Role(role))
        level, _, code = scope.partition(":")
        if not code:
            raise ValueError(f"grant {value!r} has a scope without a code")
        return cls(Role(role), ScopeLevel(level), code)

    def __str__(self) -> str:
        if self.level is None:
            return self.role.value
        return f"{self.role.value}@{self.level.value}:{self.code}"


@dataclass(frozen=True, slots=True)
class OrgFilter:
    """What part of the organisation tree a principal may see for some roles.

    Repositories turn this into WHERE clauses, so scope is enforced in the query, not after
    loading rows.
    """

    city_wide: bool = False
    districts: frozenset[str] = frozenset()
    schools: frozenset[str] = frozenset()
    orgs: frozenset[str] = frozenset()

    @property
    def is_empty(self) -> bool:
        return not (self.city_wide or self.districts or self.schools or self.orgs)

    def allows_district(self, district_code: str | None) -> bool:
        return self.city_wide or (district_code is not None and district_code in self.districts)

    def allows_school(self, school_code: str | None, district_code: str | None) -> bool:
        return self.allows_district(district_code) or (
            school_code is not None and school_code in self.schools
        )

    def where(
        self,
        *,
        district: Any = None,
        school: Any = None,
        org: Any = None,
    ) -> ColumnElement[bool]:
        """This scope as a WHERE clause over the given columns (any may be omitted).

        `select(Application).where(principal.org_filter(Role.district_admin).where(
        district=Application.district_code, school=Application.school_code))` — an empty scope
        matches nothing, a city-wide one everything.
        """
        if self.city_wide:
            return true()
        clauses: list[ColumnElement[bool]] = []
        if district is not None and self.districts:
            clauses.append(district.in_(sorted(self.districts)))
        if school is not None and self.schools:
            clauses.append(school.in_(sorted(self.schools)))
        if org is not None and self.orgs:
            clauses.append(org.in_(sorted(self.orgs)))
        return or_(*clauses) if clauses else false()


@dataclass(frozen=True, slots=True)
class Principal:
    subject: str
    kind: PrincipalKind
    grants: tuple[Grant, ...] = ()
    scopes: frozenset[str] = frozenset()
    name: str | None = None
    session_id: str | None = None
    token_id: str | None = None
    expires_at: datetime | None = None
    # Read-only: verified principals are cached per process and shared by every request that
    # presents the same token.
    claims: Mapping[str, Any] = field(
        default_factory=lambda: MappingProxyType({}), compare=False, repr=False
    )

    @property
    def subject_id(self) -> str:
        """The id after the `kind:` prefix of the subject (`parent:<uuid>` → `<uuid>`)."""
        return self.subject.partition(":")[2] or self.subject

    def has_role(self, *roles: Role) -> bool:
        return any(grant.role in roles for grant in self.grants)

    def has_scopes(self, scopes: Iterable[str]) -> bool:
        return set(scopes) <= self.scopes

    def org_filter(self, *roles: Role) -> OrgFilter:
        city_wide = False
        districts: set[str] = set()
        schools: set[str] = set()
        orgs: set[str] = set()
        for grant in self.grants:
            if grant.role not in roles or grant.code is None:
                continue
            match grant.level:
                case ScopeLevel.city:
                    city_wide = True
                case ScopeLevel.district:
                    districts.add(grant.code)
                case ScopeLevel.school:
                    schools.add(grant.code)
                case ScopeLevel.org:
                    orgs.add(grant.code)
        return OrgFilter(city_wide, frozenset(districts), frozenset(schools), frozenset(orgs))


class KeySet(Protocol):
    async def get_key(self, key_id: str | None) -> jwt.PyJWK: ...


class StaticKeySet:
    """A fixed JWKS — for the directory itself and for tests."""

    def __init__(self, jwks: dict[str, Any]) -> None:
        self._keys = {key.key_id: key for key in jwt.PyJWKSet.from_dict(jwks).keys}

    async def get_key(self, key_id: str | None) -> jwt.PyJWK:
        key = self._keys.get(key_id or "")
        if key is None:
            raise Unauthenticated(Text("令牌的签名密钥未知", "The token's signing key is unknown"))
        return key


class RemoteKeySet:
    """The directory's JWKS over HTTP, cached; refetched on an unknown key id (rate-limited)."""

    def __init__(
        self,
        url: str,
        *,
        client: httpx.AsyncClient,
        cache_seconds: float = 3600.0,
        refresh_min_seconds: float = 10.0,
    ) -> None:
        self.url = url
        self.client = client
        self.cache_seconds = cache_seconds
        self.refresh_min_seconds = refresh_min_seconds
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()

    async def _refresh(self) -> None:
        async with self._lock:
            if time.monotonic() - self._fetched_at < self.refresh_min_seconds:
                return
            try:
                response = await self.client.get(self.url, timeout=3.0)
                response.raise_for_status()
                key_set = jwt.PyJWKSet.from_dict(response.json())
            except (httpx.HTTPError, jwt.PyJWKSetError, ValueError) as error:
                log.warning("jwks_fetch_failed", url=self.url, error=str(error))
                self._fetched_at = time.monotonic()
                return
            self._keys = {key.key_id: key for key in key_set.keys if key.key_id}
            self._fetched_at = time.monotonic()

    async def get_key(self, key_id: str | None) -> jwt.PyJWK:
        stale = time.monotonic() - self._fetched_at > self.cache_seconds
        if stale or (key_id or "") not in self._keys:
            await self._refresh()
        key = self._keys.get(key_id or "")
        if key is None:
            raise Unauthenticated(Text("令牌的签名密钥未知", "The token's signing key is unknown"))
        return key


class CombinedKeySet:
    """Several key sets tried in order: the first that knows the key id wins."""

    def __init__(self, *key_sets: KeySet) -> None:
        self.key_sets = key_sets

    async def get_key(self, key_id: str | None) -> jwt.PyJWK:
        for index, key_set in enumerate(self.key_sets):
            try:
                return await key_set.get_key(key_id)
            except Unauthenticated:
                if index == len(self.key_sets) - 1:
                    raise
        raise Unauthenticated(Text("令牌的签名密钥未知", "The token's signing key is unknown"))


class RevocationList:
    def __init__(self, redis: Redis | None) -> None:
        self.redis = redis

    async def is_revoked(self, session_id: str | None) -> bool:
        if session_id is None or self.redis is None:
            return False
        try:
            return bool(await self.redis.exists(REVOKED_SESSION_KEY.format(session_id=session_id)))
        except Exception as error:  # fail open: see the module docstring
            log.warning("revocation_check_failed", error=str(error))
            return False


class TokenVerifier:
    def __init__(
        self,
        keys: KeySet,
        *,
        issuer: str,
        audience: str = AUDIENCE,
        revocations: RevocationList | None = None,
        leeway_seconds: float = 10.0,
        cache_size: int = 100_000,
    ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.revocations = revocations
        self.leeway_seconds = leeway_seconds
        # Verified tokens, so a phone polling its status every few seconds pays for the EdDSA
        # check once per token. Bounded; the revocation check still runs on every request.
        self._verified: dict[str, Principal] = {}
        self.cache_size = cache_size

    async def verify(self, token: str) -> Principal:
        principal = self._verified.get(token)
        if principal is None:
            principal = await self._verify_signature(token)
            if len(self._verified) >= self.cache_size:
                # Drop the older half (dicts keep insertion order): cheap, and rarely needed.
                for stale in list(self._verified)[: self.cache_size // 2]:
                    del self._verified[stale]
            self._verified[token] = principal
        expires_at = principal.expires_at
        if expires_at is not None and expires_at.timestamp() + self.leeway_seconds < time.time():
            del self._verified[token]
            raise Unauthenticated(Text("令牌已过期", "The token has expired"))
        if self.revocations and await self.revocations.is_revoked(principal.session_id):
            raise Unauthenticated(Text("登录已注销", "This session has been signed out"))
        return principal

    async def _verify_signature(self, token: str) -> Principal:
        invalid = Unauthenticated(Text("令牌无效", "The token is invalid"))
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise invalid from None
        key = await self.keys.get_key(header.get("kid"))
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key.key,
                algorithms=ALGORITHMS,
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_seconds,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated(Text("令牌已过期", "The token has expired")) from None
        except jwt.PyJWTError:
            raise invalid from None
        if claims.get("typ", "access") != "access":
            raise invalid
        return principal_from_claims(claims)


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    try:
        grants = tuple(Grant.parse(value) for value in claims.get("roles", []))
        kind = claims.get("kind", "staff")
        if kind not in ("staff", "parent", "client", "service"):
            raise ValueError(kind)
    except ValueError:
        raise Unauthenticated(Text("令牌内容无效", "The token's claims are invalid")) from None
    scope = claims.get("scope") or ""
    return Principal(
        subject=str(claims["sub"]),
        kind=kind,
        grants=grants,
        scopes=frozenset(scope.split()),
        name=claims.get("name"),
        session_id=claims.get("sid"),
        token_id=claims.get("jti"),
        expires_at=datetime.fromtimestamp(claims["exp"], UTC),
        claims=MappingProxyType(dict(claims)),
    )


_bearer = HTTPBearer(auto_error=False, description="An access token from the directory service.")


async def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated()
    verifier: TokenVerifier = request.app.state.token_verifier
    principal = await verifier.verify(credentials.credentials)
    structlog.contextvars.bind_contextvars(principal=principal.subject)
    request.state.principal = principal
    if principal.kind == "client":
        await enforce_client_rate_limit(request, principal)
    return principal


CLIENT_RATE_WINDOW_SECONDS = 60.0


def client_rate_limit_name(client_id: str) -> str:
    return f"client:{client_id}"


async def enforce_client_rate_limit(request: Request, principal: Principal) -> None:
    """One budget per agency client across every service (the limit travels in its token)."""
    limit = principal.claims.get("rate_limit")
    client_id = principal.claims.get("client_id") or principal.subject_id
    if not isinstance(limit, int) or isinstance(limit, bool) or limit <= 0:
        return
    limiter = RateLimiter(getattr(request.app.state, "redis", None))
    decision = await limiter.hit(
        client_rate_limit_name(str(client_id)),
        limit=limit,
        window_seconds=CLIENT_RATE_WINDOW_SECONDS,
    )
    if not decision.allowed:
        raise TooManyRequests(
            Text(
                f"该客户端每分钟最多 {limit} 次请求",
                f"This client may make at most {limit} requests a minute",
            ),
            retry_after=decision.retry_after,
        )


class Authorize:
    """A policy: any of `roles`, or (for client and service tokens) all of `scopes`."""

    def __init__(
        self,
        *roles: Role,
        scopes: Iterable[str] = (),
        allow_service: bool = False,
    ) -> None:
        self.roles = frozenset(roles)
        self.scopes = frozenset(scopes)
        self.allow_service = allow_service

    async def __call__(self, principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if self.roles and principal.has_role(*self.roles):
            return principal
        if principal.kind in ("client", "service"):
            if self.allow_service and principal.kind == "service":
                return principal
            if self.scopes and principal.has_scopes(self.scopes):
                return principal
        raise Forbidden()


AnyPrincipal = Annotated[Principal, Depends(authenticate)]
CityAdmin = Annotated[Principal, Depends(Authorize(Role.city_admin))]
DistrictScoped = Annotated[Principal, Depends(Authorize(Role.city_admin, Role.district_admin))]
Staff = Annotated[
    Principal,
    Depends(
        Authorize(
            Role.city_admin,
            Role.district_admin,
            Role.school_staff,
            Role.inspector,
            Role.unit_reporter,
        )
    ),
]
ParentOwner = Annotated[Principal, Depends(Authorize(Role.parent))]
ServiceCaller = Annotated[Principal, Depends(Authorize(allow_service=True))]


def service_token_source(
    settings: BaseServiceSettings, http: httpx.AsyncClient, *, scope: str | None = None
) -> ClientCredentialsToken:
    """This service's own token from the directory: client id = the service's name, secret =
    `service_client_secret` (the directory registers one client per service with it)."""
    return ClientCredentialsToken(
        token_url=f"{settings.directory_url.rstrip('/')}/v1/auth/token",
        client_id=settings.service_client_id or settings.service_name,
        client_secret=settings.service_client_secret,
        scope=scope,
        http=http,
    )
