import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from shared.errors import NotFound
from shared.i18n import Text
from shared.pagination import CursorParams
from supervision.assessments.repository import AssessmentRepository
from supervision.models import Assessment


class AssessmentNotFound(NotFound):
    code = "supervision.assessment.not_found"
    title = Text("督导评估不存在", "Assessment not found")


class AssessmentService:
    async def list(
        self, session: AsyncSession, params: CursorParams
    ) -> tuple[list[Assessment], str | None]:
        return await AssessmentRepository(session).list_page(params)

    async def get(self, session: AsyncSession, id: uuid.UUID) -> Assessment:
        item = await AssessmentRepository(session).get(id)
        if item is None:
            raise AssessmentNotFound()
        return item


assessment_service = AssessmentService()
