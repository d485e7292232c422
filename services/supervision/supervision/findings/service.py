"""问题清单 → 整改 → 复查 → 销号.

issued ──acknowledge──▶ in_progress ──submit──▶ submitted ──review pass──▶ verified ──close──▶ closed
   │                                   ▲            │
   └──────────────submit───────────────┘            └─review fail─▶ failed ──reopen──▶ reopened ─submit─▶ …
verified / closed ──reopen (回头看 finds it again)──▶ reopened

The owner (the school, or for a county the county's education bureau) rectifies; the supervising
side reviews: the county 督导 office or the school's responsible inspector for a school, the city
for a county government. Nobody reviews their own unit's work.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import record
from shared.errors import Conflict, Forbidden, InvalidInput, NotFound
from shared.i18n import Text
from shared.pagination import CursorParams
from supervision import clock
from supervision.alerts.repository import AlertRepository
from supervision.assessments.repository import (
    AssessmentRepository,
    TargetRepository,
    TeamRepository,
)
from supervision.evidence.service import evidence_service
from supervision.findings.repository import FindingRepository, RectificationRepository
from supervision.findings.schemas import (
    FindingCreate,
    RectificationCreate,
    ReopenCreate,
    ReviewCreate,
)
from supervision.inspectors.repository import InspectorRepository
from supervision.models import (
    AuditLog,
    Finding,
    FindingSeverity,
    FindingStatus,
    Rectification,
    ReviewOutcome,
    TargetKind,
)
from supervision.peers import Peers, resolve_school
from supervision.policies import OutOfScope, Scope


class FindingNotFound(NotFound):
    code = "supervision.finding.not_found"
    title = Text("问题不存在", "Finding not found")


class FindingState(Conflict):
    code = "supervision.finding.state"
    title = Text("问题当前状态不允许该操作", "Not allowed in the finding's current state")


class NotOwner(Forbidden):
    code = "supervision.finding.not_owner"
    title = Text("只有整改责任单位可以执行此操作", "Only the responsible unit may do this")


class NotReviewer(Forbidden):
    code = "supervision.finding.not_reviewer"
    title = Text("只有督导方可以复查或销号", "Only the supervising side may review or close")


def is_owner(scope: Scope, finding: Finding) -> bool:
    if finding.school_code is not None:
        return scope.is_school_staff_of(finding.school_code) or scope.manages(finding.district_code)
    return scope.manages(finding.district_code)


def is_reviewer(scope: Scope, finding: Finding) -> bool:
    if finding.school_code is None:
        # A county government's problems are reviewed by the city, not by the county itself.
        return scope.city_wide
    return scope.manages(finding.district_code) or scope.is_assigned_to(finding.school_code)


class FindingService:
    async def raise_finding(
        self,
        session: AsyncSession,
        scope: Scope,
        *,
        title: str,
        description: str,
        severity: FindingSeverity,
        category: str | None,
        deadline: date | None,
        default_days: int,
        district_code: str,
        school_code: str | None,
        owner_org_code: str,
        owner_name: str,
        owner_person: str | None = None,
        assessment_id: uuid.UUID | None = None,
        target_id: uuid.UUID | None = None,
        visit_id: uuid.UUID | None = None,
        field: str = "body",
    ) -> Finding:
        today = clock.today()
        if deadline is not None and deadline < today:
            raise InvalidInput.for_field(
                f"{field}.deadline", Text("整改期限不能早于今天", "The deadline is in the past")
            )
        finding = Finding(
            title=title,
            description=description,
            severity=severity,
            category=category,
            deadline=deadline or today + timedelta(days=default_days),
            district_code=district_code,
            school_code=school_code,
            owner_org_code=owner_org_code,
            owner_name=owner_name,
            owner_person=owner_person,
            assessment_id=assessment_id,
            target_id=target_id,
            visit_id=visit_id,
            status=FindingStatus.issued,
            escalation_level=0,
            reopen_count=0,
            raised_by=scope.subject,
        )
        await FindingRepository(session).create(finding, flush=True)
        self._audit(session, scope, "finding.raise", finding)
        return finding

    async def create(
        self,
        session: AsyncSession,
        scope: Scope,
        peers: Peers,
        body: FindingCreate,
        *,
        default_days: int,
    ) -> Finding:
        if body.target_id is not None:
            assert body.assessment_id is not None
            target = await TargetRepository(session).get_in(body.assessment_id, body.target_id)
            assessment = await AssessmentRepository(session).get(body.assessment_id)
            if target is None or assessment is None:
                raise InvalidInput.for_field(
                    "body.target_id", Text("评估对象不存在", "No such assessment target")
                )
            allowed = scope.manages(target.district_code)
            if not allowed and scope.inspector_id is not None:
                member = await TeamRepository(session).member(assessment.id, scope.inspector_id)
                allowed = member is not None and not await self._recused(
                    session, scope, target.org_code
                )
            if not allowed:
                raise OutOfScope()
            is_school = target.kind != TargetKind.county
            return await self.raise_finding(
                session,
                scope,
                title=body.title,
                description=body.description,
                severity=body.severity,
                category=body.category,
                deadline=body.deadline,
                default_days=default_days,
                district_code=target.district_code,
                school_code=target.org_code if is_school else None,
                owner_org_code=target.org_code,
                owner_name=target.org_name,
                owner_person=body.owner_person,
                assessment_id=assessment.id,
                target_id=target.id,
            )
        assert body.school_code is not None
        if not (scope.city_wide or scope.districts or scope.is_assigned_to(body.school_code)):
            raise OutOfScope()
        school = await resolve_school(peers, body.school_code, field="body.school_code")
        if not (scope.manages(school.district_code) or scope.is_assigned_to(school.code)):
            raise OutOfScope()
        return await self.raise_finding(
            session,
            scope,
            title=body.title,
            description=body.description,
            severity=body.severity,
            category=body.category,
            deadline=body.deadline,
            default_days=default_days,
            district_code=school.district_code,
            school_code=school.code,
            owner_org_code=school.code,
            owner_name=school.name,
            owner_person=body.owner_person,
        )

    async def _recused(self, session: AsyncSession, scope: Scope, org_code: str) -> bool:
        if scope.inspector_id is None:
            return False
        inspector = await InspectorRepository(session).get(scope.inspector_id)
        return inspector is not None and inspector.employer_org_code == org_code

    async def page(
        self,
        session: AsyncSession,
        scope: Scope,
        params: CursorParams,
        *,
        status: FindingStatus | None = None,
        district_code: str | None = None,
        school_code: str | None = None,
        assessment_id: uuid.UUID | None = None,
        visit_id: uuid.UUID | None = None,
        overdue: bool = False,
    ) -> tuple[list[Finding], str | None]:
        return await FindingRepository(session).list_page(
            params,
            scope.where(Finding.district_code, Finding.school_code),
            status=status,
            district_code=district_code,
            school_code=school_code,
            assessment_id=assessment_id,
            visit_id=visit_id,
            overdue_on=clock.today() if overdue else None,
        )

    async def get(
        self, session: AsyncSession, scope: Scope, id: uuid.UUID, *, for_update: bool = False
    ) -> Finding:
        finding = await FindingRepository(session).get_visible(
            id, scope.where(Finding.district_code, Finding.school_code), for_update=for_update
        )
        if finding is None:
            raise FindingNotFound()
        return finding

    async def rectifications(
        self, session: AsyncSession, finding_id: uuid.UUID
    ) -> Sequence[Rectification]:
        return await RectificationRepository(session).for_finding(finding_id)

    async def acknowledge(self, session: AsyncSession, scope: Scope, id: uuid.UUID) -> Finding:
        finding = await self.get(session, scope, id, for_update=True)
        if not is_owner(scope, finding):
            raise NotOwner()
        if finding.status != FindingStatus.issued:
            raise FindingState()
        finding.status = FindingStatus.in_progress
        self._audit(session, scope, "finding.acknowledge", finding)
        return finding

    async def submit(
        self, session: AsyncSession, scope: Scope, id: uuid.UUID, body: RectificationCreate
    ) -> Rectification:
        finding = await self.get(session, scope, id, for_update=True)
        if not is_owner(scope, finding):
            raise NotOwner()
        if finding.status not in (
            FindingStatus.issued,
            FindingStatus.in_progress,
            FindingStatus.reopened,
        ):
            raise FindingState()
        evidence = await evidence_service.link(
            session,
            scope,
            body.evidence_ids,
            district_code=finding.district_code,
            school_code=finding.school_code,
            linked_to=f"finding:{finding.id}",
            field="body.evidence_ids",
        )
        previous = await RectificationRepository(session).for_finding(finding.id)
        rectification = Rectification(
            finding_id=finding.id,
            round=len(previous) + 1,
            summary=body.summary,
            evidence_ids=evidence,
            submitted_by=scope.subject,
            submitted_at=clock.now(),
        )
        await RectificationRepository(session).create(rectification, flush=True)
        finding.status = FindingStatus.submitted
        self._audit(session, scope, "finding.submit", finding, {"round": rectification.round})
        return rectification

    async def review(
        self, session: AsyncSession, scope: Scope, id: uuid.UUID, body: ReviewCreate
    ) -> Finding:
        finding = await self.get(session, scope, id, for_update=True)
        if not is_reviewer(scope, finding):
            raise NotReviewer()
        if finding.status != FindingStatus.submitted:
            raise FindingState()
        rounds = await RectificationRepository(session).for_finding(finding.id)
        latest = rounds[-1]
        latest.review_outcome = body.outcome
        latest.review_comment = body.comment
        latest.reviewed_by = scope.subject
        latest.reviewed_at = clock.now()
        finding.status = (
            FindingStatus.verified if body.outcome == ReviewOutcome.passed else FindingStatus.failed
        )
        self._audit(
            session,
            scope,
            "finding.review",
            finding,
            {"round": latest.round, "outcome": body.outcome.value},
        )
        return finding

    async def reopen(
        self, session: AsyncSession, scope: Scope, id: uuid.UUID, body: ReopenCreate
    ) -> Finding:
        finding = await self.get(session, scope, id, for_update=True)
        if not is_reviewer(scope, finding):
            raise NotReviewer()
        if finding.status not in (
            FindingStatus.failed,
            FindingStatus.verified,
            FindingStatus.closed,
        ):
            raise FindingState()
        if body.deadline < clock.today():
            raise InvalidInput.for_field(
                "body.deadline", Text("整改期限不能早于今天", "The deadline is in the past")
            )
        finding.status = FindingStatus.reopened
        finding.deadline = body.deadline
        finding.reopen_count += 1
        finding.escalation_level = 0
        finding.closed_at = None
        finding.closed_by = None
        self._audit(session, scope, "finding.reopen", finding, {"reason": body.reason[:200]})
        return finding

    async def close(self, session: AsyncSession, scope: Scope, id: uuid.UUID) -> Finding:
        finding = await self.get(session, scope, id, for_update=True)
        if not is_reviewer(scope, finding):
            raise NotReviewer()
        if finding.status != FindingStatus.verified:
            raise FindingState()
        finding.status = FindingStatus.closed
        finding.closed_at = clock.now()
        finding.closed_by = scope.subject
        await AlertRepository(session).resolve_for_finding(finding.id)
        self._audit(session, scope, "finding.close", finding)
        return finding

    def _audit(
        self,
        session: AsyncSession,
        scope: Scope,
        action: str,
        finding: Finding,
        details: dict[str, Any] | None = None,
    ) -> None:
        record(
            session,
            AuditLog,
            action=action,
            resource_type="finding",
            resource_id=finding.id,
            principal=scope.principal,
            details={"status": finding.status.value, **(details or {})},
        )


finding_service = FindingService()
