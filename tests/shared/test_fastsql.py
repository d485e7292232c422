"""The hot-path writer: same rows as an ORM flush, in the request's transaction, one round trip."""

import uuid

import asyncpg
import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from directory.models import AuditLog, Organization, OrganizationKind, OutboxMessage
from shared import audit
from shared.auth import Grant, Principal
from shared.db import create_sessionmaker
from shared.fastsql import driver_connection, insert_pending
from shared.outbox import add_message


async def test_rows_match_what_the_orm_would_write(session: AsyncSession) -> None:
    code = f"fs{uuid.uuid4().hex[:10]}"
    organization = Organization(kind=OrganizationKind.school, code=code, name="快写学校")
    session.add(organization)
    add_message(session, OutboxMessage, "test.fast", {"学校": code, "n": [1, 2]})
    principal = Principal(
        subject="user:1", kind="staff", grants=(Grant.parse("city_admin@city:450100"),)
    )
    audit.record(
        session,
        AuditLog,
        action="fast.write",
        resource_type="organization",
        resource_id=code,
        principal=principal,
        client_ip="10.0.0.7",
        details={"k": "值"},
    )

    written = await insert_pending(session)

    assert len(written) == 3
    assert not session.new
    stored = await session.scalar(select(Organization).where(Organization.code == code))
    assert stored is not None
    assert stored.id == organization.id  # the Python-side default (uuid7) was applied once
    assert stored.stages == []
    assert stored.created_at is not None  # server default
    message = await session.scalar(select(OutboxMessage).where(OutboxMessage.topic == "test.fast"))
    assert message is not None
    assert message.payload == {"学校": code, "n": [1, 2]}
    assert message.attempts == 0
    entry = await session.scalar(select(AuditLog).where(AuditLog.action == "fast.write"))
    assert entry is not None
    assert (str(entry.client_ip), entry.details, entry.actor_roles) == (
        "10.0.0.7",
        {"k": "值"},
        ["city_admin"],
    )


async def test_writes_belong_to_the_sessions_transaction(engine: AsyncEngine) -> None:
    code = f"fs{uuid.uuid4().hex[:10]}"
    maker = create_sessionmaker(engine)
    async with maker() as session:
        session.add(Organization(kind=OrganizationKind.school, code=code, name="回滚"))
        await insert_pending(session)
        await session.rollback()
    async with maker() as session:
        assert await session.scalar(select(Organization).where(Organization.code == code)) is None

    async with maker() as session:
        session.add(Organization(kind=OrganizationKind.school, code=code, name="提交"))
        await insert_pending(session)
        await session.commit()
    async with maker() as session, session.begin():
        assert (
            await session.scalar(select(Organization.name).where(Organization.code == code))
            == "提交"
        )
        await session.execute(delete(Organization).where(Organization.code == code))


async def test_a_statement_before_any_orm_statement_is_inside_the_transaction(
    engine: AsyncEngine,
) -> None:
    maker = create_sessionmaker(engine)
    async with maker() as session:
        connection = await driver_connection(session)
        assert connection.is_in_transaction()
        await session.rollback()


async def test_constraint_violations_surface_and_roll_back(session: AsyncSession) -> None:
    session.add(Organization(kind=OrganizationKind.school, code="fsdup", name="甲"))
    await insert_pending(session)
    session.add(Organization(kind=OrganizationKind.school, code="fsdup", name="乙"))

    with pytest.raises(asyncpg.UniqueViolationError):
        await insert_pending(session)


async def test_fetched_instances_carry_typed_values(session: AsyncSession) -> None:
    from shared.fastsql import fetch_instances

    code = f"fs{uuid.uuid4().hex[:10]}"
    session.add(
        Organization(kind=OrganizationKind.school, code=code, name="读回", stages=["primary"])
    )
    await session.flush()

    [organization] = await fetch_instances(session, Organization, "code = $1", code)

    assert organization.kind is OrganizationKind.school  # the enum, not its string
    assert organization.stages == ["primary"]
    assert organization.created_at is not None
    assert organization not in session
