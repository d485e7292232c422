"""Malformed, oversized, wrongly typed and hostile input gets a 4xx problem, never a 500."""

import uuid
from typing import Any

import httpx
import pytest

from shared.testing.tokens import TestIssuer

from .conftest import World

JUNK: list[Any] = [
    None,
    0,
    -1,
    10**30,
    1.5e308,
    "",
    "x" * 10_000,
    [],
    {},
    [[[]]],
    {"$gt": ""},
    "'; DROP TABLE child; --",
    "\x00",
    "😀" * 100,
    True,
]


def cases(
    world: World, parent: dict[str, str], city: dict[str, str]
) -> list[tuple[str, str, dict[str, str], Any]]:
    cycle = world.cycle_id
    some = str(uuid.uuid4())
    out: list[tuple[str, str, dict[str, str], Any]] = []
    for junk in JUNK:
        out += [
            ("POST", "/v1/children", parent, {"name": junk, "id_number": junk}),
            (
                "POST",
                "/v1/applications",
                parent,
                {"cycle_id": junk, "child_id": junk, "track": junk, "private_choices": junk},
            ),
            (
                "PUT",
                f"/v1/children/{some}/facts",
                parent,
                {"hukou_address": junk, "property_share": junk, "guardians": junk, "claims": junk},
            ),
            (
                "POST",
                "/v1/cycles",
                city,
                {
                    "year": junk,
                    "stage": junk,
                    "batches": [{"code": "a", "name": "a", "reason": "r", "rule": junk}],
                },
            ),
            (
                "POST",
                f"/v1/cycles/{cycle}/offerings",
                city,
                {"school_code": junk, "seats": junk, "polygon": junk},
            ),
            (
                "POST",
                f"/v1/review/applications/{some}/decision",
                city,
                {"decision": junk, "reason_code": junk, "corrections": junk},
            ),
            ("POST", "/v1/review/applications/bulk-approve", city, {"application_ids": junk}),
            (
                "PATCH",
                f"/v1/cycles/{cycle}",
                city,
                {"daily_hours": junk, "batches": junk, "registration_opens_at": junk},
            ),
        ]
    out += [
        ("GET", "/v1/public/cycles/not-a-uuid/catchment", {}, None),
        (
            "GET",
            f"/v1/public/cycles/{cycle}/catchment?district_code=450103&lng=nan&lat=1",
            {},
            None,
        ),
        (
            "GET",
            f"/v1/public/cycles/{cycle}/catchment?district_code=450103&house_number=" + "9" * 5000,
            {},
            None,
        ),
        ("GET", "/v1/review/applications?limit=0", city, None),
        ("GET", "/v1/review/applications?limit=99999999999999999999", city, None),
        ("GET", "/v1/review/applications?status=exploded", city, None),
        ("GET", "/v1/review/applications?cursor=" + "A" * 999, city, None),
        ("GET", "/v1/review/applications?cursor=W3siZHQiOiJub3BlIn1d", city, None),
        ("GET", "/v1/public/cycles?year=abc", {}, None),
        ("PATCH", f"/v1/cycles/{cycle}", city, {"name": None}),
        (
            "PATCH",
            f"/v1/cycles/{cycle}",
            city,
            {"registration_closes_at": "2020-01-01T00:00:00+08:00"},
        ),
        (
            "PUT",
            f"/v1/children/{some}/facts",
            parent,
            {"has_property": True, "property_ownership": "shared"},
        ),
        (
            "POST",
            "/v1/applications",
            {**parent, "Idempotency-Key": ""},
            {"cycle_id": cycle, "child_id": some},
        ),
    ]
    return out


async def test_hostile_bodies_and_queries_get_problems_not_500s(
    client: httpx.AsyncClient, issuer: TestIssuer, world: World, clock: object
) -> None:
    parent = issuer.parent(uuid.uuid4())
    city = issuer.city_admin()
    for method, path, headers, body in cases(world, parent, city):
        response = await client.request(method, path, json=body, headers=headers)
        assert response.status_code < 500, (
            method,
            path,
            body,
            response.status_code,
            response.text[:300],
        )
        if response.status_code >= 400:
            assert response.headers["content-type"] == "application/problem+json", (method, path)
        else:  # only a capped page size is accepted as is
            assert "limit=" in path, (method, path, body)


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"[1,2", "application/json"),
        (b"\xff\xfe\x00", "application/json"),
        (b"a=b", "application/x-www-form-urlencoded"),
    ],
)
async def test_broken_bodies_are_400_or_422(
    client: httpx.AsyncClient, issuer: TestIssuer, content: bytes, content_type: str
) -> None:
    response = await client.post(
        "/v1/children",
        content=content,
        headers={**issuer.parent(uuid.uuid4()), "Content-Type": content_type},
    )
    assert response.status_code in (400, 422)


async def test_uploads_with_junk_form_fields(client: httpx.AsyncClient, issuer: TestIssuer) -> None:
    parent = issuer.parent(uuid.uuid4())
    some = uuid.uuid4()
    for data, files in (
        ({"kind": "passport"}, {"file": ("a.png", b"x", "image/png")}),
        ({}, {"file": ("a.png", b"x", "image/png")}),
        ({"kind": "hukou_book"}, None),
        ({"kind": "hukou_book"}, {"file": ("", b"", "")}),
    ):
        response = await client.post(
            f"/v1/children/{some}/documents", data=data, files=files, headers=parent
        )
        assert 400 <= response.status_code < 500, response.text
    declared_huge = await client.post(
        f"/v1/children/{some}/documents",
        content=b"x",
        headers={
            **parent,
            "Content-Type": "multipart/form-data; boundary=x",
            "Content-Length": str(10**9),
        },
    )
    assert declared_huge.status_code in (400, 413, 422)
