import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from enrolment.models import Application, ApplicationStatus, Child, Document, FamilyFacts, Guardian
from shared.fastsql import driver_connection, fetch_instances
from shared.repository import Repository

# While an application is in one of these, what it was decided on must not change under it.
LOCKING_STATUSES = (
    ApplicationStatus.submitted,
    ApplicationStatus.under_review,
    ApplicationStatus.resubmitted,
    ApplicationStatus.verified,
    ApplicationStatus.admitted,
    ApplicationStatus.unplaced,
    ApplicationStatus.reassigned,
    ApplicationStatus.confirmed,
)


class ChildRepository(Repository[Child]):
    model = Child

    async def of_parent(self, parent_subject: str) -> Sequence[Child]:
        return await self.get_all(
            select(Child).where(Child.parent_subject == parent_subject).order_by(Child.created_at)
        )

    async def owned(self, parent_subject: str, child_id: uuid.UUID) -> Child | None:
        return await self.get_one_or_none(
            select(Child).where(Child.id == child_id, Child.parent_subject == parent_subject)
        )

    async def by_index(self, parent_subject: str, index: bytes) -> Child | None:
        return await self.get_one_or_none(
            select(Child).where(
                Child.parent_subject == parent_subject, Child.id_number_index == index
            )
        )

    async def is_locked(self, child_id: uuid.UUID) -> bool:
        statement = select(
            exists().where(
                Application.child_id == child_id, Application.status.in_(LOCKING_STATUSES)
            )
        )
        return bool(await self.session.scalar(statement))


class FactsRepository(Repository[FamilyFacts]):
    model = FamilyFacts

    async def guardians(self, child_id: uuid.UUID) -> Sequence[Guardian]:
        return (
            await self.session.scalars(
                select(Guardian).where(Guardian.child_id == child_id).order_by(Guardian.position)
            )
        ).all()

    async def replace_guardians(self, child_id: uuid.UUID, guardians: Sequence[Guardian]) -> None:
        await self.session.execute(delete(Guardian).where(Guardian.child_id == child_id))
        self.session.add_all(guardians)


class DocumentRepository(Repository[Document]):
    model = Document

    async def of_child(self, child_id: uuid.UUID) -> Sequence[Document]:
        return await self.get_all(
            select(Document)
            .where(Document.child_id == child_id)
            .order_by(Document.created_at, Document.id)
        )

    async def owned(self, parent_subject: str, document_id: uuid.UUID) -> Document | None:
        return await self.get_one_or_none(
            select(Document).where(
                Document.id == document_id, Document.parent_subject == parent_subject
            )
        )


@dataclass(frozen=True, slots=True)
class ChildFile:
    """What a submission is decided on: the child, the family's facts, guardians, documents."""

    child: Child
    facts: FamilyFacts | None
    guardians: list[Guardian]
    document_kinds: frozenset[str]


class ChildFileRepository:
    """The submission hot path's reads, straight on asyncpg (see `shared.fastsql`); the
    objects are detached and only read."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def load(self, parent_subject: str, child_id: uuid.UUID) -> ChildFile | None:
        children = await fetch_instances(
            self.session, Child, "id = $1 AND parent_subject = $2", child_id, parent_subject
        )
        if not children:
            return None
        facts = await fetch_instances(self.session, FamilyFacts, "child_id = $1", child_id)
        guardians = await fetch_instances(
            self.session, Guardian, "child_id = $1", child_id, order_by="position"
        )
        connection = await driver_connection(self.session)
        kinds = await connection.fetch(
            "SELECT DISTINCT kind FROM enrolment.document WHERE child_id = $1", child_id
        )
        return ChildFile(
            children[0],
            facts[0] if facts else None,
            guardians,
            frozenset(record["kind"] for record in kinds),
        )
