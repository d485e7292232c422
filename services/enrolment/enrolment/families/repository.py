import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, exists, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from enrolment.models import (
    SLOT_STATUSES,
    Application,
    ApplicationStatus,
    Child,
    Document,
    FamilyFacts,
    Guardian,
)
from shared.fastsql import driver_connection, fetch_instances, instance_from_record
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

    async def count_locked(self, parent_subject: str) -> int:
        """How many children the account has, holding the account's lock until commit so two
        requests adding children at once cannot both pass the cap."""
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"xuezai.enrolment.children:{parent_subject}"},
        )
        return await self.count(select(Child.id).where(Child.parent_subject == parent_subject))

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
    rivals: int = 0
    """Live applications in the cycle for the same ID number from other accounts."""


# Which child slot a transaction holds: one per cycle and ID number (the blind index).
_CHILD_SLOT_LOCK = (
    "pg_advisory_xact_lock(hashtextextended("
    "'xuezai.enrolment.child-slot:' || $3::text || ':' || encode(id_number_index, 'hex'), 0))"
)
_RIVALS = (
    "SELECT count(*) FROM enrolment.application WHERE cycle_id = $2 AND id_number_index = $3 "
    "AND child_id <> $1 AND status = ANY($4::text[])"
)


class ChildFileRepository:
    """The submission hot path's reads, straight on asyncpg (see `shared.fastsql`); the
    objects are detached and only read."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def load(
        self, parent_subject: str, child_id: uuid.UUID, *, cycle_id: uuid.UUID | None = None
    ) -> ChildFile | None:
        """With `cycle_id`, also takes the child's slot in that cycle for this transaction and
        counts the other accounts' live applications for the same ID number.

        The lock is taken by the first statement and the count made by the last one, which
        therefore sees every submission that held the slot before (under READ COMMITTED each
        statement sees what was committed when it began): two accounts submitting for one ID
        number at once are serialised, and the second always sees the first. No extra round
        trip: the lock and the count ride on reads the submission makes anyway.
        """
        connection = await driver_connection(self.session)
        if cycle_id is None:
            record = await connection.fetchrow(
                "SELECT * FROM enrolment.child WHERE id = $1 AND parent_subject = $2",
                child_id,
                parent_subject,
            )
        else:
            record = await connection.fetchrow(
                f"SELECT *, {_CHILD_SLOT_LOCK} IS NULL AS locked FROM enrolment.child "
                "WHERE id = $1 AND parent_subject = $2",
                child_id,
                parent_subject,
                str(cycle_id),
            )
        if record is None:
            return None
        child = instance_from_record(Child, record)
        facts = await fetch_instances(self.session, FamilyFacts, "child_id = $1", child_id)
        guardians = await fetch_instances(
            self.session, Guardian, "child_id = $1", child_id, order_by="position"
        )
        kinds_sql = "SELECT array(SELECT DISTINCT kind FROM enrolment.document WHERE child_id = $1)"
        if cycle_id is None:
            kinds, rivals = await connection.fetchval(kinds_sql, child_id), 0
        else:
            row = await connection.fetchrow(
                f"{kinds_sql} AS kinds, ({_RIVALS}) AS rivals",
                child_id,
                cycle_id,
                child.id_number_index,
                [status.value for status in SLOT_STATUSES],
            )
            assert row is not None
            kinds, rivals = row["kinds"], int(row["rivals"])
        return ChildFile(
            child,
            facts[0] if facts else None,
            guardians,
            frozenset(kinds),
            rivals,
        )
