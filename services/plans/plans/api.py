from fastapi import APIRouter

from plans.planning.endpoints import router as planning_router
from shared.errors import COMMON_ERROR_RESPONSES

router = APIRouter(prefix="/v1", responses=COMMON_ERROR_RESPONSES)
router.include_router(planning_router)
