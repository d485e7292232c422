"""Turn what a family declared into the facts the batch rules read, relative to one school."""

from datetime import date
from typing import Any

from enrolment.addresses import house_number, normalise_name
from enrolment.cycles.schemas import CatchmentMatch
from enrolment.models import (
    FamilyFacts,
    Guardian,
    GuardianRelation,
    PropertyOwner,
    PropertyOwnership,
)

NANNING_PREFIX = "4501"
# The development zones act as districts for education without GB/T 2260 codes of their own.
NANNING_EXTRA = frozenset({"450191", "450192", "450193"})


def in_nanning(district_code: str | None) -> bool:
    if not district_code:
        return False
    return district_code.startswith(NANNING_PREFIX) or district_code in NANNING_EXTRA


def same_address(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    if not a or not b or a.get("district_code") != b.get("district_code"):
        return False
    estate_a, estate_b = normalise_name(a.get("estate")), normalise_name(b.get("estate"))
    if estate_a and estate_b and estate_a != estate_b:
        return False
    road_a, road_b = normalise_name(a.get("road")), normalise_name(b.get("road"))
    if road_a != road_b or house_number(a.get("house_number")) != house_number(
        b.get("house_number")
    ):
        return False
    detail_a, detail_b = normalise_name(a.get("detail")), normalise_name(b.get("detail"))
    return not (detail_a and detail_b and detail_a != detail_b)


def primary_address(facts: FamilyFacts | None) -> dict[str, Any] | None:
    """The address that decides the catchment school: the property (就近 by 房产登记地址),
    else the 户籍 address in the city, else where the family actually lives."""
    if facts is None:
        return None
    if (
        facts.has_property
        and facts.property_address
        and in_nanning(facts.property_address.get("district_code"))
    ):
        return facts.property_address
    if facts.hukou_address and in_nanning(facts.hukou_address.get("district_code")):
        return facts.hukou_address
    return facts.residence_address or facts.hukou_address


def years_between(start: date, end: date) -> float:
    return round((end - start).days / 365.25, 3)


def compute(
    *,
    facts: FamilyFacts | None,
    guardians: list[Guardian],
    target_offering_id: Any,
    target_district: str | None,
    hukou_matches: list[CatchmentMatch],
    property_matches: list[CatchmentMatch],
    reference_date: date,
) -> dict[str, Any]:
    """Every fact in `enrolment.rules.FACTS`; dates stay dates (the order key converts them)."""
    if facts is None:
        return {"has_property": False, "migrant": True, "claims": []}
    hukou_district = (facts.hukou_address or {}).get("district_code")
    property_district = (
        (facts.property_address or {}).get("district_code") if facts.has_property else None
    )
    parents = [
        g for g in guardians if g.relation in (GuardianRelation.father, GuardianRelation.mother)
    ]
    permits = [
        g
        for g in parents
        if g.residence_permit_district_code is not None
        and (target_district is None or g.residence_permit_district_code == target_district)
        and (
            g.residence_permit_valid_until is None
            or g.residence_permit_valid_until >= reference_date
        )
    ]
    hukou_in_city = in_nanning(hukou_district)
    return {
        "hukou_in_catchment": target_offering_id is not None
        and any(m.offering_id == target_offering_id for m in hukou_matches),
        "property_in_catchment": target_offering_id is not None
        and facts.has_property
        and any(m.offering_id == target_offering_id for m in property_matches),
        "hukou_matches_property": facts.has_property
        and same_address(facts.hukou_address, facts.property_address),
        "has_property": facts.has_property,
        "property_sole": facts.has_property and facts.property_ownership == PropertyOwnership.sole,
        "property_family_owned": facts.has_property
        and facts.property_owner in (PropertyOwner.parents, PropertyOwner.child),
        "lives_at_property": facts.has_property and facts.lives_at_property,
        "hukou_in_district": hukou_district is not None and hukou_district == target_district,
        "hukou_in_city": hukou_in_city,
        "property_in_district": property_district is not None
        and property_district == target_district,
        "three_generations": facts.three_generations,
        "migrant": not hukou_in_city,
        "residence_permits_both": len(parents) >= 2 and len(permits) >= 2,
        "has_residence_proof": facts.residence_proof is not None,
        "has_employment_proof": facts.employment_proof is not None,
        "property_share": float(facts.property_share) if facts.property_share is not None else None,
        "hukou_years": years_between(facts.hukou_move_in_date, reference_date)
        if facts.hukou_move_in_date
        else None,
        "social_insurance_months": facts.social_insurance_months,
        "hukou_move_in_date": facts.hukou_move_in_date,
        "property_handover_date": facts.property_handover_date if facts.has_property else None,
        "claims": list(facts.claims or []),
    }


def snapshot_json(values: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value.isoformat() if isinstance(value, date) else value
        for key, value in values.items()
    }
