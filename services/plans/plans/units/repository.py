import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, exists, select

from plans.models import (
    Assignment,
    ExtensionRequest,
    PlanNode,
    ProgressReport,
    ResolutionStatus,
    UnitName,
)
from shared.repository import Repository


class UnitNameRepository(Repository[UnitName]):
    model = UnitName

    async def for_nodes(self, node_ids: Sequence[uuid.UUID]) -> Sequence[UnitName]:
        if not node_ids:
            return []
        return await self.get_all(
            select(UnitName)
            .where(UnitName.node_id.in_(node_ids))
            .order_by(UnitName.node_id, UnitName.position)
        )

    async def for_plan(
        self, plan_id: uuid.UUID, statuses: Sequence[ResolutionStatus] | None = None
    ) -> Sequence[UnitName]:
        statement = select(UnitName).where(UnitName.plan_id == plan_id)
        if statuses:
            statement = statement.where(UnitName.status.in_(statuses))
        return await self.get_all(statement.order_by(UnitName.name, UnitName.id))

    async def by_name(self, plan_id: uuid.UUID, name: str) -> Sequence[UnitName]:
        return await self.get_all(
            select(UnitName).where(UnitName.plan_id == plan_id, UnitName.name == name)
        )

    async def plans_with_pending(self, limit: int = 100) -> Sequence[uuid.UUID]:
        result = await self.session.scalars(
            select(UnitName.plan_id)
            .where(UnitName.status == ResolutionStatus.pending)
            .distinct()
            .limit(limit)
        )
        return result.all()


class AssignmentRepository(Repository[Assignment]):
    model = Assignment

    async def for_nodes(self, node_ids: Sequence[uuid.UUID]) -> Sequence[Assignment]:
        if not node_ids:
            return []
        return await self.get_all(
            select(Assignment)
            .where(Assignment.node_id.in_(node_ids))
            .order_by(Assignment.node_id, Assignment.role, Assignment.org_name)
        )

    async def for_plan(
        self, plan_id: uuid.UUID, where: ColumnElement[bool] | None = None
    ) -> Sequence[Assignment]:
        statement = select(Assignment).where(Assignment.plan_id == plan_id)
        if where is not None:
            statement = statement.where(where)
        return await self.get_all(statement.order_by(Assignment.org_name, Assignment.id))

    async def with_node(self, assignment_id: uuid.UUID) -> tuple[Assignment, PlanNode] | None:
        row = (
            await self.session.execute(
                select(Assignment, PlanNode)
                .join(PlanNode, PlanNode.id == Assignment.node_id)
                .where(Assignment.id == assignment_id)
            )
        ).first()
        return (row[0], row[1]) if row else None

    async def has_history(self, assignment_id: uuid.UUID) -> bool:
        """Reports or extension requests: then the assignment is kept whatever the mapping."""
        statement = select(
            exists().where(ProgressReport.assignment_id == assignment_id)
            | exists().where(ExtensionRequest.assignment_id == assignment_id)
        )
        return bool(await self.session.scalar(statement))
