"""Addresses and catchment units: normalisation, house-number ranges, point in polygon.

A catchment (服务片区) is a list of address units. A unit names a 小区 (estate) or a road with an
optional house-number range (all, odd or even numbers). An address matches a unit in the same
district when its estate is the unit's estate, or its road is the unit's road and its house
number falls in the range. Schools may also publish a polygon; a located address inside it
matches. Estate units are more specific than road ranges, which are more specific than polygons.
"""

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

_SPACES = re.compile(r"\s+")
_NUMBER = re.compile(r"(\d+)")


def normalise_name(value: str | None) -> str | None:
    """`  民族大道 ` and `民族大道` are one road; full-width digits become ASCII."""
    if value is None:
        return None
    text = unicodedata.normalize("NFKC", value)
    text = _SPACES.sub("", text).lower()
    return text or None


def house_number(value: str | int | None) -> int | None:
    """`"88号"`, `"88-2"`, `"８８"` → 88 (the number on the road, not the building or room)."""
    if value is None:
        return None
    if isinstance(value, int):
        return value
    found = _NUMBER.search(unicodedata.normalize("NFKC", value))
    return int(found.group(1)) if found else None


@dataclass(frozen=True, slots=True)
class Unit:
    id: str
    offering_id: str
    district_code: str
    road_key: str | None
    number_from: int | None
    number_to: int | None
    parity: str
    estate_key: str | None
    road: str | None = None
    estate: str | None = None

    def matches_estate(self, district_code: str, estate_key: str | None) -> bool:
        return (
            self.estate_key is not None
            and estate_key is not None
            and self.district_code == district_code
            and self.estate_key == estate_key
        )

    def matches_road(self, district_code: str, road_key: str | None, number: int | None) -> bool:
        if self.road_key is None or road_key is None or self.district_code != district_code:
            return False
        if self.road_key != road_key:
            return False
        if self.number_from is None and self.number_to is None:
            return True
        if number is None:
            return False
        low = self.number_from if self.number_from is not None else 0
        high = self.number_to if self.number_to is not None else 10**9
        if not low <= number <= high:
            return False
        if self.parity == "odd":
            return number % 2 == 1
        if self.parity == "even":
            return number % 2 == 0
        return True

    def describe(self) -> str:
        if self.estate_key is not None and self.road_key is None:
            return f"{self.estate}（小区）"
        parts = [self.road or ""]
        if self.number_from is not None or self.number_to is not None:
            low = self.number_from if self.number_from is not None else 1
            high = f"{self.number_to}" if self.number_to is not None else ""
            parity = {"odd": "（单号）", "even": "（双号）"}.get(self.parity, "")
            parts.append(f" {low}–{high}号{parity}")
        else:
            parts.append("（全路段）")
        return "".join(parts)


def point_in_polygon(lng: float, lat: float, rings: Sequence[Sequence[Sequence[float]]]) -> bool:
    """GeoJSON polygon (outer ring then holes), even-odd ray casting; edges count as inside
    only by chance, which is fine at the scale of a house."""
    inside = False
    for ring in rings:
        count = len(ring)
        for index in range(count):
            x1, y1 = ring[index][0], ring[index][1]
            x2, y2 = ring[(index + 1) % count][0], ring[(index + 1) % count][1]
            if (y1 > lat) != (y2 > lat):
                crossing = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
                if lng < crossing:
                    inside = not inside
    return inside
