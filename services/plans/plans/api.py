from fastapi import APIRouter

from plans.imports.endpoints import router as imports_router
from plans.indicators.endpoints import router as indicators_router
from plans.oversight.endpoints import router as oversight_router
from plans.planning.endpoints import router as planning_router
from plans.progress.endpoints import router as progress_router
from plans.units.endpoints import router as units_router
from shared.errors import COMMON_ERROR_RESPONSES

router = APIRouter(prefix="/v1", responses=COMMON_ERROR_RESPONSES)
# Imports first: "/plans/imports" must not be read as "/plans/{plan_id}".
router.include_router(imports_router)
router.include_router(planning_router)
router.include_router(units_router)
router.include_router(progress_router)
router.include_router(oversight_router)
router.include_router(indicators_router)
