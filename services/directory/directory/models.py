"""The directory's tables, all in the `directory` schema."""

import uuid
from datetime import date
from enum import StrEnum

from sqlalchemy import Date, Enum, ForeignKey, Index, String
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shared.audit import AuditLogMixin
from shared.db import Timestamps, UUIDPrimaryKey, make_metadata
from shared.outbox import OutboxMessageMixin


class Base(DeclarativeBase):
    metadata = make_metadata("directory")


class OrganizationKind(StrEnum):
    city_bureau = "city_bureau"
    district_bureau = "district_bureau"
    school = "school"
    kindergarten = "kindergarten"
    department = "department"
    government = "government"


class Stage(StrEnum):
    kindergarten = "kindergarten"
    primary = "primary"
    junior = "junior"
    senior = "senior"


class Ownership(StrEnum):
    public = "public"
    private = "private"


class Organization(UUIDPrimaryKey, Timestamps, Base):
    """A node of the organisation tree: bureaus, schools, kindergartens, departments."""

    __tablename__ = "organization"

    kind: Mapped[OrganizationKind] = mapped_column(
        Enum(OrganizationKind, name="organization_kind", native_enum=False, length=30)
    )
    # GB/T 2260 code for bureaus and governments, 10-digit 学校标识码 for schools.
    code: Mapped[str | None] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organization.id"))
    district_code: Mapped[str | None] = mapped_column(String(20))
    # Stages a school offers; a 九年一贯制 school offers primary and junior.
    stages: Mapped[list[str]] = mapped_column(ARRAY(String(20)), default=list)
    ownership: Mapped[Ownership | None] = mapped_column(
        Enum(Ownership, name="ownership", native_enum=False, length=10)
    )
    address: Mapped[str | None] = mapped_column(String(300))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)

    parent: Mapped["Organization | None"] = relationship(
        remote_side="Organization.id", lazy="raise"
    )

    __table_args__ = (
        Index("ix_organization_code", "code"),
        Index("ix_organization_parent_id", "parent_id"),
        Index("ix_organization_district_code", "district_code"),
    )


class AuditLog(AuditLogMixin, Base):
    pass


class OutboxMessage(OutboxMessageMixin, Base):
    pass
