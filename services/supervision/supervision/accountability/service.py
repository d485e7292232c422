"""The accountability register (问责台账): who is held to account, in which form, for which
situation and on which basis, from proposal to decision to execution.

A county's own government or bureau is held to account by the city; schools and people in a
county by the county or the city.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import record
from shared.errors import Conflict, FieldError, InvalidInput, NotFound
from shared.i18n import Text
from shared.pagination import CursorParams
from supervision import clock
from supervision.accountability.forms import ALL_FORMS, SITUATIONS, allowed_forms
from supervision.accountability.repository import ActionRepository
from supervision.accountability.schemas import ActionCreate, ActionDecision
from supervision.assessments.service import COUNTY_LEVEL, assessment_service
from supervision.evidence.service import evidence_service
from supervision.findings.service import finding_service
from supervision.models import AccountabilityAction, AccountabilityStatus, AuditLog
from supervision.policies import Scope


class ActionNotFound(NotFound):
    code = "supervision.accountability.not_found"
    title = Text("问责记录不存在", "Accountability entry not found")


class ActionState(Conflict):
    code = "supervision.accountability.state"
    title = Text("问责记录当前状态不允许该操作", "Not allowed in the entry's current state")


class AccountabilityService:
    def _require(self, scope: Scope, district_code: str, county_level: bool) -> None:
        if county_level:
            scope.require_city()
        else:
            scope.require_manager(district_code)

    async def create(
        self, session: AsyncSession, scope: Scope, body: ActionCreate
    ) -> AccountabilityAction:
        errors: list[FieldError] = []
        if body.situation not in SITUATIONS:
            errors.append(
                FieldError(
                    field="body.situation",
                    message=f"问责情形应为：{'、'.join(SITUATIONS)}",
                    type="enum",
                )
            )
        forms = allowed_forms(body.subject_type.value, body.private_institution)
        if body.form not in forms:
            what = "单位" if body.subject_type.value == "unit" else "个人"
            errors.append(
                FieldError(
                    field="body.form",
                    message=(
                        f"“{ALL_FORMS.get(body.form, body.form)}”不是对{what}的问责方式；"
                        f"可选：{'、'.join(f'{k}（{v}）' for k, v in forms.items())}"
                    ),
                    type="form_not_allowed",
                )
            )
        if errors:
            raise InvalidInput(Text("问责记录有误", "Invalid accountability entry"), errors=errors)

        district_code = body.district_code
        county_level = False
        if body.finding_id is not None:
            finding = await finding_service.get(session, scope, body.finding_id)
            district_code = finding.district_code
            county_level = finding.school_code is None
        if body.assessment_id is not None:
            assessment = await assessment_service.get(session, scope, body.assessment_id)
            district_code = district_code or assessment.district_code
            county_level = county_level or assessment.kind in COUNTY_LEVEL
        if district_code is None:
            raise InvalidInput.for_field(
                "body.district_code",
                Text(
                    "须指明县区，或关联问题、督导评估",
                    "Give district_code, a finding or an assessment",
                ),
            )
        county_level = county_level or body.subject_org_code == district_code
        self._require(scope, district_code, county_level)
        documents = [d.attachment_id for d in body.basis_documents if d.attachment_id]
        evidence = await evidence_service.link(
            session,
            scope,
            [*body.evidence_ids, *documents],
            district_code=district_code,
            school_code=None,
            linked_to="accountability",
            field="body.evidence_ids",
        )
        action = AccountabilityAction(
            finding_id=body.finding_id,
            assessment_id=body.assessment_id,
            district_code=district_code,
            subject_type=body.subject_type,
            subject_org_code=body.subject_org_code,
            subject_name=body.subject_name,
            subject_position=body.subject_position,
            private_institution=body.private_institution,
            situation=body.situation,
            form=body.form,
            basis=body.basis,
            basis_documents=[d.model_dump(mode="json") for d in body.basis_documents],
            evidence_ids=evidence,
            status=AccountabilityStatus.proposed,
            note=body.note,
            created_by=scope.subject,
        )
        await ActionRepository(session).create(action, flush=True)
        self._audit(session, scope, "accountability.propose", action)
        return action

    async def get(self, session: AsyncSession, scope: Scope, id: uuid.UUID) -> AccountabilityAction:
        action = await ActionRepository(session).get_visible(
            id, scope.where(AccountabilityAction.district_code)
        )
        if action is None:
            raise ActionNotFound()
        return action

    async def page(
        self,
        session: AsyncSession,
        scope: Scope,
        params: CursorParams,
        *,
        status: AccountabilityStatus | None = None,
        district_code: str | None = None,
        finding_id: uuid.UUID | None = None,
    ) -> tuple[list[AccountabilityAction], str | None]:
        return await ActionRepository(session).list_page(
            params,
            scope.where(AccountabilityAction.district_code),
            status=status,
            district_code=district_code,
            finding_id=finding_id,
        )

    async def _for_change(
        self, session: AsyncSession, scope: Scope, id: uuid.UUID
    ) -> AccountabilityAction:
        action = await self.get(session, scope, id)
        county_level = action.subject_org_code == action.district_code
        if action.finding_id is not None:
            finding = await finding_service.get(session, scope, action.finding_id)
            county_level = county_level or finding.school_code is None
        if action.assessment_id is not None:
            assessment = await assessment_service.get(session, scope, action.assessment_id)
            county_level = county_level or assessment.kind in COUNTY_LEVEL
        self._require(scope, action.district_code, county_level)
        return action

    async def decide(
        self, session: AsyncSession, scope: Scope, id: uuid.UUID, body: ActionDecision
    ) -> AccountabilityAction:
        action = await self._for_change(session, scope, id)
        if action.status != AccountabilityStatus.proposed:
            raise ActionState()
        action.status = AccountabilityStatus.decided
        action.decided_on = body.on or clock.today()
        action.decided_by = scope.subject
        if body.note:
            action.note = body.note
        self._audit(session, scope, "accountability.decide", action)
        return action

    async def execute(
        self, session: AsyncSession, scope: Scope, id: uuid.UUID, body: ActionDecision
    ) -> AccountabilityAction:
        action = await self._for_change(session, scope, id)
        if action.status != AccountabilityStatus.decided:
            raise ActionState()
        action.status = AccountabilityStatus.executed
        action.executed_on = body.on or clock.today()
        if body.note:
            action.note = body.note
        self._audit(session, scope, "accountability.execute", action)
        return action

    async def revoke(
        self, session: AsyncSession, scope: Scope, id: uuid.UUID, reason: str
    ) -> AccountabilityAction:
        action = await self._for_change(session, scope, id)
        if action.status not in (AccountabilityStatus.proposed, AccountabilityStatus.decided):
            raise ActionState()
        action.status = AccountabilityStatus.revoked
        action.note = reason
        self._audit(session, scope, "accountability.revoke", action)
        return action

    def _audit(
        self,
        session: AsyncSession,
        scope: Scope,
        action_name: str,
        action: AccountabilityAction,
        details: dict[str, Any] | None = None,
    ) -> None:
        record(
            session,
            AuditLog,
            action=action_name,
            resource_type="accountability_action",
            resource_id=action.id,
            principal=scope.principal,
            details={"form": action.form, "status": action.status.value, **(details or {})},
        )


accountability_service = AccountabilityService()
