"""Publishing a reviewed run at its scheduled time, and the public results document.

Publication is one transaction and idempotent: the run row is locked, a published run is left
alone, and every application moves only from `verified` (so a second delivery of the job, or
the cron catching up, changes nothing). In that transaction the seed is revealed, every
application becomes `admitted` or `unplaced` with its timeline entry, each admitted child gets
an offer on their seat, and one SMS per family goes to the outbox — written with set-based SQL,
because a city publishes 100,000 results at once.
"""

import json
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from enrolment.admissions.repository import LotteryRepository, RunRepository
from enrolment.admissions.service import reveal
from enrolment.applications.workflow import NOTIFICATION_TOPIC
from enrolment.errors import ResultsNotPublished
from enrolment.models import (
    AdmissionPlacement,
    AuditLog,
    PublicationStatus,
    RunStatus,
)
from enrolment.privacy import PersonalDataVault
from enrolment.windows import local_text
from shared import audit

PUBLISH_SQL = text(
    """
WITH placed AS (
    SELECT p.application_id, p.offering_id, p.capacity, p.seat_no,
           s.school_code, s.school_name, s.ownership
      FROM enrolment.admission_placement p
      LEFT JOIN enrolment.admission_run_school s
        ON s.run_id = p.run_id AND s.offering_id = p.offering_id
     WHERE p.run_id = :run_id
),
moved AS (
    UPDATE enrolment.application a
       SET status = CASE WHEN placed.offering_id IS NULL THEN 'unplaced' ELSE 'admitted' END,
           admitted_offering_id = placed.offering_id,
           admitted_school_code = placed.school_code,
           admitted_ownership = placed.ownership,
           updated_at = :now
      FROM placed
     WHERE a.id = placed.application_id AND a.status = 'verified'
 RETURNING a.id, a.status, a.parent_subject, a.child_id
),
events AS (
    INSERT INTO enrolment.application_event
           (application_id, occurred_at, from_status, to_status, actor_kind, reason_code)
    SELECT id, :now, 'verified', status, 'system', 'admission_published' FROM moved
    RETURNING 1
),
offers AS (
    INSERT INTO enrolment.admission_offer
           (id, cycle_id, application_id, round, run_id, offering_id, school_code, capacity,
            seat_no, status, respond_by, wants_reassignment, created_at)
    SELECT gen_random_uuid(), :cycle_id, m.id, 'main', :run_id, placed.offering_id,
           placed.school_code, placed.capacity, placed.seat_no, 'offered', :respond_by, false, :now
      FROM moved m JOIN placed ON placed.application_id = m.id
     WHERE placed.offering_id IS NOT NULL
    RETURNING 1
),
messages AS (
    INSERT INTO enrolment.outbox_message (topic, payload)
    SELECT :topic, jsonb_build_object(
               'parent_subject', m.parent_subject,
               'application_id', m.id::text,
               'template', m.status,
               'dedupe_key', m.id::text || ':' || m.status || ':' || :run_id_text,
               'message',
               CASE WHEN placed.offering_id IS NULL
                    THEN '【学在南宁】' || c.name || '暂未被录取，教育局将统筹安排一次学位（调剂），请留意通知。'
                    ELSE '【学在南宁】' || c.name || '已被' || placed.school_name || '录取，请于 '
                         || :respond_by_text || ' 前登录确认或放弃学位。'
               END)
      FROM moved m
      JOIN placed ON placed.application_id = m.id
      JOIN enrolment.child c ON c.id = m.child_id
    RETURNING 1
)
SELECT (SELECT count(*) FROM moved) AS moved,
       (SELECT count(*) FROM events) AS events,
       (SELECT count(*) FROM offers) AS offers,
       (SELECT count(*) FROM messages) AS messages
"""
)


@dataclass(frozen=True, slots=True)
class PublicationReport:
    run_id: uuid.UUID
    published: bool
    applications: int = 0
    offers: int = 0
    messages: int = 0


async def publish_run(
    session: AsyncSession, vault: PersonalDataVault, run_id: uuid.UUID, now: datetime
) -> PublicationReport:
    """Publish a run if it is scheduled and due; otherwise do nothing."""
    run = await RunRepository(session).get_for_update(run_id)
    if (
        run is None
        or run.publication_status != PublicationStatus.scheduled
        or run.publish_at is None
        or run.publish_at > now
        or run.respond_by is None
    ):
        return PublicationReport(run_id, published=False)
    if run.status != RunStatus.succeeded or not run.is_current:
        # Cannot happen while the scope is locked by the schedule; refuse loudly if it does.
        raise RuntimeError(f"run {run.id} is scheduled but not the current successful run")
    lottery = await LotteryRepository(session).of_cycle(run.cycle_id, lock=True)
    if lottery is not None and lottery.revealed_seed is None:
        reveal(lottery, vault, now)
    row = (
        await session.execute(
            PUBLISH_SQL,
            {
                "run_id": run.id,
                "run_id_text": str(run.id),
                "cycle_id": run.cycle_id,
                "now": now,
                "respond_by": run.respond_by,
                "respond_by_text": local_text(run.respond_by),
                "topic": NOTIFICATION_TOPIC,
            },
        )
    ).one()
    run.publication_status = PublicationStatus.published
    run.published_at = now
    audit.record(
        session,
        AuditLog,
        action="admission_run.publish",
        resource_type="admission_run",
        resource_id=run.id,
        subject="system:admission",
        details={
            "cycle_id": str(run.cycle_id),
            "applications": int(row.moved),
            "offers": int(row.offers),
            "inputs_digest": run.inputs_digest,
        },
    )
    await session.flush()
    return PublicationReport(
        run.id,
        published=True,
        applications=int(row.moved),
        offers=int(row.offers),
        messages=int(row.messages),
    )


async def results_document(
    session: AsyncSession, cycle_id: uuid.UUID, district_code: str | None
) -> dict[str, Any]:
    """The `PublishedResults` document of a cycle's published runs (`xuezai lottery verify`).

    Runs of different districts never share a school or an applicant, so their union is one
    instance whose result is theirs. The inputs digest is included when the document is one
    run, so it can be compared with the digest the run recorded.
    """
    runs = list(await RunRepository(session).published(cycle_id, district_code))
    lottery = await LotteryRepository(session).of_cycle(cycle_id)
    if not runs or lottery is None or lottery.revealed_seed is None:
        raise ResultsNotPublished()
    run_ids = [run.id for run in runs]
    repository = RunRepository(session)
    schools = await repository.run_schools(run_ids)
    code_of = {(school.run_id, school.offering_id): school.school_code for school in schools}
    rows = await session.execute(
        select(
            AdmissionPlacement.run_id,
            AdmissionPlacement.public_id,
            AdmissionPlacement.offering_id,
            AdmissionPlacement.choices,
            AdmissionPlacement.priority,
            AdmissionPlacement.ineligible,
            AdmissionPlacement.lottery,
        )
        .where(AdmissionPlacement.run_id.in_(run_ids))
        .order_by(AdmissionPlacement.public_id)
    )
    applicants: list[dict[str, Any]] = []
    assignment: dict[str, str | None] = {}
    for run_id, public_id, offering_id, choices, priority, ineligible, lottery_value in rows:
        applicants.append(
            {
                "id": public_id,
                "choices": list(choices),
                "priority": priority,
                "ineligible": ineligible,
                "lottery": int(lottery_value),
            }
        )
        assignment[public_id] = code_of[(run_id, offering_id)] if offering_id is not None else None
    document: dict[str, Any] = {
        "cycle_id": str(cycle_id),
        "seed": lottery.revealed_seed,
        "commitment": lottery.commitment,
        "schools": [{"id": s.school_code, "capacity": s.capacity} for s in schools],
        "applicants": applicants,
        "assignment": assignment,
        "cutoffs": {
            s.school_code: [list(s.cutoff_key or []), int(s.cutoff_lottery)]
            if s.cutoff_lottery is not None
            else None
            for s in schools
        },
        "engine_version": runs[0].engine_version,
    }
    if len(runs) == 1:
        document["inputs_digest"] = runs[0].inputs_digest
    return document


_DOCUMENTS: OrderedDict[tuple[uuid.UUID, str | None, tuple[uuid.UUID, ...]], bytes] = OrderedDict()
_DOCUMENTS_KEPT = 8


async def results_json(
    session: AsyncSession, cycle_id: uuid.UUID, district_code: str | None
) -> bytes:
    """The results document as JSON bytes, built once per process for a set of published runs
    (published runs never change, and a city's document is tens of megabytes)."""
    runs = await RunRepository(session).published(cycle_id, district_code)
    key = (cycle_id, district_code, tuple(run.id for run in runs))
    cached = _DOCUMENTS.get(key)
    if cached is not None:
        _DOCUMENTS.move_to_end(key)
        return cached
    document = await results_document(session, cycle_id, district_code)
    content = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    _DOCUMENTS[key] = content
    while len(_DOCUMENTS) > _DOCUMENTS_KEPT:
        _DOCUMENTS.popitem(last=False)
    return content


async def runs_due(session: AsyncSession, now: datetime) -> list[uuid.UUID]:
    return list(await RunRepository(session).due_for_publication(now))
