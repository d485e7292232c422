"""`make run`'s demo data: published cycles over the directory's demo schools, idempotent."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from directory.seed.nanning import SCHOOLS
from enrolment.cycles.snapshot import load_snapshot
from enrolment.models import CatchmentUnit, Cycle, CycleStatus, Offering
from enrolment.seed import DemoSchool, load_demo_enrolment


async def test_demo_cycles_offerings_and_catchments(session: AsyncSession) -> None:
    schools = [
        DemoSchool(s.code, s.name, district, s.stages, s.ownership, s.address)
        for district, items in SCHOOLS.items()
        for s in items
    ]

    first = await load_demo_enrolment(session, schools)
    again = await load_demo_enrolment(session, schools)

    assert first > 0
    assert again == 0
    cycles = (await session.scalars(select(Cycle).where(Cycle.year == 2026))).all()
    assert {c.district_code for c in cycles} == {"450102", "450103"}
    assert all(c.status == CycleStatus.published for c in cycles)
    qingxiu = next(c for c in cycles if c.district_code == "450103")
    assert (
        await session.scalar(
            select(func.count()).select_from(Offering).where(Offering.cycle_id == qingxiu.id)
        )
        == 5
    )
    assert (
        await session.scalar(
            select(func.count())
            .select_from(CatchmentUnit)
            .where(CatchmentUnit.cycle_id == qingxiu.id)
        )
        == 5
    )
    snapshot = await load_snapshot(session, qingxiu)
    match = snapshot.resolve(
        {"district_code": "450103", "road": "民族大道", "house_number": "100号"}
    )
    assert [m.school_code for m in match] == ["4501030001"]
