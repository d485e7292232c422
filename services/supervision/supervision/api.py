from fastapi import APIRouter

from shared.errors import COMMON_ERROR_RESPONSES
from supervision.accountability.endpoints import router as accountability_router
from supervision.alerts.endpoints import router as alerts_router
from supervision.assessments.endpoints import router as assessments_router
from supervision.catalog.endpoints import router as frameworks_router
from supervision.disclosure.endpoints import public_router
from supervision.disclosure.endpoints import router as disclosure_router
from supervision.evaluations.endpoints import router as evaluations_router
from supervision.evidence.endpoints import router as evidence_router
from supervision.findings.endpoints import router as findings_router
from supervision.inspectors.endpoints import router as inspectors_router
from supervision.schooldata.endpoints import router as school_data_router

router = APIRouter(prefix="/v1", responses=COMMON_ERROR_RESPONSES)
for domain in (
    frameworks_router,
    school_data_router,
    assessments_router,
    evaluations_router,
    inspectors_router,
    findings_router,
    accountability_router,
    alerts_router,
    disclosure_router,
    evidence_router,
    public_router,
):
    router.include_router(domain)
