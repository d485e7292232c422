"""Every evaluation result is stored with its inputs and the exact rules it ran under, so a
report can be reproduced after the rules change."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import record
from shared.errors import NotFound
from shared.i18n import Text
from shared.pagination import CursorParams
from supervision.evaluations.repository import EvaluationRepository
from supervision.frameworks.model import ResolvedFramework
from supervision.models import AuditLog, Evaluation
from supervision.policies import Scope


class EvaluationNotFound(NotFound):
    code = "supervision.evaluation.not_found"
    title = Text("评估结果不存在", "Evaluation not found")


class EvaluationService:
    async def store(
        self,
        session: AsyncSession,
        scope: Scope,
        *,
        kind: str,
        rules: ResolvedFramework,
        inputs: dict[str, Any],
        result: dict[str, Any],
        outcome: str,
        grade: str | None = None,
        sources: dict[str, Any] | None = None,
        org_code: str | None = None,
        district_code: str | None = None,
        as_of: date | None = None,
        assessment_id: uuid.UUID | None = None,
        target_id: uuid.UUID | None = None,
    ) -> Evaluation:
        evaluation = Evaluation(
            assessment_id=assessment_id,
            target_id=target_id,
            kind=kind,
            org_code=org_code,
            district_code=district_code,
            framework_code=rules.code,
            framework_version=rules.version,
            overlays=list(rules.overlays),
            as_of=as_of,
            rules=rules.model_dump(mode="json"),
            inputs=inputs,
            result=result,
            sources=sources or {},
            outcome=outcome,
            grade=grade,
            computed_by=scope.subject,
        )
        await EvaluationRepository(session).create(evaluation, flush=True)
        record(
            session,
            AuditLog,
            action="evaluation.compute",
            resource_type="evaluation",
            resource_id=evaluation.id,
            principal=scope.principal,
            details={"kind": kind, "outcome": outcome, "rule": rules.code + "@" + rules.version},
        )
        return evaluation

    async def get(self, session: AsyncSession, scope: Scope, id: uuid.UUID) -> Evaluation:
        evaluation = await EvaluationRepository(session).get_visible(
            id, scope.where(Evaluation.district_code, Evaluation.org_code)
        )
        if evaluation is None:
            raise EvaluationNotFound()
        return evaluation

    async def page(
        self,
        session: AsyncSession,
        scope: Scope,
        params: CursorParams,
        *,
        assessment_id: uuid.UUID | None = None,
        target_id: uuid.UUID | None = None,
    ) -> tuple[list[Evaluation], str | None]:
        return await EvaluationRepository(session).list_page(
            params,
            scope.where(Evaluation.district_code, Evaluation.org_code),
            assessment_id=assessment_id,
            target_id=target_id,
        )


evaluation_service = EvaluationService()
