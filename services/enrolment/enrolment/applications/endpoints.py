import uuid
from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from enrolment.applications.repository import ApplicationRepository
from enrolment.applications.schemas import (
    ApplicationCreate,
    ApplicationRead,
    ApplicationStatusRead,
    ApplicationUpdate,
    BatchInfo,
    Correction,
    SchoolRef,
    TimelineEntry,
    WithdrawBody,
)
from enrolment.applications.service import application_service as service
from enrolment.applications.workflow import STATUS_TEXT
from enrolment.cycles.snapshot import CycleSnapshot, OfferingInfo
from enrolment.deps import Now, Snapshots
from enrolment.errors import (
    ApplicationNotFound,
    CycleNotFound,
    DuplicateApplication,
    InvalidTransition,
)
from enrolment.models import (
    Application,
    ApplicationEvent,
    ApplicationStatus,
    IdempotencyRecord,
    Offering,
)
from enrolment.policies import Parent, client_ip
from shared.db import DbSession
from shared.idempotency import IdempotencyKey

router = APIRouter(prefix="/applications", tags=["applications"])


async def application_read(
    session: AsyncSession,
    application: Application,
    events: Sequence[ApplicationEvent] | None = None,
    snapshot: CycleSnapshot | None = None,
) -> ApplicationRead:
    catchment = None
    if application.catchment_offering_id is not None:
        offering: Offering | OfferingInfo | None = (
            snapshot.offerings.get(application.catchment_offering_id) if snapshot else None
        ) or await session.get(Offering, application.catchment_offering_id)
        if offering is not None:
            catchment = SchoolRef(
                offering_id=offering.id,
                school_code=offering.school_code,
                school_name=offering.school_name,
                rule=application.catchment_rule,
            )
    batch = None
    if application.batch_code is not None:
        batch = BatchInfo(
            code=application.batch_code,
            name=application.batch_name or "",
            order=application.batch_order or 0,
            reason=application.batch_reason or "",
            not_in_earlier=list(application.batch_explanation or []),
            priority_key=list(application.priority_key or []),
        )
    return ApplicationRead(
        id=application.id,
        public_id=application.public_id,
        cycle_id=application.cycle_id,
        child_id=application.child_id,
        track=application.track,
        private_choices=list(application.private_choices or []),
        status=application.status,
        status_text=STATUS_TEXT[application.status],
        catchment_school=catchment,
        batch=batch,
        verification_status=application.verification_status,
        return_message=application.return_message,
        corrections=[Correction.model_validate(item) for item in application.corrections or []],
        submitted_at=application.submitted_at,
        created_at=application.created_at,
        updated_at=application.updated_at,
        timeline=[TimelineEntry.model_validate(event) for event in events or []],
    )


ERRORS: dict[int | str, dict[str, Any]] = {
    404: CycleNotFound.openapi_response(),
    409: DuplicateApplication.openapi_response(),
}


@router.post(
    "",
    summary="Start an application (or submit at once with `submit: true`)",
    status_code=201,
    response_model=ApplicationRead,
    responses=ERRORS,
)
async def create_application(
    body: ApplicationCreate,
    request: Request,
    session: DbSession,
    principal: Parent,
    snapshots: Snapshots,
    now: Now,
    idempotency: IdempotencyKey,
) -> JSONResponse:
    if (
        replay := await idempotency.replay(session, principal.subject, IdempotencyRecord)
    ) is not None:
        return replay
    application = await service.create(session, snapshots, principal, body, now)
    read = await application_read(
        session, application, snapshot=await snapshots.get(session, application.cycle_id)
    )
    return await idempotency.store(session, read, status_code=201)


@router.get("", summary="My applications", response_model=list[ApplicationRead])
async def list_applications(session: DbSession, principal: Parent) -> list[ApplicationRead]:
    applications = await ApplicationRepository(session).of_parent(principal.subject)
    return [await application_read(session, application) for application in applications]


@router.get(
    "/{application_id}",
    summary="One of my applications, with batch, reason, corrections and timeline",
    response_model=ApplicationRead,
    responses={404: ApplicationNotFound.openapi_response()},
)
async def get_application(
    application_id: uuid.UUID, session: DbSession, principal: Parent
) -> ApplicationRead:
    application = await service.owned(session, principal, application_id)
    events = await ApplicationRepository(session).timeline(application.id)
    return await application_read(session, application, events)


@router.get(
    "/{application_id}/status",
    summary="The status of one of my applications (cheap to poll)",
    response_model=ApplicationStatusRead,
    responses={404: ApplicationNotFound.openapi_response()},
)
async def get_status(
    application_id: uuid.UUID, session: DbSession, principal: Parent
) -> ApplicationStatusRead:
    row = await ApplicationRepository(session).status_of(principal.subject, application_id)
    if row is None:
        raise ApplicationNotFound()
    status = ApplicationStatus(row["status"])
    return ApplicationStatusRead(
        id=row["id"],
        status=status,
        status_text=STATUS_TEXT[status],
        batch_name=row["batch_name"],
        verification_status=row["verification_status"],
        updated_at=row["updated_at"],
    )


@router.patch(
    "/{application_id}",
    summary="Change a draft's (or returned application's) track and choices",
    response_model=ApplicationRead,
    responses={
        404: ApplicationNotFound.openapi_response(),
        409: InvalidTransition.openapi_response(),
    },
)
async def update_application(
    application_id: uuid.UUID,
    body: ApplicationUpdate,
    session: DbSession,
    principal: Parent,
    snapshots: Snapshots,
    now: Now,
) -> ApplicationRead:
    application = await service.update(session, snapshots, principal, application_id, body, now)
    return await application_read(session, application)


@router.post(
    "/{application_id}/submit",
    summary="Submit a draft, or resubmit a returned application",
    response_model=ApplicationRead,
    responses={
        404: ApplicationNotFound.openapi_response(),
        409: InvalidTransition.openapi_response(),
    },
)
async def submit_application(
    application_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: Parent,
    snapshots: Snapshots,
    now: Now,
    idempotency: IdempotencyKey,
) -> JSONResponse:
    if (
        replay := await idempotency.replay(session, principal.subject, IdempotencyRecord)
    ) is not None:
        return replay
    application = await service.owned(session, principal, application_id, lock=True)
    await service.submit(
        session, snapshots, principal, application, now, client_ip=client_ip(request)
    )
    await session.flush()
    events = await ApplicationRepository(session).timeline(application.id)
    return await idempotency.store(
        session, await application_read(session, application, events), status_code=200
    )


@router.post(
    "/{application_id}/withdraw",
    summary="Withdraw an application before the registration deadline",
    response_model=ApplicationRead,
    responses={
        404: ApplicationNotFound.openapi_response(),
        409: InvalidTransition.openapi_response(),
    },
)
async def withdraw_application(
    application_id: uuid.UUID,
    body: WithdrawBody,
    session: DbSession,
    principal: Parent,
    snapshots: Snapshots,
    now: Now,
    idempotency: IdempotencyKey,
) -> JSONResponse:
    if (
        replay := await idempotency.replay(session, principal.subject, IdempotencyRecord)
    ) is not None:
        return replay
    application = await service.withdraw(
        session, principal, application_id, snapshots, now, body.reason
    )
    await session.flush()
    return await idempotency.store(
        session, await application_read(session, application), status_code=200
    )
