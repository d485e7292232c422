import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, select

from shared.pagination import CursorParams, SortKey
from shared.repository import Repository
from supervision.models import (
    Assessment,
    AssessmentDocument,
    AssessmentInput,
    AssessmentKind,
    AssessmentPhase,
    AssessmentTarget,
    DocumentKind,
    Evaluation,
    Inspector,
    TeamMember,
)


class AssessmentRepository(Repository[Assessment]):
    model = Assessment

    async def get_visible(
        self, id: uuid.UUID, visible: ColumnElement[bool], *, for_update: bool = False
    ) -> Assessment | None:
        statement = select(Assessment).where(Assessment.id == id, visible)
        if for_update:
            statement = statement.with_for_update()
        return await self.get_one_or_none(statement)

    async def list_page(
        self,
        params: CursorParams,
        visible: ColumnElement[bool],
        *,
        kind: AssessmentKind | None,
        year: int | None,
        phase: AssessmentPhase | None,
        district_code: str | None,
    ) -> tuple[list[Assessment], str | None]:
        statement = self.base_statement().where(visible)
        if kind is not None:
            statement = statement.where(Assessment.kind == kind)
        if year is not None:
            statement = statement.where(Assessment.year == year)
        if phase is not None:
            statement = statement.where(Assessment.phase == phase)
        if district_code is not None:
            statement = statement.where(Assessment.district_code == district_code)

        def key_values(item: Assessment) -> list[Any]:
            return [item.id]

        return await self.paginate(
            statement, params, [SortKey(Assessment.id, descending=True)], key_values
        )

    async def find(self, kind: AssessmentKind, title: str, year: int) -> Assessment | None:
        return await self.get_one_or_none(
            select(Assessment).where(
                Assessment.kind == kind, Assessment.title == title, Assessment.year == year
            )
        )


class TargetRepository(Repository[AssessmentTarget]):
    model = AssessmentTarget

    async def get_in(
        self, assessment_id: uuid.UUID, target_id: uuid.UUID, *, for_update: bool = False
    ) -> AssessmentTarget | None:
        statement = select(AssessmentTarget).where(
            AssessmentTarget.id == target_id, AssessmentTarget.assessment_id == assessment_id
        )
        if for_update:
            statement = statement.with_for_update()
        return await self.get_one_or_none(statement)

    async def for_assessment(
        self, assessment_id: uuid.UUID, visible: ColumnElement[bool] | None = None
    ) -> Sequence[AssessmentTarget]:
        statement = (
            select(AssessmentTarget)
            .where(AssessmentTarget.assessment_id == assessment_id)
            .order_by(AssessmentTarget.org_code)
        )
        if visible is not None:
            statement = statement.where(visible)
        return await self.get_all(statement)

    async def codes(self, assessment_id: uuid.UUID) -> set[str]:
        rows = await self.session.scalars(
            select(AssessmentTarget.org_code).where(AssessmentTarget.assessment_id == assessment_id)
        )
        return set(rows)


class TeamRepository(Repository[TeamMember]):
    model = TeamMember

    async def member(self, assessment_id: uuid.UUID, inspector_id: uuid.UUID) -> TeamMember | None:
        return await self.get_one_or_none(
            select(TeamMember).where(
                TeamMember.assessment_id == assessment_id, TeamMember.inspector_id == inspector_id
            )
        )

    async def with_inspectors(
        self, assessment_id: uuid.UUID
    ) -> Sequence[tuple[TeamMember, Inspector]]:
        rows = (
            await self.session.execute(
                select(TeamMember, Inspector)
                .join(Inspector, Inspector.id == TeamMember.inspector_id)
                .where(TeamMember.assessment_id == assessment_id)
                .order_by(TeamMember.role, Inspector.name)
            )
        ).all()
        return [(row[0], row[1]) for row in rows]


class InputRepository(Repository[AssessmentInput]):
    model = AssessmentInput

    async def for_target(self, target_id: uuid.UUID) -> Sequence[AssessmentInput]:
        return await self.get_all(
            select(AssessmentInput)
            .where(AssessmentInput.target_id == target_id)
            .order_by(AssessmentInput.key)
        )


class DocumentRepository(Repository[AssessmentDocument]):
    model = AssessmentDocument

    async def for_assessment(
        self,
        assessment_id: uuid.UUID,
        *,
        kind: DocumentKind | None = None,
        target_ids: Sequence[uuid.UUID] | None = None,
    ) -> Sequence[AssessmentDocument]:
        statement = select(AssessmentDocument).where(
            AssessmentDocument.assessment_id == assessment_id
        )
        if kind is not None:
            statement = statement.where(AssessmentDocument.kind == kind)
        if target_ids is not None:
            statement = statement.where(
                AssessmentDocument.target_id.is_(None)
                | AssessmentDocument.target_id.in_(list(target_ids))
            )
        return await self.get_all(statement.order_by(AssessmentDocument.created_at))

    async def latest(
        self, assessment_id: uuid.UUID, kind: DocumentKind
    ) -> AssessmentDocument | None:
        return await self.get_one_or_none(
            select(AssessmentDocument)
            .where(
                AssessmentDocument.assessment_id == assessment_id,
                AssessmentDocument.kind == kind,
            )
            .order_by(AssessmentDocument.created_at.desc(), AssessmentDocument.id.desc())
            .limit(1)
        )


class LatestEvaluations(Repository[Evaluation]):
    model = Evaluation

    async def by_ids(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Evaluation]:
        if not ids:
            return {}
        rows = await self.get_all(select(Evaluation).where(Evaluation.id.in_(list(ids))))
        return {row.id: row for row in rows}
