from fastapi import APIRouter

from shared.errors import COMMON_ERROR_RESPONSES
from supervision.assessments.endpoints import router as assessments_router

router = APIRouter(prefix="/v1", responses=COMMON_ERROR_RESPONSES)
router.include_router(assessments_router)
