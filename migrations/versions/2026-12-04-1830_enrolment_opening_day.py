"""enrolment opening day: a child's place is taken on submission, not by a draft; duplicate
submissions from several accounts share it flagged for review; explicit all-day and closed
opening hours; applications of a district's cycle belong to that district

- `uq_application_one_per_child` moves from (cycle, ID number) over every non-withdrawn
  application — which let any account block a child with a draft — to (cycle, child record):
  one application per child of an account.
- `uq_application_child_slot`: across accounts, one submitted-or-later, not rejected
  application per ID number and cycle, unless each is flagged `duplicate_child`.
- `daily_hours: []` meant "always open"; it becomes `[{"start": "00:00", "end": "24:00"}]`. An
  override day `[]` was meant as "closed" (and opened the day around the clock); it becomes
  `{"closed": true}`.
- Applications of a district's cycle take that district (it was taken from the address the
  family typed when it matched no catchment).

Revision ID: 8c3e1f0b7d52
Revises: 2f41359cf3da
Create Date: 2026-12-04 18:30:00+00:00
"""

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "8c3e1f0b7d52"
down_revision: str | None = "2f41359cf3da"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SLOT_STATUSES = (
    "submitted",
    "under_review",
    "returned",
    "resubmitted",
    "verified",
    "admitted",
    "unplaced",
    "reassigned",
    "confirmed",
    "declined",
)
CHILD_SLOT = (
    "status IN ("
    + ", ".join(f"'{status}'" for status in SLOT_STATUSES)
    + ") AND NOT ('duplicate_child' = ANY (flags))"
)
ALL_DAY = [{"start": "00:00", "end": "24:00"}]
CLOSED = {"closed": True}


def _rewrite_hours(convert_daily: Any, convert_day: Any) -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.text("SELECT id, daily_hours, daily_hours_overrides FROM enrolment.cycle")
    ).all()
    for cycle_id, daily, overrides in rows:
        new_daily = convert_daily(daily or [])
        new_overrides = {day: convert_day(value) for day, value in (overrides or {}).items()}
        if new_daily != daily or new_overrides != overrides:
            connection.execute(
                sa.text(
                    "UPDATE enrolment.cycle SET daily_hours = CAST(:daily AS jsonb), "
                    "daily_hours_overrides = CAST(:overrides AS jsonb) WHERE id = :id"
                ),
                {
                    "id": cycle_id,
                    "daily": json.dumps(new_daily),
                    "overrides": json.dumps(new_overrides),
                },
            )


def upgrade() -> None:
    op.drop_index(
        "uq_application_one_per_child",
        table_name="application",
        schema="enrolment",
        postgresql_where=sa.text("status <> 'withdrawn'"),
    )
    op.create_index(
        "uq_application_one_per_child",
        "application",
        ["cycle_id", "child_id"],
        unique=True,
        schema="enrolment",
        postgresql_where=sa.text("status <> 'withdrawn'"),
    )
    op.create_index(
        "uq_application_child_slot",
        "application",
        ["cycle_id", "id_number_index"],
        unique=True,
        schema="enrolment",
        postgresql_where=sa.text(CHILD_SLOT),
    )
    op.create_index(
        "ix_application_cycle_id_number_index",
        "application",
        ["cycle_id", "id_number_index"],
        unique=False,
        schema="enrolment",
    )
    _rewrite_hours(
        lambda daily: daily or ALL_DAY,
        lambda day: CLOSED if day == [] else day,
    )
    op.execute(
        "UPDATE enrolment.application AS a SET district_code = c.district_code "
        "FROM enrolment.cycle AS c WHERE a.cycle_id = c.id AND c.district_code IS NOT NULL "
        "AND a.district_code IS DISTINCT FROM c.district_code AND a.status <> 'draft'"
    )


def _old_span(span: dict[str, str]) -> dict[str, str]:
    # The old format ends a span by 23:59.
    return {**span, "end": "23:59"} if span.get("end") == "24:00" else span


def _old_day(value: Any) -> Any:
    if isinstance(value, dict):
        # No "closed" before: the nearest is a minute after midnight.
        return [{"start": "00:00", "end": "00:01"}]
    return [_old_span(span) for span in value]


def downgrade() -> None:
    connection = op.get_bind()
    shared = connection.execute(
        sa.text(
            "SELECT count(*) FROM (SELECT 1 FROM enrolment.application "
            "WHERE status <> 'withdrawn' GROUP BY cycle_id, id_number_index "
            "HAVING count(*) > 1) AS shared"
        )
    ).scalar_one()
    if shared:
        raise RuntimeError(
            f"{shared} ID numbers have applications from several accounts in one cycle; the "
            "previous schema allowed one. Resolve (reject or withdraw) them before downgrading."
        )
    _rewrite_hours(
        lambda daily: [] if daily == ALL_DAY else [_old_span(span) for span in daily],
        _old_day,
    )
    op.drop_index(
        "ix_application_cycle_id_number_index", table_name="application", schema="enrolment"
    )
    op.drop_index(
        "uq_application_child_slot",
        table_name="application",
        schema="enrolment",
        postgresql_where=sa.text(CHILD_SLOT),
    )
    op.drop_index(
        "uq_application_one_per_child",
        table_name="application",
        schema="enrolment",
        postgresql_where=sa.text("status <> 'withdrawn'"),
    )
    op.create_index(
        "uq_application_one_per_child",
        "application",
        ["cycle_id", "id_number_index"],
        unique=True,
        schema="enrolment",
        postgresql_where=sa.text("status <> 'withdrawn'"),
    )
