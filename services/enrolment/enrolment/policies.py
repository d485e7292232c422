"""Who may do what. Scope (which district, which school, whose child) is applied in queries."""

from typing import Annotated

from fastapi import Depends, Request

from shared.auth import Authorize, Principal, Role
from shared.clients.enrolment import STATS_SCOPE

PII_SCOPE = "enrolment:pii:read"
"""Staff tokens with this scope may read full ID and certificate numbers (audited)."""

REVIEW_ROLES = (Role.city_admin, Role.district_admin, Role.school_staff)
MANAGER_ROLES = (Role.city_admin, Role.district_admin)

CycleManager = Annotated[Principal, Depends(Authorize(*MANAGER_ROLES))]
Reviewer = Annotated[Principal, Depends(Authorize(*REVIEW_ROLES))]
Parent = Annotated[Principal, Depends(Authorize(Role.parent))]
StatsReader = Annotated[Principal, Depends(Authorize(Role.city_admin, scopes=[STATS_SCOPE]))]


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None
