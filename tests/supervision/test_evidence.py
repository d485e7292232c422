"""Evidence uploads: real file types only, a size limit, SHA-256, visible to the uploader until
attached to a record, then wherever that record is visible."""

import hashlib

import httpx

from .conftest import JPEG, PDF, Who, problem, upload


async def test_upload_and_download(client: httpx.AsyncClient, who: Who) -> None:
    uploader = who.district("450103")
    stored = await upload(client, uploader, PDF, "../../etc/整改报告.pdf")

    assert stored["content_type"] == "application/pdf"
    assert stored["filename"] == "整改报告.pdf"
    assert stored["sha256"] == hashlib.sha256(PDF).hexdigest()
    content = await client.get(f"/v1/attachments/{stored['id']}/content", headers=uploader)
    assert content.content == PDF
    assert content.headers["x-content-sha256"] == stored["sha256"]


async def test_type_is_sniffed_and_size_limited(client: httpx.AsyncClient, who: Who) -> None:
    headers = who.city()
    script = await client.post(
        "/v1/attachments",
        files={"file": ("photo.jpg", b"#!/bin/sh\nrm -rf /", "image/jpeg")},
        headers=headers,
    )
    assert problem(script, 415)["code"] == "unsupported_media_type"
    zipped = await client.post(
        "/v1/attachments",
        files={"file": ("a.zip", b"PK\x03\x04rest", "application/zip")},
        headers=headers,
    )
    problem(zipped, 415)
    empty = await client.post(
        "/v1/attachments", files={"file": ("e.jpg", b"", "image/jpeg")}, headers=headers
    )
    problem(empty, 422)
    big = await client.post(
        "/v1/attachments",
        files={"file": ("big.jpg", JPEG + b"\x00" * 300_000, "image/jpeg")},
        headers=headers,
    )
    problem(big, 413)
    located = await client.post(
        "/v1/attachments",
        files={"file": ("p.jpg", JPEG, "image/jpeg")},
        data={
            "latitude": "22.81",
            "longitude": "108.37",
            "captured_at": "2025-11-03T10:00:00+08:00",
        },
        headers=headers,
    )
    assert located.json()["latitude"] == 22.81
    out_of_range = await client.post(
        "/v1/attachments",
        files={"file": ("p.jpg", JPEG, "image/jpeg")},
        data={"latitude": "122"},
        headers=headers,
    )
    problem(out_of_range, 422)
    problem(
        await client.post("/v1/attachments", files={"file": ("p.jpg", JPEG, "image/jpeg")}), 401
    )


async def test_unattached_files_are_private_to_their_uploader(
    client: httpx.AsyncClient, who: Who
) -> None:
    school = who.school("4501030001")
    photo = await upload(client, school)
    problem(
        await client.get(f"/v1/attachments/{photo['id']}", headers=who.school("4501030002")), 404
    )
    problem(await client.get(f"/v1/attachments/{photo['id']}", headers=who.district("450103")), 404)

    finding = await client.post(
        "/v1/findings",
        json={"school_code": "4501030001", "title": "t", "description": "d"},
        headers=who.district("450103"),
    )
    await client.post(
        f"/v1/findings/{finding.json()['id']}/rectifications",
        json={"summary": "done", "evidence_ids": [photo["id"]]},
        headers=school,
    )

    assert (
        await client.get(f"/v1/attachments/{photo['id']}", headers=who.district("450103"))
    ).status_code == 200
    problem(
        await client.get(f"/v1/attachments/{photo['id']}", headers=who.school("4501030002")), 404
    )
    problem(await client.get(f"/v1/attachments/{photo['id']}", headers=who.district("450105")), 404)
