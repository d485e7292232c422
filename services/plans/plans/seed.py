"""Demo plans for `make run`: seeds 001 (three-year plan) and 002 (2018 work points), imported
through the same preview → confirm path a person uses, plus indicator values to chart.

Idempotent (a plan is matched by its 文号). Runs before the services start, so unit names are
left `pending`; the worker resolves them through the directory once it is up.
"""

from importlib import resources

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from plans.imports.parser import parse_policy_text
from plans.imports.schemas import ImportConfirm
from plans.imports.service import import_service
from plans.indicators.schemas import EnrolmentSource, IndicatorWrite, TargetWrite, ValueWrite
from plans.indicators.service import indicator_service
from plans.models import Indicator, Plan, PlanStatus, ValueSource
from plans.policies import Access
from plans.units.resolution import UnitResolver
from shared.auth import Grant, Principal, Role, ScopeLevel

CITY = "450100"
SEED_FILES = (
    ("001_ae262387f17bac79.txt", PlanStatus.active),
    ("002_42d7a22f1583c568.txt", PlanStatus.closed),
)
# 在园幼儿数 / 3–5 岁人口 by district (demo figures; gross ratios, so one exceeds 100 %).
KINDERGARTEN = {
    "450102": {2018: (15_800, 16_300), 2019: (16_350, 16_700)},
    "450103": {2018: (24_100, 25_300), 2019: (25_900, 26_100)},
    "450105": {2018: (14_900, 15_800), 2019: (15_600, 16_000)},
    "450107": {2018: (21_200, 20_700), 2019: (21_900, 21_100)},
    "450126": {2018: (30_100, 32_400), 2019: (31_000, 32_300)},
}

SEED_PRINCIPAL = Principal(
    subject="system:seed",
    kind="service",
    grants=(Grant(Role.city_admin, ScopeLevel.city, CITY),),
)


async def load_demo_plans(session: AsyncSession) -> int:
    """Import the demo plans that are not there yet; returns how many were created."""
    access = Access.of(SEED_PRINCIPAL)
    created = 0
    for filename, status in SEED_FILES:
        text = resources.files("plans.seed_data").joinpath(filename).read_text(encoding="utf-8")
        doc_number = parse_policy_text(text).plan.doc_number
        if await session.scalar(select(Plan.id).where(Plan.doc_number == doc_number)):
            continue
        item = await import_service.create(
            session, text, filename, SEED_PRINCIPAL, access, UnitResolver(None)
        )
        plan = await import_service.confirm(
            session,
            item.id,
            ImportConfirm(status=status, leader_name="分管副局长（演示）"),
            SEED_PRINCIPAL,
            access,
            UnitResolver(None),
        )
        created += 1
        if status == PlanStatus.active:
            await _demo_values(session, plan)
    await session.flush()
    return created


async def _demo_values(session: AsyncSession, plan: Plan) -> None:
    kindergarten = await session.scalar(
        select(Indicator).where(Indicator.name == "学前三年毛入园率")
    )
    if kindergarten is not None:
        kindergarten.numerator_label = "在园幼儿数"
        kindergarten.denominator_label = "3—5 岁常住人口"
        kindergarten.population_source = "常住人口（统计局年度估算）"
        for district, years in KINDERGARTEN.items():
            for year, (numerator, denominator) in years.items():
                await indicator_service.record_value(
                    session,
                    kindergarten,
                    ValueWrite(
                        scope_code=district,
                        period=str(year),
                        numerator=numerator,
                        denominator=denominator,
                    ),
                    source=ValueSource.manual.value,
                    subject=SEED_PRINCIPAL.subject,
                    city_code=CITY,
                )
    catchment = await session.scalar(
        select(Indicator).where(Indicator.name == "小学一年级就近入学比例")
    )
    if catchment is None:
        catchment = await indicator_service.create(
            session,
            IndicatorWrite(
                code="primary_catchment_share",
                name="小学一年级就近入学比例",
                numerator_label="在服务片区学校录取的一年级新生数",
                denominator_label="一年级录取总数",
                source=ValueSource.enrolment_stats,
                source_config=EnrolmentSource(stage="primary_g1", measure="catchment_share"),
            ),
        )
    end = plan.period_end or 2020
    await indicator_service.set_target(
        session, catchment, plan, TargetWrite(plan_id=plan.id, scope_code=CITY, year=end, value=95)
    )
