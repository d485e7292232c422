"""foundation: a schema per service, each with its first table, audit log and outbox

The audit log is append-only: a trigger refuses UPDATE and DELETE.

Revision ID: 4dd5db480f1c
Revises:
Create Date: 2026-11-23 23:20:37.891440+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "4dd5db480f1c"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


SCHEMAS = ("directory", "plans", "supervision", "enrolment")


def upgrade() -> None:
    for schema in SCHEMAS:
        op.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("actor_subject", sa.String(length=100), nullable=True),
        sa.Column("actor_kind", sa.String(length=20), nullable=True),
        sa.Column("actor_roles", postgresql.ARRAY(sa.String(length=40)), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("resource_type", sa.String(length=60), nullable=False),
        sa.Column("resource_id", sa.String(length=100), nullable=True),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column("client_ip", postgresql.INET(), nullable=True),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        schema="directory",
    )
    op.create_index(
        "ix_audit_log_actor_subject",
        "audit_log",
        ["actor_subject"],
        unique=False,
        schema="directory",
    )
    op.create_index(
        "ix_audit_log_occurred_at", "audit_log", ["occurred_at"], unique=False, schema="directory"
    )
    op.create_index(
        "ix_audit_log_resource",
        "audit_log",
        ["resource_type", "resource_id"],
        unique=False,
        schema="directory",
    )
    op.create_table(
        "organization",
        sa.Column(
            "kind",
            sa.Enum(
                "city_bureau",
                "district_bureau",
                "school",
                "kindergarten",
                "department",
                "government",
                name="organization_kind",
                native_enum=False,
                length=30,
                schema="directory",
            ),
            nullable=False,
        ),
        sa.Column("code", sa.String(length=20), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("district_code", sa.String(length=20), nullable=True),
        sa.Column("stages", postgresql.ARRAY(sa.String(length=20)), nullable=False),
        sa.Column(
            "ownership",
            sa.Enum("public", "private", name="ownership", native_enum=False, length=10),
            nullable=True,
        ),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["directory.organization.id"],
            name=op.f("fk_organization_parent_id_organization"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organization")),
        schema="directory",
    )
    op.create_index(
        "ix_organization_code", "organization", ["code"], unique=False, schema="directory"
    )
    op.create_index(
        "ix_organization_district_code",
        "organization",
        ["district_code"],
        unique=False,
        schema="directory",
    )
    op.create_index(
        "ix_organization_parent_id", "organization", ["parent_id"], unique=False, schema="directory"
    )
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "available_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_message")),
        schema="directory",
    )
    op.create_index(
        "ix_outbox_message_due",
        "outbox_message",
        ["available_at"],
        unique=False,
        schema="directory",
        postgresql_where=sa.text("processed_at IS NULL AND failed_at IS NULL"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("actor_subject", sa.String(length=100), nullable=True),
        sa.Column("actor_kind", sa.String(length=20), nullable=True),
        sa.Column("actor_roles", postgresql.ARRAY(sa.String(length=40)), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("resource_type", sa.String(length=60), nullable=False),
        sa.Column("resource_id", sa.String(length=100), nullable=True),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column("client_ip", postgresql.INET(), nullable=True),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        schema="plans",
    )
    op.create_index(
        "ix_audit_log_actor_subject", "audit_log", ["actor_subject"], unique=False, schema="plans"
    )
    op.create_index(
        "ix_audit_log_occurred_at", "audit_log", ["occurred_at"], unique=False, schema="plans"
    )
    op.create_index(
        "ix_audit_log_resource",
        "audit_log",
        ["resource_type", "resource_id"],
        unique=False,
        schema="plans",
    )
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "available_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_message")),
        schema="plans",
    )
    op.create_index(
        "ix_outbox_message_due",
        "outbox_message",
        ["available_at"],
        unique=False,
        schema="plans",
        postgresql_where=sa.text("processed_at IS NULL AND failed_at IS NULL"),
    )
    op.create_table(
        "plan",
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("doc_number", sa.String(length=100), nullable=True),
        sa.Column("issuer", sa.String(length=200), nullable=True),
        sa.Column("period_start", sa.Integer(), nullable=True),
        sa.Column("period_end", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="draft", nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan")),
        schema="plans",
    )
    op.create_table(
        "assessment",
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("target_org_code", sa.String(length=20), nullable=True),
        sa.Column("district_code", sa.String(length=20), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="draft", nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment")),
        schema="supervision",
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("actor_subject", sa.String(length=100), nullable=True),
        sa.Column("actor_kind", sa.String(length=20), nullable=True),
        sa.Column("actor_roles", postgresql.ARRAY(sa.String(length=40)), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("resource_type", sa.String(length=60), nullable=False),
        sa.Column("resource_id", sa.String(length=100), nullable=True),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column("client_ip", postgresql.INET(), nullable=True),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        schema="supervision",
    )
    op.create_index(
        "ix_audit_log_actor_subject",
        "audit_log",
        ["actor_subject"],
        unique=False,
        schema="supervision",
    )
    op.create_index(
        "ix_audit_log_occurred_at", "audit_log", ["occurred_at"], unique=False, schema="supervision"
    )
    op.create_index(
        "ix_audit_log_resource",
        "audit_log",
        ["resource_type", "resource_id"],
        unique=False,
        schema="supervision",
    )
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "available_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_message")),
        schema="supervision",
    )
    op.create_index(
        "ix_outbox_message_due",
        "outbox_message",
        ["available_at"],
        unique=False,
        schema="supervision",
        postgresql_where=sa.text("processed_at IS NULL AND failed_at IS NULL"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("actor_subject", sa.String(length=100), nullable=True),
        sa.Column("actor_kind", sa.String(length=20), nullable=True),
        sa.Column("actor_roles", postgresql.ARRAY(sa.String(length=40)), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("resource_type", sa.String(length=60), nullable=False),
        sa.Column("resource_id", sa.String(length=100), nullable=True),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column("client_ip", postgresql.INET(), nullable=True),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        schema="enrolment",
    )
    op.create_index(
        "ix_audit_log_actor_subject",
        "audit_log",
        ["actor_subject"],
        unique=False,
        schema="enrolment",
    )
    op.create_index(
        "ix_audit_log_occurred_at", "audit_log", ["occurred_at"], unique=False, schema="enrolment"
    )
    op.create_index(
        "ix_audit_log_resource",
        "audit_log",
        ["resource_type", "resource_id"],
        unique=False,
        schema="enrolment",
    )
    op.create_table(
        "cycle",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("district_code", sa.String(length=20), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="draft", nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cycle")),
        schema="enrolment",
    )
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "available_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_message")),
        schema="enrolment",
    )
    op.create_index(
        "ix_outbox_message_due",
        "outbox_message",
        ["available_at"],
        unique=False,
        schema="enrolment",
        postgresql_where=sa.text("processed_at IS NULL AND failed_at IS NULL"),
    )
    for schema in SCHEMAS:
        op.execute(
            f"""
            CREATE FUNCTION {schema}.forbid_audit_log_change() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'audit_log is append-only';
            END $$
            """
        )
        op.execute(
            f"""
            CREATE TRIGGER audit_log_append_only
            BEFORE UPDATE OR DELETE ON {schema}.audit_log
            FOR EACH ROW EXECUTE FUNCTION {schema}.forbid_audit_log_change()
            """
        )


def downgrade() -> None:
    for schema in SCHEMAS:
        op.execute(f"DROP TRIGGER audit_log_append_only ON {schema}.audit_log")
        op.execute(f"DROP FUNCTION {schema}.forbid_audit_log_change()")
    op.drop_index(
        "ix_outbox_message_due",
        table_name="outbox_message",
        schema="enrolment",
        postgresql_where=sa.text("processed_at IS NULL AND failed_at IS NULL"),
    )
    op.drop_table("outbox_message", schema="enrolment")
    op.drop_table("cycle", schema="enrolment")
    op.drop_index("ix_audit_log_resource", table_name="audit_log", schema="enrolment")
    op.drop_index("ix_audit_log_occurred_at", table_name="audit_log", schema="enrolment")
    op.drop_index("ix_audit_log_actor_subject", table_name="audit_log", schema="enrolment")
    op.drop_table("audit_log", schema="enrolment")
    op.drop_index(
        "ix_outbox_message_due",
        table_name="outbox_message",
        schema="supervision",
        postgresql_where=sa.text("processed_at IS NULL AND failed_at IS NULL"),
    )
    op.drop_table("outbox_message", schema="supervision")
    op.drop_index("ix_audit_log_resource", table_name="audit_log", schema="supervision")
    op.drop_index("ix_audit_log_occurred_at", table_name="audit_log", schema="supervision")
    op.drop_index("ix_audit_log_actor_subject", table_name="audit_log", schema="supervision")
    op.drop_table("audit_log", schema="supervision")
    op.drop_table("assessment", schema="supervision")
    op.drop_table("plan", schema="plans")
    op.drop_index(
        "ix_outbox_message_due",
        table_name="outbox_message",
        schema="plans",
        postgresql_where=sa.text("processed_at IS NULL AND failed_at IS NULL"),
    )
    op.drop_table("outbox_message", schema="plans")
    op.drop_index("ix_audit_log_resource", table_name="audit_log", schema="plans")
    op.drop_index("ix_audit_log_occurred_at", table_name="audit_log", schema="plans")
    op.drop_index("ix_audit_log_actor_subject", table_name="audit_log", schema="plans")
    op.drop_table("audit_log", schema="plans")
    op.drop_index(
        "ix_outbox_message_due",
        table_name="outbox_message",
        schema="directory",
        postgresql_where=sa.text("processed_at IS NULL AND failed_at IS NULL"),
    )
    op.drop_table("outbox_message", schema="directory")
    op.drop_index("ix_organization_parent_id", table_name="organization", schema="directory")
    op.drop_index("ix_organization_district_code", table_name="organization", schema="directory")
    op.drop_index("ix_organization_code", table_name="organization", schema="directory")
    op.drop_table("organization", schema="directory")
    op.drop_index("ix_audit_log_resource", table_name="audit_log", schema="directory")
    op.drop_index("ix_audit_log_occurred_at", table_name="audit_log", schema="directory")
    op.drop_index("ix_audit_log_actor_subject", table_name="audit_log", schema="directory")
    op.drop_table("audit_log", schema="directory")
    for schema in reversed(SCHEMAS):
        op.execute(f"DROP SCHEMA {schema}")
