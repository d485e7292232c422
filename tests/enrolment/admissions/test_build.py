"""Properties of turning applications into the engine's instance and its result into rows, on
random cycles: seats within capacity and numbered once, a stable result, the order of the
input never matters, and the 公民同招 fall-back is what it says."""

import json
import random
import uuid
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from enrolment.admission.engine import AdmissionResult, find_violations, run_deferred_acceptance
from enrolment.admissions.build import (
    ApplicationInput,
    Instance,
    OfferingInput,
    Outcome,
    build_instance,
    outcome_rows,
)
from enrolment.admissions.explain import MISSING_KEY_PART

from .conftest import BATCHES, batch_facts, key_of

SEED = "ab" * 32
CYCLE = uuid.UUID("01900000-0000-7000-8000-000000000001")


@st.composite
def cycles(draw: st.DrawFn) -> tuple[list[OfferingInput], list[ApplicationInput]]:
    public = [
        OfferingInput(
            uuid.UUID(int=index + 1),
            f"P{index}",
            f"公办{index}",
            "450103",
            "public",
            draw(st.integers(0, 6)),
        )
        for index in range(draw(st.integers(1, 4)))
    ]
    private = [
        OfferingInput(
            uuid.UUID(int=100 + index),
            f"M{index}",
            f"民办{index}",
            "450103",
            "private",
            draw(st.integers(0, 3)),
        )
        for index in range(draw(st.integers(0, 2)))
    ]
    applications = []
    for index in range(draw(st.integers(0, 40))):
        catchment = draw(st.sampled_from([None, *public]))
        batch = draw(st.sampled_from([1, 4, 9]))
        day = f"20{draw(st.integers(15, 21))}-0{draw(st.integers(1, 9))}-1{draw(st.integers(0, 9))}"
        facts = batch_facts(batch, day)
        key = [MISSING_KEY_PART if part == float("inf") else part for part in key_of(facts)]
        chosen = draw(st.sampled_from([None, *private])) if private else None
        applications.append(
            ApplicationInput(
                id=uuid.UUID(int=10_000 + index),
                public_id=f"{index:04d}{draw(st.text('ABCDEF0123456789', min_size=4, max_size=4))}",
                track="private" if chosen else "public",
                district_code="450103",
                batch_code="private_lottery" if chosen else BATCHES[int(key[0]) - 1].code,
                private_choices=(chosen.id,) if chosen else (),
                catchment_offering_id=catchment.id if catchment else None,
                priority_key=() if chosen else tuple(key),
                facts=facts if chosen else None,
            )
        )
    return public + private, applications


@settings(max_examples=150, deadline=None)
@given(cycles(), st.randoms(use_true_random=False))
def test_rows_respect_capacity_and_stability_whatever_the_input_order(
    cycle: tuple[list[OfferingInput], list[ApplicationInput]], shuffler: random.Random
) -> None:
    offerings, applications = cycle

    def admit(order: list[ApplicationInput]) -> tuple[Instance, AdmissionResult, Outcome]:
        instance = build_instance(
            cycle_id=CYCLE,
            commitment="c" * 64,
            seed=SEED,
            batches=BATCHES,
            offerings=offerings,
            applications=order,
            district_code=None,
        )
        result = run_deferred_acceptance(instance.schools, instance.applicants)
        return instance, result, outcome_rows(instance, result, BATCHES)

    instance, result, outcome = admit(applications)
    shuffled = list(applications)
    shuffler.shuffle(shuffled)
    again, _, outcome_again = admit(shuffled)

    assert instance.digest == again.digest
    assert outcome.assignment == outcome_again.assignment
    assert outcome.placements == outcome_again.placements
    assert find_violations(instance.schools, instance.applicants, result.assignment) == []

    capacity = {o.id: o.seats for o in offerings}
    seats: Counter[uuid.UUID] = Counter()
    numbers: set[tuple[uuid.UUID, int]] = set()
    for row in outcome.placements:
        explanation = json.loads(row.explanation)
        if row.offering_id is None:
            assert row.seat_no is None
            assert all(item["outcome"] != "admitted" for item in explanation)
            continue
        seats[row.offering_id] += 1
        assert row.capacity == capacity[row.offering_id]
        assert 1 <= row.seat_no <= row.capacity
        assert (row.offering_id, row.seat_no) not in numbers
        numbers.add((row.offering_id, row.seat_no))
        assert explanation[-1]["outcome"] == "admitted"
        source = next(a for a in applications if a.id == row.application_id)
        # 公民同招: placed at the catchment school after trying a private one.
        assert row.fallback == (
            source.track == "private" and row.offering_id == source.catchment_offering_id
        )
    for school in outcome.schools:
        assert school.admitted == seats[school.offering_id] <= school.capacity
        assert (school.cutoff_key is not None) == (school.admitted == school.capacity > 0)
    statistics = outcome.statistics
    assert statistics["placed"] + statistics["unplaced"] == len(applications)
