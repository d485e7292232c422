import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import DbSession
from shared.pagination import CursorPagination, Page
from supervision.assessments.schemas import (
    AssessmentCreate,
    AssessmentRead,
    AssessmentSummary,
    DocumentCreate,
    DocumentRead,
    InputRead,
    InputsWrite,
    PhaseChange,
    TargetInputs,
    TargetRead,
    TargetsAdd,
    TeamMemberAdd,
    TeamMemberRead,
)
from supervision.assessments.service import (
    AssessmentNotFound,
    NotOnTeam,
    PhaseConflict,
    TargetNotFound,
    assessment_service,
)
from supervision.catalog.service import FrameworkNotInForce
from supervision.evaluations.schemas import EvaluationRead
from supervision.models import Assessment, AssessmentKind, AssessmentPhase, DocumentKind
from supervision.peers import PeersDep
from supervision.policies import FieldScope, ManagerScope, OutOfScope, ReaderScope, Scope

router = APIRouter(prefix="/assessments", tags=["assessments"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: AssessmentNotFound.openapi_response()}
TARGET_ERRORS: dict[int | str, dict[str, Any]] = {
    404: TargetNotFound.openapi_response(),
    403: NotOnTeam.openapi_response(),
    409: PhaseConflict.openapi_response(),
}


async def _read(session: AsyncSession, scope: Scope, assessment: Assessment) -> AssessmentRead:
    targets, team = await assessment_service.details(session, scope, assessment)
    return AssessmentRead.model_validate(
        {
            **AssessmentSummary.model_validate(assessment).model_dump(),
            "description": assessment.description,
            "phase_history": assessment.phase_history,
            "targets": [TargetRead.model_validate(t) for t in targets],
            "team": [
                TeamMemberRead(
                    inspector_id=inspector.id,
                    name=inspector.name,
                    certificate_no=inspector.certificate_no,
                    district_code=inspector.district_code,
                    role=member.role,
                )
                for member, inspector in team
            ],
        }
    )


@router.post(
    "",
    summary="Create an assessment or campaign",
    status_code=201,
    response_model=AssessmentRead,
    responses={403: OutOfScope.openapi_response(), 409: FrameworkNotInForce.openapi_response()},
)
async def create_assessment(
    body: AssessmentCreate, session: DbSession, scope: ManagerScope, peers: PeersDep
) -> AssessmentRead:
    assessment = await assessment_service.create(session, scope, peers, body)
    return await _read(session, scope, assessment)


@router.get("", summary="List assessments", response_model=Page[AssessmentSummary])
async def list_assessments(
    session: DbSession,
    scope: ReaderScope,
    pagination: CursorPagination,
    kind: AssessmentKind | None = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    phase: AssessmentPhase | None = None,
    district_code: Annotated[str | None, Query(max_length=20)] = None,
) -> Page[AssessmentSummary]:
    items, cursor = await assessment_service.page(
        session, scope, pagination, kind=kind, year=year, phase=phase, district_code=district_code
    )
    return Page(items=[AssessmentSummary.model_validate(i) for i in items], next_cursor=cursor)


@router.get(
    "/{assessment_id}",
    summary="Get an assessment with its targets and team",
    response_model=AssessmentRead,
    responses=NOT_FOUND,
)
async def get_assessment(
    assessment_id: uuid.UUID, session: DbSession, scope: ReaderScope
) -> AssessmentRead:
    return await _read(session, scope, await assessment_service.get(session, scope, assessment_id))


@router.post(
    "/{assessment_id}/targets",
    summary="Add targets (schools, kindergartens or counties)",
    response_model=AssessmentRead,
    responses={**NOT_FOUND, 409: PhaseConflict.openapi_response()},
)
async def add_targets(
    assessment_id: uuid.UUID,
    body: TargetsAdd,
    session: DbSession,
    scope: ManagerScope,
    peers: PeersDep,
) -> AssessmentRead:
    assessment = await assessment_service.add_targets(
        session, scope, peers, assessment_id, body.org_codes
    )
    return await _read(session, scope, assessment)


@router.post(
    "/{assessment_id}/team",
    summary="Add an inspector to the team (or change their role)",
    response_model=AssessmentRead,
    responses=NOT_FOUND,
)
async def add_team_member(
    assessment_id: uuid.UUID, body: TeamMemberAdd, session: DbSession, scope: ManagerScope
) -> AssessmentRead:
    assessment = await assessment_service.add_member(session, scope, assessment_id, body)
    return await _read(session, scope, assessment)


@router.delete(
    "/{assessment_id}/team/{inspector_id}",
    summary="Remove an inspector from the team",
    response_model=AssessmentRead,
    responses=NOT_FOUND,
)
async def remove_team_member(
    assessment_id: uuid.UUID, inspector_id: uuid.UUID, session: DbSession, scope: ManagerScope
) -> AssessmentRead:
    assessment = await assessment_service.remove_member(session, scope, assessment_id, inspector_id)
    return await _read(session, scope, assessment)


@router.post(
    "/{assessment_id}/phase",
    summary="Move the assessment to a later phase",
    response_model=AssessmentRead,
    responses={**NOT_FOUND, 409: PhaseConflict.openapi_response()},
)
async def change_phase(
    assessment_id: uuid.UUID, body: PhaseChange, session: DbSession, scope: ManagerScope
) -> AssessmentRead:
    assessment = await assessment_service.change_phase(
        session, scope, assessment_id, body.phase, body.note
    )
    return await _read(session, scope, assessment)


@router.get(
    "/{assessment_id}/targets/{target_id}/inputs",
    summary="A target's expected and recorded inputs (scores, values, yes/no findings)",
    response_model=TargetInputs,
    responses=TARGET_ERRORS,
)
async def get_target_inputs(
    assessment_id: uuid.UUID, target_id: uuid.UUID, session: DbSession, scope: ReaderScope
) -> TargetInputs:
    assessment = await assessment_service.get(session, scope, assessment_id)
    target, _ = await assessment_service.target(session, scope, assessment, target_id)
    return TargetInputs(
        target=TargetRead.model_validate(target),
        expected=await assessment_service.expected_inputs(session, assessment),
        recorded=[
            InputRead.model_validate(i) for i in await assessment_service.inputs(session, target)
        ],
    )


@router.put(
    "/{assessment_id}/targets/{target_id}/inputs",
    summary="Record scores and values for a target, with evidence",
    response_model=TargetInputs,
    responses=TARGET_ERRORS,
)
async def record_target_inputs(
    assessment_id: uuid.UUID,
    target_id: uuid.UUID,
    body: InputsWrite,
    session: DbSession,
    scope: FieldScope,
) -> TargetInputs:
    target, recorded = await assessment_service.record_inputs(
        session, scope, assessment_id, target_id, body
    )
    assessment = await assessment_service.get(session, scope, assessment_id)
    return TargetInputs(
        target=TargetRead.model_validate(target),
        expected=await assessment_service.expected_inputs(session, assessment),
        recorded=[InputRead.model_validate(i) for i in recorded],
    )


@router.post(
    "/{assessment_id}/targets/{target_id}/evaluate",
    summary="Evaluate a target under the framework in force (stored with inputs and rules)",
    status_code=201,
    response_model=EvaluationRead,
    responses=TARGET_ERRORS,
)
async def evaluate_target(
    assessment_id: uuid.UUID,
    target_id: uuid.UUID,
    session: DbSession,
    scope: FieldScope,
    peers: PeersDep,
) -> EvaluationRead:
    evaluation = await assessment_service.evaluate(session, scope, peers, assessment_id, target_id)
    return EvaluationRead.model_validate(evaluation)


@router.post(
    "/{assessment_id}/documents",
    summary="Add a self-report, site-check record, feedback, rectification plan or follow-up",
    status_code=201,
    response_model=DocumentRead,
    responses={**TARGET_ERRORS, 403: OutOfScope.openapi_response()},
)
async def add_document(
    assessment_id: uuid.UUID, body: DocumentCreate, session: DbSession, scope: ReaderScope
) -> DocumentRead:
    return DocumentRead.model_validate(
        await assessment_service.add_document(session, scope, assessment_id, body)
    )


@router.get(
    "/{assessment_id}/documents",
    summary="List an assessment's documents",
    response_model=list[DocumentRead],
    responses=NOT_FOUND,
)
async def list_documents(
    assessment_id: uuid.UUID,
    session: DbSession,
    scope: ReaderScope,
    kind: DocumentKind | None = None,
) -> list[DocumentRead]:
    assessment = await assessment_service.get(session, scope, assessment_id)
    return [
        DocumentRead.model_validate(d)
        for d in await assessment_service.documents(session, scope, assessment, kind)
    ]


@router.post(
    "/{assessment_id}/report",
    summary="Generate the assessment report from the latest results and the problem list",
    status_code=201,
    response_model=DocumentRead,
    responses=NOT_FOUND,
)
async def generate_report(
    assessment_id: uuid.UUID, session: DbSession, scope: ManagerScope
) -> DocumentRead:
    return DocumentRead.model_validate(
        await assessment_service.generate_report(session, scope, assessment_id)
    )


@router.get(
    "/{assessment_id}/report",
    summary="The latest generated report",
    response_model=DocumentRead,
    responses=NOT_FOUND,
)
async def get_report(
    assessment_id: uuid.UUID, session: DbSession, scope: ReaderScope
) -> DocumentRead:
    return DocumentRead.model_validate(
        await assessment_service.latest_report(session, scope, assessment_id)
    )
