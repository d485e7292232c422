"""The directory's tables, all in the `directory` schema.

Validity: `valid_from` is the first day a unit exists (inclusive, NULL = always), `valid_to` the
first day it no longer does (exclusive, NULL = still valid). A renamed or merged unit is closed
(`valid_to`) and points at its `successor`, so a 2018 plan that names 横县 still resolves to the
unit that existed then, and today's look-ups follow the link to 横州市.
"""

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, INET, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shared.audit import AuditLogMixin
from shared.auth import Grant, Role, ScopeLevel
from shared.db import Timestamps, UUIDPrimaryKey, make_metadata
from shared.ids import uuid7
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
    # Colleges and other institutions named as responsible units (南宁职业技术学院).
    institution = "institution"


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
    # GB/T 2260 code for bureaus, 10-digit 学校标识码 for schools; governments and departments
    # have none (a district's government shares its district_code with its bureau).
    code: Mapped[str | None] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    # `normalize_name(name)`, kept by the service: what name look-ups compare.
    search_name: Mapped[str] = mapped_column(String(200), default="")
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organization.id"))
    district_code: Mapped[str | None] = mapped_column(String(20))
    # Stages a school offers; a 九年一贯制 school offers primary and junior.
    stages: Mapped[list[str]] = mapped_column(ARRAY(String(20)), default=list)
    ownership: Mapped[Ownership | None] = mapped_column(
        Enum(Ownership, name="ownership", native_enum=False, length=10)
    )
    address: Mapped[str | None] = mapped_column(String(300))
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    successor_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organization.id", ondelete="SET NULL")
    )

    parent: Mapped["Organization | None"] = relationship(
        remote_side="Organization.id", foreign_keys=[parent_id], lazy="raise"
    )
    aliases: Mapped[list["OrganizationAlias"]] = relationship(
        back_populates="organization",
        lazy="raise",
        cascade="all, delete-orphan",
        order_by="OrganizationAlias.alias",
    )

    __table_args__ = (
        Index("ix_organization_code", "code"),
        Index("ix_organization_parent_id", "parent_id"),
        Index("ix_organization_district_code", "district_code"),
        Index("ix_organization_search_name", "search_name"),
        # One current holder per code; closed units keep theirs for history.
        Index(
            "uq_organization_code_current",
            "code",
            unique=True,
            postgresql_where=text("valid_to IS NULL AND code IS NOT NULL"),
        ),
    )


class OrganizationAlias(UUIDPrimaryKey, Base):
    """Another name people write for a unit: "市教育局", "教育局" → 南宁市教育局."""

    __tablename__ = "organization_alias"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE")
    )
    alias: Mapped[str] = mapped_column(String(200))
    # `normalize_name(alias)`: what look-ups compare.
    normalized: Mapped[str] = mapped_column(String(200))

    organization: Mapped[Organization] = relationship(back_populates="aliases", lazy="raise")

    __table_args__ = (
        UniqueConstraint("organization_id", "normalized"),
        Index("ix_organization_alias_normalized", "normalized"),
    )


class OrganizationGroup(UUIDPrimaryKey, Timestamps, Base):
    """A collective phrase in documents: "各县区人民政府" means every district government.

    Members are listed explicitly, with their own validity: the group resolves to the members
    valid on the date asked about (横县人民政府 in 2018, 横州市人民政府 today).
    """

    __tablename__ = "organization_group"

    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # Every spelling that means this group, the name included, normalised.
    names: Mapped[list[str]] = mapped_column(ARRAY(String(200)), default=list)
    description: Mapped[str | None] = mapped_column(String(500))

    members: Mapped[list["OrganizationGroupMember"]] = relationship(
        lazy="raise", cascade="all, delete-orphan"
    )

    __table_args__ = (Index("ix_organization_group_names", "names", postgresql_using="gin"),)


class OrganizationGroupMember(Base):
    __tablename__ = "organization_group_member"

    group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organization_group.id", ondelete="CASCADE"), primary_key=True
    )
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True
    )


class OrganizationImport(UUIDPrimaryKey, Base):
    """One bulk import of organisations, with its per-row error report."""

    __tablename__ = "organization_import"

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str | None] = mapped_column(String(100))
    filename: Mapped[str | None] = mapped_column(String(200))
    file_format: Mapped[str] = mapped_column(String(10))
    file_sha256: Mapped[str] = mapped_column(String(64))
    rows_total: Mapped[int] = mapped_column(Integer)
    rows_created: Mapped[int] = mapped_column(Integer)
    rows_updated: Mapped[int] = mapped_column(Integer)
    rows_failed: Mapped[int] = mapped_column(Integer)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)


# --- people ---------------------------------------------------------------------------------


class UserAccount(UUIDPrimaryKey, Timestamps, Base):
    """A staff member or inspector who signs in with a username and password."""

    __tablename__ = "user_account"

    username: Mapped[str] = mapped_column(String(64), unique=True)  # stored lower-case
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Consecutive failed sign-ins since the last success or lock.
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_sign_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str | None] = mapped_column(String(100))

    grants: Mapped[list["RoleGrant"]] = relationship(
        back_populates="user", lazy="raise", cascade="all, delete-orphan"
    )


GRANTABLE_ROLES = (
    Role.city_admin,
    Role.district_admin,
    Role.school_staff,
    Role.inspector,
    Role.unit_reporter,
)


class RoleGrant(UUIDPrimaryKey, Timestamps, Base):
    """A role with an org scope: `district_admin@district:450103`."""

    __tablename__ = "role_grant"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(Enum(Role, name="role", native_enum=False, length=30))
    level: Mapped[ScopeLevel] = mapped_column(
        Enum(ScopeLevel, name="scope_level", native_enum=False, length=10)
    )
    code: Mapped[str] = mapped_column(String(40))
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organization.id", ondelete="SET NULL")
    )
    # The district the scope lies in (NULL for city-wide and district-less units): lets a
    # district admin's queries see exactly the grants inside their district.
    district_code: Mapped[str | None] = mapped_column(String(20))
    granted_by: Mapped[str | None] = mapped_column(String(100))

    user: Mapped[UserAccount] = relationship(back_populates="grants", lazy="raise")

    @property
    def grant(self) -> str:
        return str(Grant(self.role, self.level, self.code))

    __table_args__ = (
        UniqueConstraint("user_id", "role", "level", "code"),
        Index("ix_role_grant_district_code", "district_code"),
    )


class ParentAccount(UUIDPrimaryKey, Timestamps, Base):
    """A parent who signs in with a phone number and an SMS code.

    The phone number is personal data: stored encrypted, found through a keyed blind index,
    shown masked.
    """

    __tablename__ = "parent_account"

    phone_index: Mapped[str] = mapped_column(String(64), unique=True)
    phone_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    phone_key_id: Mapped[str] = mapped_column(String(16))
    phone_masked: Mapped[str] = mapped_column(String(20))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SmsCode(UUIDPrimaryKey, Base):
    """A one-time sign-in code sent to a phone; only its keyed hash is kept."""

    __tablename__ = "sms_code"

    phone_index: Mapped[str] = mapped_column(String(64))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    consumed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    client_ip: Mapped[str | None] = mapped_column(INET)

    __table_args__ = (Index("ix_sms_code_phone_index_created_at", "phone_index", "created_at"),)


# --- clients and tokens ---------------------------------------------------------------------


class ClientKind(StrEnum):
    agency = "agency"
    service = "service"


class ApiClient(UUIDPrimaryKey, Timestamps, Base):
    """An OAuth2 client using client credentials: another agency's system, or one of our services."""

    __tablename__ = "api_client"

    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[ClientKind] = mapped_column(
        Enum(ClientKind, name="client_kind", native_enum=False, length=10)
    )
    secret_hash: Mapped[str] = mapped_column(String(200))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(80)), default=list)
    # Requests per minute across the platform; NULL = no limit (our own services).
    rate_limit_per_minute: Mapped[int | None] = mapped_column(Integer)
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organization.id", ondelete="SET NULL")
    )
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Part of the tokens' session id: bumping it (secret rotated, client disabled) lets every
    # service reject the tokens already handed out.
    token_generation: Mapped[int] = mapped_column(Integer, default=1)
    secret_rotated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str | None] = mapped_column(String(100))


class AuthSession(Base):
    """A signed-in session: one refresh-token family. Its id is the tokens' `sid`."""

    __tablename__ = "auth_session"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)
    subject: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE")
    )
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("parent_account.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_refreshed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str | None] = mapped_column(String(40))
    client_ip: Mapped[str | None] = mapped_column(INET)

    __table_args__ = (
        Index("ix_auth_session_user_id", "user_id"),
        Index("ix_auth_session_parent_id", "parent_id"),
    )


class RefreshToken(UUIDPrimaryKey, Base):
    """One refresh token of a family; only its SHA-256 is stored. Used once, then replaced."""

    __tablename__ = "refresh_token"

    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auth_session.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_refresh_token_session_id", "session_id"),)


class SigningKey(Base):
    """An Ed25519 token-signing key; the private half encrypted with the settings' secret key.

    Published in the JWKS from creation (ahead of `activates_at`, so every service's cache has
    it before the first token) until its last token has expired after `retired_at`.
    """

    __tablename__ = "signing_key"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # the JWT `kid`
    algorithm: Mapped[str] = mapped_column(String(10))
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSONB)
    private_key_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    encryption_key_id: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    activates_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditLog(AuditLogMixin, Base):
    pass


class OutboxMessage(OutboxMessageMixin, Base):
    pass
