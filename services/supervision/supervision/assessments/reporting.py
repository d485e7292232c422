"""The assessment report (督导评估报告): every target's latest verdict with its reasons and rule
version, the CV tables of a 优质均衡 evaluation, and the problem list with its rectification
state. The same data is what a publication starts from."""

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from supervision import clock
from supervision.assessments.repository import LatestEvaluations, TargetRepository
from supervision.findings.repository import OPEN_STATUSES, FindingRepository
from supervision.models import Assessment, AssessmentTarget, Evaluation, Finding, FindingStatus

KIND_NAMES = {
    "government_duty": "县级人民政府履行教育职责督导评价",
    "quality_balance": "县域义务教育优质均衡发展督导评估",
    "preschool_inclusive": "县域学前教育普及普惠督导评估",
    "routine_management": "中小学校常规管理评估",
    "kindergarten_conduct": "幼儿园办园行为督导评估",
    "special": "专项督导",
}
OUTCOME_NAMES = {"pass": "达标", "fail": "未达标", "insufficient_data": "数据不足，暂无结论"}
STATUS_NAMES = {
    "issued": "已下达",
    "in_progress": "整改中",
    "submitted": "待复查",
    "failed": "复查未通过",
    "reopened": "重新整改",
    "verified": "复查通过",
    "closed": "已销号",
}


def cv_table(evaluation: Evaluation) -> dict[str, Any]:
    """stage → indicator → {name, cv, threshold, met, school_count}, from a stored evaluation."""
    result = evaluation.result
    balance = result.get("balance") or {}
    if evaluation.kind == "balance":
        balance = {result.get("stage", "primary"): result}
    table: dict[str, Any] = {}
    for stage, stage_result in balance.items():
        table[stage] = {
            key: {
                "name": item.get("name"),
                "cv": item.get("cv"),
                "threshold": item.get("threshold"),
                "met": item.get("met"),
                "school_count": item.get("school_count"),
            }
            for key, item in (stage_result.get("cv") or {}).items()
        }
    return table


def _target_entry(target: AssessmentTarget, evaluation: Evaluation | None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "org_code": target.org_code,
        "org_name": target.org_name,
        "kind": target.kind.value,
        "district_code": target.district_code,
        "outcome": evaluation.outcome if evaluation else None,
        "grade": evaluation.grade if evaluation else None,
        "reasons": [],
        "evaluation_id": str(evaluation.id) if evaluation else None,
        "rule": None,
        "computed_at": evaluation.computed_at.isoformat() if evaluation else None,
        "unavailable_sources": [],
        "cv_tables": {},
    }
    if evaluation is not None:
        framework = evaluation.result.get("framework") or {}
        entry["reasons"] = list(framework.get("reasons") or [])
        entry["rule"] = {
            "framework_code": evaluation.framework_code,
            "framework_version": evaluation.framework_version,
            "overlays": list(evaluation.overlays),
            "as_of": evaluation.as_of.isoformat() if evaluation.as_of else None,
        }
        entry["unavailable_sources"] = [
            name
            for name, source in (evaluation.sources or {}).items()
            if isinstance(source, dict) and source.get("status") == "unavailable"
        ]
        entry["cv_tables"] = cv_table(evaluation)
    return entry


def _finding_entry(finding: Finding, today: date) -> dict[str, Any]:
    return {
        "number": finding.number,
        "title": finding.title,
        "severity": finding.severity.value,
        "owner_org_code": finding.owner_org_code,
        "owner_name": finding.owner_name,
        "owner_person": finding.owner_person,
        "deadline": finding.deadline.isoformat(),
        "status": finding.status.value,
        "overdue": finding.status in OPEN_STATUSES and finding.deadline < today,
        "reopen_count": finding.reopen_count,
    }


async def build_report(session: AsyncSession, assessment: Assessment) -> dict[str, Any]:
    targets: Sequence[AssessmentTarget] = await TargetRepository(session).for_assessment(
        assessment.id
    )
    evaluations = await LatestEvaluations(session).by_ids(
        [t.latest_evaluation_id for t in targets if t.latest_evaluation_id is not None]
    )
    findings = await FindingRepository(session).for_assessment(assessment.id)
    today = clock.today()
    entries = [
        _target_entry(
            t, evaluations.get(t.latest_evaluation_id) if t.latest_evaluation_id else None
        )
        for t in targets
    ]
    counts = {
        "total": len(findings),
        "closed": sum(1 for f in findings if f.status == FindingStatus.closed),
        "open": sum(1 for f in findings if f.status in OPEN_STATUSES),
        "overdue": sum(1 for f in findings if f.status in OPEN_STATUSES and f.deadline < today),
    }
    return {
        "assessment": {
            "id": str(assessment.id),
            "kind": assessment.kind.value,
            "kind_name": KIND_NAMES.get(assessment.kind.value, assessment.kind.value),
            "title": assessment.title,
            "year": assessment.year,
            "district_code": assessment.district_code,
            "framework_code": assessment.framework_code,
            "as_of": assessment.as_of.isoformat(),
            "phase": assessment.phase.value,
            "template_code": assessment.template_code,
        },
        "targets": entries,
        "findings": {**counts, "items": [_finding_entry(f, today) for f in findings]},
        "generated_on": today.isoformat(),
    }


def render_markdown(data: dict[str, Any]) -> str:
    meta = data["assessment"]
    lines = [
        f"# {meta['title']}",
        "",
        f"- 类别：{meta['kind_name']}",
        f"- 年度：{meta['year']}",
        f"- 适用规则：{meta['framework_code']}（{meta['as_of']} 生效版本）",
        f"- 生成日期：{data['generated_on']}",
        "",
        "## 评估结论",
        "",
    ]
    for target in data["targets"]:
        outcome = OUTCOME_NAMES.get(target["outcome"] or "", "尚未评估")
        grade = f"，等级：{target['grade']}" if target["grade"] else ""
        lines.append(f"### {target['org_name']}（{target['org_code']}）：{outcome}{grade}")
        if target["rule"]:
            rule = target["rule"]
            overlays = f"，叠加 {'、'.join(rule['overlays'])}" if rule["overlays"] else ""
            lines.append(f"依据 {rule['framework_code']}@{rule['framework_version']}{overlays}")
        for reason in target["reasons"]:
            lines.append(f"- {reason}")
        if target["unavailable_sources"]:
            lines.append(f"- 注：{'、'.join(target['unavailable_sources'])} 数据暂不可用")
        for stage, table in target["cv_tables"].items():
            lines.append("")
            lines.append(f"{'小学' if stage == 'primary' else '初中'}校际差异系数：")
            lines.append("")
            lines.append("| 指标 | 差异系数 | 标准 | 达标 |")
            lines.append("|---|---|---|---|")
            for row in table.values():
                cv = "—" if row["cv"] is None else f"{row['cv']:.3f}"
                limit = "—" if row["threshold"] is None else f"{row['threshold']:.2f}"
                met = {True: "是", False: "否"}.get(row["met"], "—")
                lines.append(f"| {row['name']} | {cv} | {limit} | {met} |")
        lines.append("")
    findings = data["findings"]
    lines += [
        "## 问题清单与整改",
        "",
        f"共 {findings['total']} 个问题，已销号 {findings['closed']} 个，"
        f"整改中 {findings['open']} 个，其中逾期 {findings['overdue']} 个。",
        "",
    ]
    for item in findings["items"]:
        lines.append(
            f"- #{item['number']} {item['title']}（{item['owner_name']}，期限 {item['deadline']}，"
            f"{STATUS_NAMES.get(item['status'], item['status'])}）"
        )
    return "\n".join(lines) + "\n"


def report_title(assessment: Assessment) -> str:
    return f"{assessment.title} 督导评估报告"
