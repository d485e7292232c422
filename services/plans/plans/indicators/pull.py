"""Indicator values that enrolment computes, pulled over HTTP with a service token.

Idempotent: a value equal to the current one is left alone; a changed one supersedes it.
"""

import uuid
from dataclasses import dataclass, field
from datetime import date

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from plans.indicators.schemas import EnrolmentSource
from plans.indicators.service import indicator_service
from plans.models import Indicator, IndicatorKind, IndicatorTarget, ValueSource
from shared.clients.enrolment import EnrolmentClient, EnrolmentStats
from shared.errors import AppError
from shared.http import UpstreamRejected

log = structlog.get_logger("plans.indicators.pull")

SOURCE = "enrolment:stats"


@dataclass
class PullReport:
    stored: int = 0
    unchanged: int = 0
    missing: int = 0
    failed: list[str] = field(default_factory=list)


def figures(
    indicator: Indicator, config: EnrolmentSource, stats: EnrolmentStats
) -> tuple[float | None, float | None, float] | None:
    """(numerator, denominator, value) of one statistics answer, or None when it says nothing."""
    match config.measure:
        case "catchment_share":
            if not stats.admitted:
                return None
            if stats.schools:
                numerator = float(sum(s.admitted_in_catchment for s in stats.schools))
            elif stats.catchment_share is not None:
                numerator = round(stats.catchment_share * stats.admitted)
            else:
                return None
            denominator = float(stats.admitted)
            return numerator, denominator, numerator / denominator * indicator.factor
        case "migrant_share_in_public":
            if stats.migrant_share_in_public is None:
                return None
            # Enrolment gives the share only; there is no numerator to aggregate.
            return None, None, stats.migrant_share_in_public * indicator.factor
        case measure:
            count = float(getattr(stats, measure))
            return count, None, count


async def pull_enrolment_values(
    session: AsyncSession,
    client: EnrolmentClient,
    *,
    today: date,
    city_code: str,
    indicator_id: uuid.UUID | None = None,
) -> PullReport:
    statement = select(Indicator).where(Indicator.source == ValueSource.enrolment_stats)
    if indicator_id is not None:
        statement = statement.where(Indicator.id == indicator_id)
    report = PullReport()
    for indicator in (await session.scalars(statement)).all():
        config = EnrolmentSource.model_validate(indicator.source_config)
        targets = (
            await session.scalars(
                select(IndicatorTarget).where(IndicatorTarget.indicator_id == indicator.id)
            )
        ).all()
        scopes = config.scopes or sorted({t.scope_code for t in targets}) or [city_code]
        years = sorted({t.year for t in targets if t.year <= today.year} | {today.year})
        for scope in scopes:
            for year in years:
                await _pull_one(session, client, indicator, config, scope, year, city_code, report)
    if report.failed and not (report.stored or report.unchanged or report.missing):
        # Nothing got through: let the job fail and be retried.
        raise RuntimeError(f"enrolment statistics unavailable: {report.failed[0]}")
    return report


async def _pull_one(
    session: AsyncSession,
    client: EnrolmentClient,
    indicator: Indicator,
    config: EnrolmentSource,
    scope: str,
    year: int,
    city_code: str,
    report: PullReport,
) -> None:
    try:
        stats = await client.stats(
            year=year, stage=config.stage, district_code=None if scope == city_code else scope
        )
    except UpstreamRejected as error:
        if error.peer_status == 404:
            report.missing += 1
            return
        report.failed.append(f"{scope}/{year}: {error}")
        return
    except AppError as error:
        log.warning("enrolment_stats_failed", scope=scope, year=year, error=str(error))
        report.failed.append(f"{scope}/{year}: {error}")
        return
    result = figures(indicator, config, stats)
    if result is None:
        report.missing += 1
        return
    numerator, denominator, value = result
    if indicator.kind == IndicatorKind.number:
        denominator = None
    _, stored = await indicator_service.store(
        session,
        indicator,
        scope_code=scope,
        parent_scope_code=city_code if scope != city_code else None,
        period=str(year),
        numerator=numerator,
        denominator=denominator,
        value=value,
        source=SOURCE,
        population_source=indicator.population_source,
        as_of=stats.as_of.date(),
        note=f"enrolment {config.stage} {config.measure}",
        subject="service:plans",
    )
    if stored:
        report.stored += 1
    else:
        report.unchanged += 1
