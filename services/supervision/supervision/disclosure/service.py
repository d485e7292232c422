"""Public disclosure: results go out only after approve → redact → publish, dated "as of".

What the public sees is `public_content`: the report data with personal names and internal ids
removed always, and whatever the redactor removed by hand. Statistics and rankings for the
public are computed from published results only.
"""

from __future__ import annotations

import copy
import csv
import io
import uuid
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import record
from shared.errors import Conflict, InvalidInput, NotFound
from shared.i18n import Text
from shared.pagination import CursorParams
from supervision import clock
from supervision.assessments.reporting import build_report
from supervision.assessments.service import assessment_service
from supervision.disclosure.repository import PublicationRepository, StatisticsRepository
from supervision.disclosure.schemas import (
    CountyStatistics,
    RedactionRequest,
    StaffCountyStatistics,
    StaffStatistics,
)
from supervision.models import (
    AccountabilityAction,
    AssessmentPhase,
    AssessmentTarget,
    AuditLog,
    Finding,
    InspectorAssignment,
    Publication,
    PublicationStatus,
)
from supervision.policies import Scope

PUBLISHABLE_PHASES = frozenset(
    {
        AssessmentPhase.feedback,
        AssessmentPhase.rectification,
        AssessmentPhase.follow_up,
        AssessmentPhase.closed,
    }
)
# Never public: who is personally responsible, and ids that lead into internal records.
ALWAYS_REDACTED_FINDING_FIELDS = ("owner_person",)
ALWAYS_REDACTED_TARGET_FIELDS = ("evaluation_id",)
OUTCOME_NAMES = {"pass": "达标", "fail": "未达标", "insufficient_data": "数据不足"}


class PublicationNotFound(NotFound):
    code = "supervision.publication.not_found"
    title = Text("公开记录不存在", "Publication not found")


class PublicationState(Conflict):
    code = "supervision.publication.state"
    title = Text(
        "须依次经过审核、脱敏、发布", "A publication goes through approve, redact, publish in order"
    )


class NothingToPublish(Conflict):
    code = "supervision.publication.nothing"
    title = Text(
        "评估尚未到反馈阶段或没有评估结论", "The assessment has no results ready to publish"
    )


def _replace_text(value: Any, replacements: Sequence[tuple[str, str]]) -> Any:
    if isinstance(value, str):
        for find, replace in replacements:
            value = value.replace(find, replace)
        return value
    if isinstance(value, list):
        return [_replace_text(v, replacements) for v in value]
    if isinstance(value, dict):
        return {k: _replace_text(v, replacements) for k, v in value.items()}
    return value


def redact(content: dict[str, Any], request: RedactionRequest) -> dict[str, Any]:
    public = copy.deepcopy(content)
    omitted = set(request.omit_targets)
    public["targets"] = [
        {k: v for k, v in target.items() if k not in ALWAYS_REDACTED_TARGET_FIELDS}
        for target in public.get("targets", [])
        if target.get("org_code") not in omitted
    ]
    findings = public.get("findings") or {}
    if request.omit_finding_details:
        findings["items"] = []
    else:
        findings["items"] = [
            {k: v for k, v in item.items() if k not in ALWAYS_REDACTED_FINDING_FIELDS}
            for item in findings.get("items", [])
            if item.get("owner_org_code") not in omitted
        ]
    public["findings"] = findings
    assessment = public.get("assessment") or {}
    assessment.pop("id", None)
    replaced: dict[str, Any] = _replace_text(
        public, [(r.find, r.replace) for r in request.replacements]
    )
    return replaced


class DisclosureService:
    # --- the workflow ---------------------------------------------------------------------------

    async def prepare(
        self, session: AsyncSession, scope: Scope, assessment_id: uuid.UUID
    ) -> Publication:
        assessment = await assessment_service.get(session, scope, assessment_id)
        assessment_service.require_owner(scope, assessment)
        if assessment.phase not in PUBLISHABLE_PHASES:
            raise NothingToPublish()
        content = await build_report(session, assessment)
        if not any(t["outcome"] for t in content["targets"]):
            raise NothingToPublish()
        publication = Publication(
            assessment_id=assessment.id,
            status=PublicationStatus.draft,
            title=assessment.title,
            kind=assessment.kind.value,
            year=assessment.year,
            district_code=assessment.district_code,
            content=content,
            redactions={},
            prepared_by=scope.subject,
        )
        await PublicationRepository(session).create(publication, flush=True)
        self._audit(session, scope, "publication.prepare", publication)
        return publication

    async def get(
        self, session: AsyncSession, scope: Scope, id: uuid.UUID, *, for_update: bool = False
    ) -> Publication:
        publication = await PublicationRepository(session).get_visible(
            id, scope.where(Publication.district_code), for_update=for_update
        )
        if publication is None:
            raise PublicationNotFound()
        return publication

    async def page(
        self,
        session: AsyncSession,
        scope: Scope,
        params: CursorParams,
        *,
        status: PublicationStatus | None = None,
        assessment_id: uuid.UUID | None = None,
    ) -> tuple[list[Publication], str | None]:
        return await PublicationRepository(session).list_page(
            params,
            scope.where(Publication.district_code),
            status=status,
            assessment_id=assessment_id,
        )

    async def approve(self, session: AsyncSession, scope: Scope, id: uuid.UUID) -> Publication:
        scope.require_city()
        publication = await self.get(session, scope, id, for_update=True)
        if publication.status != PublicationStatus.draft:
            raise PublicationState()
        publication.status = PublicationStatus.approved
        publication.approved_by = scope.subject
        publication.approved_at = clock.now()
        self._audit(session, scope, "publication.approve", publication)
        return publication

    async def redact(
        self, session: AsyncSession, scope: Scope, id: uuid.UUID, request: RedactionRequest
    ) -> Publication:
        publication = await self.get(session, scope, id, for_update=True)
        if publication.district_code is None:
            scope.require_city()
        else:
            scope.require_manager(publication.district_code)
        if publication.status not in (PublicationStatus.approved, PublicationStatus.redacted):
            raise PublicationState()
        unknown = set(request.omit_targets) - {
            t["org_code"] for t in publication.content.get("targets", [])
        }
        if unknown:
            raise InvalidInput.for_field(
                "body.omit_targets",
                Text(f"公开内容中没有这些对象：{'、'.join(sorted(unknown))}", "Unknown targets"),
            )
        publication.public_content = redact(publication.content, request)
        publication.redactions = request.model_dump(mode="json")
        publication.status = PublicationStatus.redacted
        publication.redacted_by = scope.subject
        publication.redacted_at = clock.now()
        self._audit(session, scope, "publication.redact", publication)
        return publication

    async def publish(
        self, session: AsyncSession, scope: Scope, id: uuid.UUID, as_of: date
    ) -> Publication:
        scope.require_city()
        publication = await self.get(session, scope, id, for_update=True)
        if publication.status != PublicationStatus.redacted:
            raise PublicationState()
        if as_of > clock.today():
            raise InvalidInput.for_field(
                "body.as_of", Text("数据截止日期不能晚于今天", "as_of cannot be in the future")
            )
        publication.status = PublicationStatus.published
        publication.as_of = as_of
        publication.published_by = scope.subject
        publication.published_at = clock.now()
        self._audit(
            session, scope, "publication.publish", publication, {"as_of": as_of.isoformat()}
        )
        return publication

    async def withdraw(
        self, session: AsyncSession, scope: Scope, id: uuid.UUID, reason: str
    ) -> Publication:
        scope.require_city()
        publication = await self.get(session, scope, id, for_update=True)
        if publication.status != PublicationStatus.published:
            raise PublicationState()
        publication.status = PublicationStatus.withdrawn
        publication.withdrawn_at = clock.now()
        publication.withdrawn_reason = reason
        self._audit(session, scope, "publication.withdraw", publication)
        return publication

    # --- public reads ---------------------------------------------------------------------------

    async def published(
        self,
        session: AsyncSession,
        params: CursorParams,
        *,
        kind: str | None,
        district_code: str | None,
        year: int | None,
    ) -> tuple[list[Publication], str | None]:
        return await PublicationRepository(session).published_page(
            params, kind=kind, district_code=district_code, year=year
        )

    async def published_one(self, session: AsyncSession, id: uuid.UUID) -> Publication:
        publication = await PublicationRepository(session).get_published(id)
        if publication is None:
            raise PublicationNotFound()
        return publication

    async def results_csv(
        self,
        session: AsyncSession,
        *,
        kind: str | None,
        district_code: str | None,
        year: int | None,
        limit: int,
    ) -> str:
        rows: list[list[Any]] = []
        for publication in await PublicationRepository(session).published_all(
            kind=kind, district_code=district_code, year=year, limit=limit
        ):
            for target in (publication.public_content or {}).get("targets", []):
                rule = target.get("rule") or {}
                rows.append(
                    [
                        publication.id,
                        publication.as_of,
                        publication.kind,
                        publication.title,
                        publication.year,
                        target.get("district_code"),
                        target.get("org_code"),
                        target.get("org_name"),
                        target.get("outcome") or "",
                        OUTCOME_NAMES.get(target.get("outcome") or "", ""),
                        target.get("grade") or "",
                        f"{rule.get('framework_code', '')}@{rule.get('framework_version', '')}"
                        if rule
                        else "",
                    ]
                )
        return _csv(
            [
                "publication_id",
                "as_of",
                "kind",
                "title",
                "year",
                "district_code",
                "org_code",
                "org_name",
                "outcome",
                "结论",
                "grade",
                "rule",
            ],
            rows,
        )

    def cv_csv(self, publication: Publication) -> str:
        rows: list[list[Any]] = []
        for target in (publication.public_content or {}).get("targets", []):
            for stage, table in (target.get("cv_tables") or {}).items():
                for key, item in table.items():
                    rows.append(
                        [
                            publication.as_of,
                            target.get("org_code"),
                            target.get("org_name"),
                            stage,
                            key,
                            item.get("name"),
                            "" if item.get("cv") is None else f"{item['cv']:.3f}",
                            "" if item.get("threshold") is None else f"{item['threshold']:.2f}",
                            {True: "yes", False: "no"}.get(item.get("met"), ""),
                            item.get("school_count"),
                        ]
                    )
        return _csv(
            [
                "as_of",
                "org_code",
                "org_name",
                "stage",
                "indicator",
                "indicator_name",
                "cv",
                "limit",
                "met",
                "school_count",
            ],
            rows,
        )

    async def public_statistics(
        self, session: AsyncSession, *, year: int | None, kind: str | None
    ) -> list[CountyStatistics]:
        """Per county, from the latest publication of each assessment that is published."""
        per_county: dict[str, dict[str, int]] = {}
        for publication in await PublicationRepository(session).published_all(
            kind=kind, district_code=None, year=year, limit=10_000
        ):
            content = publication.public_content or {}
            for target in content.get("targets", []):
                county = per_county.setdefault(target.get("district_code") or "", _empty_counts())
                county["targets"] += 1
                outcome = target.get("outcome")
                if outcome == "pass":
                    county["passed"] += 1
                elif outcome == "fail":
                    county["failed"] += 1
                else:
                    county["insufficient"] += 1
            findings = content.get("findings") or {}
            county_code = publication.district_code or ""
            if county_code:
                county = per_county.setdefault(county_code, _empty_counts())
                county["findings"] += int(findings.get("total") or 0)
                county["closed"] += int(findings.get("closed") or 0)
        return _rank(
            [
                CountyStatistics(
                    district_code=code,
                    rank=0,
                    targets=c["targets"],
                    passed=c["passed"],
                    failed=c["failed"],
                    insufficient_data=c["insufficient"],
                    pass_rate=_rate(c["passed"], c["targets"]),
                    findings=c["findings"],
                    findings_closed=c["closed"],
                    close_rate=_rate(c["closed"], c["findings"]),
                )
                for code, c in per_county.items()
                if code
            ]
        )

    # --- staff statistics -----------------------------------------------------------------------

    async def staff_statistics(
        self, session: AsyncSession, scope: Scope, *, year: int | None, month: date
    ) -> StaffStatistics:
        repository = StatisticsRepository(session)
        targets = await repository.targets(
            scope.where(AssessmentTarget.district_code, AssessmentTarget.org_code), year
        )
        findings = await repository.findings(
            scope.where(Finding.district_code, Finding.school_code), clock.today()
        )
        coverage = await repository.coverage(
            scope.where(InspectorAssignment.district_code, InspectorAssignment.school_code),
            clock.month_start(month),
            clock.month_end(month),
        )
        actions = await repository.accountability(scope.where(AccountabilityAction.district_code))
        codes = sorted(set(targets) | set(findings) | set(coverage) | set(actions))
        rows = []
        for code in codes:
            t = targets.get(code, {})
            f = findings.get(code, {})
            assigned, visited = coverage.get(code, (0, 0))
            rows.append(
                StaffCountyStatistics(
                    district_code=code,
                    rank=0,
                    assessments=t.get("assessments", 0),
                    targets_evaluated=t.get("evaluated", 0),
                    passed=t.get("passed", 0),
                    failed=t.get("failed", 0),
                    insufficient_data=t.get("insufficient", 0),
                    findings=f.get("total", 0),
                    findings_open=f.get("open", 0),
                    findings_closed=f.get("closed", 0),
                    findings_overdue=f.get("overdue", 0),
                    close_rate=_rate(f.get("closed", 0), f.get("total", 0)),
                    schools_assigned=assigned,
                    schools_visited=visited,
                    visit_coverage=_rate(visited, assigned),
                    accountability_actions=actions.get(code, 0),
                )
            )
        # Ranked by how well problems get closed, then by visit coverage.
        rows.sort(
            key=lambda r: (
                -(r.close_rate if r.close_rate is not None else -1),
                -(r.visit_coverage if r.visit_coverage is not None else -1),
                r.district_code,
            )
        )
        for index, row in enumerate(rows, start=1):
            row.rank = index
        return StaffStatistics(month=clock.month_label(month), counties=rows)

    def _audit(
        self,
        session: AsyncSession,
        scope: Scope,
        action: str,
        publication: Publication,
        details: dict[str, Any] | None = None,
    ) -> None:
        record(
            session,
            AuditLog,
            action=action,
            resource_type="publication",
            resource_id=publication.id,
            principal=scope.principal,
            details=details,
        )


def _empty_counts() -> dict[str, int]:
    return {"targets": 0, "passed": 0, "failed": 0, "insufficient": 0, "findings": 0, "closed": 0}


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _rank(rows: list[CountyStatistics]) -> list[CountyStatistics]:
    rows.sort(
        key=lambda r: (
            -(r.pass_rate if r.pass_rate is not None else -1),
            -(r.close_rate if r.close_rate is not None else -1),
            r.district_code,
        )
    )
    for index, row in enumerate(rows, start=1):
        row.rank = index
    return rows


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    # A byte-order mark so spreadsheet programs read the Chinese text as UTF-8.
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    # A text cell starting like a formula would run as one in a spreadsheet (CSV injection).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


disclosure_service = DisclosureService()
