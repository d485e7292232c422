"""Demo data for `make run`: a published 2026 primary grade-1 cycle for 青秀区 and 兴宁区, with
offerings for the directory's demo primary schools and catchments by road, and 450 verified
applications in 青秀区 to run the batch admission on. Idempotent.

The schools come in as plain values from the platform's seed (the directory owns them); this
module writes only the enrolment schema. 青秀区 keeps Nanning's real 2024 window (2–7 July, with
its daily hours); 兴宁区's demo window stays open to the end of August 2027 so the whole flow can
be tried at any time, still with the daily hours.
"""

import random
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from enrolment.addresses import normalise_name
from enrolment.idnumber import make
from enrolment.models import (
    Application,
    ApplicationStatus,
    CatchmentUnit,
    Child,
    Cycle,
    CycleStatus,
    Offering,
    Ownership,
    Parity,
    Sex,
    Stage,
    Track,
    VerificationStatus,
)
from enrolment.privacy import PersonalDataVault
from enrolment.rules import BatchRule, decide, nanning_batches
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


# --- demo applications for the batch admission ---------------------------------------------

DEMO_PARENT = uuid.UUID("5eed0000-0000-4000-8000-00000000a11c")
# Catchment schools of 青秀区's demo cycle and how many families live in each: 滨湖路小学 is
# oversubscribed (90 seats), the others less so; a few addresses match no catchment.
DEMO_CATCHMENTS = (
    ("4501030001", 180),
    ("4501030002", 110),
    ("4501030003", 80),
    ("4501030004", 70),
    (None, 10),
)
DEMO_PRIVATE = "4501030008"
SURNAMES = "李王张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = [
    "子涵",
    "浩然",
    "梓萱",
    "宇轩",
    "欣怡",
    "俊杰",
    "一诺",
    "思彤",
    "博文",
    "雨桐",
    "佳怡",
    "子墨",
]


def _demo_facts(rng: random.Random) -> dict[str, Any]:
    """Facts, as stored at submission, that put a child in one of Nanning's batches."""
    day = date(2014, 1, 1) + timedelta(days=rng.randrange(3000))
    kind = rng.choices(
        ["b1", "b2", "b3", "b4", "b5", "migrant", "other"], [30, 15, 8, 8, 14, 15, 10]
    )[0]
    facts: dict[str, Any] = {"has_property": False, "hukou_in_city": True, "claims": []}
    if kind in ("b1", "b2", "b3"):
        facts.update(
            has_property=True,
            property_in_catchment=True,
            property_family_owned=True,
            hukou_in_district=True,
            property_sole=kind != "b3",
            property_share=round(rng.uniform(0.3, 0.9), 2) if kind == "b3" else 1.0,
            property_handover_date=day.isoformat(),
        )
        if kind == "b1":
            facts.update(
                hukou_in_catchment=True,
                hukou_matches_property=True,
                lives_at_property=True,
                hukou_move_in_date=(day + timedelta(days=rng.randrange(400))).isoformat(),
            )
    elif kind in ("b4", "b5"):
        facts.update(
            hukou_in_catchment=True,
            hukou_in_district=True,
            three_generations=kind == "b4",
            hukou_years=round(rng.uniform(1.2, 9), 3),
            hukou_move_in_date=day.isoformat(),
        )
    elif kind == "migrant":
        facts.update(
            hukou_in_city=False,
            migrant=True,
            residence_permits_both=True,
            has_residence_proof=True,
            has_employment_proof=True,
            social_insurance_months=rng.randrange(6, 72),
        )
    return facts


def _as_rule_facts(stored: dict[str, Any]) -> dict[str, Any]:
    return {
        key: date.fromisoformat(value) if key.endswith("_date") and value else value
        for key, value in stored.items()
    }


async def load_demo_applications(session: AsyncSession, vault: PersonalDataVault) -> int:
    """450 verified applications in 青秀区's demo cycle, so `make run` can show an admission
    (registration there closed on 7 July 2026). Idempotent: nothing if they exist."""
    cycle = await session.scalar(
        select(Cycle).where(
            Cycle.year == 2026, Cycle.stage == Stage.primary_g1, Cycle.district_code == "450103"
        )
    )
    if cycle is None:
        return 0
    subject_prefix = f"parent:{DEMO_PARENT.hex[:8]}"
    exists = await session.scalar(
        select(Application.id)
        .where(
            Application.cycle_id == cycle.id, Application.parent_subject.like(f"{subject_prefix}%")
        )
        .limit(1)
    )
    if exists is not None:
        return 0
    offerings = {
        o.school_code: o
        for o in (
            await session.scalars(select(Offering).where(Offering.cycle_id == cycle.id))
        ).all()
    }
    batches = [BatchRule.model_validate(batch) for batch in cycle.batches]
    rng = random.Random(2026)
    homes = [code for code, count in DEMO_CATCHMENTS for _ in range(count)]
    written = 0
    for index, home in enumerate(homes):
        catchment = offerings.get(home) if home else None
        private = offerings.get(DEMO_PRIVATE) if catchment and rng.random() < 0.15 else None
        facts = _demo_facts(rng) if catchment else {"has_property": False, "claims": []}
        decision = decide(batches, _as_rule_facts(facts))
        birth = date(2019, 8, 31) - timedelta(days=index % 360)  # six by 31 August 2026
        sealed = vault.seal("child.id_number", make("450103", birth, index // 360 + 501))
        parent = f"{subject_prefix}-{index:04d}"
        child = Child(
            id=uuid.uuid5(DEMO_PARENT, f"child-{index}"),
            parent_subject=parent,
            name=SURNAMES[index % len(SURNAMES)] + GIVEN[(index * 7) % len(GIVEN)],
            sex=Sex.male if index % 2 else Sex.female,
            birth_date=birth,
            id_number_cipher=sealed.cipher,
            id_number_key_id=sealed.key_id,
            id_number_index=sealed.index,
            id_number_masked=sealed.masked,
        )
        session.add(child)
        await session.flush()
        key = [part if part != float("inf") else 1e15 for part in decision.key] if decision else []
        session.add(
            Application(
                id=uuid.uuid5(DEMO_PARENT, f"application-{index}"),
                cycle_id=cycle.id,
                child_id=child.id,
                parent_subject=parent,
                id_number_index=sealed.index,
                track=Track.private if private else Track.public,
                private_choices=[private.id] if private else [],
                status=ApplicationStatus.verified,
                migrant=bool(facts.get("migrant")),
                district_code="450103",
                school_codes=[private.school_code if private else home] if home else [],
                catchment_offering_id=catchment.id if catchment else None,
                catchment_school_code=home,
                batch_code="private_lottery"
                if private
                else decision.batch.code
                if decision
                else None,
                batch_order=None if private or not decision else decision.order,
                batch_name="民办学校报名" if private else decision.batch.name if decision else None,
                batch_reason=None,
                batch_explanation=[],
                priority_key=[] if private else key,
                facts_snapshot=facts,
                flags=[] if catchment else ["no_catchment"],
                corrections=[],
                verification_status=VerificationStatus.complete,
                submitted_at=cycle.registration_opens_at + timedelta(hours=1),
                decided_at=cycle.registration_closes_at,
            )
        )
        written += 1
    await session.flush()
    return written
