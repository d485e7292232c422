from fastapi import APIRouter

from enrolment.cycles.endpoints import router as cycles_router
from shared.errors import COMMON_ERROR_RESPONSES

router = APIRouter(prefix="/v1", responses=COMMON_ERROR_RESPONSES)
router.include_router(cycles_router)
