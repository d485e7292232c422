"""Progress reports (反馈), their review by the plan's owner (办结审核), and extensions (延期)."""

import hashlib
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from plans.clock import shanghai_date
from plans.models import (
    Assignment,
    AssignmentState,
    ExtensionRequest,
    ExtensionState,
    Plan,
    PlanNode,
    PlanStatus,
    ProgressReport,
    ReportAttachment,
    ReportStatus,
    ReviewState,
)
from plans.notifications.service import notify
from plans.oversight.ladder import Ladder
from plans.oversight.status import effective_due, task_light
from plans.planning.service import NotPlanOwner, assignment_read, deadline_read
from plans.policies import Access
from plans.progress.repository import ExtensionRepository, ReportRepository, TaskRepository
from plans.progress.schemas import (
    AssignmentUpdate,
    AttachmentRead,
    ExtensionCreate,
    ExtensionDecision,
    ExtensionRead,
    ReportCreate,
    ReportRead,
    ReviewDecision,
    StepRead,
    TaskDetail,
    TaskRead,
)
from plans.units.repository import AssignmentRepository
from shared.errors import Conflict, Forbidden, InvalidInput, NotFound
from shared.i18n import Text
from shared.pagination import CursorParams

GRADE_ZH = {"excellent": "优秀", "good": "良好", "pass": "合格", "fail": "不合格"}


class AssignmentNotFound(NotFound):
    code = "plans.assignment.not_found"
    title = Text("任务分工不存在", "Assignment not found")


class TaskNotFound(NotFound):
    code = "plans.task.not_found"
    title = Text("任务不存在", "Task not found")


class ReportNotFound(NotFound):
    code = "plans.report.not_found"
    title = Text("进展报送不存在", "Progress report not found")


class AttachmentNotFound(NotFound):
    code = "plans.attachment.not_found"
    title = Text("附件不存在", "Attachment not found")


class ExtensionNotFound(NotFound):
    code = "plans.extension.not_found"
    title = Text("延期申请不存在", "Extension request not found")


class NotAssignee(Forbidden):
    code = "plans.assignment.not_assignee"
    title = Text("只有承担该任务的单位可以报送", "Only the responsible unit may report on it")


class AssignmentClosed(Conflict):
    code = "plans.assignment.closed"
    title = Text("该任务已办结", "This task is already closed for the unit")


class PlanNotActive(Conflict):
    code = "plans.plan.not_active"
    title = Text("规划未处于实施状态", "The plan is not active")


class ReportPending(Conflict):
    code = "plans.report.pending_review"
    title = Text("上一次报送尚待审核", "The previous report is still awaiting review")


class ReportReviewed(Conflict):
    code = "plans.report.already_reviewed"
    title = Text("该报送已审核", "This report was already reviewed")


class ExtensionPending(Conflict):
    code = "plans.extension.pending"
    title = Text("已有待审批的延期申请", "An extension request is already pending")


class ExtensionTooLate(Conflict):
    code = "plans.extension.too_late"
    title = Text("延期须在到期前申请", "Extensions must be requested before the deadline")


class ExtensionDecided(Conflict):
    code = "plans.extension.decided"
    title = Text("该延期申请已处理", "This extension request was already decided")


class NoDeadline(Conflict):
    code = "plans.extension.no_deadline"
    title = Text("该任务没有完成时限，无需延期", "The task has no deadline to extend")


def task_read(
    node: PlanNode, plan: Plan, assignments: Sequence[Assignment], today: date, ladder: Ladder
) -> TaskRead:
    return TaskRead(
        id=node.id,
        plan_id=plan.id,
        plan_title=plan.title,
        ref=node.ref,
        numbering=node.numbering,
        title=node.title,
        kind=node.kind,
        deadline=deadline_read(node),
        light=task_light(node, assignments, today, ladder),
        assignments=[assignment_read(a, node, today, ladder) for a in assignments],
    )


class ProgressService:
    # --- tasks -----------------------------------------------------------------------------------

    async def tasks(
        self,
        session: AsyncSession,
        access: Access,
        params: CursorParams,
        *,
        today: date,
        ladder: Ladder,
        plan_id: uuid.UUID | None = None,
        org_id: uuid.UUID | None = None,
        state: AssignmentState | None = None,
        overdue: bool | None = None,
    ) -> tuple[list[TaskRead], str | None]:
        pairs, cursor = await TaskRepository(session).page(
            access,
            params,
            today=today,
            plan_id=plan_id,
            org_id=org_id,
            state=state,
            overdue=overdue,
        )
        assignments = await AssignmentRepository(session).for_nodes([n.id for n, _ in pairs])
        items = []
        for node, plan in pairs:
            own = [
                a
                for a in assignments
                if a.node_id == node.id and (access.owns(plan) or access.reports_for(a))
            ]
            items.append(task_read(node, plan, own, today, ladder))
        return items, cursor

    async def task(
        self,
        session: AsyncSession,
        node_id: uuid.UUID,
        access: Access,
        *,
        today: date,
        ladder: Ladder,
    ) -> TaskDetail:
        found = await TaskRepository(session).node_with_plan(node_id)
        if found is None:
            raise TaskNotFound()
        node, plan = found
        assignments = [
            a
            for a in await AssignmentRepository(session).for_nodes([node.id])
            if access.owns(plan) or access.reports_for(a)
        ]
        if not access.owns(plan) and not assignments:
            raise TaskNotFound()
        ids = [a.id for a in assignments]
        reports = await self._report_reads(
            session, await ReportRepository(session).for_assignments(ids), assignments, node
        )
        extensions = ExtensionRepository(session)
        base = task_read(node, plan, assignments, today, ladder)
        return TaskDetail(
            **base.model_dump(),
            text=node.text,
            reports=reports,
            extensions=[
                ExtensionRead.model_validate(e) for e in await extensions.for_assignments(ids)
            ],
            steps=[StepRead.model_validate(s) for s in await extensions.steps(ids)],
        )

    # --- assignments -----------------------------------------------------------------------------

    async def _context(
        self, session: AsyncSession, assignment_id: uuid.UUID, access: Access
    ) -> tuple[Assignment, PlanNode, Plan]:
        found = await ReportRepository(session).context(assignment_id)
        if found is None:
            raise AssignmentNotFound()
        assignment, node, plan = found
        if not (access.owns(plan) or access.reports_for(assignment)):
            raise AssignmentNotFound()
        return assignment, node, plan

    async def update_assignment(
        self,
        session: AsyncSession,
        assignment_id: uuid.UUID,
        body: AssignmentUpdate,
        access: Access,
    ) -> tuple[Assignment, PlanNode]:
        assignment, node, _ = await self._context(session, assignment_id, access)
        for name, value in body.model_dump(exclude_unset=True).items():
            setattr(assignment, name, value)
        await session.flush()
        return assignment, node

    # --- reports ---------------------------------------------------------------------------------

    async def submit(
        self,
        session: AsyncSession,
        assignment_id: uuid.UUID,
        body: ReportCreate,
        access: Access,
        *,
        now: datetime,
    ) -> ReportRead:
        assignment, node, plan = await self._context(session, assignment_id, access)
        if not access.reports_for(assignment):
            raise NotAssignee()
        if plan.status != PlanStatus.active:
            raise PlanNotActive()
        if assignment.state == AssignmentState.completed:
            raise AssignmentClosed()
        reports = ReportRepository(session)
        if await reports.pending_for(assignment.id) is not None:
            raise ReportPending()
        report = ProgressReport(
            assignment_id=assignment.id,
            plan_id=plan.id,
            node_id=node.id,
            org_id=assignment.org_id,
            status=body.status,
            percent=body.percent,
            narrative=body.narrative,
            period=body.period,
            submitted_by=access.subject,
            submitted_at=now,
            submitted_on=shanghai_date(now),
            review_state=ReviewState.submitted,
        )
        session.add(report)
        assignment.percent = body.percent
        assignment.last_report_at = now
        kind = "办结申请" if body.status == ReportStatus.completed else "进展报送"
        notify(
            session,
            kind="review_needed",
            title=f"【待审核】{assignment.org_name} 提交了{kind}：{node.numbering}{node.title}",
            body=f"规划：{plan.title}\n任务：{node.ref} {node.title}\n进度：{body.percent}%",
            plan=plan,
            recipient_org_id=plan.owner_org_id,
            recipient_org_code=plan.owner_org_code,
            recipient_district_code=plan.owner_district_code,
        )
        await session.flush()
        return (await self._report_reads(session, [report], [assignment], node))[0]

    async def report(
        self, session: AsyncSession, report_id: uuid.UUID, access: Access
    ) -> ReportRead:
        report, assignment, node, _ = await self._report_context(session, report_id, access)
        return (await self._report_reads(session, [report], [assignment], node))[0]

    async def _report_context(
        self, session: AsyncSession, report_id: uuid.UUID, access: Access
    ) -> tuple[ProgressReport, Assignment, PlanNode, Plan]:
        report = await ReportRepository(session).get(report_id)
        if report is None:
            raise ReportNotFound()
        try:
            assignment, node, plan = await self._context(session, report.assignment_id, access)
        except AssignmentNotFound:
            raise ReportNotFound() from None
        return report, assignment, node, plan

    async def reports(
        self,
        session: AsyncSession,
        access: Access,
        params: CursorParams,
        *,
        plan_id: uuid.UUID | None = None,
        review_state: ReviewState | None = None,
        assignment_id: uuid.UUID | None = None,
    ) -> tuple[list[ReportRead], str | None]:
        items, cursor = await ReportRepository(session).page(
            access, params, plan_id=plan_id, review_state=review_state, assignment_id=assignment_id
        )
        if not items:
            return [], cursor
        assignments = AssignmentRepository(session)
        reads: list[ReportRead] = []
        for report in items:
            found = await assignments.with_node(report.assignment_id)
            assert found is not None
            assignment, node = found
            reads.extend(await self._report_reads(session, [report], [assignment], node))
        return reads, cursor

    async def review(
        self,
        session: AsyncSession,
        report_id: uuid.UUID,
        body: ReviewDecision,
        access: Access,
        *,
        now: datetime,
    ) -> ReportRead:
        report, assignment, node, plan = await self._report_context(session, report_id, access)
        if not access.owns(plan):
            raise NotPlanOwner()
        if report.review_state != ReviewState.submitted:
            raise ReportReviewed()
        if body.decision == "return" and not (body.reason and body.reason.strip()):
            raise InvalidInput.for_field(
                "body.reason", Text("退回须说明理由", "Say why it is returned"), "missing"
            )
        completion = report.status == ReportStatus.completed
        if body.decision == "accept" and completion and body.grade is None:
            raise InvalidInput.for_field(
                "body.grade",
                Text("办结审核须评定等次", "Grade the closure (优秀/良好/合格/不合格)"),
                "missing",
            )
        report.reviewed_by = access.subject
        report.reviewed_at = now
        report.review_comment = body.comment
        report.grade = body.grade
        task = f"{node.numbering}{node.title}"
        if body.decision == "return":
            report.review_state = ReviewState.returned
            report.return_reason = body.reason
            notify(
                session,
                kind="report_returned",
                title=f"【退回】{task}：{body.reason}",
                body=f"规划：{plan.title}\n任务：{node.ref} {node.title}\n退回理由：{body.reason}",
                plan=plan,
                assignment=assignment,
            )
        else:
            report.review_state = ReviewState.accepted
            if completion:
                assignment.state = AssignmentState.completed
                assignment.completed_on = report.submitted_on
                assignment.grade = body.grade
                assignment.percent = 100
            grade = f"（{GRADE_ZH[body.grade.value]}）" if body.grade else ""
            notify(
                session,
                kind="report_accepted",
                title=f"【{'办结' if completion else '已审核'}{grade}】{task}",
                body=f"规划：{plan.title}\n任务：{node.ref} {node.title}",
                plan=plan,
                assignment=assignment,
            )
        await session.flush()
        return (await self._report_reads(session, [report], [assignment], node))[0]

    async def add_attachment(
        self,
        session: AsyncSession,
        report_id: uuid.UUID,
        *,
        filename: str,
        content_type: str,
        data: bytes,
        access: Access,
        max_files: int = 20,
    ) -> AttachmentRead:
        report, assignment, _, _ = await self._report_context(session, report_id, access)
        if not access.reports_for(assignment):
            raise NotAssignee()
        if report.review_state != ReviewState.submitted:
            raise ReportReviewed(
                Text("只能为待审核的报送添加附件", "Attach files to a report awaiting review only")
            )
        reports = ReportRepository(session)
        if await reports.attachment_count(report.id) >= max_files:
            raise Conflict(Text(f"最多 {max_files} 个附件", f"At most {max_files} attachments"))
        attachment = ReportAttachment(
            report_id=report.id,
            filename=filename,
            content_type=content_type,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            data=data,
        )
        session.add(attachment)
        await session.flush()
        return AttachmentRead.model_validate(attachment)

    async def attachment(
        self, session: AsyncSession, report_id: uuid.UUID, attachment_id: uuid.UUID, access: Access
    ) -> ReportAttachment:
        await self._report_context(session, report_id, access)
        attachment = await ReportRepository(session).attachment_with_data(attachment_id)
        if attachment is None or attachment.report_id != report_id:
            raise AttachmentNotFound()
        return attachment

    async def _report_reads(
        self,
        session: AsyncSession,
        reports: Sequence[ProgressReport],
        assignments: Sequence[Assignment],
        node: PlanNode,
    ) -> list[ReportRead]:
        attachments = await ReportRepository(session).attachments([r.id for r in reports])
        org_names = {a.id: a.org_name for a in assignments}
        return [
            ReportRead(
                id=r.id,
                assignment_id=r.assignment_id,
                plan_id=r.plan_id,
                node_id=r.node_id,
                node_ref=node.ref,
                node_title=node.title,
                org_id=r.org_id,
                org_name=org_names.get(r.assignment_id, ""),
                status=r.status,
                percent=r.percent,
                narrative=r.narrative,
                period=r.period,
                submitted_by=r.submitted_by,
                submitted_at=r.submitted_at,
                submitted_on=r.submitted_on,
                review_state=r.review_state,
                reviewed_by=r.reviewed_by,
                reviewed_at=r.reviewed_at,
                return_reason=r.return_reason,
                review_comment=r.review_comment,
                grade=r.grade,
                attachments=[
                    AttachmentRead.model_validate(a) for a in attachments if a.report_id == r.id
                ],
            )
            for r in reports
        ]

    # --- extensions ------------------------------------------------------------------------------

    async def request_extension(
        self,
        session: AsyncSession,
        assignment_id: uuid.UUID,
        body: ExtensionCreate,
        access: Access,
        *,
        today: date,
    ) -> ExtensionRequest:
        assignment, node, plan = await self._context(session, assignment_id, access)
        if not access.reports_for(assignment):
            raise NotAssignee()
        if plan.status != PlanStatus.active:
            raise PlanNotActive()
        if assignment.state == AssignmentState.completed:
            raise AssignmentClosed()
        due = effective_due(assignment, node)
        if due is None:
            raise NoDeadline()
        if today > due:
            raise ExtensionTooLate(Text(f"完成时限 {due} 已过", f"The deadline {due} has passed"))
        if body.requested_due <= due:
            raise InvalidInput.for_field(
                "body.requested_due",
                Text(f"新时限须晚于 {due}", f"The new deadline must be after {due}"),
                "not_later",
            )
        extensions = ExtensionRepository(session)
        if await extensions.pending_for(assignment.id) is not None:
            raise ExtensionPending()
        request = ExtensionRequest(
            assignment_id=assignment.id,
            plan_id=plan.id,
            node_id=node.id,
            org_id=assignment.org_id,
            current_due=due,
            requested_due=body.requested_due,
            reason=body.reason,
            state=ExtensionState.pending,
            requested_by=access.subject,
        )
        session.add(request)
        notify(
            session,
            kind="extension_requested",
            title=f"【延期申请】{assignment.org_name}：{node.numbering}{node.title} 申请延至 {body.requested_due}",
            body=f"规划：{plan.title}\n理由：{body.reason}",
            plan=plan,
            recipient_org_id=plan.owner_org_id,
            recipient_org_code=plan.owner_org_code,
            recipient_district_code=plan.owner_district_code,
        )
        await session.flush()
        return request

    async def decide_extension(
        self,
        session: AsyncSession,
        extension_id: uuid.UUID,
        body: ExtensionDecision,
        access: Access,
    ) -> ExtensionRequest:
        request = await ExtensionRepository(session).get(extension_id)
        if request is None:
            raise ExtensionNotFound()
        try:
            assignment, node, plan = await self._context(session, request.assignment_id, access)
        except AssignmentNotFound:
            raise ExtensionNotFound() from None
        if not access.owns(plan):
            raise NotPlanOwner()
        if request.state != ExtensionState.pending:
            raise ExtensionDecided()
        if body.decision == "reject" and not (body.reason and body.reason.strip()):
            raise InvalidInput.for_field(
                "body.reason", Text("不同意延期须说明理由", "Say why it is rejected"), "missing"
            )
        request.decided_by = access.subject
        request.decided_at = datetime.now(UTC)
        request.decision_reason = body.reason
        if body.decision == "approve":
            request.state = ExtensionState.approved
            # A new due date: the ladder starts again from it (steps are keyed by due date).
            assignment.extended_due = request.requested_due
        else:
            request.state = ExtensionState.rejected
        verdict = "同意" if body.decision == "approve" else "不同意"
        notify(
            session,
            kind="extension_decided",
            title=f"【延期{verdict}】{node.numbering}{node.title}（申请延至 {request.requested_due}）",
            body=f"规划：{plan.title}\n{body.reason or ''}",
            plan=plan,
            assignment=assignment,
        )
        await session.flush()
        return request

    async def extensions(
        self,
        session: AsyncSession,
        access: Access,
        *,
        plan_id: uuid.UUID | None = None,
        state: ExtensionState | None = None,
        limit: int = 200,
    ) -> Sequence[ExtensionRequest]:
        return await ExtensionRepository(session).visible(
            access, plan_id=plan_id, state=state, limit=limit
        )


progress_service = ProgressService()
