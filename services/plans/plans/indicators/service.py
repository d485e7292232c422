"""Indicators the DHIS2 way: values keep numerator and denominator, areas aggregate as
Σnumerator ÷ Σdenominator (never an average of percentages), targets carry a comparator, and
gross ratios may exceed 100 %."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import structlog
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from plans.indicators.schemas import (
    Attainment,
    AttainmentYear,
    IndicatorLight,
    IndicatorRead,
    IndicatorWrite,
    TargetRef,
    TargetWrite,
    ValueRead,
    ValueWrite,
)
from plans.models import (
    Direction,
    Indicator,
    IndicatorKind,
    IndicatorTarget,
    IndicatorValue,
    Plan,
)
from shared.errors import Conflict, InvalidInput, NotFound
from shared.i18n import Text

log = structlog.get_logger("plans.indicators")


class IndicatorNotFound(NotFound):
    code = "plans.indicator.not_found"
    title = Text("指标不存在", "Indicator not found")


class IndicatorNameTaken(Conflict):
    code = "plans.indicator.name_taken"
    title = Text("已有同名或同代码的指标", "An indicator with that name or code exists")


def value_of(indicator: Indicator, numerator: float, denominator: float | None) -> float:
    if indicator.kind == IndicatorKind.number:
        return numerator
    if not denominator:
        raise ValueError("a ratio needs a positive denominator")
    return numerator / denominator * indicator.factor


def value_read(indicator: Indicator, value: IndicatorValue) -> ValueRead:
    read = ValueRead.model_validate(value)
    if indicator.kind == IndicatorKind.ratio and indicator.unit == "%" and value.value > 100:
        read.over_100 = True
        read.plausible = indicator.may_exceed_100
    return read


def satisfies(value: float, comparator: str, target: float) -> bool:
    match comparator:
        case ">=":
            return value >= target - 1e-9
        case ">":
            return value > target
        case "<=":
            return value <= target + 1e-9
        case "<":
            return value < target
        case _:
            return abs(value - target) < 1e-9


def attainment_ratio(value: float, target: float, direction: Direction) -> float | None:
    if direction == Direction.higher_is_better:
        return value / target if target else None
    return target / value if value else None


@dataclass(frozen=True, slots=True)
class YearValue:
    value: float
    numerator: float | None
    denominator: float | None
    period: str
    aggregated: bool
    areas: int


def _latest_per_year(values: Sequence[IndicatorValue]) -> dict[int, IndicatorValue]:
    """The annual value when there is one, else the latest month of the year."""
    best: dict[int, IndicatorValue] = {}
    for value in values:
        current = best.get(value.year)
        if current is None or _period_rank(value.period) > _period_rank(current.period):
            best[value.year] = value
    return best


def _period_rank(period: str) -> int:
    return 13 if len(period) == 4 else int(period[5:])


class IndicatorService:
    # --- definitions ----------------------------------------------------------------------------

    async def find_or_create(
        self, session: AsyncSession, name: str, *, unit: str | None, comparator: str
    ) -> Indicator:
        found = await session.scalar(select(Indicator).where(Indicator.name == name))
        if found is not None:
            return found
        ratio = unit == "%"
        indicator = Indicator(
            name=name,
            kind=IndicatorKind.ratio if ratio else IndicatorKind.number,
            factor=100.0 if ratio else 1.0,
            unit=unit,
            direction=Direction.lower_is_better
            if comparator in ("<=", "<")
            else Direction.higher_is_better,
            decimals=1 if ratio else 0,
            # 毛入园率 / 毛入学率 count pupils of any age over the official-age population.
            may_exceed_100="毛入" in name,
            source_config={},
        )
        session.add(indicator)
        await session.flush()
        return indicator

    async def get(self, session: AsyncSession, indicator_id: uuid.UUID) -> Indicator:
        indicator = await session.get(Indicator, indicator_id)
        if indicator is None:
            raise IndicatorNotFound()
        return indicator

    async def list(self, session: AsyncSession) -> Sequence[Indicator]:
        return (await session.scalars(select(Indicator).order_by(Indicator.name))).all()

    async def create(self, session: AsyncSession, body: IndicatorWrite) -> Indicator:
        await self._unique(session, body, None)
        indicator = Indicator(**self._fields(body))
        session.add(indicator)
        await self._flush_unique(session)
        return indicator

    async def _flush_unique(self, session: AsyncSession) -> None:
        """A concurrent request may take the name between our check and our write."""
        try:
            async with session.begin_nested():
                await session.flush()
        except IntegrityError:
            raise IndicatorNameTaken() from None

    async def update(
        self, session: AsyncSession, indicator_id: uuid.UUID, body: IndicatorWrite
    ) -> Indicator:
        indicator = await self.get(session, indicator_id)
        await self._unique(session, body, indicator.id)
        for name, value in self._fields(body).items():
            setattr(indicator, name, value)
        await self._flush_unique(session)
        return indicator

    def _fields(self, body: IndicatorWrite) -> dict[str, object]:
        fields = body.model_dump(exclude={"source_config"})
        fields["source_config"] = (
            body.source_config.model_dump(mode="json") if body.source_config else {}
        )
        return fields

    async def _unique(
        self, session: AsyncSession, body: IndicatorWrite, own: uuid.UUID | None
    ) -> None:
        clash = Indicator.name == body.name
        if body.code:
            clash = clash | (Indicator.code == body.code)
        statement = select(Indicator.id).where(clash)
        if own is not None:
            statement = statement.where(Indicator.id != own)
        if await session.scalar(statement) is not None:
            raise IndicatorNameTaken()

    # --- targets ---------------------------------------------------------------------------------

    async def targets(
        self,
        session: AsyncSession,
        indicator_id: uuid.UUID,
        *,
        plan_id: uuid.UUID | None = None,
        scopes: Sequence[str] | None = None,
    ) -> Sequence[IndicatorTarget]:
        statement = select(IndicatorTarget).where(IndicatorTarget.indicator_id == indicator_id)
        if plan_id is not None:
            statement = statement.where(IndicatorTarget.plan_id == plan_id)
        if scopes is not None:
            statement = statement.where(IndicatorTarget.scope_code.in_(scopes))
        return (
            await session.scalars(
                statement.order_by(
                    IndicatorTarget.scope_code, IndicatorTarget.year, IndicatorTarget.created_at
                )
            )
        ).all()

    async def set_target(
        self, session: AsyncSession, indicator: Indicator, plan: Plan, body: TargetWrite
    ) -> IndicatorTarget:
        existing = await session.scalar(
            select(IndicatorTarget)
            .where(
                IndicatorTarget.indicator_id == indicator.id,
                IndicatorTarget.plan_id == plan.id,
                IndicatorTarget.scope_code == body.scope_code,
                IndicatorTarget.year == body.year,
            )
            .with_for_update()
        )
        if existing is None:
            existing = IndicatorTarget(
                indicator_id=indicator.id,
                plan_id=plan.id,
                scope_code=body.scope_code,
                year=body.year,
            )
            session.add(existing)
        existing.comparator = body.comparator
        existing.value = body.value
        existing.year_inferred = False
        await session.flush()
        return existing

    # --- values ----------------------------------------------------------------------------------

    async def record_value(
        self,
        session: AsyncSession,
        indicator: Indicator,
        body: ValueWrite,
        *,
        source: str,
        subject: str | None,
        city_code: str,
    ) -> tuple[IndicatorValue, bool]:
        """Store a value; an identical current value is kept (returns False), another one is
        superseded, never overwritten."""
        if indicator.kind == IndicatorKind.ratio and body.denominator is None:
            raise InvalidInput.for_field(
                "body.denominator",
                Text("比率指标需要分母", "A ratio indicator needs a denominator"),
                "missing",
            )
        numerator = body.numerator
        denominator = body.denominator if indicator.kind == IndicatorKind.ratio else None
        return await self.store(
            session,
            indicator,
            scope_code=body.scope_code,
            parent_scope_code=body.parent_scope_code
            or (city_code if body.scope_code != city_code else None),
            period=body.period,
            numerator=numerator,
            denominator=denominator,
            value=value_of(indicator, numerator, denominator),
            source=source,
            population_source=body.population_source or indicator.population_source,
            as_of=body.as_of,
            note=body.note,
            subject=subject,
        )

    async def store(
        self,
        session: AsyncSession,
        indicator: Indicator,
        *,
        scope_code: str,
        parent_scope_code: str | None,
        period: str,
        numerator: float | None,
        denominator: float | None,
        value: float,
        source: str,
        population_source: str | None,
        as_of: date | None,
        note: str | None,
        subject: str | None,
    ) -> tuple[IndicatorValue, bool]:
        current = await session.scalar(
            select(IndicatorValue)
            .where(
                IndicatorValue.indicator_id == indicator.id,
                IndicatorValue.scope_code == scope_code,
                IndicatorValue.period == period,
                IndicatorValue.superseded_at.is_(None),
            )
            .with_for_update()
        )
        if (
            current is not None
            and current.numerator == numerator
            and current.denominator == denominator
            and abs(current.value - value) < 1e-9
            and current.source == source
        ):
            return current, False
        if current is not None:
            await session.execute(
                update(IndicatorValue)
                .where(IndicatorValue.id == current.id)
                .values(superseded_at=datetime.now(UTC))
            )
        stored = IndicatorValue(
            indicator_id=indicator.id,
            scope_code=scope_code,
            parent_scope_code=parent_scope_code,
            year=int(period[:4]),
            period=period,
            numerator=numerator,
            denominator=denominator,
            value=value,
            source=source,
            population_source=population_source,
            as_of=as_of,
            note=note,
            submitted_by=subject,
        )
        session.add(stored)
        await session.flush()
        return stored, True

    async def values(
        self,
        session: AsyncSession,
        indicator_id: uuid.UUID,
        *,
        scopes: Sequence[str] | None,
        year: int | None = None,
        history: bool = False,
    ) -> Sequence[IndicatorValue]:
        statement = select(IndicatorValue).where(IndicatorValue.indicator_id == indicator_id)
        if scopes is not None:
            statement = statement.where(IndicatorValue.scope_code.in_(scopes))
        if year is not None:
            statement = statement.where(IndicatorValue.year == year)
        if not history:
            statement = statement.where(IndicatorValue.superseded_at.is_(None))
        return (
            await session.scalars(
                statement.order_by(
                    IndicatorValue.scope_code, IndicatorValue.period, IndicatorValue.created_at
                )
            )
        ).all()

    # --- attainment ------------------------------------------------------------------------------

    async def attainment(
        self,
        session: AsyncSession,
        indicator: Indicator,
        *,
        scope_code: str,
        plan_id: uuid.UUID | None,
        today: date,
        yellow_ratio: float,
    ) -> Attainment:
        targets = await self.targets(session, indicator.id, plan_id=plan_id, scopes=[scope_code])
        by_year: dict[int, IndicatorTarget] = {}
        for target in targets:  # the latest written wins when several plans set one
            by_year[target.year] = target
        direct = _latest_per_year(await self.values(session, indicator.id, scopes=[scope_code]))
        children = (
            await session.scalars(
                select(IndicatorValue).where(
                    IndicatorValue.indicator_id == indicator.id,
                    IndicatorValue.parent_scope_code == scope_code,
                    IndicatorValue.superseded_at.is_(None),
                )
            )
        ).all()
        measured = dict(self._aggregate(indicator, children))
        for year, own in direct.items():
            measured[year] = YearValue(
                own.value, own.numerator, own.denominator, own.period, False, 1
            )
        rows = [
            self._year(
                indicator,
                year,
                by_year.get(year),
                measured.get(year),
                measured.get(year - 1),
                today=today,
                yellow_ratio=yellow_ratio,
            )
            for year in sorted(set(by_year) | set(measured))
        ]
        return Attainment(
            indicator=IndicatorRead.model_validate(indicator),
            scope_code=scope_code,
            plan_id=plan_id,
            years=rows,
        )

    def _aggregate(
        self, indicator: Indicator, children: Sequence[IndicatorValue]
    ) -> dict[int, YearValue]:
        """Σnumerator ÷ Σdenominator over areas, each area's latest value of the year."""
        per_area: dict[str, list[IndicatorValue]] = {}
        for value in children:
            per_area.setdefault(value.scope_code, []).append(value)
        sums: dict[int, list[float]] = {}
        periods: dict[int, str] = {}
        for values in per_area.values():
            for year, value in _latest_per_year(values).items():
                if value.numerator is None:
                    continue
                if indicator.kind == IndicatorKind.ratio and not value.denominator:
                    continue
                total = sums.setdefault(year, [0.0, 0.0, 0.0])
                total[0] += value.numerator
                total[1] += value.denominator or 0.0
                total[2] += 1
                periods[year] = min(periods.get(year, value.period), value.period, key=_period_rank)
        result: dict[int, YearValue] = {}
        for year, (numerator, denominator, areas) in sums.items():
            if indicator.kind == IndicatorKind.ratio:
                figure = numerator / denominator * indicator.factor
                result[year] = YearValue(
                    figure, numerator, denominator, periods[year], True, int(areas)
                )
            else:
                result[year] = YearValue(
                    numerator, numerator, None, periods[year], True, int(areas)
                )
        return result

    def _year(
        self,
        indicator: Indicator,
        year: int,
        target: IndicatorTarget | None,
        value: YearValue | None,
        baseline: YearValue | None,
        *,
        today: date,
        yellow_ratio: float,
    ) -> AttainmentYear:
        expected: float | None = None
        reference: float | None = target.value if target else None
        if (
            target is not None
            and value is not None
            and year == today.year
            and len(value.period) == 7
        ):
            # 序时进度: a month into the year, a count should be that share of its target and a
            # ratio that share of the way from last year's value to its target.
            fraction = int(value.period[5:]) / 12
            if indicator.kind == IndicatorKind.number:
                expected = target.value * fraction
            elif baseline is not None:
                expected = baseline.value + (target.value - baseline.value) * fraction
            else:
                expected = target.value
            reference = expected
        elif target is not None and year < today.year:
            expected = target.value
        met: bool | None = None
        ratio: float | None = None
        light: IndicatorLight = "grey"
        if value is not None and target is not None and reference is not None:
            met = satisfies(value.value, target.comparator, reference)
            ratio = attainment_ratio(value.value, target.value, indicator.direction)
            against = attainment_ratio(value.value, reference, indicator.direction)
            if met:
                light = "green"
            elif against is not None and against >= yellow_ratio:
                light = "yellow"
            else:
                light = "red"
        return AttainmentYear(
            year=year,
            target=TargetRef(
                comparator=target.comparator, value=target.value, year_inferred=target.year_inferred
            )
            if target
            else None,
            value=round(value.value, 6) if value else None,
            numerator=value.numerator if value else None,
            denominator=value.denominator if value else None,
            period=value.period if value else None,
            aggregated=value.aggregated if value else False,
            areas=value.areas if value else 0,
            expected_to_date=round(expected, 6) if expected is not None else None,
            attainment=round(ratio, 6) if ratio is not None else None,
            met=met,
            light=light,
            over_100=bool(value and indicator.unit == "%" and value.value > 100),
        )


indicator_service = IndicatorService()
