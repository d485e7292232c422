"""The family API under any interleaving a real population sends: a hypothesis state machine
drives several families and staff through the journey — refusals, retries with the same
`Idempotency-Key` (re-serialised, as apps do), withdrawals, returns for correction,
resubmissions, a second account for the same child, and two accounts submitting for one child
at the same moment — over the real app (its production cycle cache) and a real database, with
commits and a connection pool, and checks after every step:

- no answer is a 5xx;
- one application per child of an account per cycle; across accounts, more than one live
  application for an ID number only when every one of them is flagged `duplicate_child`;
- a family never sees another family's application (404), nor another's in its list;
- every 201 is in the database, under the family that got it;
- every status change is in the family's timeline (an unbroken chain ending in the current
  status) and in the audit log.

`make test` runs a bounded number of examples; `make test-long` (or
`XUEZAI_STATEFUL_EXAMPLES` / `XUEZAI_STATEFUL_STEPS`) runs many more. The number of steps run is
printed at the end and recorded as the test's `stateful_steps` property.
"""

import asyncio
import json
import os
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

import httpx
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import text

from enrolment.app import create_app
from enrolment.config import Settings
from enrolment.idnumber import make
from enrolment.models import SLOT_STATUSES
from enrolment.windows import SHANGHAI
from shared.db import create_engine
from shared.testing.tokens import TestIssuer

from .conftest import (
    BLOB_DIR,
    QINGXIU,
    cycle_body,
    demo_school_register,
    make_family,
    publish_cycle,
)

T = TypeVar("T")

EXAMPLES = int(os.environ.get("XUEZAI_STATEFUL_EXAMPLES", "12"))
STEPS = int(os.environ.get("XUEZAI_STATEFUL_STEPS", "30"))
YEAR = 2099  # a cycle no other test uses: this one commits
OPEN = datetime(YEAR, 7, 3, 9, 0, tzinfo=SHANGHAI)
LUNCH = datetime(YEAR, 7, 3, 13, 0, tzinfo=SHANGHAI)
LIVE = tuple(status.value for status in SLOT_STATUSES)


@dataclass
class Platform:
    """The app on its own event loop, with its own engine: requests really run concurrently."""

    loop: asyncio.AbstractEventLoop
    app: Any
    http: httpx.AsyncClient
    engine: Any
    issuer: TestIssuer
    cycle_id: str
    steps: int = 0
    birth_days: int = 0
    subjects: list[str] = field(default_factory=list)

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coroutine)


@dataclass
class Family:
    subject: str
    headers: dict[str, str]
    child_id: str
    id_number: str
    applications: list[str] = field(default_factory=list)


@dataclass
class Sent:
    """A request the machine may send again with the same Idempotency-Key."""

    family: Family
    path: str
    body: dict[str, Any] | None
    key: str
    status: int
    answer: Any


PLATFORM: Platform | None = None


def platform() -> Platform:
    assert PLATFORM is not None
    return PLATFORM


class FamilyJourney(RuleBasedStateMachine):
    families = Bundle("families")

    def __init__(self) -> None:
        super().__init__()
        self.p = platform()
        self.all_families: list[Family] = []
        self.sent: list[Sent] = []
        self.created: dict[str, str] = {}  # application id → the subject that got its 201

    # --- HTTP ---------------------------------------------------------------------------

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = await self.p.http.request(method, path, **kwargs)
        assert response.status_code < 500, f"{method} {path}: {response.text}"
        return response

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.p.run(self._request(method, path, **kwargs))

    def record(self, family: Family, response: httpx.Response) -> None:
        if response.status_code == 201 and "public_id" in response.json():
            application_id = response.json()["id"]
            self.created[application_id] = family.subject
            if application_id not in family.applications:
                family.applications.append(application_id)

    def assert_refused_only_for_its_own(self, family: Family) -> None:
        """A 409 on applying means this account already has an application for this child —
        never that another account has one."""

        async def own() -> int:
            async with self.p.engine.connect() as connection:
                found = await connection.scalar(
                    text(
                        "SELECT count(*) FROM enrolment.application WHERE cycle_id = :cycle "
                        "AND child_id = :child AND status <> 'withdrawn'"
                    ),
                    {"cycle": self.p.cycle_id, "child": family.child_id},
                )
            return int(found or 0)

        assert self.p.run(own()) == 1, "refused because of another account's application"

    async def _new_family(self, id_number: str) -> Family:
        made = await make_family(self.p.http, self.p.issuer, id_number=id_number)
        subject = f"parent:{made.parent_id}"
        self.p.subjects.append(subject)
        return Family(subject, made.headers, made.child_id, id_number)

    def fresh_id_number(self) -> str:
        self.p.birth_days += 1
        birth = date(YEAR - 7, 9, 1) + timedelta(days=self.p.birth_days % 360)
        return make(QINGXIU, birth, 1 + self.p.birth_days // 360)

    # --- families ------------------------------------------------------------------------

    @initialize(target=families)
    def first_family(self) -> Family:
        family = self.p.run(self._new_family(self.fresh_id_number()))
        self.all_families.append(family)
        return family

    @rule(target=families)
    def another_family(self) -> Family:
        family = self.p.run(self._new_family(self.fresh_id_number()))
        self.all_families.append(family)
        return family

    @rule(target=families, other=families)
    def another_account_for_the_same_child(self, other: Family) -> Family:
        """A second parent — or a stranger — adds the same ID number to their own account."""
        family = self.p.run(self._new_family(other.id_number))
        self.all_families.append(family)
        return family

    # --- the family's journey -------------------------------------------------------------

    def _create(
        self,
        family: Family,
        submit: bool,
        key: str | None = None,
        allowed: tuple[int, ...] = (201, 409),
    ) -> httpx.Response:
        body = {"cycle_id": self.p.cycle_id, "child_id": family.child_id, "submit": submit}
        headers = dict(family.headers)
        if key is not None:
            headers["Idempotency-Key"] = key
        response = self.request("POST", "/v1/applications", json=body, headers=headers)
        assert response.status_code in allowed, response.text
        self.record(family, response)
        if response.status_code == 409:
            self.assert_refused_only_for_its_own(family)
        if key is not None:
            self.sent.append(
                Sent(family, "/v1/applications", body, key, response.status_code, response.json())
            )
        return response

    @rule(family=families)
    def start_a_draft(self, family: Family) -> None:
        self._create(family, submit=False)

    @rule(family=families, with_key=st.booleans())
    def submit_at_once(self, family: Family, with_key: bool) -> None:
        self._create(family, submit=True, key=str(uuid.uuid4()) if with_key else None)

    @rule(family=families)
    def submit_at_lunch_then_at_once_again(self, family: Family) -> None:
        """A refusal (outside the daily hours), then the same family — or the next — at once."""
        self.p.app.state.clock = lambda: LUNCH
        try:
            refused = self._create(family, submit=True, allowed=(422,))
        finally:
            self.p.app.state.clock = lambda: OPEN
        assert refused.json()["errors"][0]["field"] == "cycle.daily_hours"
        self._create(family, submit=True)

    @precondition(lambda self: any(f.applications for f in self.all_families))
    @rule(family=families, data=st.data())
    def submit_a_draft(self, family: Family, data: st.DataObject) -> None:
        if not family.applications:
            return
        application_id = data.draw(st.sampled_from(family.applications))
        key = str(uuid.uuid4())
        response = self.request(
            "POST",
            f"/v1/applications/{application_id}/submit",
            headers={**family.headers, "Idempotency-Key": key},
        )
        # 409: not a draft or returned application any more.
        assert response.status_code in (200, 409, 422), response.text
        self.sent.append(
            Sent(
                family,
                f"/v1/applications/{application_id}/submit",
                None,
                key,
                response.status_code,
                response.json(),
            )
        )

    @precondition(lambda self: bool(self.sent))
    @rule(data=st.data())
    def retry_with_the_same_key(self, data: st.DataObject) -> None:
        """The phone lost the answer and sends the request again, re-serialised."""
        sent = data.draw(st.sampled_from(self.sent))
        content = None
        if sent.body is not None:
            reordered = dict(reversed(list(sent.body.items())))
            content = json.dumps(reordered, indent=1).encode()
        response = self.request(
            "POST",
            sent.path,
            content=content,
            headers={
                **sent.family.headers,
                "Idempotency-Key": sent.key,
                "Content-Type": "application/json",
            },
        )
        if sent.status in (200, 201):
            assert response.status_code == sent.status, response.text
            assert response.headers.get("Idempotent-Replayed") == "true"
            assert response.json() == sent.answer
        else:
            # A refused request kept nothing, its key included: the retry is judged afresh.
            assert response.status_code < 500
            self.record(sent.family, response)

    @rule(first=families, second=families)
    def two_accounts_submit_at_the_same_moment(self, first: Family, second: Family) -> None:
        async def both() -> list[httpx.Response]:
            bodies = [
                {"cycle_id": self.p.cycle_id, "child_id": family.child_id, "submit": True}
                for family in (first, second)
            ]
            return list(
                await asyncio.gather(
                    self._request(
                        "POST", "/v1/applications", json=bodies[0], headers=first.headers
                    ),
                    self._request(
                        "POST", "/v1/applications", json=bodies[1], headers=second.headers
                    ),
                )
            )

        for family, response in zip((first, second), self.p.run(both()), strict=True):
            assert response.status_code in (201, 409), response.text
            self.record(family, response)
            if response.status_code == 409:
                self.assert_refused_only_for_its_own(family)

    @precondition(lambda self: any(f.applications for f in self.all_families))
    @rule(family=families, data=st.data())
    def withdraw(self, family: Family, data: st.DataObject) -> None:
        if not family.applications:
            return
        application_id = data.draw(st.sampled_from(family.applications))
        response = self.request(
            "POST",
            f"/v1/applications/{application_id}/withdraw",
            json={"reason": "搬家"},
            headers=family.headers,
        )
        assert response.status_code in (200, 409), response.text

    @precondition(lambda self: len(self.all_families) > 1)
    @rule(family=families, other=families)
    def look_at_another_familys_application(self, family: Family, other: Family) -> None:
        for application_id in other.applications:
            if family.subject == other.subject:
                continue
            for path in (
                f"/v1/applications/{application_id}",
                f"/v1/applications/{application_id}/status",
            ):
                assert self.request("GET", path, headers=family.headers).status_code == 404
        listed = self.request("GET", "/v1/applications", headers=family.headers)
        assert "duplicate" not in listed.text  # what reviewers see stays with them
        mine = listed.json()
        assert {item["id"] for item in mine} <= {
            a for a, subject in self.created.items() if subject == family.subject
        } | set(family.applications)

    # --- staff ---------------------------------------------------------------------------

    def _some_application(self, data: st.DataObject) -> str | None:
        ids = [a for f in self.all_families for a in f.applications]
        return data.draw(st.sampled_from(ids)) if ids else None

    @precondition(lambda self: any(f.applications for f in self.all_families))
    @rule(data=st.data())
    def return_for_correction(self, data: st.DataObject) -> None:
        application_id = self._some_application(data)
        response = self.request(
            "POST",
            f"/v1/review/applications/{application_id}/decision",
            json={
                "decision": "return",
                "reason_code": "document_unclear",
                "message": "房产证照片看不清",
                "corrections": [{"field": "documents.real_estate_certificate", "message": "重拍"}],
            },
            headers=self.p.issuer.district_admin(QINGXIU),
        )
        assert response.status_code in (200, 404, 409), response.text

    @precondition(lambda self: any(f.applications for f in self.all_families))
    @rule(data=st.data())
    def approve(self, data: st.DataObject) -> None:
        application_id = self._some_application(data)
        response = self.request(
            "POST",
            f"/v1/review/applications/{application_id}/decision",
            json={"decision": "approve", "reason_code": "materials_complete"},
            headers=self.p.issuer.district_admin(QINGXIU),
        )
        assert response.status_code in (200, 404, 409), response.text

    @precondition(lambda self: any(f.applications for f in self.all_families))
    @rule(data=st.data())
    def resolve_a_duplicate(self, data: st.DataObject) -> None:
        application_id = self._some_application(data)
        reviewer = self.p.issuer.district_admin(QINGXIU)
        group = self.request(
            "GET", f"/v1/review/applications/{application_id}/duplicates", headers=reviewer
        )
        assert group.status_code in (200, 404), group.text
        if group.status_code != 200:
            return
        live = [item["id"] for item in group.json()["applications"] if item["status"] in LIVE]
        if not live:
            return
        keep = data.draw(st.sampled_from(live))
        response = self.request(
            "POST",
            f"/v1/review/applications/{application_id}/duplicates/resolution",
            json={"keep": keep, "message": "请由监护人本人报名"},
            headers=reviewer,
        )
        # 409: one of the others is past the point where it can be rejected.
        assert response.status_code in (200, 409), response.text

    # --- invariants ----------------------------------------------------------------------

    @invariant()
    def count_the_step(self) -> None:
        self.p.steps += 1

    @invariant()
    def the_database_holds(self) -> None:
        if not self.all_families:
            return
        self.p.run(self._check_database())

    async def _check_database(self) -> None:
        subjects = [family.subject for family in self.all_families]
        numbers = sorted({family.id_number for family in self.all_families})
        async with self.p.engine.connect() as connection:
            rows = (
                await connection.execute(
                    text(
                        "SELECT a.id::text, a.parent_subject, a.child_id::text, a.status, a.flags, "
                        "c.id_number_masked, a.id_number_index "
                        "FROM enrolment.application a JOIN enrolment.child c ON c.id = a.child_id "
                        "WHERE a.cycle_id = :cycle AND a.parent_subject = ANY(:subjects)"
                    ),
                    {"cycle": self.p.cycle_id, "subjects": subjects},
                )
            ).all()
            by_id = {row[0]: row for row in rows}
            # Every 201 is stored, under the family that got it.
            for application_id, subject in self.created.items():
                assert application_id in by_id, f"201 for {application_id} not stored"
                assert by_id[application_id][1] == subject
            # One per child of an account (drafts included), withdrawn ones aside.
            per_child: dict[str, int] = {}
            for row in rows:
                if row[3] != "withdrawn":
                    per_child[row[2]] = per_child.get(row[2], 0) + 1
            assert all(count <= 1 for count in per_child.values()), per_child
            # Across accounts: several live ones for an ID number only if all are flagged.
            per_number: dict[bytes, list[Any]] = {}
            for row in rows:
                if row[3] in LIVE:
                    per_number.setdefault(bytes(row[6]), []).append(row)
            for group in per_number.values():
                unflagged = [row for row in group if "duplicate_child" not in row[4]]
                if len(group) > 1:
                    assert not unflagged, [(row[0], row[3], row[4]) for row in group]
            # Every status change is in the timeline and the audit log.
            events = (
                await connection.execute(
                    text(
                        "SELECT application_id::text, from_status, to_status FROM "
                        "enrolment.application_event WHERE application_id = ANY(:ids) ORDER BY id"
                    ),
                    {"ids": [uuid.UUID(i) for i in by_id]},
                )
            ).all()
            audits = (
                await connection.execute(
                    text(
                        "SELECT resource_id::text, action FROM enrolment.audit_log "
                        "WHERE resource_type = 'application' AND resource_id = ANY(:ids)"
                    ),
                    {"ids": [str(i) for i in by_id]},
                )
            ).all()
        timeline: dict[str, list[tuple[str | None, str]]] = {}
        for application_id, before, after in events:
            timeline.setdefault(application_id, []).append((before, after))
        changes: dict[str, int] = {}
        statuses = {f"application.{status}" for status in (*LIVE, "rejected", "withdrawn")}
        for resource_id, action in audits:
            if action in statuses:
                changes[resource_id] = changes.get(resource_id, 0) + 1
        for application_id, row in by_id.items():
            chain = timeline.get(application_id, [])
            assert chain, application_id
            assert chain[0] == (None, "draft"), chain
            for (_, previous), (before, _) in zip(chain, chain[1:], strict=False):
                assert before == previous, chain
            assert chain[-1][1] == row[3], (chain, row[3])
            assert changes.get(application_id, 0) == len(chain) - 1, (application_id, chain)
        assert numbers  # the families' children exist


def run_machine(database_url: str, redis_url: str, issuer: TestIssuer) -> int:
    global PLATFORM
    loop = asyncio.new_event_loop()

    async def start() -> Platform:
        app = create_app(
            Settings(
                database_url=database_url,
                redis_url=redis_url,
                env="testing",
                blob_dir=str(BLOB_DIR),
                cycle_cache_seconds=5.0,
                redis_timeout_seconds=1.0,
                child_creation_limit=1000,
            ),
            key_set=issuer.key_set(),
        )
        lifespan = app.router.lifespan_context(app)
        await lifespan.__aenter__()
        app.state.test_lifespan = lifespan
        app.state.schools = demo_school_register()
        app.state.clock = lambda: OPEN
        http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
            base_url="http://stateful",
        )
        engine = create_engine(database_url, application_name="tests.stateful", pool_size=2)
        await cleanup(engine, [])
        city = issuer.city_admin()
        body = cycle_body(QINGXIU, year=YEAR, name=f"{YEAR}年状态机测试")
        body.update(
            registration_opens_at=f"{YEAR}-07-02T08:30:00+08:00",
            registration_closes_at=f"{YEAR}-07-07T17:30:00+08:00",
            daily_hours_overrides={},
            review_closes_at=f"{YEAR}-07-20T18:00:00+08:00",
        )
        road = [{"district_code": QINGXIU, "road": "民族大道"}]
        world = await publish_cycle(
            http,
            city,
            body,
            [("4501030001", QINGXIU, "public"), ("4501030002", QINGXIU, "public")],
            {"4501030001": road, "4501030002": road},
        )
        cycle_id = world.cycle_id
        return Platform(loop, app, http, engine, issuer, cycle_id)

    PLATFORM = loop.run_until_complete(start())
    try:
        run_state_machine_as_test(
            FamilyJourney,
            settings=settings(
                max_examples=EXAMPLES,
                stateful_step_count=STEPS,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                derandomize=os.environ.get("XUEZAI_STATEFUL_RANDOM") is None,
            ),
        )
        return PLATFORM.steps
    finally:
        p = PLATFORM
        PLATFORM = None

        async def stop() -> None:
            await cleanup(p.engine, p.subjects)
            await p.http.aclose()
            await p.engine.dispose()
            await p.app.state.test_lifespan.__aexit__(None, None, None)

        loop.run_until_complete(stop())
        loop.close()


async def cleanup(engine: Any, subjects: list[str]) -> None:
    """This test commits: remove what it wrote (a cycle of its own year, its families)."""
    async with engine.begin() as connection:
        await connection.execute(
            text("DELETE FROM enrolment.child WHERE parent_subject = ANY(:subjects)"),
            {"subjects": subjects},
        )
        await connection.execute(
            text(
                "DELETE FROM enrolment.child WHERE id IN (SELECT child_id FROM "
                "enrolment.application a JOIN enrolment.cycle c ON c.id = a.cycle_id "
                "WHERE c.year = :year)"
            ),
            {"year": YEAR},
        )
        await connection.execute(
            text("DELETE FROM enrolment.cycle WHERE year = :year"), {"year": YEAR}
        )


@pytest.mark.timeout(int(os.environ.get("XUEZAI_STATEFUL_TIMEOUT", "600")))
def test_the_family_api_holds_under_any_interleaving(
    database_url: str,
    redis_url: str,
    issuer: TestIssuer,
    record_property: Any,
) -> None:
    steps = run_machine(database_url, redis_url, issuer)
    record_property("stateful_steps", steps)
    print(f"\nstateful: {EXAMPLES} examples, {steps} steps")  # noqa: T201
    assert steps >= EXAMPLES
