"""Demo records the simulator answers from after every start (see the enrolment seed)."""

from typing import Any

# The demo family of `enrolment.seed`: 李小明, 青秀区 民族大道 100号 (滨湖路小学's catchment).
DEMO_CHILD_ID = "450103201905060016"
DEMO_FATHER_ID = "450103198801010036"

DEMO_HUKOU: list[Any] = [
    {
        "id_number": DEMO_CHILD_ID,
        "name": "李小明",
        "address": {"district_code": "450103", "road": "民族大道", "house_number": "100号"},
        "move_in_date": "2019-06-01",
    }
]
DEMO_PROPERTY: list[Any] = [
    {
        "certificate_number": "桂(2018)南宁市不动产权第0123456号",
        "address": {"district_code": "450103", "road": "民族大道", "house_number": "100号"},
        "sole": True,
        "share": 1.0,
        "handover_date": "2018-05-20",
    }
]
DEMO_INSURANCE: list[Any] = [{"id_number": DEMO_FATHER_ID, "months": 60}]
