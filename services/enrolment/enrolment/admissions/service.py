"""Batch admissions from the staff side (lottery, runs, review, publication) and the family's
(result, confirm, decline). Services never commit; the request's session does."""

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from arq.connections import ArqRedis
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from enrolment.admission.lottery import commitment, new_seed
from enrolment.admissions.jobs import clear_abort, forget_job, request_abort
from enrolment.admissions.repository import (
    LotteryRepository,
    OfferRepository,
    RunRepository,
)
from enrolment.admissions.runner import RUN_JOB, SEED_PURPOSE, run_job_id
from enrolment.admissions.schemas import (
    BatchBrief,
    ChoiceOutcome,
    FamilyResult,
    LotteryNumber,
    OfferRead,
    PublicationIn,
    RunCreate,
    SchoolBrief,
)
from enrolment.applications.repository import ApplicationRepository
from enrolment.applications.workflow import STATUS_TEXT, transition
from enrolment.cycles.service import can_manage, cycle_service
from enrolment.errors import (
    AdmissionRunConflict,
    AdmissionRunNotFound,
    ApplicationNotFound,
    CycleNotFound,
    LotteryConflict,
    LotteryNotFound,
    OfferClosed,
    OfferNotFound,
)
from enrolment.models import (
    AdmissionOffer,
    AdmissionRun,
    ApplicationStatus,
    AuditLog,
    Child,
    Cycle,
    CycleStatus,
    LotterySeed,
    Offering,
    OfferRound,
    OfferStatus,
    PublicationStatus,
    RunStatus,
)
from enrolment.policies import REVIEW_ROLES
from enrolment.privacy import PersonalDataVault
from enrolment.windows import local_text
from shared import audit
from shared.auth import Principal
from shared.errors import Forbidden, InvalidInput
from shared.i18n import Text
from shared.ids import uuid7
from shared.jobs import enqueue_after_commit
from shared.worker import queue_name_for

QUEUE = queue_name_for("enrolment")
PUBLISH_JOB = "enrolment.admission.publish"


def verify_command(seed: str | None, cycle_id: uuid.UUID, public_id: str) -> str | None:
    if seed is None:
        return None
    return f"xuezai lottery number --seed {seed} --cycle {cycle_id} {public_id}"


def is_stale(run: AdmissionRun, now: datetime, stale_seconds: float) -> bool:
    """No heartbeat for too long: the worker that held the run is gone."""
    reference = run.heartbeat_at or run.requested_at
    return (now - reference).total_seconds() > stale_seconds


def _overlaps(scope: str, other: str) -> bool:
    return scope == "all" or other in ("all", scope)


class AdmissionService:
    # --- the lottery -------------------------------------------------------------------------

    async def commit_lottery(
        self,
        session: AsyncSession,
        principal: Principal,
        vault: PersonalDataVault,
        cycle_id: uuid.UUID,
        now: datetime,
    ) -> LotterySeed:
        cycle = await cycle_service.get_managed(session, principal, cycle_id)
        repository = LotteryRepository(session)
        if await repository.of_cycle(cycle.id, lock=True) is not None:
            raise LotteryConflict(
                Text(
                    "本招生周期已提交抽签种子承诺，种子一经承诺不能更换",
                    "The seed is committed already and can never be replaced",
                )
            )
        seed = new_seed()
        cipher, key_id = vault.encrypt(SEED_PURPOSE, seed)
        lottery = LotterySeed(
            cycle_id=cycle.id,
            seed_cipher=cipher,
            seed_key_id=key_id,
            commitment=commitment(seed),
            committed_at=now,
            committed_by=principal.subject,
        )
        session.add(lottery)
        try:
            await session.flush()
        except IntegrityError:
            raise LotteryConflict() from None
        audit.record(
            session,
            AuditLog,
            action="lottery.commit",
            resource_type="cycle",
            resource_id=cycle.id,
            principal=principal,
            details={"commitment": lottery.commitment},
        )
        return lottery

    async def reveal_lottery(
        self,
        session: AsyncSession,
        principal: Principal,
        vault: PersonalDataVault,
        cycle_id: uuid.UUID,
        now: datetime,
    ) -> LotterySeed:
        cycle = await cycle_service.get_managed(session, principal, cycle_id)
        lottery = await LotteryRepository(session).of_cycle(cycle.id, lock=True)
        if lottery is None:
            raise LotteryNotFound()
        if lottery.revealed_seed is not None:
            return lottery
        drawn = await session.scalar(
            select(AdmissionRun.id)
            .where(AdmissionRun.cycle_id == cycle.id, AdmissionRun.status == RunStatus.succeeded)
            .limit(1)
        )
        if drawn is None:
            raise LotteryConflict(
                Text("抽签（录取）完成后才能公开种子", "The seed is revealed after the draw")
            )
        reveal(lottery, vault, now)
        audit.record(
            session,
            AuditLog,
            action="lottery.reveal",
            resource_type="cycle",
            resource_id=cycle.id,
            principal=principal,
        )
        return lottery

    async def lottery(self, session: AsyncSession, cycle_id: uuid.UUID) -> LotterySeed:
        cycle = await cycle_service.get_published(session, cycle_id)
        lottery = await LotteryRepository(session).of_cycle(cycle.id)
        if lottery is None:
            raise LotteryNotFound()
        return lottery

    # --- runs --------------------------------------------------------------------------------

    async def request_run(
        self,
        session: AsyncSession,
        principal: Principal,
        redis: ArqRedis | None,
        cycle_id: uuid.UUID,
        data: RunCreate,
        now: datetime,
        stale_seconds: float,
    ) -> AdmissionRun:
        cycle = await cycle_service.get(session, cycle_id)
        if cycle.district_code is not None and data.district_code not in (
            None,
            cycle.district_code,
        ):
            raise InvalidInput.for_field(
                "body.district_code",
                Text(
                    "区县的招生周期按整个周期录取，不能指定其他区县",
                    "A district's cycle is admitted whole",
                ),
                "district_scope",
            )
        district = data.district_code if cycle.district_code is None else None
        self.require_manager(principal, cycle, district)
        if cycle.status == CycleStatus.draft:
            raise AdmissionRunConflict(
                Text("招生周期尚未发布，不能录取", "The cycle is not published")
            )
        if await LotteryRepository(session).of_cycle(cycle.id) is None:
            raise LotteryConflict(
                Text(
                    "请先提交抽签种子承诺（公开其 SHA-256），再进行录取",
                    "Commit the lottery seed before the draw",
                )
            )
        scope = district or "all"
        repository = RunRepository(session)
        for other in await repository.with_publication(cycle.id):
            if _overlaps(scope, other.scope):
                raise AdmissionRunConflict(
                    Text(
                        "该范围的录取结果已安排公布或已公布，不能再次录取",
                        "Results for this scope are scheduled or published",
                    )
                )
        job_id = run_job_id(cycle.id, scope)
        active = await repository.active(cycle.id, scope, lock=True)
        if active is not None:
            if not is_stale(active, now, stale_seconds):
                raise AdmissionRunConflict(
                    Text(
                        f"已有录取任务在进行中（{active.id}），请等待其完成或取消",
                        f"Run {active.id} is in progress; wait for it or cancel it",
                    )
                )
            last = local_text(active.heartbeat_at or active.requested_at)
            active.status = RunStatus.failed
            active.phase = RunStatus.failed.value
            active.finished_at = now
            active.error = f"中断：执行录取的工作进程自 {last} 起无响应，已由新的录取任务接替"
            await session.flush()
            await forget_job(redis, job_id, QUEUE)
        run = AdmissionRun(
            id=uuid7(),
            cycle_id=cycle.id,
            district_code=district,
            scope=scope,
            status=RunStatus.queued,
            phase="queued",
            progress=0,
            job_id=job_id,
            requested_by=principal.subject,
            requested_at=now,
            statistics={},
            timings={},
        )
        session.add(run)
        try:
            await session.flush()
        except IntegrityError:
            raise AdmissionRunConflict(
                Text("已有录取任务在进行中", "A run is in progress")
            ) from None
        await clear_abort(redis, job_id)
        enqueue_after_commit(
            session, RUN_JOB, str(cycle.id), scope, job_id=job_id, queue_name=QUEUE
        )
        audit.record(
            session,
            AuditLog,
            action="admission_run.request",
            resource_type="admission_run",
            resource_id=run.id,
            principal=principal,
            details={"cycle_id": str(cycle.id), "scope": scope},
        )
        return run

    def require_manager(self, principal: Principal, cycle: Cycle, district: str | None) -> None:
        if can_manage(principal, district or cycle.district_code):
            return
        if cycle.status == CycleStatus.draft:
            raise CycleNotFound()
        raise Forbidden(Text("不能管理其他区县的录取", "Not your district's admission"))

    async def visible_run(
        self, session: AsyncSession, principal: Principal, run_id: uuid.UUID
    ) -> AdmissionRun:
        run = await RunRepository(session).visible(run_id, principal.org_filter(*REVIEW_ROLES))
        if run is None:
            raise AdmissionRunNotFound()
        return run

    async def managed_run(
        self, session: AsyncSession, principal: Principal, run_id: uuid.UUID
    ) -> AdmissionRun:
        run = await self.visible_run(session, principal, run_id)
        await session.refresh(run, with_for_update=True)
        cycle = await cycle_service.get(session, run.cycle_id)
        self.require_manager(principal, cycle, run.district_code)
        return run

    async def cancel(
        self,
        session: AsyncSession,
        principal: Principal,
        redis: ArqRedis | None,
        run_id: uuid.UUID,
        now: datetime,
        stale_seconds: float,
    ) -> AdmissionRun:
        run = await self.managed_run(session, principal, run_id)
        if run.status not in (RunStatus.queued, RunStatus.running):
            raise AdmissionRunConflict(Text("录取任务已结束，不能取消", "The run has finished"))
        if run.status == RunStatus.queued or is_stale(run, now, stale_seconds):
            # Nobody is working on it: cancelled at once (a job that starts later finds nothing).
            run.status = RunStatus.cancelled
            run.phase = RunStatus.cancelled.value
            run.finished_at = now
            run.error = "已取消"
            if is_stale(run, now, stale_seconds):
                await forget_job(redis, run.job_id, QUEUE)
        else:
            # The job sees the flag at its next phase; arq's abort interrupts it sooner.
            run.cancel_requested = True
            await request_abort(redis, run.job_id)
        audit.record(
            session,
            AuditLog,
            action="admission_run.cancel",
            resource_type="admission_run",
            resource_id=run.id,
            principal=principal,
        )
        return run

    # --- publication -------------------------------------------------------------------------

    async def schedule_publication(
        self,
        session: AsyncSession,
        principal: Principal,
        run_id: uuid.UUID,
        data: PublicationIn,
        now: datetime,
    ) -> AdmissionRun:
        run = await self.managed_run(session, principal, run_id)
        if run.publication_status == PublicationStatus.published:
            raise AdmissionRunConflict(Text("录取结果已公布", "Already published"))
        if run.status != RunStatus.succeeded or not run.is_current:
            raise AdmissionRunConflict(
                Text(
                    "只能公布已完成且为当前有效的录取结果",
                    "Only the current, finished run can be published",
                )
            )
        for other in await RunRepository(session).with_publication(run.cycle_id):
            if other.id != run.id and _overlaps(run.scope, other.scope):
                raise AdmissionRunConflict(
                    Text("该范围已有录取结果安排公布", "Another run of this scope is scheduled")
                )
        publish_at = data.publish_at or now
        if data.respond_by <= max(publish_at, now):
            raise InvalidInput.for_field(
                "body.respond_by",
                Text("确认截止时间须晚于公布时间", "respond_by must be after the publication"),
                "too_early",
            )
        run.publication_status = PublicationStatus.scheduled
        run.publish_at = publish_at
        run.respond_by = data.respond_by
        run.published_by = principal.subject
        delay = max(publish_at - now, timedelta(0))
        # The deferred job publishes on time; the per-minute cron catches it if Redis lost it.
        enqueue_after_commit(
            session,
            PUBLISH_JOB,
            str(run.id),
            job_id=f"{PUBLISH_JOB}:{run.id}:{int(publish_at.timestamp())}",
            queue_name=QUEUE,
            defer_by=delay,
        )
        audit.record(
            session,
            AuditLog,
            action="admission_run.schedule_publication",
            resource_type="admission_run",
            resource_id=run.id,
            principal=principal,
            details={
                "publish_at": publish_at.isoformat(),
                "respond_by": data.respond_by.isoformat(),
            },
        )
        return run

    async def unschedule_publication(
        self, session: AsyncSession, principal: Principal, run_id: uuid.UUID
    ) -> AdmissionRun:
        run = await self.managed_run(session, principal, run_id)
        if run.publication_status != PublicationStatus.scheduled:
            raise AdmissionRunConflict(
                Text("没有待公布的安排（或已公布）", "Nothing scheduled (or already published)")
            )
        run.publication_status = None
        run.publish_at = None
        run.respond_by = None
        audit.record(
            session,
            AuditLog,
            action="admission_run.unschedule_publication",
            resource_type="admission_run",
            resource_id=run.id,
            principal=principal,
        )
        return run

    # --- the family's side -------------------------------------------------------------------

    async def family_result(
        self, session: AsyncSession, principal: Principal, application_id: uuid.UUID, now: datetime
    ) -> FamilyResult:
        application = await ApplicationRepository(session).owned(principal.subject, application_id)
        if application is None:
            raise ApplicationNotFound()
        found = await RunRepository(session).published_placement(application.id)
        status_text = STATUS_TEXT[application.status]
        if found is None:
            return FamilyResult(
                application_id=application.id,
                public_id=application.public_id,
                cycle_id=application.cycle_id,
                published=False,
                status=application.status,
                status_text=status_text,
                summary="录取结果尚未公布，请留意通知。",
                school=None,
                round=None,
                batch=None,
                choices=[],
                lottery=None,
                offer=None,
            )
        placement, _ = found
        lottery = await LotteryRepository(session).of_cycle(application.cycle_id)
        offer = await OfferRepository(session).latest_for_application(application.id)
        offering = await session.get(Offering, offer.offering_id) if offer is not None else None
        seed = lottery.revealed_seed if lottery is not None else None
        return FamilyResult(
            application_id=application.id,
            public_id=application.public_id,
            cycle_id=application.cycle_id,
            published=True,
            status=application.status,
            status_text=status_text,
            summary=_family_summary(placement.summary, offer, offering),
            school=SchoolBrief(
                school_code=offering.school_code,
                school_name=offering.school_name,
                ownership=offering.ownership,
            )
            if offering is not None
            else None,
            round=offer.round if offer is not None else None,
            batch=BatchBrief(code=application.batch_code, name=application.batch_name or "")
            if application.batch_code
            else None,
            choices=[ChoiceOutcome.model_validate(item) for item in placement.explanation],
            lottery=LotteryNumber(
                number=str(int(placement.lottery)),
                cycle_id=application.cycle_id,
                public_id=application.public_id,
                seed=seed,
                commitment=lottery.commitment if lottery is not None else "",
                verify_command=verify_command(seed, application.cycle_id, application.public_id),
            ),
            offer=_offer_read(offer, now) if offer is not None else None,
        )

    async def respond(
        self,
        session: AsyncSession,
        principal: Principal,
        application_id: uuid.UUID,
        now: datetime,
        *,
        accept: bool,
        reassignment: bool = False,
        reason: str | None = None,
    ) -> None:
        application = await ApplicationRepository(session).owned(
            principal.subject, application_id, lock=True
        )
        if application is None:
            raise ApplicationNotFound()
        offer = await OfferRepository(session).live_for_application(application.id, lock=True)
        if offer is None:
            raise OfferNotFound()
        if offer.status != OfferStatus.offered:
            raise OfferClosed(Text("该学位已确认", "The offer was confirmed already"))
        if now > offer.respond_by:
            raise OfferClosed(
                Text(
                    f"确认截止时间（{local_text(offer.respond_by)}）已过",
                    "The time to respond has passed",
                )
            )
        child = await session.get(Child, application.child_id)
        offer.responded_at = now
        if accept:
            offer.status = OfferStatus.confirmed
            target = ApplicationStatus.confirmed
            message = None
        else:
            offer.status = OfferStatus.declined
            # 调剂 is offered once: declining a 调剂 offer ends the matter (不服从不再安排).
            offer.wants_reassignment = reassignment and offer.round == OfferRound.main
            target = ApplicationStatus.declined
            message = reason or (
                "放弃学位，申请统筹安排" if offer.wants_reassignment else "放弃学位"
            )
        transition(
            session,
            application,
            target,
            actor_kind="parent",
            principal=principal,
            now=now,
            reason_code="offer_confirmed" if accept else "offer_declined",
            message=message,
            child_name=child.name if child else "",
        )


def reveal(lottery: LotterySeed, vault: PersonalDataVault, now: datetime) -> None:
    lottery.revealed_seed = vault.decrypt(SEED_PURPOSE, lottery.seed_cipher, lottery.seed_key_id)
    lottery.revealed_at = now


def _offer_read(offer: AdmissionOffer, now: datetime) -> OfferRead:
    open_ = offer.status == OfferStatus.offered and now <= offer.respond_by
    return OfferRead(
        round=offer.round,
        status=offer.status,
        school_code=offer.school_code,
        respond_by=offer.respond_by,
        can_confirm=open_,
        can_decline=open_,
    )


def _family_summary(placed: str, offer: AdmissionOffer | None, offering: Offering | None) -> str:
    if offer is None or offering is None:
        return placed
    name = f"「{offering.school_name}」"
    deadline = local_text(offer.respond_by)
    if offer.round == OfferRound.reassignment:
        match offer.status:
            case OfferStatus.offered:
                return (
                    f"经教育局统筹安排（调剂），为孩子安排了{name}的学位，请于 {deadline} 前确认。"
                )
            case OfferStatus.confirmed:
                return f"已确认到{name}入学（统筹安排）。"
            case OfferStatus.declined:
                return f"已放弃统筹安排的{name}学位，按规定不再另行安排。"
            case _:
                return f"统筹安排的{name}学位逾期未确认，视为放弃。"
    match offer.status:
        case OfferStatus.offered:
            return f"{placed}请于 {deadline} 前确认或放弃学位。"
        case OfferStatus.confirmed:
            return f"已确认到{name}入学。"
        case OfferStatus.declined:
            more = "已申请统筹安排（调剂），请留意通知。" if offer.wants_reassignment else ""
            return f"已放弃{name}的学位。{more}"
        case _:
            return f"{name}的学位逾期未确认，视为放弃。"


async def offering_codes(session: AsyncSession, cycle_id: uuid.UUID) -> Sequence[str]:
    return (
        await session.scalars(select(Offering.school_code).where(Offering.cycle_id == cycle_id))
    ).all()


admission_service = AdmissionService()
