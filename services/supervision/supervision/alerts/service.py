"""Overdue alerts from a daily scan (Asia/Shanghai business days).

- 挂牌督导 cadence: every assigned school gets at least one completed visit per calendar month.
  A school with none in the month just ended is overdue (yellow); near the end of the current
  month a school not yet visited is due (blue) until a visit is recorded.
- Rectification: an open finding past its deadline escalates blue → yellow → red as the days
  pass; the finding keeps its level and each level is alerted once.

Each alert has a dedupe key, and the day's scan is recorded, so the job may run any number of
times a day (several workers, retries, the hourly cron) and raises each alert once.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import record
from shared.errors import NotFound
from shared.i18n import Text
from supervision import clock
from supervision.alerts.repository import AlertRepository, DailyScanRepository
from supervision.config import Settings
from supervision.findings.repository import FindingRepository
from supervision.inspectors.repository import AssignmentRepository, VisitRepository
from supervision.models import Alert, AlertKind, AuditLog
from supervision.policies import Scope

SEVERITY_BY_LEVEL = {1: "blue", 2: "yellow", 3: "red"}


class AlertNotFound(NotFound):
    code = "supervision.alert.not_found"
    title = Text("提醒不存在", "Alert not found")


def escalation_level(days_overdue: int, settings: Settings) -> int:
    if days_overdue >= settings.escalation_red_days:
        return 3
    if days_overdue >= settings.escalation_yellow_days:
        return 2
    return 1 if days_overdue >= 1 else 0


class AlertService:
    async def scan(
        self, session: AsyncSession, settings: Settings, day: date, *, force: bool = False
    ) -> dict[str, Any]:
        """Raise the alerts due on ``day``; a second call the same day does nothing unless
        ``force`` (which still raises nothing twice)."""
        scans = DailyScanRepository(session)
        if not await scans.claim(day, {}) and not force:
            existing = await scans.for_day(day)
            return {
                "day": day.isoformat(),
                "skipped": True,
                **(existing.summary if existing else {}),
            }
        alerts = AlertRepository(session)
        summary = {
            "visit_overdue": await self._visit_overdue(session, alerts, day),
            "visit_due": await self._visit_due(session, alerts, day, settings),
            "rectification_overdue": await self._rectification(session, alerts, day, settings),
        }
        await scans.update_summary(day, summary)
        return {"day": day.isoformat(), "skipped": False, **summary}

    async def _visit_overdue(
        self, session: AsyncSession, alerts: AlertRepository, day: date
    ) -> int:
        month = clock.previous_month(day)
        end = clock.month_end(month)
        # Schools assigned for the whole of last month (a mid-month assignment starts its duty
        # with the next full month).
        assignments = [
            (a, i)
            for a, i in await AssignmentRepository(session).active_during(month, end)
            if a.starts_on <= month and (a.ends_on is None or a.ends_on >= end)
        ]
        visited = await VisitRepository(session).completed_by_school(
            [a.school_code for a, _ in assignments], month, end
        )
        label = clock.month_label(month)
        rows = []
        for assignment, inspector in assignments:
            if assignment.school_code in visited:
                continue
            rows.append(
                {
                    "kind": AlertKind.visit_overdue,
                    "dedupe_key": f"visit_overdue:{assignment.school_code}:{label}",
                    "severity": "yellow",
                    "district_code": assignment.district_code,
                    "school_code": assignment.school_code,
                    "inspector_id": inspector.id,
                    "period": label,
                    "message": (
                        f"{assignment.school_name} {label} 没有经常性督导记录"
                        f"（责任督学 {inspector.name}；每月至少1次）"
                    ),
                    "raised_on": day,
                }
            )
        return await alerts.raise_many(rows)

    async def _visit_due(
        self, session: AsyncSession, alerts: AlertRepository, day: date, settings: Settings
    ) -> int:
        end = clock.month_end(day)
        if (end - day).days > settings.visit_due_days_before_month_end:
            return 0
        start = clock.month_start(day)
        assignments = [
            (a, i)
            for a, i in await AssignmentRepository(session).active_during(day, day)
            if a.starts_on <= start
        ]
        visited = await VisitRepository(session).completed_by_school(
            [a.school_code for a, _ in assignments], start, end
        )
        label = clock.month_label(day)
        rows = []
        for assignment, inspector in assignments:
            if assignment.school_code in visited:
                continue
            rows.append(
                {
                    "kind": AlertKind.visit_due,
                    "dedupe_key": f"visit_due:{assignment.school_code}:{label}",
                    "severity": "blue",
                    "district_code": assignment.district_code,
                    "school_code": assignment.school_code,
                    "inspector_id": inspector.id,
                    "period": label,
                    "message": (
                        f"{assignment.school_name} 本月（{label}）尚未开展经常性督导，"
                        f"请于 {end.isoformat()} 前完成（责任督学 {inspector.name}）"
                    ),
                    "raised_on": day,
                }
            )
        return await alerts.raise_many(rows)

    async def _rectification(
        self, session: AsyncSession, alerts: AlertRepository, day: date, settings: Settings
    ) -> int:
        findings = FindingRepository(session)
        rows = []
        for finding in await findings.overdue_open(day):
            days = (day - finding.deadline).days
            level = escalation_level(days, settings)
            if level == 0:
                continue
            rows.append(
                {
                    "kind": AlertKind.rectification_overdue,
                    "dedupe_key": (
                        f"rectification_overdue:{finding.id}:r{finding.reopen_count}:l{level}"
                    ),
                    "severity": SEVERITY_BY_LEVEL[level],
                    "district_code": finding.district_code,
                    "school_code": finding.school_code,
                    "finding_id": finding.id,
                    "period": f"r{finding.reopen_count}-l{level}",
                    "message": (
                        f"问题 #{finding.number}「{finding.title}」已超过整改期限 {days} 天"
                        f"（期限 {finding.deadline.isoformat()}，责任单位 {finding.owner_name}）"
                    ),
                    "raised_on": day,
                }
            )
        await findings.escalate(day, settings.escalation_yellow_days, settings.escalation_red_days)
        return await alerts.raise_many(rows)

    def visible(self, scope: Scope) -> Any:
        from sqlalchemy import or_

        clause = scope.where(Alert.district_code, Alert.school_code)
        if scope.inspector_id is not None:
            clause = or_(clause, Alert.inspector_id == scope.inspector_id)
        return clause

    async def acknowledge(self, session: AsyncSession, scope: Scope, id: Any) -> Alert:
        alert = await AlertRepository(session).get_visible(id, self.visible(scope))
        if alert is None:
            raise AlertNotFound()
        if alert.acknowledged_at is None:
            alert.acknowledged_at = clock.now()
            alert.acknowledged_by = scope.subject
            record(
                session,
                AuditLog,
                action="alert.acknowledge",
                resource_type="alert",
                resource_id=alert.id,
                principal=scope.principal,
            )
        return alert


alert_service = AlertService()
