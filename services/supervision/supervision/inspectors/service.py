"""责任督学挂牌督导: the inspector register, school assignments and visit records.

Rules kept here: an inspector belongs to one county and is assigned only that county's schools,
never the school they work at (回避), at most `max_schools_per_inspector` at a time (about five,
挂牌督导办法 2013), and each school has one responsible inspector at a time. Visits are recorded
by the inspector for their assigned schools only, with the server's check-in time and the
device's location; the record covers the eight standing items and the on-the-spot feedback.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import record
from shared.errors import Conflict, Forbidden, InvalidInput, NotFound
from shared.i18n import Text
from shared.pagination import CursorParams
from supervision import clock
from supervision.alerts.repository import AlertRepository
from supervision.config import Settings
from supervision.evidence.repository import AttachmentRepository
from supervision.evidence.service import evidence_service
from supervision.findings.repository import FindingRepository
from supervision.findings.service import finding_service
from supervision.inspectors.repository import (
    AssignmentRepository,
    InspectorRepository,
    VisitRepository,
)
from supervision.inspectors.schemas import (
    AssignmentCreate,
    Coverage,
    CoverageRow,
    InspectorCreate,
    InspectorUpdate,
    VisitCreate,
    VisitRecord,
)
from supervision.models import (
    Attachment,
    AuditLog,
    Finding,
    Inspector,
    InspectorAssignment,
    Visit,
    VisitStatus,
)
from supervision.peers import Peers, resolve_school
from supervision.policies import Scope

# Device clocks drift; a check-in a few minutes "in the future" is still now.
CLOCK_SKEW = timedelta(minutes=5)


class InspectorNotFound(NotFound):
    code = "supervision.inspector.not_found"
    title = Text("督学不存在", "Inspector not found")


class InspectorExists(Conflict):
    code = "supervision.inspector.exists"
    title = Text("督学证编号或登录账号已登记", "Certificate number or account already registered")


class AssignmentNotFound(NotFound):
    code = "supervision.assignment.not_found"
    title = Text("挂牌责任关系不存在", "Assignment not found")


class AssignmentRefused(Conflict):
    code = "supervision.assignment.refused"
    title = Text("不能这样挂牌", "This assignment is not allowed")


class VisitNotFound(NotFound):
    code = "supervision.visit.not_found"
    title = Text("督导记录不存在", "Visit not found")


class VisitState(Conflict):
    code = "supervision.visit.state"
    title = Text("该督导记录已完成", "The visit is already recorded")


class NotAnInspector(Forbidden):
    code = "supervision.inspector.unregistered"
    title = Text(
        "您的账号未登记为在岗责任督学", "Your account is not registered as an active inspector"
    )


class NotAssigned(Forbidden):
    code = "supervision.visit.not_assigned"
    title = Text("只能督导挂牌给您的学校", "You may record visits only at schools assigned to you")


def _refuse(zh: str, en: str) -> AssignmentRefused:
    return AssignmentRefused(Text(zh, en))


class InspectorService:
    # --- register -------------------------------------------------------------------------------

    def visible_inspectors(self, scope: Scope) -> Any:
        clause = scope.where(Inspector.district_code)
        if scope.inspector_id is not None:
            clause = or_(clause, Inspector.id == scope.inspector_id)
        return clause

    async def create(
        self, session: AsyncSession, scope: Scope, peers: Peers, body: InspectorCreate
    ) -> Inspector:
        scope.require_manager(body.district_code)
        repository = InspectorRepository(session)
        if await repository.by_certificate(body.certificate_no) is not None or (
            body.account_subject and await repository.by_subject(body.account_subject)
        ):
            raise InspectorExists()
        employer_name = None
        if body.employer_org_code:
            employer = await resolve_school(
                peers, body.employer_org_code, field="body.employer_org_code"
            )
            employer_name = employer.name
        inspector = Inspector(**body.model_dump(), employer_name=employer_name, active=True)
        try:
            await repository.create(inspector, flush=True)
        except IntegrityError:
            raise InspectorExists() from None
        self._audit(session, scope, "inspector.create", "inspector", inspector.id)
        return inspector

    async def update(
        self,
        session: AsyncSession,
        scope: Scope,
        peers: Peers,
        id: uuid.UUID,
        body: InspectorUpdate,
    ) -> Inspector:
        inspector = await self.get(session, scope, id)
        scope.require_manager(inspector.district_code)
        values = body.model_dump(exclude_unset=True)
        if "account_subject" in values and values["account_subject"]:
            other = await InspectorRepository(session).by_subject(values["account_subject"])
            if other is not None and other.id != inspector.id:
                raise InspectorExists()
        if values.get("employer_org_code"):
            employer = await resolve_school(
                peers, values["employer_org_code"], field="body.employer_org_code"
            )
            current = await AssignmentRepository(session).current_for(inspector.id, employer.code)
            if current is not None:
                raise _refuse(
                    f"{employer.name} 已挂牌给该督学，先解除挂牌再登记为其任职学校",
                    "End the assignment to that school first",
                )
            values["employer_name"] = employer.name
        if values.get("photo_id"):
            photo = await evidence_service.get(session, scope, values["photo_id"])
            if not photo.content_type.startswith("image/"):
                raise InvalidInput.for_field(
                    "body.photo_id", Text("照片须为图片", "The photo must be an image")
                )
            await evidence_service.link(
                session,
                scope,
                [photo.id],
                district_code=inspector.district_code,
                school_code=None,
                linked_to=f"inspector:{inspector.id}",
                field="body.photo_id",
            )
        await InspectorRepository(session).update(inspector, values, flush=True)
        self._audit(
            session,
            scope,
            "inspector.update",
            "inspector",
            inspector.id,
            {"fields": sorted(values)},
        )
        return inspector

    async def get(self, session: AsyncSession, scope: Scope, id: uuid.UUID) -> Inspector:
        inspector = await InspectorRepository(session).get_visible(
            id, self.visible_inspectors(scope)
        )
        if inspector is None:
            raise InspectorNotFound()
        return inspector

    async def me(self, session: AsyncSession, scope: Scope) -> Inspector:
        if scope.inspector_id is None:
            raise NotAnInspector()
        return await self.get(session, scope, scope.inspector_id)

    async def page(
        self,
        session: AsyncSession,
        scope: Scope,
        params: CursorParams,
        *,
        district_code: str | None = None,
        active: bool | None = None,
    ) -> tuple[list[Inspector], str | None]:
        return await InspectorRepository(session).list_page(
            params, self.visible_inspectors(scope), district_code=district_code, active=active
        )

    # --- assignments ----------------------------------------------------------------------------

    def visible_assignments(self, scope: Scope) -> Any:
        clause = scope.where(InspectorAssignment.district_code, InspectorAssignment.school_code)
        if scope.inspector_id is not None:
            clause = or_(clause, InspectorAssignment.inspector_id == scope.inspector_id)
        return clause

    async def assign(
        self,
        session: AsyncSession,
        scope: Scope,
        peers: Peers,
        settings: Settings,
        inspector_id: uuid.UUID,
        body: AssignmentCreate,
    ) -> InspectorAssignment:
        # Locked, so two concurrent assignments cannot both squeeze under the cap.
        inspector = await InspectorRepository(session).get_visible(
            inspector_id, self.visible_inspectors(scope), for_update=True
        )
        if inspector is None:
            raise InspectorNotFound()
        scope.require_manager(inspector.district_code)
        if not inspector.active:
            raise _refuse("该督学已停止履职", "The inspector is not active")
        school = await resolve_school(peers, body.school_code, field="body.school_code")
        if school.district_code != inspector.district_code:
            raise _refuse(
                f"{school.name} 不在该督学所属县区（{inspector.district_code}）",
                "The school is in another district than the inspector",
            )
        if inspector.employer_org_code == school.code:
            raise _refuse(
                f"回避：督学 {inspector.name} 任职于 {school.name}，不能对本校挂牌督导",
                "Recusal: an inspector is never assigned to the school they work at",
            )
        assignments = AssignmentRepository(session)
        current = await assignments.current_for_school(school.code)
        if current is not None:
            raise _refuse(
                f"{school.name} 已有责任督学，先解除原挂牌",
                "The school already has a responsible inspector",
            )
        count = await assignments.current_count(inspector.id)
        if count >= settings.max_schools_per_inspector:
            raise _refuse(
                f"督学 {inspector.name} 已负责 {count} 所学校（上限 {settings.max_schools_per_inspector} 所）",
                f"The inspector already has {count} schools (limit {settings.max_schools_per_inspector})",
            )
        assignment = InspectorAssignment(
            inspector_id=inspector.id,
            school_code=school.code,
            school_name=school.name,
            district_code=school.district_code,
            starts_on=body.starts_on or clock.today(),
            created_by=scope.subject,
        )
        try:
            async with session.begin_nested():
                await assignments.create(assignment, flush=True)
        except IntegrityError:
            raise _refuse(
                f"{school.name} 已有责任督学", "The school already has a responsible inspector"
            ) from None
        self._audit(
            session,
            scope,
            "assignment.create",
            "inspector_assignment",
            assignment.id,
            {"inspector": str(inspector.id), "school": school.code},
        )
        return assignment

    async def end_assignment(
        self, session: AsyncSession, scope: Scope, id: uuid.UUID, ends_on: date | None
    ) -> InspectorAssignment:
        assignment = await AssignmentRepository(session).get_visible(
            id, self.visible_assignments(scope)
        )
        if assignment is None:
            raise AssignmentNotFound()
        scope.require_manager(assignment.district_code)
        if assignment.ends_on is not None:
            raise _refuse("该挂牌关系已解除", "The assignment has already ended")
        day = ends_on or clock.today()
        if day < assignment.starts_on:
            raise InvalidInput.for_field(
                "body.ends_on", Text("解除日期早于挂牌日期", "ends_on is before starts_on")
            )
        assignment.ends_on = day
        self._audit(session, scope, "assignment.end", "inspector_assignment", assignment.id)
        return assignment

    async def list_assignments(
        self,
        session: AsyncSession,
        scope: Scope,
        params: CursorParams,
        *,
        inspector_id: uuid.UUID | None = None,
        school_code: str | None = None,
        current_only: bool = True,
    ) -> tuple[list[InspectorAssignment], str | None]:
        return await AssignmentRepository(session).list_page(
            params,
            self.visible_assignments(scope),
            inspector_id=inspector_id,
            school_code=school_code,
            current_only=current_only,
        )

    # --- visits ---------------------------------------------------------------------------------

    def visible_visits(self, scope: Scope) -> Any:
        clause = scope.where(Visit.district_code, Visit.school_code)
        if scope.inspector_id is not None:
            clause = or_(clause, Visit.inspector_id == scope.inspector_id)
        return clause

    async def check_in(
        self,
        session: AsyncSession,
        scope: Scope,
        settings: Settings,
        body: VisitCreate,
    ) -> tuple[Visit, list[Finding]]:
        if scope.inspector_id is None:
            raise NotAnInspector()
        if not scope.is_assigned_to(body.school_code):
            raise NotAssigned()
        assignment = await AssignmentRepository(session).current_for(
            scope.inspector_id, body.school_code
        )
        if assignment is None:  # ended between loading the scope and now
            raise NotAssigned()
        server_now = clock.now()
        visited_at = self._visit_time(body.checked_in_at, server_now, settings)
        visited_on = clock.business_date(visited_at)
        if visited_on < assignment.starts_on:
            raise InvalidInput.for_field(
                "body.checked_in_at",
                Text("督导日期早于挂牌日期", "The visit is dated before the assignment began"),
            )
        visit = Visit(
            inspector_id=scope.inspector_id,
            assignment_id=assignment.id,
            school_code=assignment.school_code,
            school_name=assignment.school_name,
            district_code=assignment.district_code,
            status=VisitStatus.checked_in,
            visited_on=visited_on,
            checked_in_at=server_now,
            client_checked_in_at=body.checked_in_at,
            latitude=body.latitude,
            longitude=body.longitude,
            accuracy_m=body.accuracy_m,
            checklist=[],
            methods=[],
            photo_ids=[],
        )
        await VisitRepository(session).create(visit, flush=True)
        self._audit(
            session,
            scope,
            "visit.check_in",
            "visit",
            visit.id,
            {"school": visit.school_code, "visited_on": visited_on.isoformat()},
        )
        findings: list[Finding] = []
        if body.record is not None:
            findings = await self._record(
                session, scope, settings, visit, body.record, field="body.record"
            )
        return visit, findings

    def _visit_time(
        self, client_time: datetime | None, server_now: datetime, settings: Settings
    ) -> datetime:
        if client_time is None:
            return server_now
        if client_time.tzinfo is None:
            raise InvalidInput.for_field(
                "body.checked_in_at",
                Text("时间须带时区（如 +08:00）", "The time needs a UTC offset"),
            )
        if client_time > server_now + CLOCK_SKEW:
            raise InvalidInput.for_field(
                "body.checked_in_at", Text("签到时间晚于当前时间", "Check-in time is in the future")
            )
        if client_time < server_now - timedelta(days=settings.visit_backdate_days):
            raise InvalidInput.for_field(
                "body.checked_in_at",
                Text(
                    f"离线记录须在 {settings.visit_backdate_days} 天内同步",
                    f"Offline visits must be synced within {settings.visit_backdate_days} days",
                ),
            )
        return client_time

    async def complete(
        self,
        session: AsyncSession,
        scope: Scope,
        settings: Settings,
        id: uuid.UUID,
        body: VisitRecord,
    ) -> tuple[Visit, list[Finding]]:
        visit = await VisitRepository(session).get_visible(
            id, self.visible_visits(scope), for_update=True
        )
        if visit is None:
            raise VisitNotFound()
        if visit.inspector_id != scope.inspector_id:
            raise NotAssigned(
                Text("只能完成自己的督导记录", "Only the inspector who checked in may record")
            )
        if not scope.is_assigned_to(visit.school_code):
            raise NotAssigned()
        if visit.status != VisitStatus.checked_in:
            raise VisitState()
        findings = await self._record(session, scope, settings, visit, body, field="body")
        return visit, findings

    async def _record(
        self,
        session: AsyncSession,
        scope: Scope,
        settings: Settings,
        visit: Visit,
        body: VisitRecord,
        *,
        field: str,
    ) -> list[Finding]:
        photos = await evidence_service.link(
            session,
            scope,
            body.photo_ids,
            district_code=visit.district_code,
            school_code=visit.school_code,
            linked_to=f"visit:{visit.id}",
            field=f"{field}.photo_ids",
        )
        now = clock.now()
        visit.checklist = [entry.model_dump(mode="json") for entry in body.checklist]
        visit.methods = list(body.methods)
        visit.summary = body.summary
        visit.feedback = body.feedback
        visit.feedback_given_at = now
        visit.photo_ids = photos
        visit.status = VisitStatus.completed
        visit.completed_at = now
        findings = []
        for index, item in enumerate(body.findings):
            findings.append(
                await finding_service.raise_finding(
                    session,
                    scope,
                    title=item.title,
                    description=item.description,
                    severity=item.severity,
                    category=item.category,
                    deadline=item.deadline,
                    default_days=settings.default_rectification_days,
                    district_code=visit.district_code,
                    school_code=visit.school_code,
                    owner_org_code=visit.school_code,
                    owner_name=visit.school_name,
                    owner_person=item.owner_person,
                    visit_id=visit.id,
                    field=f"{field}.findings[{index}]",
                )
            )
        await AlertRepository(session).resolve_visit_due(
            visit.school_code, clock.month_label(visit.visited_on)
        )
        self._audit(
            session,
            scope,
            "visit.record",
            "visit",
            visit.id,
            {"findings": len(findings), "photos": len(photos)},
        )
        return findings

    async def get_visit(self, session: AsyncSession, scope: Scope, id: uuid.UUID) -> Visit:
        visit = await VisitRepository(session).get_visible(id, self.visible_visits(scope))
        if visit is None:
            raise VisitNotFound()
        return visit

    async def visit_findings(self, session: AsyncSession, visit_id: uuid.UUID) -> Sequence[Finding]:
        return await FindingRepository(session).for_visit(visit_id)

    async def list_visits(
        self,
        session: AsyncSession,
        scope: Scope,
        params: CursorParams,
        *,
        school_code: str | None = None,
        inspector_id: uuid.UUID | None = None,
        since: date | None = None,
        until: date | None = None,
    ) -> tuple[list[Visit], str | None]:
        return await VisitRepository(session).list_page(
            params,
            self.visible_visits(scope),
            school_code=school_code,
            inspector_id=inspector_id,
            since=since,
            until=until,
        )

    async def coverage(
        self, session: AsyncSession, scope: Scope, settings: Settings, month: date
    ) -> Coverage:
        """Each assigned school's visits in ``month`` against the ≥ 1 per month rule."""
        start, end = clock.month_start(month), clock.month_end(month)
        pairs = await AssignmentRepository(session).active_during(
            start, end, self.visible_assignments(scope)
        )
        visits = await VisitRepository(session).completed_by_school(
            [a.school_code for a, _ in pairs], start, end
        )
        today = clock.today()
        rows = []
        for assignment, inspector in pairs:
            count, last = visits.get(assignment.school_code, (0, None))
            status: str
            if count:
                status = "ok"
            elif end < today:
                status = "overdue"
            elif (end - today).days <= settings.visit_due_days_before_month_end:
                status = "due"
            else:
                status = "pending"
            rows.append(
                CoverageRow(
                    assignment_id=assignment.id,
                    inspector_id=inspector.id,
                    inspector_name=inspector.name,
                    school_code=assignment.school_code,
                    school_name=assignment.school_name,
                    district_code=assignment.district_code,
                    visits=count,
                    last_visit_on=last,
                    status=status,  # type: ignore[arg-type]
                )
            )
        schools = {r.school_code for r in rows}
        visited = {r.school_code for r in rows if r.visits}
        return Coverage(
            month=clock.month_label(month),
            schools=len(schools),
            visited=len(visited),
            rows=rows,
        )

    async def sign(
        self, session: AsyncSession, school_code: str
    ) -> tuple[InspectorAssignment, Inspector] | None:
        assignment = await AssignmentRepository(session).current_for_school(school_code)
        if assignment is None:
            return None
        inspector = await InspectorRepository(session).get(assignment.inspector_id)
        if inspector is None or not inspector.active:
            return None
        return assignment, inspector

    async def sign_photo(self, session: AsyncSession, school_code: str) -> Attachment | None:
        found = await self.sign(session, school_code)
        if found is None or found[1].photo_id is None:
            return None
        return await AttachmentRepository(session).get(found[1].photo_id)

    def _audit(
        self,
        session: AsyncSession,
        scope: Scope,
        action: str,
        resource_type: str,
        resource_id: uuid.UUID,
        details: dict[str, Any] | None = None,
    ) -> None:
        record(
            session,
            AuditLog,
            action=action,
            resource_type=resource_type,
            resource_id=resource_id,
            principal=scope.principal,
            details=details,
        )


inspector_service = InspectorService()
