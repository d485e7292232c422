"""The admission job: load → lottery → engine → explanations → write and swap.

Progress (phase, %) and a heartbeat are committed between phases in short transactions of their
own, so staff can watch a run and a dead worker is noticed. The results are written in ONE
transaction — the schools and placements keyed by the new run, then the swap that makes it the
scope's current run — so a crash at any point leaves the previous current run whole and the
new one absent.

A run is claimed by incrementing its `attempts`; every later write checks that number, so a
worker that was given up for dead (and replaced) can never make its run current.
"""

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import structlog
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from enrolment.admission.engine import ENGINE_VERSION, AdmissionInputError, run_deferred_acceptance
from enrolment.admissions.build import (
    Instance,
    Outcome,
    RunInputError,
    build_instance,
)
from enrolment.admissions.build import (
    outcome_rows as build_outcome,
)
from enrolment.admissions.repository import LotteryRepository, RunRepository
from enrolment.models import AdmissionRun, Cycle, RunStatus
from enrolment.privacy import PersonalDataVault
from enrolment.rules import BatchRule
from enrolment.windows import utc_now

log = structlog.get_logger("enrolment.admissions")

T = TypeVar("T")

SEED_PURPOSE = "lottery_seed"
RUN_JOB = "enrolment.admission.run"


def run_job_id(cycle_id: uuid.UUID | str, scope: str) -> str:
    """One job per cycle and scope: a second request while one is queued adds nothing."""
    return f"{RUN_JOB}:{cycle_id}:{scope}"


class RunCancelled(Exception):
    pass


class RunSuperseded(Exception):
    """Someone else owns the run now (it was given up for dead, or finished)."""


@dataclass(frozen=True, slots=True)
class Claim:
    run_id: uuid.UUID
    attempt: int
    cycle_id: uuid.UUID
    district_code: str | None
    scope: str


@dataclass(slots=True)
class Loaded:
    batches: list[BatchRule]
    seed: str
    commitment: str
    seed_cipher: bytes
    seed_key_id: str
    instance: Instance | None = None


class AdmissionRunner:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        vault: PersonalDataVault,
        *,
        phase_delay_seconds: float = 0.0,
        clock: Callable[[], datetime] = utc_now,
        offload: bool = True,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.vault = vault
        # Tests only (refused in production): a pause between phases, so a test can kill the
        # worker or cancel the run at a known point.
        self.phase_delay_seconds = phase_delay_seconds
        self.clock = clock
        # Pure computation runs in a thread so the worker keeps answering (aborts, heartbeats).
        self.offload = offload
        self.timings: dict[str, float] = {}
        self._started = time.perf_counter()

    async def run(self, cycle_id: uuid.UUID, scope: str) -> dict[str, Any]:
        claim = await self._claim(cycle_id, scope)
        if claim is None:
            return {"status": "idle"}
        log.info("admission_run_started", run=str(claim.run_id), attempt=claim.attempt)
        try:
            return await self._execute(claim)
        except asyncio.CancelledError:
            # arq's abort: the results transaction was never committed; record why.
            await asyncio.shield(self._finish(claim, RunStatus.cancelled, "已取消"))
            raise
        except RunCancelled:
            await self._finish(claim, RunStatus.cancelled, "已取消")
            return {"status": "cancelled", "run_id": str(claim.run_id)}
        except RunSuperseded:
            log.warning("admission_run_superseded", run=str(claim.run_id), attempt=claim.attempt)
            return {"status": "superseded", "run_id": str(claim.run_id)}
        except (RunInputError, AdmissionInputError) as error:
            await self._finish(claim, RunStatus.failed, str(error))
            return {"status": "failed", "run_id": str(claim.run_id), "error": str(error)}
        except Exception as error:
            log.exception("admission_run_failed", run=str(claim.run_id))
            await self._finish(claim, RunStatus.failed, f"{type(error).__name__}: {error}")
            return {"status": "failed", "run_id": str(claim.run_id)}

    # --- steps -------------------------------------------------------------------------------

    async def _claim(self, cycle_id: uuid.UUID, scope: str) -> Claim | None:
        async with self.sessionmaker() as session, session.begin():
            run = await RunRepository(session).active(cycle_id, scope, lock=True)
            if run is None:
                return None
            now = self.clock()
            if run.cancel_requested:
                run.status = RunStatus.cancelled
                run.finished_at = now
                run.error = "已取消"
                return None
            run.status = RunStatus.running
            run.attempts += 1
            run.started_at = run.started_at or now
            run.heartbeat_at = now
            run.phase = "loading"
            run.progress = 2
            run.error = None
            return Claim(run.id, run.attempts, run.cycle_id, run.district_code, run.scope)

    async def _touch(self, claim: Claim, phase: str, progress: int) -> None:
        async with self.sessionmaker() as session, session.begin():
            answer = await RunRepository(session).touch(
                claim.run_id, phase=phase, progress=progress, now=self.clock()
            )
            run = await session.get(AdmissionRun, claim.run_id)
            if answer is None or run is None:
                raise RunSuperseded()
            status, cancel = answer
            if status != RunStatus.running or run.attempts != claim.attempt:
                raise RunSuperseded()
            if cancel:
                raise RunCancelled()
        if self.phase_delay_seconds > 0:
            await asyncio.sleep(self.phase_delay_seconds)

    async def _compute(self, phase: str, work: Callable[[], T]) -> T:
        started = time.perf_counter()
        result = await asyncio.to_thread(work) if self.offload else work()
        self.timings[phase] = round(time.perf_counter() - started, 3)
        return result

    async def _timed(self, phase: str, work: Awaitable[T]) -> T:
        started = time.perf_counter()
        result = await work
        self.timings[phase] = round(time.perf_counter() - started, 3)
        return result

    async def _load(self, claim: Claim) -> tuple[Loaded, list[Any], list[Any]]:
        async with self.sessionmaker() as session, session.begin():
            cycle = await session.get(Cycle, claim.cycle_id)
            if cycle is None:
                raise RunInputError("招生周期不存在")
            lottery = await LotteryRepository(session).of_cycle(cycle.id)
            if lottery is None:
                raise RunInputError("尚未提交抽签种子承诺：请先在抽签前提交承诺（commit）再录取")
            seed = self.vault.decrypt(SEED_PURPOSE, lottery.seed_cipher, lottery.seed_key_id)
            loaded = Loaded(
                batches=[BatchRule.model_validate(batch) for batch in cycle.batches],
                seed=seed,
                commitment=lottery.commitment,
                seed_cipher=lottery.seed_cipher,
                seed_key_id=lottery.seed_key_id,
            )
            offerings, applications = await RunRepository(session).load_inputs(
                cycle.id, claim.district_code
            )
        return loaded, offerings, applications

    async def _execute(self, claim: Claim) -> dict[str, Any]:
        self._started = time.perf_counter()
        loaded, offerings, applications = await self._timed("load", self._load(claim))

        await self._touch(claim, "lottery", 20)
        instance = await self._compute(
            "lottery",
            lambda: build_instance(
                cycle_id=claim.cycle_id,
                commitment=loaded.commitment,
                seed=loaded.seed,
                batches=loaded.batches,
                offerings=offerings,
                applications=applications,
                district_code=claim.district_code,
            ),
        )

        await self._touch(claim, "engine", 40)
        result = await self._compute(
            "engine", lambda: run_deferred_acceptance(instance.schools, instance.applicants)
        )

        await self._touch(claim, "explaining", 55)
        outcome = await self._compute(
            "explaining", lambda: build_outcome(instance, result, loaded.batches)
        )

        await self._touch(claim, "writing", 70)
        await self._write(claim, loaded, instance, outcome)
        log.info(
            "admission_run_succeeded",
            run=str(claim.run_id),
            applications=len(instance.applicants),
            digest=instance.digest,
            timings=self.timings,
        )
        return {
            "status": "succeeded",
            "run_id": str(claim.run_id),
            "digest": instance.digest,
            "applications": len(instance.applicants),
            "placed": outcome.statistics["placed"],
        }

    async def _write(
        self, claim: Claim, loaded: Loaded, instance: Instance, outcome: Outcome
    ) -> None:
        async with self.sessionmaker() as session, session.begin():
            repository = RunRepository(session)
            await self._timed("write", repository.write_outcome(claim.run_id, outcome))
            # Committed on its own, so staff see the phase while this transaction is open.
            await self._touch(claim, "swapping", 90)

            run = await repository.get_for_update(claim.run_id)
            if run is None or run.status != RunStatus.running or run.attempts != claim.attempt:
                raise RunSuperseded()
            if run.cancel_requested:
                raise RunCancelled()
            published = await session.scalar(
                select(AdmissionRun.id).where(
                    AdmissionRun.cycle_id == claim.cycle_id,
                    AdmissionRun.scope == claim.scope,
                    AdmissionRun.publication_status.is_not(None),
                )
            )
            if published is not None:
                raise RunInputError("本范围的录取结果已安排公布或已公布，不能再替换")
            await repository.retire_current(claim.cycle_id, claim.scope, keep=claim.run_id)
            statistics = outcome.statistics
            run.status = RunStatus.succeeded
            run.is_current = True
            run.phase = "done"
            run.progress = 100
            run.finished_at = self.clock()
            run.heartbeat_at = run.finished_at
            run.inputs_digest = instance.digest
            run.commitment = loaded.commitment
            run.seed_cipher = loaded.seed_cipher
            run.seed_key_id = loaded.seed_key_id
            run.engine_version = ENGINE_VERSION
            run.applications = statistics["applications"]
            run.placed = statistics["placed"]
            run.unplaced = statistics["unplaced"]
            run.statistics = statistics
            self.timings["total"] = round(time.perf_counter() - self._started, 3)
            run.timings = dict(self.timings)

    async def _finish(self, claim: Claim, status: RunStatus, error: str | None) -> None:
        async with self.sessionmaker() as session, session.begin():
            await session.execute(
                update(AdmissionRun)
                .where(
                    AdmissionRun.id == claim.run_id,
                    AdmissionRun.attempts == claim.attempt,
                    AdmissionRun.status == RunStatus.running,
                )
                .values(
                    status=status,
                    phase=status.value,
                    finished_at=self.clock(),
                    error=error[:2000] if error else None,
                )
            )
