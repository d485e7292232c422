"""Append-only audit log: who did what to which record, when and from where.

Each service has an `audit_log` table in its own schema; a trigger created by the migration
refuses UPDATE and DELETE on it.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Identity, Index, String, func
from sqlalchemy.dialects.postgresql import ARRAY, INET, JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from shared.auth import Principal
from shared.context import current_request_id


class AuditLogMixin:
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    actor_subject: Mapped[str | None] = mapped_column(String(100))
    actor_kind: Mapped[str | None] = mapped_column(String(20))
    actor_roles: Mapped[list[str]] = mapped_column(ARRAY(String(40)), default=list)
    action: Mapped[str] = mapped_column(String(100))
    resource_type: Mapped[str] = mapped_column(String(60))
    resource_id: Mapped[str | None] = mapped_column(String(100))
    request_id: Mapped[str | None] = mapped_column(String(128))
    client_ip: Mapped[str | None] = mapped_column(INET)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        return (
            Index("ix_audit_log_occurred_at", "occurred_at"),
            Index("ix_audit_log_resource", "resource_type", "resource_id"),
            Index("ix_audit_log_actor_subject", "actor_subject"),
        )


def record(
    session: AsyncSession,
    model: type[AuditLogMixin],
    *,
    action: str,
    resource_type: str,
    resource_id: object | None = None,
    principal: Principal | None = None,
    subject: str | None = None,
    client_ip: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditLogMixin:
    """Add an audit row to the current unit of work. Never put personal data in `details`."""
    entry = model()
    entry.actor_subject = principal.subject if principal else subject
    entry.actor_kind = principal.kind if principal else None
    entry.actor_roles = (
        sorted({grant.role.value for grant in principal.grants}) if principal else []
    )
    entry.action = action
    entry.resource_type = resource_type
    entry.resource_id = str(resource_id) if resource_id is not None else None
    entry.request_id = current_request_id.get()
    entry.client_ip = client_ip
    entry.details = dict(details or {})
    session.add(entry)
    return entry
