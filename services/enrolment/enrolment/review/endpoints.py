import uuid
from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from enrolment.applications.endpoints import application_read
from enrolment.applications.repository import ApplicationRepository
from enrolment.deps import Blobs, Now, Vault
from enrolment.errors import (
    ApplicationNotFound,
    DocumentNotFound,
    DuplicateUnresolved,
    InvalidTransition,
    PersonalDataForbidden,
    ReviewReadOnly,
)
from enrolment.families.endpoints import facts_read
from enrolment.families.schemas import DocumentRead
from enrolment.families.service import family_service
from enrolment.models import (
    DUPLICATE_CHILD,
    SLOT_STATUSES,
    Application,
    Child,
    FamilyFacts,
    Guardian,
)
from enrolment.policies import REVIEW_ROLES, Reviewer, client_ip
from enrolment.review.repository import ReviewRepository
from enrolment.review.schemas import (
    APPROVE_REASONS,
    REJECT_REASONS,
    RETURN_REASONS,
    BulkApproveIn,
    BulkApproveResult,
    ChildSummary,
    DecisionIn,
    DuplicateGroupRead,
    DuplicateResolutionIn,
    PersonalData,
    QueueFilters,
    QueueItem,
    ReasonCode,
    ReviewApplicationRead,
    VerificationRead,
)
from enrolment.review.service import review_service as service
from shared.auth import Principal
from shared.db import DbSession
from shared.pagination import CursorPagination, Page

router = APIRouter(prefix="/review", tags=["review"])


async def review_read(
    session: AsyncSession, application_id: uuid.UUID, principal: Principal
) -> ReviewApplicationRead:
    return await review_detail(session, await service.get(session, principal, application_id))


async def review_detail(session: AsyncSession, application: Application) -> ReviewApplicationRead:
    repository = ApplicationRepository(session)
    base = await application_read(session, application, await repository.timeline(application.id))
    child = await session.get(Child, application.child_id)
    assert child is not None
    facts = await session.get(FamilyFacts, child.id)
    guardians = (
        await session.scalars(
            select(Guardian).where(Guardian.child_id == child.id).order_by(Guardian.position)
        )
    ).all()
    return ReviewApplicationRead(
        **base.model_dump(),
        child=ChildSummary(
            id=child.id,
            name=child.name,
            sex=child.sex,
            birth_date=child.birth_date,
            id_number=child.id_number_masked,
        ),
        parent_account=application.parent_subject,
        district_code=application.district_code,
        school_codes=list(application.school_codes or []),
        flags=list(application.flags or []),
        facts_snapshot=dict(application.facts_snapshot or {}),
        facts=facts_read(facts, guardians),
        documents=[
            DocumentRead.model_validate(d)
            for d in await family_service.documents(session, child.id)
        ],
        verifications=[
            VerificationRead.model_validate(v)
            for v in await repository.verifications(application.id)
        ],
    )


@router.get("/reason-codes", summary="Reason codes for decisions", response_model=list[ReasonCode])
async def reason_codes(principal: Reviewer) -> list[ReasonCode]:
    return [
        ReasonCode(decision=decision, code=code, label=label)  # type: ignore[arg-type]
        for decision, codes in (
            ("approve", APPROVE_REASONS),
            ("return", RETURN_REASONS),
            ("reject", REJECT_REASONS),
        )
        for code, label in codes.items()
    ]


@router.get(
    "/applications",
    summary="Review queue: filter by cycle, status, batch, school, district, flag; keyset pages",
    response_model=Page[QueueItem],
)
async def queue(
    session: DbSession,
    principal: Reviewer,
    pagination: CursorPagination,
    filters: Annotated[QueueFilters, Depends()],
) -> Page[QueueItem]:
    rows, next_cursor = await ReviewRepository(session).queue(
        principal.org_filter(*REVIEW_ROLES), filters, pagination
    )
    return Page(
        items=[
            QueueItem(
                id=a.id,
                cycle_id=a.cycle_id,
                child_name=name,
                track=a.track,
                status=a.status,
                district_code=a.district_code,
                school_codes=list(a.school_codes or []),
                batch_code=a.batch_code,
                batch_order=a.batch_order,
                flags=list(a.flags or []),
                verification_status=a.verification_status.value,
                submitted_at=a.submitted_at,
            )
            for a, name in rows
        ],
        next_cursor=next_cursor,
    )


@router.get(
    "/applications/{application_id}",
    summary="An application with facts, documents, verification results and timeline",
    response_model=ReviewApplicationRead,
    responses={404: ApplicationNotFound.openapi_response()},
)
async def get_for_review(
    application_id: uuid.UUID, session: DbSession, principal: Reviewer
) -> ReviewApplicationRead:
    return await review_read(session, application_id, principal)


@router.post(
    "/applications/{application_id}/start",
    summary="Mark an application as under review",
    response_model=ReviewApplicationRead,
    responses={
        403: ReviewReadOnly.openapi_response(),
        404: ApplicationNotFound.openapi_response(),
        409: InvalidTransition.openapi_response(),
    },
)
async def start_review(
    application_id: uuid.UUID, session: DbSession, principal: Reviewer, now: Now
) -> ReviewApplicationRead:
    await service.start(session, principal, application_id, now)
    await session.flush()
    return await review_read(session, application_id, principal)


@router.post(
    "/applications/{application_id}/decision",
    summary="Approve, return for correction (with what to fix) or reject, with a reason code",
    response_model=ReviewApplicationRead,
    responses={
        403: ReviewReadOnly.openapi_response(),
        404: ApplicationNotFound.openapi_response(),
        409: DuplicateUnresolved.openapi_response(),
    },
)
async def decide(
    application_id: uuid.UUID,
    body: DecisionIn,
    request: Request,
    session: DbSession,
    principal: Reviewer,
    now: Now,
) -> ReviewApplicationRead:
    await service.decide(session, principal, application_id, body, now, client_ip(request))
    await session.flush()
    return await review_read(session, application_id, principal)


@router.post(
    "/applications/bulk-approve",
    summary="Approve many applications at once (flagged ones are skipped by default)",
    response_model=BulkApproveResult,
)
async def bulk_approve(
    body: BulkApproveIn, request: Request, session: DbSession, principal: Reviewer, now: Now
) -> BulkApproveResult:
    return await service.bulk_approve(session, principal, body, now, client_ip(request))


@router.get(
    "/applications/{application_id}/duplicates",
    summary="Every application in the cycle for the same child (ID number), side by side",
    response_model=DuplicateGroupRead,
    responses={
        403: ReviewReadOnly.openapi_response(),
        404: ApplicationNotFound.openapi_response(),
    },
)
async def duplicates(
    application_id: uuid.UUID, session: DbSession, principal: Reviewer
) -> DuplicateGroupRead:
    """When several parent accounts submitted for one ID number, every live one is flagged
    `duplicate_child`: compare their guardians, 户籍 and property, documents and the agencies'
    answers here, then keep one with `…/duplicates/resolution`."""
    application, group = await service.duplicates(session, principal, application_id)
    return await duplicate_group_read(session, application, group)


async def duplicate_group_read(
    session: AsyncSession, application: Application, group: Sequence[Application]
) -> DuplicateGroupRead:
    child = await session.get(Child, application.child_id)
    assert child is not None
    live = [item for item in group if item.status in SLOT_STATUSES]
    return DuplicateGroupRead(
        id_number=child.id_number_masked,
        unresolved=len(live) > 1 or any(DUPLICATE_CHILD in item.flags for item in live),
        applications=[await review_detail(session, item) for item in group],
    )


@router.post(
    "/applications/{application_id}/duplicates/resolution",
    summary="Keep one of a child's applications; reject the other accounts' (duplicate_child)",
    response_model=DuplicateGroupRead,
    responses={
        403: ReviewReadOnly.openapi_response(),
        404: ApplicationNotFound.openapi_response(),
        409: InvalidTransition.openapi_response(),
    },
)
async def resolve_duplicates(
    application_id: uuid.UUID,
    body: DuplicateResolutionIn,
    request: Request,
    session: DbSession,
    principal: Reviewer,
    now: Now,
) -> DuplicateGroupRead:
    await service.resolve_duplicates(
        session, principal, application_id, body, now, client_ip(request)
    )
    await session.flush()
    application, group = await service.duplicates(session, principal, application_id)
    return await duplicate_group_read(session, application, group)


@router.get(
    "/applications/{application_id}/documents/{document_id}/content",
    summary="Download a document of an application in scope",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}, "image/jpeg": {}, "image/png": {}}},
        404: DocumentNotFound.openapi_response(),
    },
)
async def review_document(
    application_id: uuid.UUID,
    document_id: uuid.UUID,
    session: DbSession,
    principal: Reviewer,
    blobs: Blobs,
) -> Response:
    document = await service.document(session, principal, application_id, document_id)
    return Response(await blobs.get(document.blob_key), media_type=document.content_type)


@router.get(
    "/applications/{application_id}/personal-data",
    summary="Full ID and certificate numbers (needs the enrolment:pii:read scope; audited)",
    response_model=PersonalData,
    responses={
        403: PersonalDataForbidden.openapi_response(),
        404: ApplicationNotFound.openapi_response(),
    },
)
async def personal_data(
    application_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: Reviewer,
    vault: Vault,
) -> PersonalData:
    return await service.personal_data(
        session, principal, vault, application_id, client_ip(request)
    )
