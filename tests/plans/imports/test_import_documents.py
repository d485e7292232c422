import io
import zipfile
from datetime import date
from pathlib import Path

import docx
import pytest

from plans.imports.parser import (
    CorruptDocumentError,
    DocumentReadError,
    UnsupportedDocumentError,
    parse_policy_text,
    read_document,
)

DATA = Path(__file__).parent / "data"
SAMPLE = "南宁市教育局2019年工作要点\n一、总体要求\n1. 加强党建。（完成时限：2019年6月底前）\n"


@pytest.mark.parametrize(
    "data",
    [
        SAMPLE.encode("utf-8"),
        SAMPLE.encode("utf-8-sig"),
        SAMPLE.encode("gb18030"),
        SAMPLE.encode("utf-16"),
    ],
    ids=["utf-8", "utf-8-bom", "gb18030", "utf-16-bom"],
)
def test_text_encodings(data: bytes) -> None:
    assert read_document(data, "plan.txt") == SAMPLE


def test_gb18030_seed_reads_like_the_utf8_one() -> None:
    text = (DATA / "002_42d7a22f1583c568.txt").read_text(encoding="utf-8")
    assert read_document(text.encode("gb18030"), "要点.TXT") == text


def build_docx() -> bytes:
    document = docx.Document()
    document.add_paragraph("南宁市教育局关于印发南宁市智慧教育三年行动方案（2021—2023年）的通知")
    document.add_paragraph("南教发〔2021〕8号")
    document.add_paragraph("南宁市智慧教育三年行动方案（2021—2023年）")
    document.add_paragraph("一、发展目标")
    document.add_paragraph("到2023年，中小学宽带网络覆盖率达到100%，多媒体教室比例不低于95%。")
    document.add_paragraph("二、重点任务")
    document.add_paragraph("（一）基础设施提升")
    table = document.add_table(rows=3, cols=5)
    for cell, title in zip(
        table.rows[0].cells, ["序号", "工作任务", "牵头单位", "责任单位", "完成时限"], strict=True
    ):
        cell.text = title
    rows = [
        ["1", "建设教育城域网", "市教育局", "各县（市、区）教育局、开发区教育局", "2021年底前"],
        ["2", "推进智慧校园建设", "市教育局", "各中小学校", "2022年下半年，持续推进"],
    ]
    for row, values in zip(table.rows[1:], rows, strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    document.add_paragraph("（二）应用融合")
    document.add_paragraph(
        "1. 开展信息化教学应用。（组织实施单位：市教育局；具体实施单位：各县区人民政府）"
    )
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_round_trip_paragraphs_and_task_table() -> None:
    text = read_document(build_docx(), "方案.docx")
    plan = parse_policy_text(text)
    assert plan.plan.title == "南宁市智慧教育三年行动方案（2021—2023年）"
    assert plan.plan.doc_number == "南教发〔2021〕8号"
    assert plan.plan.issuer == "南宁市教育局"
    assert [(n.ref, n.kind) for n in plan.nodes] == [
        ("一", "heading"),
        ("二", "heading"),
        ("二/（一）", "heading"),
        ("二/（一）/1", "task"),
        ("二/（一）/2", "task"),
        ("二/（二）", "heading"),
        ("二/（二）/1", "task"),
    ]
    nodes = {n.ref: n for n in plan.nodes}
    row1 = nodes["二/（一）/1"]
    assert row1.title == "建设教育城域网"
    assert [(u.name, u.role) for u in row1.units] == [
        ("市教育局", "organizing"),
        ("各县（市、区）教育局", "implementing"),
        ("开发区教育局", "implementing"),
    ]
    assert row1.deadline is not None
    assert row1.deadline.due == date(2021, 12, 31)
    row2 = nodes["二/（一）/2"].deadline
    assert row2 is not None
    assert (row2.due, row2.ongoing) == (date(2022, 12, 31), True)
    assert [(u.name, u.role) for u in nodes["二/（二）/1"].units] == [
        ("市教育局", "organizing"),
        ("各县区人民政府", "implementing"),
    ]
    assert {(t.indicator, t.year, t.comparator, t.value) for t in plan.targets} == {
        ("中小学宽带网络覆盖率", 2023, ">=", 100.0),
        ("多媒体教室比例", 2023, ">=", 95.0),
    }


def test_docx_plain_table_is_kept_as_text() -> None:
    document = docx.Document()
    document.add_paragraph("一、基本情况")
    table = document.add_table(rows=2, cols=2)
    table.rows[0].cells[0].text = "学校数"
    table.rows[0].cells[1].text = "在校生数"
    table.rows[1].cells[0].text = "120"
    table.rows[1].cells[1].text = "98000"
    buffer = io.BytesIO()
    document.save(buffer)
    plan = parse_policy_text(read_document(buffer.getvalue(), "a.docx"))
    assert [n.ref for n in plan.nodes] == ["一"]
    assert "98000" in plan.nodes[0].text


@pytest.mark.parametrize(
    ("data", "filename", "error"),
    [
        (b"PK\x03\x04 definitely not a zip", "plan.docx", CorruptDocumentError),
        (b"not a zip at all", "plan.docx", CorruptDocumentError),
        (b"\x00\x01\x02binary", "plan.txt", CorruptDocumentError),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "plan.doc", UnsupportedDocumentError),
        (b"%PDF-1.7", "plan.pdf", UnsupportedDocumentError),
        (b"text", "plan.xlsx", UnsupportedDocumentError),
    ],
)
def test_unreadable_input_raises_a_clear_error(
    data: bytes, filename: str, error: type[DocumentReadError]
) -> None:
    with pytest.raises(error) as info:
        read_document(data, filename)
    assert filename in info.value.message
    assert info.value.code.startswith("plans.import.")


def test_zip_that_is_not_a_docx() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(CorruptDocumentError):
        read_document(buffer.getvalue(), "plan.docx")
