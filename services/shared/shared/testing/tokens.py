"""Issue tokens for any role and scope in tests, signed with a throw-away key."""

import time
import uuid
from collections.abc import Iterable
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.auth import AUDIENCE, Grant, PrincipalKind, Role, ScopeLevel, StaticKeySet


class TestIssuer:
    __test__ = False  # not a pytest class

    def __init__(self, issuer: str = "xuezai-directory", key_id: str | None = None) -> None:
        self.issuer = issuer
        self.key_id = key_id or f"test-{uuid.uuid4().hex[:8]}"
        self.private_key = Ed25519PrivateKey.generate()

    def jwks(self) -> dict[str, Any]:
        jwk: dict[str, Any] = jwt.algorithms.OKPAlgorithm.to_jwk(
            self.private_key.public_key(), as_dict=True
        )
        jwk.update({"kid": self.key_id, "use": "sig", "alg": "EdDSA"})
        return {"keys": [jwk]}

    def key_set(self) -> StaticKeySet:
        return StaticKeySet(self.jwks())

    def token(
        self,
        *grants: Grant | str,
        subject: str | None = None,
        kind: PrincipalKind = "staff",
        scopes: Iterable[str] = (),
        name: str | None = None,
        session_id: str | None = None,
        expires_in: int = 900,
        issued_at: float | None = None,
        extra: dict[str, Any] | None = None,
    ) -> str:
        now = issued_at if issued_at is not None else time.time()
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": AUDIENCE,
            "sub": subject or f"{'user' if kind == 'staff' else kind}:{uuid.uuid4()}",
            "kind": kind,
            "typ": "access",
            "roles": [str(grant) for grant in grants],
            "scope": " ".join(sorted(scopes)),
            "iat": int(now),
            "exp": int(now + expires_in),
            "jti": uuid.uuid4().hex,
            "sid": session_id or uuid.uuid4().hex,
        }
        if name:
            claims["name"] = name
        claims.update(extra or {})
        return jwt.encode(claims, self.private_key, algorithm="EdDSA", headers={"kid": self.key_id})

    def headers(self, *grants: Grant | str, **kwargs: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(*grants, **kwargs)}"}

    # Shorthands for the roles of DESIGN.md §3.
    def city_admin(self, **kwargs: Any) -> dict[str, str]:
        return self.headers(Grant(Role.city_admin, ScopeLevel.city, "450100"), **kwargs)

    def district_admin(self, district_code: str, **kwargs: Any) -> dict[str, str]:
        return self.headers(
            Grant(Role.district_admin, ScopeLevel.district, district_code), **kwargs
        )

    def school_staff(self, school_code: str, **kwargs: Any) -> dict[str, str]:
        return self.headers(Grant(Role.school_staff, ScopeLevel.school, school_code), **kwargs)

    def inspector(self, district_code: str, **kwargs: Any) -> dict[str, str]:
        return self.headers(Grant(Role.inspector, ScopeLevel.district, district_code), **kwargs)

    def unit_reporter(self, org_id: str, **kwargs: Any) -> dict[str, str]:
        return self.headers(Grant(Role.unit_reporter, ScopeLevel.org, org_id), **kwargs)

    def parent(self, parent_id: uuid.UUID | str, **kwargs: Any) -> dict[str, str]:
        return self.headers(
            Grant(Role.parent), subject=f"parent:{parent_id}", kind="parent", **kwargs
        )

    def agency_client(
        self,
        client_id: str,
        scopes: Iterable[str],
        *,
        rate_limit: int | None = None,
        **kwargs: Any,
    ) -> dict[str, str]:
        """Like the directory's client tokens: `client_id`, and `rate_limit` (requests per
        minute) when given, which `shared.auth.authenticate` enforces in Redis."""
        extra = {"client_id": client_id, **kwargs.pop("extra", {})}
        if rate_limit is not None:
            extra["rate_limit"] = rate_limit
        return self.headers(
            Grant(Role.agency_client),
            subject=f"client:{client_id}",
            kind="client",
            scopes=scopes,
            extra=extra,
            **kwargs,
        )

    def service(
        self, service_name: str, scopes: Iterable[str] = (), **kwargs: Any
    ) -> dict[str, str]:
        extra = {"client_id": service_name, **kwargs.pop("extra", {})}
        return self.headers(
            Grant(Role.service),
            subject=f"service:{service_name}",
            kind="service",
            scopes=scopes,
            extra=extra,
            **kwargs,
        )

    def grants(self, *grants: str, **kwargs: Any) -> dict[str, str]:
        """Staff with any mix of grant strings: `issuer.grants("district_admin@district:450103",
        "inspector@district:450105")`."""
        return self.headers(*(Grant.parse(value) for value in grants), **kwargs)
