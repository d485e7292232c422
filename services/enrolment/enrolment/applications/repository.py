import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select

from enrolment.models import SLOT_STATUSES, Application, ApplicationEvent, Verification
from shared.fastsql import driver_connection
from shared.repository import Repository


class ApplicationRepository(Repository[Application]):
    model = Application

    async def owned(
        self, parent_subject: str, application_id: uuid.UUID, *, lock: bool = False
    ) -> Application | None:
        statement = select(Application).where(
            Application.id == application_id, Application.parent_subject == parent_subject
        )
        if lock:
            statement = statement.with_for_update()
        return await self.get_one_or_none(statement)

    async def of_parent(self, parent_subject: str) -> Sequence[Application]:
        return await self.get_all(
            select(Application)
            .where(Application.parent_subject == parent_subject)
            .order_by(Application.created_at.desc())
        )

    async def timeline(self, application_id: uuid.UUID) -> Sequence[ApplicationEvent]:
        return (
            await self.session.scalars(
                select(ApplicationEvent)
                .where(ApplicationEvent.application_id == application_id)
                .order_by(ApplicationEvent.id)
            )
        ).all()

    async def verifications(self, application_id: uuid.UUID) -> Sequence[Verification]:
        return (
            await self.session.scalars(
                select(Verification)
                .where(Verification.application_id == application_id)
                .order_by(Verification.agency)
            )
        ).all()

    async def status_of(
        self, parent_subject: str, application_id: uuid.UUID
    ) -> Mapping[str, Any] | None:
        """What a polling phone shows. Families poll this all day: straight on asyncpg."""
        connection = await driver_connection(self.session)
        record = await connection.fetchrow(
            "SELECT id, status, batch_name, verification_status, updated_at "
            "FROM enrolment.application WHERE id = $1 AND parent_subject = $2",
            application_id,
            parent_subject,
        )
        return dict(record) if record is not None else None

    async def live_for_id_number(
        self,
        cycle_id: uuid.UUID,
        id_number_index: bytes,
        *,
        exclude_child_id: uuid.UUID | None = None,
        lock: bool = False,
    ) -> Sequence[Application]:
        """The applications holding (or sharing, when flagged) a child's place in a cycle."""
        statement = (
            select(Application)
            .where(
                Application.cycle_id == cycle_id,
                Application.id_number_index == id_number_index,
                Application.status.in_(SLOT_STATUSES),
            )
            .order_by(Application.submitted_at, Application.id)
        )
        if exclude_child_id is not None:
            statement = statement.where(Application.child_id != exclude_child_id)
        if lock:
            statement = statement.with_for_update()
        return await self.get_all(statement)

    async def for_id_number(
        self, cycle_id: uuid.UUID, id_number_index: bytes
    ) -> Sequence[Application]:
        return await self.get_all(
            select(Application)
            .where(Application.cycle_id == cycle_id, Application.id_number_index == id_number_index)
            .order_by(Application.created_at, Application.id)
        )

    async def lock_child_slot(self, cycle_id: uuid.UUID, id_number_index: bytes) -> None:
        """The lock a submission takes on its child's place (see `ChildFileRepository.load`)."""
        connection = await driver_connection(self.session)
        await connection.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended("
            "'xuezai.enrolment.child-slot:' || $1::text || ':' || encode($2::bytea, 'hex'), 0))",
            str(cycle_id),
            id_number_index,
        )

    async def others_with_property(
        self, cycle_id: uuid.UUID, property_index: bytes, id_number_index: bytes
    ) -> int:
        """Live applications of other children in the cycle that name the same property.

        On the submission hot path, so straight on asyncpg (see `shared.fastsql`)."""
        connection = await driver_connection(self.session)
        count = await connection.fetchval(
            "SELECT count(*) FROM enrolment.application WHERE cycle_id = $1 "
            "AND property_certificate_index = $2 AND id_number_index <> $3 "
            "AND status NOT IN ('draft', 'withdrawn')",
            cycle_id,
            property_index,
            id_number_index,
        )
        return int(count or 0)
