"""Batch admissions over HTTP: the verifiable lottery, runs and their review, publication, the
family's result and offer, 调剂, rosters, and the public results document."""

import uuid
from typing import Annotated, Any

from arq.connections import ArqRedis
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from enrolment.admission.instance import PublishedResults
from enrolment.admissions.explain import KeyReader
from enrolment.admissions.publication import results_json
from enrolment.admissions.reassignment import live_roster_offering, run_round
from enrolment.admissions.repository import OfferRepository, RunRepository
from enrolment.admissions.schemas import (
    ChoiceOutcome,
    Cutoff,
    DeclineIn,
    FamilyResult,
    LiveRosterEntry,
    LiveRosterRead,
    LotteryRead,
    PublicationIn,
    ReassignmentIn,
    ReassignmentReport,
    RosterEntry,
    RosterRead,
    RunCreate,
    RunRead,
    RunSchoolRead,
    UnplacedEntry,
)
from enrolment.admissions.service import admission_service as service
from enrolment.admissions.service import verify_command
from enrolment.admissions.xlsx import XLSX, live_roster_workbook, run_roster_workbook
from enrolment.cycles.service import cycle_service
from enrolment.deps import AppSettings, Now, Vault
from enrolment.errors import (
    AdmissionRunConflict,
    AdmissionRunNotFound,
    ApplicationNotFound,
    CycleNotFound,
    LotteryConflict,
    LotteryNotFound,
    OfferClosed,
    OfferNotFound,
    ResultsNotPublished,
    SchoolNotInRun,
)
from enrolment.models import AdmissionRunSchool, IdempotencyRecord, LotterySeed
from enrolment.policies import MANAGER_ROLES, REVIEW_ROLES, CycleManager, Parent, Reviewer
from enrolment.rules import BatchRule
from shared.auth import Principal
from shared.db import DbSession
from shared.idempotency import IdempotencyKey
from shared.pagination import CursorPagination, Page

router = APIRouter(tags=["admissions"])
family_router = APIRouter(prefix="/applications", tags=["admissions"])
public_router = APIRouter(prefix="/public", tags=["public"])

SchoolCodePath = Annotated[str, Path(pattern=r"^[0-9A-Za-z]{1,20}$")]
DistrictQuery = Annotated[str | None, Query(pattern=r"^\d{6}$")]


def get_queue(request: Request) -> ArqRedis | None:
    pool: ArqRedis | None = getattr(request.app.state, "arq_pool", None)
    return pool


Queue = Annotated[ArqRedis | None, Depends(get_queue)]


def lottery_read(lottery: LotterySeed) -> LotteryRead:
    return LotteryRead(
        cycle_id=lottery.cycle_id,
        commitment=lottery.commitment,
        committed_at=lottery.committed_at,
        seed=lottery.revealed_seed,
        revealed_at=lottery.revealed_at,
        verify_command=verify_command(lottery.revealed_seed, lottery.cycle_id, "<报名编号>")
        if lottery.revealed_seed
        else None,
    )


def school_read(row: AdmissionRunSchool) -> RunSchoolRead:
    return RunSchoolRead(
        school_code=row.school_code,
        school_name=row.school_name,
        district_code=row.district_code,
        ownership=row.ownership,
        capacity=row.capacity,
        admitted=row.admitted,
        applicants=row.applicants,
        first_choice=row.first_choice,
        seats_left=row.capacity - row.admitted,
        cutoff=Cutoff(
            key=list(row.cutoff_key or []),
            lottery=str(int(row.cutoff_lottery)),
            public_id=row.cutoff_public_id or "",
            text=row.cutoff_text or "",
        )
        if row.cutoff_lottery is not None
        else None,
        summary=row.cutoff_text,
    )


LOTTERY_ERRORS: dict[int | str, dict[str, Any]] = {
    404: LotteryNotFound.openapi_response(),
    409: LotteryConflict.openapi_response(),
}
RUN_ERRORS: dict[int | str, dict[str, Any]] = {
    404: AdmissionRunNotFound.openapi_response(),
    409: AdmissionRunConflict.openapi_response(),
}


# --- the lottery ---------------------------------------------------------------------------


@router.post(
    "/cycles/{cycle_id}/lottery/commit",
    summary="Commit the lottery seed before the draw (publishes its SHA-256; the seed stays secret)",
    status_code=201,
    response_model=LotteryRead,
    responses={404: CycleNotFound.openapi_response(), 409: LotteryConflict.openapi_response()},
)
async def commit_lottery(
    cycle_id: uuid.UUID, session: DbSession, principal: CycleManager, vault: Vault, now: Now
) -> LotteryRead:
    return lottery_read(await service.commit_lottery(session, principal, vault, cycle_id, now))


@router.post(
    "/cycles/{cycle_id}/lottery/reveal",
    summary="Reveal the seed after the draw (publication reveals it too)",
    response_model=LotteryRead,
    responses=LOTTERY_ERRORS,
)
async def reveal_lottery(
    cycle_id: uuid.UUID, session: DbSession, principal: CycleManager, vault: Vault, now: Now
) -> LotteryRead:
    return lottery_read(await service.reveal_lottery(session, principal, vault, cycle_id, now))


@public_router.get(
    "/cycles/{cycle_id}/lottery",
    summary="A cycle's lottery: the commitment before the draw, the seed after it",
    response_model=LotteryRead,
    responses={404: LotteryNotFound.openapi_response()},
)
async def public_lottery(cycle_id: uuid.UUID, session: DbSession) -> LotteryRead:
    return lottery_read(await service.lottery(session, cycle_id))


# --- runs ----------------------------------------------------------------------------------


@router.post(
    "/cycles/{cycle_id}/admission-runs",
    summary="Run the admission (an arq job): the whole cycle, or one district of a city-wide one",
    status_code=202,
    response_model=RunRead,
    responses={
        404: CycleNotFound.openapi_response(),
        409: AdmissionRunConflict.openapi_response(),
    },
)
async def request_run(
    cycle_id: uuid.UUID,
    body: RunCreate,
    session: DbSession,
    principal: CycleManager,
    queue: Queue,
    settings: AppSettings,
    now: Now,
) -> RunRead:
    run = await service.request_run(
        session, principal, queue, cycle_id, body, now, settings.admission_stale_seconds
    )
    return RunRead.model_validate(run)


@router.get(
    "/cycles/{cycle_id}/admission-runs",
    summary="A cycle's admission runs, newest first",
    response_model=Page[RunRead],
    responses={404: CycleNotFound.openapi_response()},
)
async def list_runs(
    cycle_id: uuid.UUID, session: DbSession, principal: Reviewer, pagination: CursorPagination
) -> Page[RunRead]:
    cycle = await cycle_service.get_visible(session, principal, cycle_id)
    items, next_cursor = await RunRepository(session).list_page(
        cycle.id, principal.org_filter(*REVIEW_ROLES), pagination
    )
    return Page(items=[RunRead.model_validate(item) for item in items], next_cursor=next_cursor)


@router.get(
    "/admission-runs/{run_id}",
    summary="A run: status, phase and progress, inputs digest, statistics",
    response_model=RunRead,
    responses={404: AdmissionRunNotFound.openapi_response()},
)
async def get_run(run_id: uuid.UUID, session: DbSession, principal: Reviewer) -> RunRead:
    return RunRead.model_validate(await service.visible_run(session, principal, run_id))


@router.post(
    "/admission-runs/{run_id}/cancel",
    summary="Cancel a queued or running run (arq abort; the current results stay)",
    status_code=202,
    response_model=RunRead,
    responses=RUN_ERRORS,
)
async def cancel_run(
    run_id: uuid.UUID,
    session: DbSession,
    principal: CycleManager,
    queue: Queue,
    settings: AppSettings,
    now: Now,
) -> RunRead:
    run = await service.cancel(
        session, principal, queue, run_id, now, settings.admission_stale_seconds
    )
    return RunRead.model_validate(run)


@router.get(
    "/admission-runs/{run_id}/schools",
    summary="Per school: seats, admitted, applicants, cutoff (school staff see their school)",
    response_model=list[RunSchoolRead],
    responses={404: AdmissionRunNotFound.openapi_response()},
)
async def run_schools(
    run_id: uuid.UUID, session: DbSession, principal: Reviewer
) -> list[RunSchoolRead]:
    run = await service.visible_run(session, principal, run_id)
    rows = await RunRepository(session).schools(run.id, principal.org_filter(*REVIEW_ROLES))
    return [school_read(row) for row in rows]


async def _roster(
    session: AsyncSession, principal: Principal, run_id: uuid.UUID, school_code: str
) -> tuple[RunSchoolRead, list[RosterEntry], str]:
    run = await service.visible_run(session, principal, run_id)
    repository = RunRepository(session)
    school = await repository.school(run.id, school_code)
    if school is None or not principal.org_filter(*REVIEW_ROLES).allows_school(
        school.school_code, school.district_code
    ):
        raise SchoolNotInRun()
    cycle = await cycle_service.get(session, run.cycle_id)
    reader = KeyReader([BatchRule.model_validate(batch) for batch in cycle.batches])
    entries = [
        RosterEntry(
            seat_no=placement.seat_no or 0,
            public_id=placement.public_id,
            child_name=name,
            id_number=masked,
            track=placement.track,
            batch_code=placement.batch_code,
            choice_rank=placement.choice_rank,
            fallback=placement.fallback,
            basis=reader.describe(placement.priority.get(school.school_code, []), school.ownership),
            lottery=str(int(placement.lottery)),
            offer_status=offer_status,
        )
        for placement, name, masked, offer_status in await repository.roster(
            run.id, school.offering_id
        )
    ]
    return school_read(school), entries, cycle.name


ROSTER_ERRORS: dict[int | str, dict[str, Any]] = {
    404: SchoolNotInRun.openapi_response(),
}


@router.get(
    "/admission-runs/{run_id}/schools/{school_code}/roster",
    summary="A school's roster in a run, in seat order, with each child's admission basis",
    response_model=RosterRead,
    responses=ROSTER_ERRORS,
)
async def run_roster(
    run_id: uuid.UUID, school_code: SchoolCodePath, session: DbSession, principal: Reviewer
) -> RosterRead:
    school, entries, _ = await _roster(session, principal, run_id, school_code)
    return RosterRead(run_id=run_id, school=school, entries=entries)


@router.get(
    "/admission-runs/{run_id}/schools/{school_code}/roster.xlsx",
    summary="A school's roster in a run as an Excel workbook",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "The workbook"}, **ROSTER_ERRORS},
)
async def run_roster_xlsx(
    run_id: uuid.UUID, school_code: SchoolCodePath, session: DbSession, principal: Reviewer
) -> Response:
    school, entries, cycle_name = await _roster(session, principal, run_id, school_code)
    content = run_roster_workbook(school, entries, f"{cycle_name} 录取名单")
    return Response(
        content,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="roster-{school_code}.xlsx"'},
    )


@router.get(
    "/admission-runs/{run_id}/unplaced",
    summary="Children a run left without a seat, with why (district and city staff)",
    response_model=Page[UnplacedEntry],
    responses={404: AdmissionRunNotFound.openapi_response()},
)
async def run_unplaced(
    run_id: uuid.UUID, session: DbSession, principal: CycleManager, pagination: CursorPagination
) -> Page[UnplacedEntry]:
    run = await service.visible_run(session, principal, run_id)
    rows, next_cursor = await RunRepository(session).unplaced_page(
        run.id, principal.org_filter(*MANAGER_ROLES), pagination
    )
    return Page(
        items=[
            UnplacedEntry(
                public_id=placement.public_id,
                application_id=placement.application_id,
                child_name=name,
                district_code=placement.district_code,
                track=placement.track,
                batch_code=placement.batch_code,
                summary=placement.summary,
                choices=[ChoiceOutcome.model_validate(item) for item in placement.explanation],
            )
            for placement, name in rows
        ],
        next_cursor=next_cursor,
    )


@router.post(
    "/admission-runs/{run_id}/publication",
    summary="Schedule the publication of a reviewed run (now, or at `publish_at`)",
    status_code=202,
    response_model=RunRead,
    responses=RUN_ERRORS,
)
async def schedule_publication(
    run_id: uuid.UUID, body: PublicationIn, session: DbSession, principal: CycleManager, now: Now
) -> RunRead:
    return RunRead.model_validate(
        await service.schedule_publication(session, principal, run_id, body, now)
    )


@router.delete(
    "/admission-runs/{run_id}/publication",
    summary="Call off a scheduled publication that has not happened yet",
    response_model=RunRead,
    responses=RUN_ERRORS,
)
async def unschedule_publication(
    run_id: uuid.UUID, session: DbSession, principal: CycleManager
) -> RunRead:
    return RunRead.model_validate(await service.unschedule_publication(session, principal, run_id))


# --- after publication ---------------------------------------------------------------------


@router.post(
    "/cycles/{cycle_id}/reassignment-rounds",
    summary="调剂: one offer each for unplaced children (and those who declined and asked)",
    status_code=201,
    response_model=ReassignmentReport,
    responses={
        404: ResultsNotPublished.openapi_response(),
        409: LotteryConflict.openapi_response(),
    },
)
async def reassignment_round(
    cycle_id: uuid.UUID, body: ReassignmentIn, session: DbSession, principal: CycleManager, now: Now
) -> ReassignmentReport:
    return await run_round(session, principal, cycle_id, body, now)


async def _live_roster(
    session: AsyncSession, principal: Principal, cycle_id: uuid.UUID, school_code: str
) -> tuple[LiveRosterRead, str]:
    cycle = await cycle_service.get_visible(session, principal, cycle_id)
    offering = await live_roster_offering(session, principal, cycle.id, school_code)
    rows = await OfferRepository(session).live_roster(cycle.id, offering.school_code)
    return (
        LiveRosterRead(
            cycle_id=cycle.id,
            school_code=offering.school_code,
            entries=[
                LiveRosterEntry(
                    seat_no=offer.seat_no,
                    public_id=application.public_id,
                    child_name=name,
                    id_number=masked,
                    round=offer.round,
                    status=offer.status,
                    respond_by=offer.respond_by,
                )
                for offer, application, name, masked in rows
            ],
        ),
        f"{cycle.name} {offering.school_name} 学位名单",
    )


@router.get(
    "/cycles/{cycle_id}/schools/{school_code}/roster",
    summary="A school's live roster after publication: offers held and confirmed, 调剂 included",
    response_model=LiveRosterRead,
    responses={404: SchoolNotInRun.openapi_response()},
)
async def live_roster(
    cycle_id: uuid.UUID, school_code: SchoolCodePath, session: DbSession, principal: Reviewer
) -> LiveRosterRead:
    roster, _ = await _live_roster(session, principal, cycle_id, school_code)
    return roster


@router.get(
    "/cycles/{cycle_id}/schools/{school_code}/roster.xlsx",
    summary="A school's live roster as an Excel workbook",
    response_class=Response,
    responses={
        200: {"content": {XLSX: {}}, "description": "The workbook"},
        404: SchoolNotInRun.openapi_response(),
    },
)
async def live_roster_xlsx(
    cycle_id: uuid.UUID, school_code: SchoolCodePath, session: DbSession, principal: Reviewer
) -> Response:
    roster, title = await _live_roster(session, principal, cycle_id, school_code)
    return Response(
        live_roster_workbook(title, roster.entries),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="roster-{school_code}.xlsx"'},
    )


@public_router.get(
    "/cycles/{cycle_id}/results",
    summary="The published results, for anyone to recompute with `xuezai lottery verify`",
    response_class=Response,
    responses={
        200: {"model": PublishedResults, "description": "The `PublishedResults` document"},
        404: ResultsNotPublished.openapi_response(),
    },
)
async def public_results(
    cycle_id: uuid.UUID, session: DbSession, district_code: DistrictQuery = None
) -> Response:
    cycle = await cycle_service.get_published(session, cycle_id)
    return Response(
        await results_json(session, cycle.id, district_code),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="results-{cycle.id}.json"',
            "Cache-Control": "public, max-age=60",
        },
    )


# --- the family's side ---------------------------------------------------------------------

FAMILY_ERRORS: dict[int | str, dict[str, Any]] = {
    404: ApplicationNotFound.openapi_response(),
}


@family_router.get(
    "/{application_id}/admission",
    summary="My child's admission result, with the reasons and the lottery number",
    response_model=FamilyResult,
    responses=FAMILY_ERRORS,
)
async def my_result(
    application_id: uuid.UUID, session: DbSession, principal: Parent, now: Now
) -> FamilyResult:
    return await service.family_result(session, principal, application_id, now)


OFFER_ERRORS: dict[int | str, dict[str, Any]] = {
    404: OfferNotFound.openapi_response(),
    409: OfferClosed.openapi_response(),
}


@family_router.post(
    "/{application_id}/admission/confirm",
    summary="Confirm the offered seat (within the window)",
    response_model=FamilyResult,
    responses=OFFER_ERRORS,
)
async def confirm_offer(
    application_id: uuid.UUID,
    session: DbSession,
    principal: Parent,
    now: Now,
    idempotency: IdempotencyKey,
) -> JSONResponse:
    if (
        replay := await idempotency.replay(session, principal.subject, IdempotencyRecord)
    ) is not None:
        return replay
    await service.respond(session, principal, application_id, now, accept=True)
    await session.flush()
    result = await service.family_result(session, principal, application_id, now)
    return await idempotency.store(session, result, status_code=200)


@family_router.post(
    "/{application_id}/admission/decline",
    summary="Decline the offered seat; optionally ask for one 调剂 offer instead",
    response_model=FamilyResult,
    responses=OFFER_ERRORS,
)
async def decline_offer(
    application_id: uuid.UUID,
    body: DeclineIn,
    session: DbSession,
    principal: Parent,
    now: Now,
    idempotency: IdempotencyKey,
) -> JSONResponse:
    if (
        replay := await idempotency.replay(session, principal.subject, IdempotencyRecord)
    ) is not None:
        return replay
    await service.respond(
        session,
        principal,
        application_id,
        now,
        accept=False,
        reassignment=body.reassignment,
        reason=body.reason,
    )
    await session.flush()
    result = await service.family_result(session, principal, application_id, now)
    return await idempotency.store(session, result, status_code=200)
