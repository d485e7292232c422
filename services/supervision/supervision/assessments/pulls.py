"""Inputs an evaluation reads from other services at the moment it runs.

- 优质均衡 government items G.13 (就近入学) and G.15.2 (随迁子女在公办学校就读) come from
  enrolment's statistics for the county and year;
- 督政's plan item comes from plans' progress of the county government's tasks.

A peer that is down, refuses, or answers something unreadable is not an error for the
evaluation: its items get no value (so they come out "insufficient data") and the reason is kept
in the evaluation's `sources`.
"""

from dataclasses import dataclass, field
from typing import Any

import structlog
from pydantic import ValidationError

from shared.clients.enrolment import EnrolmentStats
from shared.errors import AppError
from supervision.frameworks.government import PLAN_ON_TIME_INPUT, PLAN_OVERDUE_INPUT
from supervision.peers import Peers, peer_failure

log = structlog.get_logger("supervision.pulls")

NEARBY_PRIMARY = "nearby_enrolment_primary_pct"
NEARBY_JUNIOR = "nearby_enrolment_junior_pct"
MIGRANT_PUBLIC = "migrant_children_public_pct"
ENROLMENT_INPUTS = (NEARBY_PRIMARY, NEARBY_JUNIOR, MIGRANT_PUBLIC)
PLANS_INPUTS = (PLAN_ON_TIME_INPUT, PLAN_OVERDUE_INPUT)

# The enrolment stages whose admissions stand for each school stage.
ENROLMENT_STAGES = {"primary": "primary_g1", "junior": "junior_g7"}


@dataclass
class Pulled:
    values: dict[str, float | None]
    source: dict[str, Any] = field(default_factory=dict)


def _pct(share: float | None) -> float | None:
    return None if share is None else share * 100


def _unavailable(keys: tuple[str, ...], peer: str, reason: str) -> Pulled:
    log.warning("peer_unavailable_for_evaluation", peer=peer, reason=reason)
    return Pulled(
        values=dict.fromkeys(keys),
        source={"status": "unavailable", "peer": peer, "reason": reason, "feeds": list(keys)},
    )


async def pull_enrolment(peers: Peers, *, year: int, district_code: str) -> Pulled:
    stats: dict[str, EnrolmentStats] = {}
    try:
        for stage, code in ENROLMENT_STAGES.items():
            stats[stage] = await peers.enrolment.stats(
                year=year, stage=code, district_code=district_code
            )
    except AppError as error:
        return _unavailable(ENROLMENT_INPUTS, "enrolment", peer_failure(error))
    except (ValidationError, ValueError) as error:
        return _unavailable(ENROLMENT_INPUTS, "enrolment", f"invalid response: {error}"[:300])

    # The 85 % bar applies to all 随迁子女 of the county; the contract gives a share per stage
    # without counts, so the county figure is taken as the lower of the two (it is at least that).
    migrant_shares = [
        s.migrant_share_in_public for s in stats.values() if s.migrant_share_in_public is not None
    ]
    return Pulled(
        values={
            NEARBY_PRIMARY: _pct(stats["primary"].catchment_share),
            NEARBY_JUNIOR: _pct(stats["junior"].catchment_share),
            MIGRANT_PUBLIC: _pct(min(migrant_shares)) if migrant_shares else None,
        },
        source={
            "status": "ok",
            "peer": "enrolment",
            "feeds": list(ENROLMENT_INPUTS),
            "stats": {
                stage: {
                    "stage": s.stage,
                    "admitted": s.admitted,
                    "catchment_share": s.catchment_share,
                    "migrant_share_in_public": s.migrant_share_in_public,
                    "as_of": s.as_of.isoformat(),
                }
                for stage, s in stats.items()
            },
            "note": "随迁子女比例取小学、初中两个学段中较低者",
        },
    )


async def pull_plans(peers: Peers, *, district_code: str) -> Pulled:
    try:
        progress = await peers.plans.unit_progress(org_code=district_code)
    except AppError as error:
        return _unavailable(PLANS_INPUTS, "plans", peer_failure(error))
    except (ValidationError, ValueError) as error:
        return _unavailable(PLANS_INPUTS, "plans", f"invalid response: {error}"[:300])
    return Pulled(
        values={
            PLAN_ON_TIME_INPUT: _pct(progress.on_time_rate),
            PLAN_OVERDUE_INPUT: float(progress.overdue),
        },
        source={
            "status": "ok",
            "peer": "plans",
            "feeds": list(PLANS_INPUTS),
            "progress": progress.model_dump(mode="json"),
        },
    )
