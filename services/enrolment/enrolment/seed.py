"""Demo data for `make run`: a published 2026 primary grade-1 cycle for 青秀区 and 兴宁区, with
offerings for the directory's demo primary schools and catchments by road. Idempotent.

The schools come in as plain values from the platform's seed (the directory owns them); this
module writes only the enrolment schema. 青秀区 keeps Nanning's real 2024 window (2–7 July, with
its daily hours); 兴宁区's demo window stays open to the end of August 2027 so the whole flow can
be tried at any time, still with the daily hours.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from enrolment.addresses import normalise_name
from enrolment.models import (
    CatchmentUnit,
    Cycle,
    CycleStatus,
    Offering,
    Ownership,
    Parity,
    Stage,
)
from enrolment.rules import nanning_batches
from enrolment.windows import SHANGHAI

NANNING_HOURS = [{"start": "08:30", "end": "12:30"}, {"start": "14:30", "end": "22:00"}]


@dataclass(frozen=True, slots=True)
class DemoSchool:
    code: str
    name: str
    district_code: str
    stages: tuple[str, ...]
    ownership: str
    address: str


@dataclass(frozen=True, slots=True)
class DemoCycle:
    district_code: str
    name: str
    opens: datetime
    closes: datetime


CYCLES = (
    DemoCycle(
        "450103",
        "2026年青秀区小学一年级招生",
        datetime(2026, 7, 2, 8, 30, tzinfo=SHANGHAI),
        datetime(2026, 7, 7, 17, 30, tzinfo=SHANGHAI),
    ),
    DemoCycle(
        "450102",
        "2026年兴宁区小学一年级招生（演示：报名窗口延长至2027年8月）",
        datetime(2026, 7, 2, 8, 30, tzinfo=SHANGHAI),
        datetime(2027, 8, 31, 22, 0, tzinfo=SHANGHAI),
    ),
)
# Extra address units that make the demo family of the agency simulator (民族大道 100号) land in
# 滨湖路小学's catchment.
EXTRA_UNITS = {"4501030001": [("民族大道", 2, 200, Parity.even)]}


def _road(address: str, district_name_length: int = 3) -> str | None:
    """`青秀区滨湖路` → `滨湖路`; towns (`…镇`) have no road."""
    road = address[district_name_length:] if len(address) > district_name_length else ""
    return road if road and not road.endswith("镇") else None


async def load_demo_enrolment(session: AsyncSession, schools: Iterable[DemoSchool]) -> int:
    by_district: dict[str, list[DemoSchool]] = {}
    for school in schools:
        if "primary" in school.stages:
            by_district.setdefault(school.district_code, []).append(school)
    written = 0
    for demo in CYCLES:
        cycle = await session.scalar(
            select(Cycle).where(
                Cycle.year == 2026,
                Cycle.stage == Stage.primary_g1,
                Cycle.district_code == demo.district_code,
            )
        )
        if cycle is None:
            cycle = Cycle(
                year=2026,
                stage=Stage.primary_g1,
                district_code=demo.district_code,
                name=demo.name,
                status=CycleStatus.published,
                registration_opens_at=demo.opens,
                registration_closes_at=demo.closes,
                daily_hours=NANNING_HOURS,
                daily_hours_overrides={
                    "2026-07-07": [
                        {"start": "08:30", "end": "12:30"},
                        {"start": "14:30", "end": "17:30"},
                    ]
                },
                review_closes_at=None,
                age_min_years=6,
                age_cutoff_month=8,
                age_cutoff_day=31,
                batches=nanning_batches(),
                private_required_documents=[["hukou_book"]],
                public_private_exclusive=True,
                max_private_choices=1,
                class_size_max=45,
                class_size_min=25,
            )
            session.add(cycle)
            await session.flush()
            written += 1
        for school in by_district.get(demo.district_code, []):
            offering = await session.scalar(
                select(Offering).where(
                    Offering.cycle_id == cycle.id, Offering.school_code == school.code
                )
            )
            if offering is not None:
                continue
            private = school.ownership == "private"
            offering = Offering(
                cycle_id=cycle.id,
                school_code=school.code,
                school_name=school.name,
                district_code=demo.district_code,
                ownership=Ownership.private if private else Ownership.public,
                seats=45 if private else 90,
                classes=1 if private else 2,
            )
            session.add(offering)
            await session.flush()
            written += 1
            if private:
                continue  # private schools recruit district-wide, without a catchment
            units: list[tuple[str, int | None, int | None, Parity]] = []
            if (road := _road(school.address)) is not None:
                units.append((road, None, None, Parity.all))
            units += EXTRA_UNITS.get(school.code, [])
            for road_name, low, high, parity in units:
                session.add(
                    CatchmentUnit(
                        offering_id=offering.id,
                        cycle_id=cycle.id,
                        district_code=demo.district_code,
                        road=road_name,
                        road_key=normalise_name(road_name),
                        number_from=low,
                        number_to=high,
                        parity=parity,
                    )
                )
    await session.flush()
    return written
