import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.orm import undefer

from plans.models import (
    Assignment,
    AssignmentState,
    ExtensionRequest,
    ExtensionState,
    NodeKind,
    Plan,
    PlanNode,
    ProgressReport,
    ReportAttachment,
    ReviewState,
    SupervisionStep,
)
from plans.policies import Access
from shared.pagination import CursorParams, SortKey, apply_keyset, page_from_rows
from shared.repository import Repository


def visible_assignment(access: Access) -> ColumnElement[bool]:
    """An assignment the caller owns the plan of, or reports for. Needs Plan joined."""
    return or_(access.owned_plans(), access.own_assignments())


class TaskRepository(Repository[PlanNode]):
    model = PlanNode

    async def page(
        self,
        access: Access,
        params: CursorParams,
        *,
        today: date,
        plan_id: uuid.UUID | None = None,
        org_id: uuid.UUID | None = None,
        state: AssignmentState | None = None,
        overdue: bool | None = None,
    ) -> tuple[list[tuple[PlanNode, Plan]], str | None]:
        conditions: list[ColumnElement[bool]] = [
            Assignment.node_id == PlanNode.id,
            or_(access.owned_plans(), access.own_assignments()),
        ]
        if org_id is not None:
            conditions.append(Assignment.org_id == org_id)
        if state is not None:
            conditions.append(Assignment.state == state)
        if overdue is not None:
            late = and_(
                Assignment.state == AssignmentState.open,
                func.coalesce(Assignment.extended_due, PlanNode.due_date) < today,
            )
            conditions.append(late if overdue else ~late)
        has_assignment = exists().where(*conditions)
        filtered = org_id is not None or state is not None or overdue is not None
        statement = (
            select(PlanNode, Plan)
            .join(Plan, Plan.id == PlanNode.plan_id)
            .where(
                PlanNode.kind == NodeKind.task,
                has_assignment if filtered else or_(access.owned_plans(), has_assignment),
            )
        )
        if plan_id is not None:
            statement = statement.where(PlanNode.plan_id == plan_id)
        keys = [SortKey(PlanNode.plan_id), SortKey(PlanNode.position), SortKey(PlanNode.id)]
        paged: Select[Any] = apply_keyset(statement, keys, params)  # type: ignore[arg-type]
        rows = (await self.session.execute(paged)).all()
        pairs: list[tuple[PlanNode, Plan]] = [(row[0], row[1]) for row in rows]

        def key_values(item: tuple[PlanNode, Plan]) -> list[Any]:
            return [item[0].plan_id, item[0].position, item[0].id]

        return page_from_rows(pairs, params, key_values)

    async def node_with_plan(self, node_id: uuid.UUID) -> tuple[PlanNode, Plan] | None:
        row = (
            await self.session.execute(
                select(PlanNode, Plan)
                .join(Plan, Plan.id == PlanNode.plan_id)
                .where(PlanNode.id == node_id)
            )
        ).first()
        return (row[0], row[1]) if row else None


class ReportRepository(Repository[ProgressReport]):
    model = ProgressReport

    async def context(self, assignment_id: uuid.UUID) -> tuple[Assignment, PlanNode, Plan] | None:
        row = (
            await self.session.execute(
                select(Assignment, PlanNode, Plan)
                .join(PlanNode, PlanNode.id == Assignment.node_id)
                .join(Plan, Plan.id == Assignment.plan_id)
                .where(Assignment.id == assignment_id)
            )
        ).first()
        return (row[0], row[1], row[2]) if row else None

    async def pending_for(self, assignment_id: uuid.UUID) -> ProgressReport | None:
        return await self.get_one_or_none(
            select(ProgressReport).where(
                ProgressReport.assignment_id == assignment_id,
                ProgressReport.review_state == ReviewState.submitted,
            )
        )

    async def page(
        self,
        access: Access,
        params: CursorParams,
        *,
        plan_id: uuid.UUID | None,
        review_state: ReviewState | None,
        assignment_id: uuid.UUID | None,
    ) -> tuple[list[ProgressReport], str | None]:
        statement = (
            select(ProgressReport)
            .join(Assignment, Assignment.id == ProgressReport.assignment_id)
            .join(Plan, Plan.id == ProgressReport.plan_id)
            .where(visible_assignment(access))
        )
        if plan_id is not None:
            statement = statement.where(ProgressReport.plan_id == plan_id)
        if review_state is not None:
            statement = statement.where(ProgressReport.review_state == review_state)
        if assignment_id is not None:
            statement = statement.where(ProgressReport.assignment_id == assignment_id)

        def key_values(item: ProgressReport) -> list[Any]:
            return [item.id]

        return await self.paginate(
            statement, params, [SortKey(ProgressReport.id, descending=True)], key_values
        )

    async def for_assignments(
        self, assignment_ids: Sequence[uuid.UUID]
    ) -> Sequence[ProgressReport]:
        if not assignment_ids:
            return []
        return await self.get_all(
            select(ProgressReport)
            .where(ProgressReport.assignment_id.in_(assignment_ids))
            .order_by(ProgressReport.submitted_at.desc())
        )

    async def attachments(self, report_ids: Sequence[uuid.UUID]) -> Sequence[ReportAttachment]:
        if not report_ids:
            return []
        return (
            await self.session.scalars(
                select(ReportAttachment)
                .where(ReportAttachment.report_id.in_(report_ids))
                .order_by(ReportAttachment.created_at)
            )
        ).all()

    async def attachment_with_data(self, attachment_id: uuid.UUID) -> ReportAttachment | None:
        return (
            await self.session.scalars(
                select(ReportAttachment)
                .where(ReportAttachment.id == attachment_id)
                .options(undefer(ReportAttachment.data))
            )
        ).one_or_none()

    async def attachment_count(self, report_id: uuid.UUID) -> int:
        return int(
            await self.session.scalar(
                select(func.count()).where(ReportAttachment.report_id == report_id)
            )
            or 0
        )


class ExtensionRepository(Repository[ExtensionRequest]):
    model = ExtensionRequest

    async def pending_for(self, assignment_id: uuid.UUID) -> ExtensionRequest | None:
        return await self.get_one_or_none(
            select(ExtensionRequest).where(
                ExtensionRequest.assignment_id == assignment_id,
                ExtensionRequest.state == ExtensionState.pending,
            )
        )

    async def visible(
        self,
        access: Access,
        *,
        plan_id: uuid.UUID | None,
        state: ExtensionState | None,
        limit: int,
    ) -> Sequence[ExtensionRequest]:
        statement = (
            select(ExtensionRequest)
            .join(Assignment, Assignment.id == ExtensionRequest.assignment_id)
            .join(Plan, Plan.id == ExtensionRequest.plan_id)
            .where(visible_assignment(access))
        )
        if plan_id is not None:
            statement = statement.where(ExtensionRequest.plan_id == plan_id)
        if state is not None:
            statement = statement.where(ExtensionRequest.state == state)
        return await self.get_all(
            statement.order_by(ExtensionRequest.created_at.desc()).limit(limit)
        )

    async def for_assignments(
        self, assignment_ids: Sequence[uuid.UUID]
    ) -> Sequence[ExtensionRequest]:
        if not assignment_ids:
            return []
        return await self.get_all(
            select(ExtensionRequest)
            .where(ExtensionRequest.assignment_id.in_(assignment_ids))
            .order_by(ExtensionRequest.created_at.desc())
        )

    async def steps(self, assignment_ids: Sequence[uuid.UUID]) -> Sequence[SupervisionStep]:
        if not assignment_ids:
            return []
        return (
            await self.session.scalars(
                select(SupervisionStep)
                .where(SupervisionStep.assignment_id.in_(assignment_ids))
                .order_by(SupervisionStep.created_at)
            )
        ).all()
