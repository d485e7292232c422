"""Bulk import: good rows stored, bad rows reported by row and field, nothing half-written."""

import csv
import io

import httpx
import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from directory.models import Organization, OrganizationAlias, OrganizationImport
from directory.organizations import imports
from shared.testing.tokens import TestIssuer

from .conftest import Nanning

HEADER = ["kind", "code", "name", "parent_code", "stages", "ownership", "address", "aliases"]


def good_row(serial: int) -> list[str]:
    code = f"450107{serial:04d}"
    return [
        "school",
        code,
        f"西乡塘区测试学校{serial}",
        "450107",
        "小学",
        "公办",
        "西乡塘区",
        f"测试{serial}",
    ]


# Ten ways to get a row wrong, each naming the field an admin must fix.
BAD_ROWS: list[tuple[list[str], str]] = [
    (["school", "45010799", "短代码学校", "450107", "小学", "公办", "", ""], "code"),
    (["castle", "4501079001", "城堡", "450107", "小学", "公办", "", ""], "kind"),
    (["school", "4501079002", "", "450107", "小学", "公办", "", ""], "name"),
    (["school", "4501079003", "学段错误学校", "450107", "大学", "公办", "", ""], "stages"),
    (["school", "4501079004", "性质错误学校", "450107", "小学", "半公办", "", ""], "ownership"),
    (["school", "4501079005", "上级不存在学校", "459999", "小学", "公办", "", ""], "parent_code"),
    (["school", "4501075000", "重复代码学校", "450107", "小学", "公办", "", ""], "code"),
    (["school", "4501079007", "没有学段的学校", "450107", "", "公办", "", ""], "stages"),
    (["kindergarten", "4501079008", "没有性质的幼儿园", "450107", "", "", "", ""], "ownership"),
    (["district_bureau", "45010", "代码太短教育局", "450100", "", "", "", ""], "code"),
]


def thousand_rows() -> tuple[list[list[str]], dict[int, str]]:
    """990 good rows and 10 bad ones spread through the file; {row number: field}."""
    rows: list[list[str]] = []
    expected: dict[int, str] = {}
    bad = iter(BAD_ROWS)
    serial = 5000
    for index in range(1000):
        if index % 100 == 50:
            row, field = next(bad)
            rows.append(row)
            expected[index + 2] = field  # the header is row 1
        else:
            rows.append(good_row(serial))
            serial += 1
    return rows, expected


def as_csv(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def as_xlsx(rows: list[list[object]], header: list[str] = HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def upload(
    directory: httpx.AsyncClient,
    content: bytes,
    headers: dict[str, str],
    filename: str = "orgs.csv",
    **params: str,
) -> httpx.Response:
    return await directory.post(
        "/v1/organizations/imports",
        files={"file": (filename, content, "application/octet-stream")},
        params=params,
        headers=headers,
    )


async def count_codes(session: AsyncSession, prefix: str = "4501075") -> int:
    statement = select(func.count()).where(Organization.code.startswith(prefix))
    return int((await session.execute(statement)).scalar_one())


async def test_a_thousand_rows_with_ten_bad_stores_990_and_reports_10(
    directory: httpx.AsyncClient, nanning: Nanning, issuer: TestIssuer, session: AsyncSession
) -> None:
    rows, expected = thousand_rows()

    response = await upload(directory, as_csv(rows), issuer.city_admin())

    assert response.status_code == 201
    report = response.json()
    assert report["rows_total"] == 1000
    assert report["rows_created"] == 990
    assert report["rows_updated"] == 0
    assert report["rows_failed"] == 10
    assert {error["row"]: error["field"] for error in report["errors"]} == expected
    assert all(error["message"] for error in report["errors"])
    assert await count_codes(session) == 990
    stored = await session.scalar(select(Organization).where(Organization.code == "4501075000"))
    assert stored is not None
    assert stored.district_code == "450107"
    assert stored.stages == ["primary"]
    alias = await session.scalar(
        select(OrganizationAlias.alias).where(OrganizationAlias.organization_id == stored.id)
    )
    assert alias == "测试5000"
    # The report is kept.
    again = await directory.get(
        f"/v1/organizations/imports/{report['id']}", headers=issuer.city_admin()
    )
    assert again.json()["errors"] == report["errors"]


async def test_importing_the_same_file_again_updates_instead_of_duplicating(
    directory: httpx.AsyncClient, nanning: Nanning, issuer: TestIssuer, session: AsyncSession
) -> None:
    rows = [good_row(serial) for serial in range(5000, 5010)]
    await upload(directory, as_csv(rows), issuer.city_admin())
    rows[0][2] = "改了名字的学校"

    report = (await upload(directory, as_csv(rows), issuer.city_admin())).json()

    assert (report["rows_created"], report["rows_updated"]) == (0, 10)
    assert await count_codes(session) == 10
    renamed = await session.scalar(
        select(Organization.name).where(Organization.code == "4501075000")
    )
    assert renamed == "改了名字的学校"


async def test_xlsx_with_chinese_headers_numbers_and_dates(
    directory: httpx.AsyncClient, nanning: Nanning, issuer: TestIssuer, session: AsyncSession
) -> None:
    from datetime import datetime

    header = ["类型", "代码", "名称", "上级代码", "学段", "办学性质", "启用日期"]
    rows: list[list[object]] = [
        [
            "学校",
            4501075100,
            "表格导入九年一贯制学校",
            450107,
            "九年一贯制",
            "民办",
            datetime(2024, 9, 1),
        ],
        ["幼儿园", 4501075101, "表格导入幼儿园", 450107, "", "公办", "2024/09/01"],
        ["学校", 4501075102, "坏日期学校", 450107, "小学", "公办", "去年"],
    ]

    report = (
        await upload(directory, as_xlsx(rows, header), issuer.city_admin(), filename="orgs.xlsx")
    ).json()

    assert report["rows_created"] == 2
    assert [(e["row"], e["field"]) for e in report["errors"]] == [(4, "valid_from")]
    school = await session.scalar(select(Organization).where(Organization.code == "4501075100"))
    assert school is not None
    assert school.stages == ["primary", "junior"]
    assert school.ownership == "private"
    assert str(school.valid_from) == "2024-09-01"


async def test_a_parent_may_appear_further_down_the_file(
    directory: httpx.AsyncClient, nanning: Nanning, issuer: TestIssuer, session: AsyncSession
) -> None:
    header = ["kind", "code", "name", "parent_code", "stages", "ownership"]
    rows = [
        ["school", "4501985001", "新区第一小学", "450198", "小学", "公办"],
        ["district_bureau", "450198", "新区教育局", "450100", "", ""],
        ["school", "4501985002", "新区第二小学", "4501985001", "小学", "公办"],
    ]

    report = (await upload(directory, as_csv(rows, header), issuer.city_admin())).json()

    assert report["rows_created"] == 2
    assert [(e["row"], e["field"]) for e in report["errors"]] == [(4, "parent_code")]
    first = await session.scalar(select(Organization).where(Organization.code == "4501985001"))
    assert first is not None
    assert first.district_code == "450198"


async def test_a_dry_run_reports_and_stores_nothing(
    directory: httpx.AsyncClient, nanning: Nanning, issuer: TestIssuer, session: AsyncSession
) -> None:
    existing = await nanning.by_code("4501070001")
    rows = [
        good_row(5000),
        ["school", "4501070001", "改名的学校", "450107", "小学", "公办", "", ""],
    ]

    report = (await upload(directory, as_csv(rows), issuer.city_admin(), dry_run="true")).json()

    assert report["dry_run"] is True
    assert report["id"] is None
    assert (report["rows_created"], report["rows_updated"]) == (1, 1)
    assert await count_codes(session) == 0
    await session.refresh(existing)
    assert existing.name == "南宁市西乡塘区衡阳路小学"
    assert (await session.scalars(select(OrganizationImport))).all() == []


async def test_a_conflict_while_writing_stores_nothing(
    directory: httpx.AsyncClient,
    nanning: Nanning,
    issuer: TestIssuer,
    session: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another admin takes a code between our checks and our write: the unique index refuses
    the insert, and none of the file's other rows are kept."""
    rows = [good_row(serial) for serial in range(5000, 5050)] + [
        ["school", "4501070001", "撞上现有代码", "450107", "小学", "公办", "", ""]
    ]
    original = imports.OrganizationImporter._existing

    async def blind(self: object, repository: object, rows: object) -> dict[str, Organization]:
        found = await original(self, repository, rows)  # type: ignore[arg-type]
        found.pop("4501070001", None)  # as if it were created after we looked
        return found

    monkeypatch.setattr(imports.OrganizationImporter, "_existing", blind)

    response = await upload(directory, as_csv(rows), issuer.city_admin())

    assert response.status_code == 409
    assert response.json()["code"] == "directory.organization.code_taken"
    assert await count_codes(session) == 0
    assert (await session.scalars(select(OrganizationImport))).all() == []


async def test_a_crash_while_writing_stores_nothing(
    directory: httpx.AsyncClient,
    nanning: Nanning,
    issuer: TestIssuer,
    session: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(imports.audit, "record", crash)

    response = await upload(
        directory, as_csv([good_row(serial) for serial in range(5000, 5020)]), issuer.city_admin()
    )

    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert await count_codes(session) == 0


async def test_files_that_cannot_be_imported_are_4xx_naming_the_problem(
    directory: httpx.AsyncClient, nanning: Nanning, issuer: TestIssuer
) -> None:
    headers = issuer.city_admin()

    unknown_column = await upload(directory, as_csv([], HEADER + ["备注x"]), headers)
    no_name_column = await upload(directory, as_csv([], ["kind", "code"]), headers)
    broken_xlsx = await upload(directory, b"PK\x03\x04not really a zip", headers, "a.xlsx")
    named_xlsx_but_text = await upload(directory, b"kind,name\n", headers, "a.xlsx")
    empty = await upload(directory, b"", headers)
    binary = await upload(directory, b"kind,name\n\x00\x01\x02", headers)

    for response in (
        unknown_column,
        no_name_column,
        broken_xlsx,
        named_xlsx_but_text,
        empty,
        binary,
    ):
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
    assert "备注x" in unknown_column.json()["detail"]
    assert "name" in no_name_column.json()["detail"]


async def test_oversized_files_are_413(directory: httpx.AsyncClient, issuer: TestIssuer) -> None:
    big = b"kind,name\n" + b"school,x\n" * (imports.MAX_IMPORT_BYTES // 9 + 10)

    response = await upload(directory, big, issuer.city_admin())

    assert response.status_code == 413


async def test_only_city_admins_import(directory: httpx.AsyncClient, issuer: TestIssuer) -> None:
    response = await upload(directory, as_csv([good_row(5000)]), issuer.district_admin("450107"))

    assert response.status_code == 403
