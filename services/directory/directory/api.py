from fastapi import APIRouter

from directory.accounts.endpoints import router as users_router
from directory.audit.endpoints import router as audit_router
from directory.auth.endpoints import me_router
from directory.auth.endpoints import router as auth_router
from directory.clients.endpoints import router as clients_router
from directory.dev.endpoints import router as dev_router
from directory.keys.endpoints import router as keys_router
from directory.keys.endpoints import well_known_router
from directory.organizations.endpoints import groups_router
from directory.organizations.endpoints import router as organizations_router
from shared.errors import COMMON_ERROR_RESPONSES

router = APIRouter(prefix="/v1", responses=COMMON_ERROR_RESPONSES)
router.include_router(auth_router)
router.include_router(me_router)
router.include_router(organizations_router)
router.include_router(groups_router)
router.include_router(users_router)
router.include_router(clients_router)
router.include_router(keys_router)
router.include_router(audit_router)

# Development and tests only (see `directory.app`).
development_router = APIRouter(prefix="/v1")
development_router.include_router(dev_router)

__all__ = ["development_router", "router", "well_known_router"]
