from fastapi import APIRouter

from directory.organizations.endpoints import router as organizations_router
from shared.errors import COMMON_ERROR_RESPONSES

router = APIRouter(prefix="/v1", responses=COMMON_ERROR_RESPONSES)
router.include_router(organizations_router)
