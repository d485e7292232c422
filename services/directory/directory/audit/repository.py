from typing import Any

from sqlalchemy import select

from directory.audit.schemas import AuditFilters
from directory.models import AuditLog
from shared.pagination import CursorParams, SortKey
from shared.repository import Repository


class AuditRepository(Repository[AuditLog]):
    model = AuditLog

    async def list_page(
        self, filters: AuditFilters, params: CursorParams
    ) -> tuple[list[AuditLog], str | None]:
        statement = select(AuditLog)
        if filters.action:
            if filters.action.endswith("."):
                statement = statement.where(
                    AuditLog.action.startswith(filters.action, autoescape=True)
                )
            else:
                statement = statement.where(AuditLog.action == filters.action)
        if filters.actor_subject:
            statement = statement.where(AuditLog.actor_subject == filters.actor_subject)
        if filters.resource_type:
            statement = statement.where(AuditLog.resource_type == filters.resource_type)
        if filters.resource_id:
            statement = statement.where(AuditLog.resource_id == filters.resource_id)
        if filters.since:
            statement = statement.where(AuditLog.occurred_at >= filters.since)
        if filters.until:
            statement = statement.where(AuditLog.occurred_at < filters.until)

        def key_values(entry: AuditLog) -> list[Any]:
            return [entry.id]

        # Newest first.
        return await self.paginate(
            statement, params, [SortKey(AuditLog.id, descending=True)], key_values
        )
