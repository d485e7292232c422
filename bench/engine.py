"""Admission engine benchmarks; figures go to bench/RESULTS.md (## Admission engine).

    uv run python bench/engine.py                      # everything (matching at 20,000 may take minutes)
    uv run python bench/engine.py --skip-matching-20k  # without the 20,000-applicant matching run

1. City scale: 200,000 applicants × 6 choices × 2,000 schools (DESIGN §7: ≤ 3 s, ≤ 1.5 GB).
   Time is wall-clock for ``run_deferred_acceptance`` (assignment and cutoffs; explanations are
   built on access and timed separately). Memory is the process's peak resident set size during
   the call, measured by resetting the kernel's high-water mark (/proc/self/clear_refs) after the
   instance is built, so the instance itself is included but the generator's scratch is not.
2. The same engine against ``matching`` 1.4.3 at 5,000 applicants (≥ 100× faster), results compared.
3. ``matching`` at 20,000 applicants in a child process with a time limit: does it finish?
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import resource
import statistics
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable, Sequence
from queue import Empty
from typing import Any

import numpy as np

from enrolment.admission.engine import (
    Applicant,
    PriorityKey,
    School,
    SchoolKey,
    find_violations,
    run_deferred_acceptance,
)
from enrolment.admission.lottery import lottery_number

SEED_HEX = "be" * 32
CYCLE = "bench-2025-g1"


def city_instance(
    applicants: int,
    schools: int,
    choices: int,
    *,
    seed: int = 2025,
    distinct_keys: bool = False,
) -> tuple[list[School], list[Applicant]]:
    """A synthetic city: districts of ~100 schools, skewed popularity, ~95 seats per 100 children.

    Each applicant ranks ``choices`` schools of their own district, drawn by popularity; their key
    at each is (batch 1–8, a day number such as a 户籍 move-in date), the lottery number is the
    real HMAC of an application id. ``distinct_keys`` instead gives every edge its own random
    float key, the worst case for the engine's key numbering.
    """
    rng = np.random.default_rng(seed)
    districts = max(1, schools // 100)
    per_district = schools // districts
    school_count = districts * per_district
    mean_capacity = 0.95 * applicants / school_count
    capacities = np.maximum(
        1, np.rint(mean_capacity * rng.uniform(0.5, 1.5, size=school_count))
    ).astype(int)
    school_list = [School(f"S{i:04d}", int(c)) for i, c in enumerate(capacities)]
    popularity = rng.normal(0.0, 1.0, size=(districts, per_district))
    district_of = rng.integers(0, districts, size=applicants)

    applicant_list: list[Applicant] = []
    chunk = 20_000
    for start in range(0, applicants, chunk):
        ids = range(start, min(start + chunk, applicants))
        # Gumbel top-k: sampling `choices` distinct schools by popularity, most wanted first.
        scores = popularity[district_of[ids.start : ids.stop]] + rng.gumbel(
            size=(len(ids), per_district)
        )
        top = np.argpartition(-scores, choices - 1, axis=1)[:, :choices]
        order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1)
        ranked = np.take_along_axis(top, order, axis=1) + (
            district_of[ids.start : ids.stop, None] * per_district
        )
        batches = rng.choice(8, size=ranked.shape, p=[0.2, 0.15, 0.1, 0.1, 0.15, 0.1, 0.1, 0.1]) + 1
        days = rng.integers(733_000, 736_000, size=ranked.shape)
        floats = rng.random(size=ranked.shape)
        for row, applicant_index in enumerate(ids):
            chosen = tuple(school_list[s].id for s in ranked[row].tolist())
            priority: dict[str, SchoolKey]
            if distinct_keys:
                priority = {s: (f,) for s, f in zip(chosen, floats[row].tolist(), strict=True)}
            else:
                priority = {
                    s: (b, d)
                    for s, b, d in zip(
                        chosen, batches[row].tolist(), days[row].tolist(), strict=True
                    )
                }
            public_id = f"APP-{applicant_index:07d}"
            applicant_list.append(
                Applicant(public_id, chosen, priority, lottery_number(SEED_HEX, CYCLE, public_id))
            )
    return school_list, applicant_list


def high_water_mark_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_high_water_mark() -> bool:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = function()
    return time.perf_counter() - started, value


def machine() -> str:
    model = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, "
        f"numpy {np.__version__}, {platform.system()} {platform.release()}"
    )


def bench_city(applicants: int, schools: int, choices: int, runs: int, distinct: bool) -> None:
    label = "distinct float keys" if distinct else "(batch, day) keys"
    print(
        f"\n## City: {applicants:,} applicants × {choices} choices × {schools:,} schools, {label}"
    )
    seconds, (school_list, applicant_list) = timed(
        lambda: city_instance(applicants, schools, choices, distinct_keys=distinct)
    )
    seats = sum(s.capacity for s in school_list)
    print(f"instance built in {seconds:.1f} s; {seats:,} seats; RSS {high_water_mark_mb():.0f} MB")

    times = []
    peaks = []
    result = None
    for _ in range(runs):
        result = None  # let the previous result go before measuring the next run's peak
        exact_peak = reset_high_water_mark()
        before = high_water_mark_mb()
        seconds, result = timed(lambda: run_deferred_acceptance(school_list, applicant_list))
        times.append(seconds)
        peaks.append(high_water_mark_mb())
    assert result is not None
    placed = sum(s is not None for s in result.assignment.values())
    print(
        f"engine: {', '.join(f'{t:.2f}' for t in times)} s (median {statistics.median(times):.2f} s);"
        f" placed {placed:,}, unplaced {applicants - placed:,}"
    )
    kind = "peak RSS during the call" if exact_peak else "process peak RSS (ru_maxrss)"
    print(f"memory: {kind} {max(peaks):.0f} MB (RSS with the instance alone {before:.0f} MB)")

    seconds, explanation_count = timed(
        lambda: sum(len(explanations) for explanations in result.explanations.values())
    )
    print(f"explanations: {explanation_count:,} built in {seconds:.2f} s on access")
    seconds, violations = timed(
        lambda: find_violations(school_list, applicant_list, result.assignment)
    )
    print(f"stability check (find_violations): {len(violations)} violations in {seconds:.2f} s")

    tracemalloc.start()
    run_deferred_acceptance(school_list, applicant_list)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"tracemalloc: the call allocates at most {traced_peak / 2**20:.0f} MB on top of its input"
    )


def solve_with_matching(
    schools: Sequence[School], applicants: Sequence[Applicant]
) -> tuple[float, dict[str, str | None]]:
    """Time `matching`'s own work: building the game and solving it (inputs prepared untimed)."""
    with warnings.catch_warnings():
        from matching.games import HospitalResident

        resident_prefs = {a.id: list(a.choices) for a in applicants if a.choices}
        by_id = {a.id: a for a in applicants}
        listed: dict[str, list[str]] = {s.id: [] for s in schools}
        for applicant in applicants:
            for school_id in applicant.choices:
                listed[school_id].append(applicant.id)

        def key(applicant_id: str, school_id: str) -> PriorityKey:
            applicant = by_id[applicant_id]
            return PriorityKey(
                applicant.priority.get(school_id, ()), applicant.lottery, applicant_id
            )

        hospital_prefs = {
            s: sorted(ids, key=lambda a, s=s: key(a, s))  # type: ignore[misc]
            for s, ids in listed.items()
            if ids
        }
        capacities = {s.id: s.capacity for s in schools if s.id in hospital_prefs}
        started = time.perf_counter()
        game = HospitalResident.create_from_dictionaries(resident_prefs, hospital_prefs, capacities)
        solution = game.solve(optimal="resident")
        seconds = time.perf_counter() - started
    assignment: dict[str, str | None] = dict.fromkeys(by_id)
    for hospital, residents in solution.items():
        for resident in residents:
            assignment[resident.name] = hospital.name
    return seconds, assignment


def bench_against_matching(applicants: int, schools: int, choices: int) -> None:
    print(
        f"\n## Engine vs matching 1.4.3: {applicants:,} applicants × {choices} × {schools} schools"
    )
    school_list, applicant_list = city_instance(applicants, schools, choices, seed=7)
    engine_times = []
    result = None
    for _ in range(7):
        seconds, result = timed(lambda: run_deferred_acceptance(school_list, applicant_list))
        engine_times.append(seconds)
    assert result is not None
    engine = statistics.median(engine_times)
    matching_seconds, matching_assignment = solve_with_matching(school_list, applicant_list)
    same = matching_assignment == result.assignment
    print(f"engine: median of 7 runs {engine * 1000:.1f} ms")
    print(f"matching: {matching_seconds:.2f} s (create_from_dictionaries + solve)")
    print(f"speed-up: {matching_seconds / engine:.0f}×; same assignment: {same}")


def _matching_child(applicants: int, schools: int, choices: int, queue: Any) -> None:
    sys.setrecursionlimit(sys.getrecursionlimit())  # the default, as a user would run it
    school_list, applicant_list = city_instance(applicants, schools, choices, seed=11)
    try:
        seconds, _ = solve_with_matching(school_list, applicant_list)
    except BaseException as error:
        queue.put(f"failed: {type(error).__name__}: {str(error)[:120]}")
        return
    queue.put(f"finished in {seconds:.1f} s")


def bench_matching_limit(applicants: int, schools: int, choices: int, limit: float) -> None:
    print(f"\n## matching 1.4.3 at {applicants:,} applicants × {choices} × {schools} schools")
    school_list, applicant_list = city_instance(applicants, schools, choices, seed=11)
    seconds, _ = timed(lambda: run_deferred_acceptance(school_list, applicant_list))
    print(f"engine: {seconds * 1000:.0f} ms")
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_matching_child, args=(applicants, schools, choices, queue))
    started = time.perf_counter()
    child.start()
    try:
        outcome = queue.get(timeout=limit)
    except Empty:
        outcome = f"no answer within {limit:.0f} s; stopped"
        child.terminate()
    child.join()
    exit_note = f", child exit code {child.exitcode}" if child.exitcode else ""
    print(f"matching: {outcome} (wall {time.perf_counter() - started:.0f} s{exit_note})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--applicants", type=int, default=200_000)
    parser.add_argument("--schools", type=int, default=2_000)
    parser.add_argument("--choices", type=int, default=6)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-distinct", action="store_true")
    parser.add_argument("--skip-matching-20k", action="store_true")
    parser.add_argument("--matching-limit", type=float, default=900.0, help="seconds")
    arguments = parser.parse_args()

    print(f"# Admission engine benchmark\nmachine: {machine()}")
    bench_city(arguments.applicants, arguments.schools, arguments.choices, arguments.runs, False)
    if not arguments.skip_distinct:
        bench_city(arguments.applicants, arguments.schools, arguments.choices, 1, True)
    bench_against_matching(5_000, 50, arguments.choices)
    if not arguments.skip_matching_20k:
        bench_matching_limit(20_000, 200, arguments.choices, arguments.matching_limit)


if __name__ == "__main__":
    main()
