from fastapi import APIRouter

from enrolment.admissions.endpoints import family_router as admission_family_router
from enrolment.admissions.endpoints import public_router as admission_public_router
from enrolment.admissions.endpoints import router as admissions_router
from enrolment.applications.endpoints import router as applications_router
from enrolment.cycles.endpoints import router as cycles_router
from enrolment.families.endpoints import router as families_router
from enrolment.public.endpoints import router as public_router
from enrolment.review.endpoints import router as review_router
from enrolment.stats.endpoints import router as stats_router
from shared.errors import COMMON_ERROR_RESPONSES

router = APIRouter(prefix="/v1", responses=COMMON_ERROR_RESPONSES)
router.include_router(public_router)
router.include_router(admission_public_router)
router.include_router(cycles_router)
router.include_router(families_router)
router.include_router(applications_router)
router.include_router(review_router)
router.include_router(admissions_router)
router.include_router(admission_family_router)
router.include_router(stats_router)
