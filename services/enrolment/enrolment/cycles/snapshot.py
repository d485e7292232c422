"""A cycle with its offerings and catchment units, held in memory for submissions and look-ups.

Opening day sends every family through the same few rows; reading them once per process (for
`cycle_cache_seconds`) turns a catchment look-up into dictionary access. Edits made through this
process drop its copy at once; other processes see them within the cache time.

The cache outlives the request that filled it, so it holds frozen plain values copied out of the
rows (`CycleInfo`, `OfferingInfo`, `Unit`), never ORM objects: an object of the filling request's
session is expired when that request is refused and rolled back, and the next family to touch
it would get a 500.
"""

import time
import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from enrolment.addresses import Unit, house_number, normalise_name, point_in_polygon
from enrolment.cycles.repository import CycleRepository
from enrolment.cycles.schemas import Address, CatchmentMatch
from enrolment.models import Cycle, CycleStatus, Ownership
from enrolment.rules import BatchRule
from enrolment.windows import DayHours, day_hours, overrides_by_day


@dataclass(frozen=True, slots=True)
class CycleInfo:
    """What a submission reads of a cycle, copied out of its row."""

    id: uuid.UUID
    year: int
    district_code: str | None
    status: CycleStatus
    registration_opens_at: datetime
    registration_closes_at: datetime
    review_closes_at: datetime | None
    daily_hours: DayHours
    daily_hours_overrides: Mapping[date, DayHours]
    age_min_years: int
    age_max_years: int | None
    age_cutoff_month: int
    age_cutoff_day: int
    private_required_documents: tuple[tuple[str, ...], ...]
    max_private_choices: int

    @classmethod
    def of(cls, cycle: Cycle) -> "CycleInfo":
        return cls(
            id=cycle.id,
            year=cycle.year,
            district_code=cycle.district_code,
            status=cycle.status,
            registration_opens_at=cycle.registration_opens_at,
            registration_closes_at=cycle.registration_closes_at,
            review_closes_at=cycle.review_closes_at,
            daily_hours=day_hours(cycle.daily_hours),
            daily_hours_overrides=MappingProxyType(
                overrides_by_day(cycle.daily_hours_overrides or {})
            ),
            age_min_years=cycle.age_min_years,
            age_max_years=cycle.age_max_years,
            age_cutoff_month=cycle.age_cutoff_month,
            age_cutoff_day=cycle.age_cutoff_day,
            private_required_documents=tuple(
                tuple(group) for group in cycle.private_required_documents or []
            ),
            max_private_choices=cycle.max_private_choices,
        )

    @property
    def age_cutoff(self) -> date:
        return date(self.year, self.age_cutoff_month, self.age_cutoff_day)


@dataclass(frozen=True, slots=True)
class OfferingInfo:
    id: uuid.UUID
    school_code: str
    school_name: str
    district_code: str
    ownership: Ownership
    seats: int
    polygon: tuple[tuple[tuple[float, ...], ...], ...] | None


@dataclass(frozen=True, slots=True)
class CycleSnapshot:
    cycle: CycleInfo
    batches: tuple[BatchRule, ...]
    offerings: Mapping[uuid.UUID, OfferingInfo]
    by_road: Mapping[tuple[str, str], tuple[Unit, ...]]
    by_estate: Mapping[tuple[str, str], tuple[Unit, ...]]

    @property
    def districts(self) -> frozenset[str]:
        """The districts the cycle's schools are in (a district cycle: its own)."""
        if self.cycle.district_code is not None:
            return frozenset({self.cycle.district_code})
        return frozenset(offering.district_code for offering in self.offerings.values())

    def _match(self, offering_id: str, kind: str, rule: str) -> CatchmentMatch:
        offering = self.offerings[uuid.UUID(offering_id)]
        return CatchmentMatch(
            offering_id=offering.id,
            school_code=offering.school_code,
            school_name=offering.school_name,
            ownership=offering.ownership,
            matched_by=kind,
            rule=rule,
        )

    def resolve(self, address: Address | dict[str, Any] | None) -> list[CatchmentMatch]:
        """Schools whose catchment holds the address: estates first, then road ranges, then
        polygons. Usually one; an address on a shared boundary may give several."""
        if address is None:
            return []
        if isinstance(address, dict):
            address = Address.model_validate(address)
        district = address.district_code
        estate_key = normalise_name(address.estate)
        road_key = normalise_name(address.road)
        number = house_number(address.house_number)
        matches: list[CatchmentMatch] = []
        seen: set[str] = set()
        if estate_key is not None:
            for unit in self.by_estate.get((district, estate_key), ()):
                if unit.offering_id not in seen and unit.matches_estate(district, estate_key):
                    seen.add(unit.offering_id)
                    matches.append(self._match(unit.offering_id, "estate", unit.describe()))
        if matches:
            return matches
        if road_key is not None:
            for unit in self.by_road.get((district, road_key), ()):
                if unit.offering_id not in seen and unit.matches_road(district, road_key, number):
                    seen.add(unit.offering_id)
                    matches.append(self._match(unit.offering_id, "road", unit.describe()))
        if matches:
            return matches
        if address.lng is not None and address.lat is not None:
            for offering in self.offerings.values():
                if offering.polygon and point_in_polygon(
                    address.lng, address.lat, offering.polygon
                ):
                    matches.append(
                        self._match(str(offering.id), "polygon", "位于学校服务片区范围图内")
                    )
        return matches


def _frozen_polygon(
    polygon: list[list[list[float]]] | None,
) -> tuple[tuple[tuple[float, ...], ...], ...] | None:
    if polygon is None:
        return None
    return tuple(tuple(tuple(point) for point in ring) for ring in polygon)


async def load_snapshot(session: AsyncSession, cycle: Cycle) -> CycleSnapshot:
    repository = CycleRepository(session)
    offerings = {
        row.id: OfferingInfo(
            row.id,
            row.school_code,
            row.school_name,
            row.district_code,
            row.ownership,
            row.seats,
            _frozen_polygon(row.polygon),
        )
        for row in await repository.offerings_of(cycle.id)
    }
    by_road: dict[tuple[str, str], list[Unit]] = defaultdict(list)
    by_estate: dict[tuple[str, str], list[Unit]] = defaultdict(list)
    units = await repository.catchment_units_of(cycle.id)
    for row in sorted(
        units,
        key=lambda u: offerings[u.offering_id].school_code if u.offering_id in offerings else "",
    ):
        unit = Unit(
            id=str(row.id),
            offering_id=str(row.offering_id),
            district_code=row.district_code,
            road_key=row.road_key,
            number_from=row.number_from,
            number_to=row.number_to,
            parity=row.parity.value,
            estate_key=row.estate_key,
            road=row.road,
            estate=row.estate,
        )
        if unit.road_key is not None:
            by_road[(unit.district_code, unit.road_key)].append(unit)
        if unit.estate_key is not None:
            by_estate[(unit.district_code, unit.estate_key)].append(unit)
    return CycleSnapshot(
        cycle=CycleInfo.of(cycle),
        batches=tuple(BatchRule.model_validate(batch) for batch in cycle.batches),
        offerings=MappingProxyType(offerings),
        by_road=MappingProxyType({key: tuple(value) for key, value in by_road.items()}),
        by_estate=MappingProxyType({key: tuple(value) for key, value in by_estate.items()}),
    )


class SnapshotCache:
    def __init__(self, ttl_seconds: float) -> None:
        self.ttl_seconds = ttl_seconds
        self._items: dict[uuid.UUID, tuple[float, CycleSnapshot]] = {}

    async def get(self, session: AsyncSession, cycle_id: uuid.UUID) -> CycleSnapshot | None:
        cached = self._items.get(cycle_id)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        cycle = await CycleRepository(session).get(cycle_id)
        if cycle is None:
            return None
        snapshot = await load_snapshot(session, cycle)
        if self.ttl_seconds > 0:
            self._items[cycle_id] = (time.monotonic() + self.ttl_seconds, snapshot)
        return snapshot

    def drop(self, cycle_id: uuid.UUID | None = None) -> None:
        if cycle_id is None:
            self._items.clear()
        else:
            self._items.pop(cycle_id, None)
