"""Assessments and campaigns: 督政 of county governments, 优质均衡 and 普及普惠 evaluations,
routine-management and kindergarten-conduct assessments, 专项督导 from templates.

An assessment names its framework (resolved on `as_of`, overlays applied), its targets, its
inspector team and moves forward through phases:

    planning → self_assessment → site_visit → scoring → feedback → rectification → follow_up → closed

Scores are recorded during the site visit and scoring; evaluation runs from scoring on and
stores each result with its inputs and rules. Who may do what:

- county-level kinds (督政, 优质均衡, 普及普惠) are run by the city — a county never scores itself;
- school-level kinds are run by the city or by the county for its own schools;
- team inspectors score and raise findings for every target except the school they work at;
- the target itself (school staff, or the county's education bureau for a county) writes its
  self-report and rectification plan.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import record
from shared.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from shared.i18n import Text
from shared.pagination import CursorParams
from supervision import clock
from supervision.assessments.pulls import ENROLMENT_INPUTS, PLANS_INPUTS, pull_enrolment, pull_plans
from supervision.assessments.reporting import build_report, render_markdown, report_title
from supervision.assessments.repository import (
    AssessmentRepository,
    DocumentRepository,
    InputRepository,
    TargetRepository,
    TeamRepository,
)
from supervision.assessments.schemas import (
    AssessmentCreate,
    DocumentCreate,
    InputSpecRead,
    InputsWrite,
    TeamMemberAdd,
)
from supervision.catalog.service import framework_service
from supervision.evaluations.service import evaluation_service
from supervision.evidence.service import evidence_service
from supervision.findings.repository import FindingRepository
from supervision.frameworks import special
from supervision.frameworks.balance import balance_entities, evaluate_balance
from supervision.frameworks.builtin import (
    COMPULSORY_QUALITY_BALANCE,
    KINDERGARTEN_CONDUCT,
    PRESCHOOL_UNIVERSAL_INCLUSIVE,
    SCHOOL_ROUTINE_MANAGEMENT,
)
from supervision.frameworks.evaluators import Entity, FrameworkInputs, evaluate_framework
from supervision.frameworks.government import (
    COUNTY_GOVERNMENT_DUTY,
    PREVIOUS_RECTIFICATION_INPUT,
)
from supervision.frameworks.model import (
    GradingSpec,
    ResolvedFramework,
    RubricSpec,
    Stage,
    ThresholdSpec,
    VetoSpec,
)
from supervision.inspectors.repository import InspectorRepository
from supervision.models import (
    Assessment,
    AssessmentDocument,
    AssessmentInput,
    AssessmentKind,
    AssessmentPhase,
    AssessmentTarget,
    AuditLog,
    DocumentKind,
    Evaluation,
    InputSource,
    Inspector,
    TargetKind,
    TeamMember,
)
from supervision.peers import COUNTY_KINDS, SCHOOL_KINDS, Peers, resolve_county, resolve_orgs
from supervision.policies import OutOfScope, Scope
from supervision.schooldata.service import school_data_service

DEFAULT_FRAMEWORKS: dict[AssessmentKind, str] = {
    AssessmentKind.government_duty: COUNTY_GOVERNMENT_DUTY.code,
    AssessmentKind.quality_balance: COMPULSORY_QUALITY_BALANCE.code,
    AssessmentKind.preschool_inclusive: PRESCHOOL_UNIVERSAL_INCLUSIVE.code,
    AssessmentKind.routine_management: SCHOOL_ROUTINE_MANAGEMENT.code,
    AssessmentKind.kindergarten_conduct: KINDERGARTEN_CONDUCT.code,
}
# Kinds whose target is a county government; the city runs them.
COUNTY_LEVEL = frozenset(
    {
        AssessmentKind.government_duty,
        AssessmentKind.quality_balance,
        AssessmentKind.preschool_inclusive,
    }
)
MANAGED_INPUTS: dict[AssessmentKind, dict[str, InputSource]] = {
    AssessmentKind.quality_balance: dict.fromkeys(ENROLMENT_INPUTS, InputSource.enrolment),
    AssessmentKind.government_duty: {
        **dict.fromkeys(PLANS_INPUTS, InputSource.plans),
        PREVIOUS_RECTIFICATION_INPUT: InputSource.findings,
    },
}
PHASE_ORDER = list(AssessmentPhase)
INPUT_PHASES = frozenset({AssessmentPhase.site_visit, AssessmentPhase.scoring})
EVALUATE_PHASES = frozenset(
    {
        AssessmentPhase.scoring,
        AssessmentPhase.feedback,
        AssessmentPhase.rectification,
        AssessmentPhase.follow_up,
    }
)
TARGET_PHASES = frozenset(
    {AssessmentPhase.planning, AssessmentPhase.self_assessment, AssessmentPhase.site_visit}
)
# Evidence of a city-wide document without a target: seen by city staff only.
CITY_LEVEL = "city"
TARGET_SIDE_DOCUMENTS = frozenset({DocumentKind.self_report, DocumentKind.rectification_plan})


class AssessmentNotFound(NotFound):
    code = "supervision.assessment.not_found"
    title = Text("督导评估不存在", "Assessment not found")


class TargetNotFound(NotFound):
    code = "supervision.assessment.target_not_found"
    title = Text("评估对象不存在", "Assessment target not found")


class PhaseConflict(Conflict):
    code = "supervision.assessment.phase"
    title = Text("当前阶段不允许该操作", "Not allowed in the assessment's current phase")


class NotOnTeam(Forbidden):
    code = "supervision.assessment.not_on_team"
    title = Text(
        "只有督导组成员或督导部门可以评分（任职学校须回避）",
        "Only the inspection team or the supervising office may score (recusal applies)",
    )


def _phase_text(phases: Sequence[AssessmentPhase]) -> str:
    return "、".join(p.value for p in phases)


def input_catalogue(rules: ResolvedFramework) -> dict[str, InputSpecRead]:
    """Every hand-entered input the framework reads, keyed by input name."""
    catalogue: dict[str, InputSpecRead] = {}
    for node in rules.leaves():
        spec = node.evaluator
        entries: list[InputSpecRead] = []
        if isinstance(spec, ThresholdSpec):
            entries.append(
                InputSpecRead(
                    key=spec.input,
                    indicator_code=node.code,
                    name=node.name,
                    type="yes_no" if spec.comparator == "is_true" else "number",
                    unit=spec.unit,
                )
            )
        elif isinstance(spec, RubricSpec):
            entries.extend(
                InputSpecRead(
                    key=item.key,
                    indicator_code=node.code,
                    name=item.name,
                    type="score",
                    max_score=item.max_score,
                )
                for item in spec.items
            )
        elif isinstance(spec, GradingSpec) and spec.input is not None:
            entries.append(
                InputSpecRead(
                    key=spec.input, indicator_code=node.code, name=node.name, type="number"
                )
            )
        elif isinstance(spec, VetoSpec):
            entries.extend(
                InputSpecRead(key=item.key, indicator_code=node.code, name=item.name, type="yes_no")
                for item in spec.items
            )
        for entry in entries:
            catalogue.setdefault(entry.key, entry)
    return catalogue


def _plain(value: Any) -> Any:
    """JSON numbers come back from the database as int; the evaluators take floats and bools."""
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


class AssessmentService:
    # --- visibility -----------------------------------------------------------------------------

    def visible(self, scope: Scope) -> ColumnElement[bool]:
        clauses: list[ColumnElement[bool]] = [scope.where(Assessment.district_code)]
        if scope.districts:
            clauses.append(
                Assessment.id.in_(
                    select(AssessmentTarget.assessment_id).where(
                        AssessmentTarget.district_code.in_(sorted(scope.districts))
                    )
                )
            )
        if scope.schools:
            clauses.append(
                Assessment.id.in_(
                    select(AssessmentTarget.assessment_id).where(
                        AssessmentTarget.org_code.in_(sorted(scope.schools))
                    )
                )
            )
        if scope.inspector_id is not None:
            clauses.append(
                Assessment.id.in_(
                    select(TeamMember.assessment_id).where(
                        TeamMember.inspector_id == scope.inspector_id
                    )
                )
            )
        return or_(*clauses)

    async def _member(
        self, session: AsyncSession, scope: Scope, assessment: Assessment
    ) -> Inspector | None:
        """The caller's inspector record if they are on this assessment's team."""
        if scope.inspector_id is None:
            return None
        if await TeamRepository(session).member(assessment.id, scope.inspector_id) is None:
            return None
        return await InspectorRepository(session).get(scope.inspector_id)

    def _target_clause(
        self, scope: Scope, assessment: Assessment, member: Inspector | None
    ) -> ColumnElement[bool] | None:
        if member is not None or scope.city_wide:
            return None
        return scope.where(AssessmentTarget.district_code, AssessmentTarget.org_code)

    def require_owner(self, scope: Scope, assessment: Assessment) -> None:
        """Whoever runs the assessment: the city, or the county for its own school-level ones."""
        if assessment.kind in COUNTY_LEVEL or assessment.district_code is None:
            scope.require_city()
        else:
            scope.require_manager(assessment.district_code)

    def may_score(self, scope: Scope, target: AssessmentTarget, member: Inspector | None) -> bool:
        if member is not None and member.employer_org_code != target.org_code:
            return True
        if target.kind == TargetKind.county:
            return scope.city_wide
        return scope.manages(target.district_code)

    # --- reading --------------------------------------------------------------------------------

    async def get(
        self, session: AsyncSession, scope: Scope, id: uuid.UUID, *, for_update: bool = False
    ) -> Assessment:
        assessment = await AssessmentRepository(session).get_visible(
            id, self.visible(scope), for_update=for_update
        )
        if assessment is None:
            raise AssessmentNotFound()
        return assessment

    async def page(
        self,
        session: AsyncSession,
        scope: Scope,
        params: CursorParams,
        *,
        kind: AssessmentKind | None = None,
        year: int | None = None,
        phase: AssessmentPhase | None = None,
        district_code: str | None = None,
    ) -> tuple[list[Assessment], str | None]:
        return await AssessmentRepository(session).list_page(
            params,
            self.visible(scope),
            kind=kind,
            year=year,
            phase=phase,
            district_code=district_code,
        )

    async def details(
        self, session: AsyncSession, scope: Scope, assessment: Assessment
    ) -> tuple[Sequence[AssessmentTarget], Sequence[tuple[TeamMember, Inspector]]]:
        member = await self._member(session, scope, assessment)
        targets = await TargetRepository(session).for_assessment(
            assessment.id, self._target_clause(scope, assessment, member)
        )
        team = await TeamRepository(session).with_inspectors(assessment.id)
        return targets, team

    async def target(
        self,
        session: AsyncSession,
        scope: Scope,
        assessment: Assessment,
        target_id: uuid.UUID,
        *,
        for_update: bool = False,
    ) -> tuple[AssessmentTarget, Inspector | None]:
        target = await TargetRepository(session).get_in(
            assessment.id, target_id, for_update=for_update
        )
        member = await self._member(session, scope, assessment)
        if target is None or not (
            member is not None or scope.sees(target.district_code, target.org_code)
        ):
            raise TargetNotFound()
        return target, member

    # --- creating and running -------------------------------------------------------------------

    async def create(
        self, session: AsyncSession, scope: Scope, peers: Peers, body: AssessmentCreate
    ) -> Assessment:
        kind = body.kind
        if kind in COUNTY_LEVEL:
            scope.require_city()
            if body.district_code is None:
                raise InvalidInput.for_field(
                    "body.district_code",
                    Text("县级督导评估须指明县区", "A county-level assessment needs district_code"),
                )
        elif body.district_code is None:
            scope.require_city()
        else:
            scope.require_manager(body.district_code)

        template = None
        if kind == AssessmentKind.special:
            assert body.template_code is not None
            template = special.template(body.template_code)
            if template is None:
                raise InvalidInput.for_field(
                    "body.template_code",
                    Text(f"没有专项督导模板 {body.template_code}", "Unknown campaign template"),
                )
        framework_code = body.framework_code or (
            template.framework.code if template else DEFAULT_FRAMEWORKS[kind]
        )
        as_of = body.as_of or clock.today()
        # Refuses early a framework that is not in force (404 / 409).
        await framework_service.resolve(session, framework_code, as_of, body.framework_version)
        if body.district_code is not None:
            await resolve_county(peers, body.district_code, field="body.district_code")

        due_on = body.due_on
        if due_on is None and template is not None and body.starts_on is not None:
            due_on = body.starts_on + timedelta(days=template.default_days)
        assessment = Assessment(
            kind=kind,
            title=body.title,
            year=body.year,
            district_code=body.district_code,
            framework_code=framework_code,
            framework_version=body.framework_version,
            as_of=as_of,
            template_code=body.template_code,
            phase=AssessmentPhase.planning,
            phase_history=[self._history(scope, AssessmentPhase.planning, None)],
            description=body.description,
            starts_on=body.starts_on,
            due_on=due_on,
            created_by=scope.subject,
        )
        await AssessmentRepository(session).create(assessment, flush=True)
        codes = list(body.targets)
        if not codes and kind in COUNTY_LEVEL and body.district_code is not None:
            codes = [body.district_code]
        if codes:
            await self._add_targets(session, peers, assessment, codes, field="body.targets")
        self._audit(session, scope, "assessment.create", assessment, {"kind": kind.value})
        return assessment

    def _target_kinds(self, assessment: Assessment) -> tuple[str, ...]:
        if assessment.kind in COUNTY_LEVEL:
            return COUNTY_KINDS
        if assessment.kind == AssessmentKind.routine_management:
            return ("school",)
        if assessment.kind == AssessmentKind.kindergarten_conduct:
            return ("kindergarten",)
        template = special.template(assessment.template_code or "")
        if template is not None and template.target_kind == "county":
            return COUNTY_KINDS
        return SCHOOL_KINDS

    async def _add_targets(
        self,
        session: AsyncSession,
        peers: Peers,
        assessment: Assessment,
        codes: Sequence[str],
        *,
        field: str,
    ) -> list[AssessmentTarget]:
        orgs = await resolve_orgs(peers, codes, field=field, kinds=self._target_kinds(assessment))
        errors = [
            FieldError(
                field=f"{field}[{index}]",
                message=str(
                    Text(
                        f"{orgs[code].name} 不在本次督导的县区 {assessment.district_code}",
                        f"{code} is outside district {assessment.district_code}",
                    )
                ),
                type="outside_district",
            )
            for index, code in enumerate(codes)
            if assessment.district_code is not None
            and orgs[code].district_code != assessment.district_code
        ]
        if errors:
            raise InvalidInput(
                Text("评估对象不在本县区", "Targets outside the district"), errors=errors
            )
        repository = TargetRepository(session)
        existing = await repository.codes(assessment.id)
        created = []
        for code in dict.fromkeys(codes):
            if code in existing:
                continue
            org = orgs[code]
            kind = (
                TargetKind.county
                if org.kind in COUNTY_KINDS
                else TargetKind.kindergarten
                if org.kind == "kindergarten"
                else TargetKind.school
            )
            target = AssessmentTarget(
                assessment_id=assessment.id,
                org_code=code,
                org_name=org.name,
                kind=kind,
                district_code=org.district_code,
            )
            await repository.create(target)
            created.append(target)
        await session.flush()
        return created

    async def add_targets(
        self,
        session: AsyncSession,
        scope: Scope,
        peers: Peers,
        id: uuid.UUID,
        codes: Sequence[str],
    ) -> Assessment:
        assessment = await self.get(session, scope, id, for_update=True)
        self.require_owner(scope, assessment)
        if assessment.phase not in TARGET_PHASES:
            raise PhaseConflict()
        await self._add_targets(session, peers, assessment, codes, field="body.org_codes")
        self._audit(session, scope, "assessment.targets", assessment, {"codes": list(codes)[:50]})
        return assessment

    async def add_member(
        self, session: AsyncSession, scope: Scope, id: uuid.UUID, body: TeamMemberAdd
    ) -> Assessment:
        assessment = await self.get(session, scope, id, for_update=True)
        self.require_owner(scope, assessment)
        inspector = await InspectorRepository(session).get(body.inspector_id)
        if inspector is None or not inspector.active:
            raise InvalidInput.for_field(
                "body.inspector_id", Text("督学不存在或已停止履职", "No such active inspector")
            )
        if (
            assessment.district_code is not None
            and not scope.city_wide
            and inspector.district_code != assessment.district_code
        ):
            raise InvalidInput.for_field(
                "body.inspector_id",
                Text("县区督导组只能由本县区督学组成", "Use inspectors of the same district"),
            )
        team = TeamRepository(session)
        member = await team.member(assessment.id, inspector.id)
        if member is None:
            await team.create(
                TeamMember(assessment_id=assessment.id, inspector_id=inspector.id, role=body.role),
                flush=True,
            )
        else:
            member.role = body.role
        self._audit(
            session, scope, "assessment.team.add", assessment, {"inspector": str(inspector.id)}
        )
        return assessment

    async def remove_member(
        self, session: AsyncSession, scope: Scope, id: uuid.UUID, inspector_id: uuid.UUID
    ) -> Assessment:
        assessment = await self.get(session, scope, id, for_update=True)
        self.require_owner(scope, assessment)
        team = TeamRepository(session)
        member = await team.member(assessment.id, inspector_id)
        if member is None:
            raise NotFound(Text("该督学不在督导组中", "Not on the team"))
        await team.delete(member, flush=True)
        self._audit(
            session, scope, "assessment.team.remove", assessment, {"inspector": str(inspector_id)}
        )
        return assessment

    async def change_phase(
        self,
        session: AsyncSession,
        scope: Scope,
        id: uuid.UUID,
        phase: AssessmentPhase,
        note: str | None,
    ) -> Assessment:
        assessment = await self.get(session, scope, id, for_update=True)
        self.require_owner(scope, assessment)
        if PHASE_ORDER.index(phase) <= PHASE_ORDER.index(assessment.phase):
            raise PhaseConflict(
                Text(
                    f"阶段只能前进：当前为 {assessment.phase.value}",
                    f"Phases only move forward; now {assessment.phase.value}",
                )
            )
        assessment.phase = phase
        assessment.phase_history = [*assessment.phase_history, self._history(scope, phase, note)]
        self._audit(session, scope, "assessment.phase", assessment, {"phase": phase.value})
        return assessment

    def _history(self, scope: Scope, phase: AssessmentPhase, note: str | None) -> dict[str, Any]:
        return {
            "phase": phase.value,
            "at": clock.now().isoformat(),
            "by": scope.subject,
            "note": note,
        }

    # --- scores ---------------------------------------------------------------------------------

    async def expected_inputs(
        self, session: AsyncSession, assessment: Assessment
    ) -> list[InputSpecRead]:
        rules = await self.rules(session, assessment)
        managed = MANAGED_INPUTS.get(assessment.kind, {})
        return [
            spec.model_copy(update={"managed_by": managed.get(spec.key)})
            for spec in input_catalogue(rules).values()
        ]

    async def inputs(
        self, session: AsyncSession, target: AssessmentTarget
    ) -> Sequence[AssessmentInput]:
        return await InputRepository(session).for_target(target.id)

    async def record_inputs(
        self,
        session: AsyncSession,
        scope: Scope,
        id: uuid.UUID,
        target_id: uuid.UUID,
        body: InputsWrite,
    ) -> tuple[AssessmentTarget, Sequence[AssessmentInput]]:
        assessment = await self.get(session, scope, id)
        target, member = await self.target(session, scope, assessment, target_id, for_update=True)
        if not self.may_score(scope, target, member):
            raise NotOnTeam()
        if assessment.phase not in INPUT_PHASES:
            raise PhaseConflict(
                Text(
                    f"只能在 {_phase_text(sorted(INPUT_PHASES))} 阶段录入评分",
                    "Scores are recorded during site_visit and scoring",
                )
            )
        catalogue = input_catalogue(await self.rules(session, assessment))
        managed = MANAGED_INPUTS.get(assessment.kind, {})
        errors: list[FieldError] = []
        for key, item in body.values.items():
            where = f"body.values.{key}"
            spec = catalogue.get(key)
            message: Text | None = None
            if key in managed:
                message = Text(
                    f"{key} 由{managed[key].value}服务提供，不能手工录入",
                    f"{key} comes from {managed[key].value}; it is not entered by hand",
                )
            elif spec is None:
                message = Text(f"指标体系中没有输入项 {key}", f"The framework has no input {key}")
            elif item.value is not None:
                message = self._type_error(spec, item.value)
            if message is not None:
                errors.append(FieldError(field=where, message=str(message), type="invalid_input"))
        if errors:
            raise InvalidInput(Text("评分数据有误", "Invalid scores"), errors=errors)

        repository = InputRepository(session)
        current = {row.key: row for row in await repository.for_target(target.id)}
        for key, item in body.values.items():
            evidence = await evidence_service.link(
                session,
                scope,
                item.evidence_ids,
                district_code=target.district_code,
                school_code=target.org_code if target.kind != TargetKind.county else None,
                linked_to=f"assessment:{assessment.id}",
                field=f"body.values.{key}.evidence_ids",
            )
            row = current.get(key)
            if row is None:
                row = AssessmentInput(
                    assessment_id=assessment.id,
                    target_id=target.id,
                    key=key,
                    source=InputSource.manual,
                )
                await repository.create(row)
                current[key] = row
            row.value = item.value
            row.comment = item.comment
            row.evidence_ids = evidence
            row.recorded_by = scope.subject
        await session.flush()
        self._audit(
            session,
            scope,
            "assessment.inputs",
            assessment,
            {"target": str(target.id), "keys": sorted(body.values)[:100]},
        )
        return target, await repository.for_target(target.id)

    def _type_error(self, spec: InputSpecRead, value: bool | float) -> Text | None:
        if spec.type == "yes_no":
            if not isinstance(value, bool):
                return Text(f"{spec.name}：应为 true 或 false", f"{spec.key}: expected true/false")
            return None
        if isinstance(value, bool):
            return Text(f"{spec.name}：应为数值", f"{spec.key}: expected a number")
        if spec.type == "score" and spec.max_score is not None and not 0 <= value <= spec.max_score:
            return Text(
                f"{spec.name}：得分应在 0 到 {spec.max_score:g} 之间",
                f"{spec.key}: score must be within 0–{spec.max_score:g}",
            )
        return None

    # --- documents ------------------------------------------------------------------------------

    async def add_document(
        self, session: AsyncSession, scope: Scope, id: uuid.UUID, body: DocumentCreate
    ) -> AssessmentDocument:
        assessment = await self.get(session, scope, id)
        kind = DocumentKind(body.kind)
        target = None
        member = await self._member(session, scope, assessment)
        if body.target_id is not None:
            target, member = await self.target(session, scope, assessment, body.target_id)
        if kind in TARGET_SIDE_DOCUMENTS:
            if target is None:
                raise InvalidInput.for_field(
                    "body.target_id",
                    Text("自评报告和整改方案须指明评估对象", "Name the target"),
                )
            own = (
                scope.manages(target.district_code)
                if target.kind == TargetKind.county
                else scope.is_school_staff_of(target.org_code)
                or scope.manages(target.district_code)
            )
            if not own:
                raise OutOfScope()
        else:
            if target is not None:
                allowed = self.may_score(scope, target, member)
            else:
                allowed = member is not None or self._owns(scope, assessment)
            if not allowed:
                raise NotOnTeam()
        district = target.district_code if target else assessment.district_code
        evidence: list[uuid.UUID] = []
        if body.evidence_ids:
            evidence = await evidence_service.link(
                session,
                scope,
                body.evidence_ids,
                district_code=district or CITY_LEVEL,
                school_code=target.org_code
                if target and target.kind != TargetKind.county
                else None,
                linked_to=f"assessment:{assessment.id}",
                field="body.evidence_ids",
            )
        document = AssessmentDocument(
            assessment_id=assessment.id,
            target_id=target.id if target else None,
            kind=kind,
            title=body.title,
            body=body.body,
            evidence_ids=evidence,
            author=scope.subject,
        )
        await DocumentRepository(session).create(document, flush=True)
        self._audit(session, scope, "assessment.document", assessment, {"kind": kind.value})
        return document

    def _owns(self, scope: Scope, assessment: Assessment) -> bool:
        try:
            self.require_owner(scope, assessment)
        except Forbidden:
            return False
        return True

    async def documents(
        self,
        session: AsyncSession,
        scope: Scope,
        assessment: Assessment,
        kind: DocumentKind | None,
    ) -> Sequence[AssessmentDocument]:
        targets, _ = await self.details(session, scope, assessment)
        return await DocumentRepository(session).for_assessment(
            assessment.id, kind=kind, target_ids=[t.id for t in targets]
        )

    # --- evaluation -----------------------------------------------------------------------------

    async def rules(self, session: AsyncSession, assessment: Assessment) -> ResolvedFramework:
        return await framework_service.resolve(
            session, assessment.framework_code, assessment.as_of, assessment.framework_version
        )

    async def evaluate(
        self,
        session: AsyncSession,
        scope: Scope,
        peers: Peers,
        id: uuid.UUID,
        target_id: uuid.UUID,
    ) -> Evaluation:
        assessment = await self.get(session, scope, id)
        target, member = await self.target(session, scope, assessment, target_id, for_update=True)
        if not self.may_score(scope, target, member):
            raise NotOnTeam()
        if assessment.phase not in EVALUATE_PHASES:
            raise PhaseConflict(
                Text(
                    f"只能在 {_phase_text(sorted(EVALUATE_PHASES))} 阶段计算结论",
                    "Evaluation runs from the scoring phase on",
                )
            )
        rules = await self.rules(session, assessment)
        values: dict[str, Any] = {
            row.key: _plain(row.value)
            for row in await InputRepository(session).for_target(target.id)
        }
        sources: dict[str, Any] = {"manual": sorted(values)}
        entities: list[Entity] = []
        balance: dict[str, Any] = {}

        if assessment.kind == AssessmentKind.quality_balance:
            school_counts: dict[str, int] = {}
            stages: tuple[Stage, ...] = ("primary", "junior")
            for stage in stages:
                stage_input = await school_data_service.county_input(
                    session, target.org_code, assessment.year, stage
                )
                school_counts[stage] = len(stage_input.schools) if stage_input else 0
                if stage_input is not None:
                    entities.extend(balance_entities(stage_input))
                    balance[stage] = evaluate_balance(stage_input, framework=rules).model_dump(
                        mode="json"
                    )
            sources["school_data"] = {"status": "ok", "year": assessment.year, **school_counts}
            pulled = await pull_enrolment(
                peers, year=assessment.year, district_code=target.org_code
            )
            values.update(pulled.values)
            sources["enrolment"] = pulled.source
        elif assessment.kind == AssessmentKind.government_duty:
            pulled = await pull_plans(peers, district_code=target.org_code)
            values.update(pulled.values)
            sources["plans"] = pulled.source
            closed, total = await FindingRepository(session).closed_share(
                target.district_code, assessment.id
            )
            values[PREVIOUS_RECTIFICATION_INPUT] = closed * 100 / total if total else None
            sources["findings"] = {"status": "ok", "closed": closed, "total": total}

        inputs = FrameworkInputs(values=values, entities=entities)
        result = evaluate_framework(rules, inputs)
        evaluation = await evaluation_service.store(
            session,
            scope,
            kind="framework",
            rules=rules,
            inputs=inputs.model_dump(mode="json"),
            result={"framework": result.model_dump(mode="json"), "balance": balance},
            outcome=result.outcome,
            grade=result.grade,
            sources=sources,
            org_code=target.org_code,
            district_code=target.district_code,
            as_of=assessment.as_of,
            assessment_id=assessment.id,
            target_id=target.id,
        )
        target.latest_evaluation_id = evaluation.id
        target.latest_outcome = result.outcome
        target.latest_grade = result.grade
        return evaluation

    # --- report -------------------------------------------------------------------------------

    async def generate_report(
        self, session: AsyncSession, scope: Scope, id: uuid.UUID
    ) -> AssessmentDocument:
        assessment = await self.get(session, scope, id)
        self.require_owner(scope, assessment)
        data = await build_report(session, assessment)
        document = AssessmentDocument(
            assessment_id=assessment.id,
            kind=DocumentKind.report,
            title=report_title(assessment),
            body=render_markdown(data),
            data=data,
            evidence_ids=[],
            author=scope.subject,
        )
        await DocumentRepository(session).create(document, flush=True)
        self._audit(session, scope, "assessment.report", assessment)
        return document

    async def latest_report(
        self, session: AsyncSession, scope: Scope, id: uuid.UUID
    ) -> AssessmentDocument:
        assessment = await self.get(session, scope, id)
        document = await DocumentRepository(session).latest(assessment.id, DocumentKind.report)
        if document is None:
            raise NotFound(Text("尚未生成评估报告", "No report has been generated yet"))
        return document

    def _audit(
        self,
        session: AsyncSession,
        scope: Scope,
        action: str,
        assessment: Assessment,
        details: dict[str, Any] | None = None,
    ) -> None:
        record(
            session,
            AuditLog,
            action=action,
            resource_type="assessment",
            resource_id=assessment.id,
            principal=scope.principal,
            details=details,
        )


assessment_service = AssessmentService()
