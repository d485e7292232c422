"""A cycle with its offerings and catchment units, held in memory for submissions and look-ups.

Opening day sends every family through the same few rows; reading them once per process (for
`cycle_cache_seconds`) turns a catchment look-up into dictionary access. Edits made through this
process drop its copy at once; other processes see them within the cache time.
"""

import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from enrolment.addresses import Unit, house_number, normalise_name, point_in_polygon
from enrolment.cycles.schemas import Address, CatchmentMatch
from enrolment.models import CatchmentUnit, Cycle, Offering, Ownership
from enrolment.rules import BatchRule


@dataclass(frozen=True, slots=True)
class OfferingInfo:
    id: uuid.UUID
    school_code: str
    school_name: str
    district_code: str
    ownership: Ownership
    seats: int
    polygon: list[list[list[float]]] | None


@dataclass
class CycleSnapshot:
    cycle: Cycle
    batches: list[BatchRule]
    offerings: dict[uuid.UUID, OfferingInfo]
    by_road: dict[tuple[str, str], list[Unit]] = field(default_factory=lambda: defaultdict(list))
    by_estate: dict[tuple[str, str], list[Unit]] = field(default_factory=lambda: defaultdict(list))

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


async def load_snapshot(session: AsyncSession, cycle: Cycle) -> CycleSnapshot:
    offerings = {
        row.id: OfferingInfo(
            row.id,
            row.school_code,
            row.school_name,
            row.district_code,
            row.ownership,
            row.seats,
            row.polygon,
        )
        for row in (
            await session.scalars(select(Offering).where(Offering.cycle_id == cycle.id))
        ).all()
    }
    snapshot = CycleSnapshot(
        cycle=cycle,
        batches=[BatchRule.model_validate(batch) for batch in cycle.batches],
        offerings=offerings,
    )
    units = (
        await session.scalars(
            select(CatchmentUnit)
            .where(CatchmentUnit.cycle_id == cycle.id)
            .order_by(CatchmentUnit.id)
        )
    ).all()
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
            snapshot.by_road[(unit.district_code, unit.road_key)].append(unit)
        if unit.estate_key is not None:
            snapshot.by_estate[(unit.district_code, unit.estate_key)].append(unit)
    return snapshot


class SnapshotCache:
    def __init__(self, ttl_seconds: float) -> None:
        self.ttl_seconds = ttl_seconds
        self._items: dict[uuid.UUID, tuple[float, CycleSnapshot]] = {}

    async def get(self, session: AsyncSession, cycle_id: uuid.UUID) -> CycleSnapshot | None:
        cached = self._items.get(cycle_id)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        cycle = await session.get(Cycle, cycle_id)
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
