import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import undefer

from plans.models import Assignment, Plan, PlanKind, PlanNode, PlanStatus, PlanVersion
from plans.policies import Access
from shared.pagination import CursorParams, SortKey
from shared.repository import Repository


def visible_plans(access: Access) -> ColumnElement[bool]:
    """Plans the caller owns, or in which one of its units has a task."""
    return or_(
        access.owned_plans(),
        Plan.id.in_(select(Assignment.plan_id).where(access.own_assignments())),
    )


class PlanRepository(Repository[Plan]):
    model = Plan

    async def list_page(
        self,
        access: Access,
        params: CursorParams,
        *,
        status: PlanStatus | None = None,
        kind: PlanKind | None = None,
        parent_id: uuid.UUID | None = None,
    ) -> tuple[list[Plan], str | None]:
        statement = self.base_statement().where(visible_plans(access))
        if status is not None:
            statement = statement.where(Plan.status == status)
        if kind is not None:
            statement = statement.where(Plan.kind == kind)
        if parent_id is not None:
            statement = statement.where(Plan.parent_id == parent_id)

        def key_values(item: Plan) -> list[Any]:
            return [item.id]

        return await self.paginate(
            statement, params, [SortKey(Plan.id, descending=True)], key_values
        )

    async def get_visible(self, plan_id: uuid.UUID, access: Access) -> Plan | None:
        return await self.get_one_or_none(
            select(Plan).where(Plan.id == plan_id, visible_plans(access))
        )

    async def get_for_update(self, plan_id: uuid.UUID) -> Plan | None:
        return await self.get_one_or_none(select(Plan).where(Plan.id == plan_id).with_for_update())

    async def get_with_source(self, plan_id: uuid.UUID) -> Plan | None:
        return await self.get_one_or_none(
            select(Plan).where(Plan.id == plan_id).options(undefer(Plan.source_text))
        )


class NodeRepository(Repository[PlanNode]):
    model = PlanNode

    async def for_plan(self, plan_id: uuid.UUID) -> Sequence[PlanNode]:
        return await self.get_all(
            select(PlanNode).where(PlanNode.plan_id == plan_id).order_by(PlanNode.position)
        )

    async def next_position(self, plan_id: uuid.UUID) -> int:
        current = await self.session.scalar(
            select(func.max(PlanNode.position)).where(PlanNode.plan_id == plan_id)
        )
        return (current or 0) + 1

    async def by_ref(self, plan_id: uuid.UUID, ref: str) -> PlanNode | None:
        return await self.get_one_or_none(
            select(PlanNode).where(PlanNode.plan_id == plan_id, PlanNode.ref == ref)
        )


class VersionRepository(Repository[PlanVersion]):
    model = PlanVersion

    async def for_plan(self, plan_id: uuid.UUID) -> Sequence[PlanVersion]:
        return await self.get_all(
            select(PlanVersion)
            .where(PlanVersion.plan_id == plan_id)
            .order_by(PlanVersion.number.desc())
        )

    async def get_number(self, plan_id: uuid.UUID, number: int) -> PlanVersion | None:
        return await self.get_one_or_none(
            select(PlanVersion)
            .where(PlanVersion.plan_id == plan_id, PlanVersion.number == number)
            .options(undefer(PlanVersion.snapshot))
        )
