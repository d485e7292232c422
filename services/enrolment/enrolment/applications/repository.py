import uuid
from collections.abc import Sequence

from sqlalchemy import func, select

from enrolment.models import Application, ApplicationEvent, ApplicationStatus, Verification
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

    async def others_with_property(
        self, cycle_id: uuid.UUID, property_index: bytes, id_number_index: bytes
    ) -> int:
        """Live applications of other children in the cycle that name the same property."""
        statement = select(func.count()).where(
            Application.cycle_id == cycle_id,
            Application.property_certificate_index == property_index,
            Application.id_number_index != id_number_index,
            Application.status.not_in((ApplicationStatus.draft, ApplicationStatus.withdrawn)),
        )
        return int(await self.session.scalar(statement) or 0)
