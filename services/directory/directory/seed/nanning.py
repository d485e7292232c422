"""Demo organisations for Nanning (南宁): the city bureau, its districts and ~50 schools.

District codes are GB/T 2260. The development zones run schools and act as districts for
education but have no GB/T 2260 code; they get internal codes 450191–450193, a range GB/T 2260
does not use in Nanning. School codes here are demo 10-digit 学校标识码 built as district code +
a 4-digit serial, not real registrations.
"""

from dataclasses import dataclass

CITY_CODE = "450100"
CITY_BUREAU = "南宁市教育局"


@dataclass(frozen=True, slots=True)
class District:
    code: str
    name: str
    gbt2260: bool = True


DISTRICTS: tuple[District, ...] = (
    District("450102", "兴宁区"),
    District("450103", "青秀区"),
    District("450105", "江南区"),
    District("450107", "西乡塘区"),
    District("450108", "良庆区"),
    District("450109", "邕宁区"),
    District("450110", "武鸣区"),
    District("450123", "隆安县"),
    District("450124", "马山县"),
    District("450125", "上林县"),
    District("450126", "宾阳县"),
    District("450181", "横州市"),
    District("450191", "南宁高新区", gbt2260=False),
    District("450192", "南宁经开区", gbt2260=False),
    District("450193", "东盟经开区", gbt2260=False),
)


@dataclass(frozen=True, slots=True)
class School:
    code: str
    name: str
    stages: tuple[str, ...]
    ownership: str
    address: str


def _school(
    district: str,
    serial: int,
    name: str,
    stages: tuple[str, ...],
    ownership: str = "public",
    address: str = "",
) -> School:
    return School(f"{district}{serial:04d}", name, stages, ownership, address)


P, J, S, K = ("primary",), ("junior",), ("senior",), ("kindergarten",)
PJ = ("primary", "junior")

SCHOOLS: dict[str, tuple[School, ...]] = {
    "450102": (
        _school("450102", 1, "南宁市兴宁区民主路小学", P, address="兴宁区民主路"),
        _school("450102", 2, "南宁市兴宁区朝阳小学", P, address="兴宁区朝阳路"),
        _school("450102", 3, "南宁市兴宁区第一初级中学", J, address="兴宁区长岗路"),
        _school("450102", 4, "南宁市兴宁区第一幼儿园", K, address="兴宁区北宁街"),
        _school("450102", 5, "南宁市兴宁区育才实验学校", PJ, "private", "兴宁区昆仑大道"),
    ),
    "450103": (
        _school("450103", 1, "南宁市青秀区滨湖路小学", P, address="青秀区滨湖路"),
        _school("450103", 2, "南宁市青秀区凤岭小学", P, address="青秀区凤岭北路"),
        _school("450103", 3, "南宁市青秀区埌东小学", P, address="青秀区埌东"),
        _school("450103", 4, "南宁市青秀区天桃实验学校", PJ, address="青秀区桃源路"),
        _school("450103", 5, "南宁市青秀区凤岭初级中学", J, address="青秀区凤岭南路"),
        _school("450103", 6, "南宁市第三中学", S, address="青秀区青山路"),
        _school("450103", 7, "南宁市青秀区第一幼儿园", K, address="青秀区金湖路"),
        _school("450103", 8, "南宁市青秀区外国语学校", PJ, "private", "青秀区青环路"),
    ),
    "450105": (
        _school("450105", 1, "南宁市江南区淡村小学", P, address="江南区淡村路"),
        _school("450105", 2, "南宁市江南区星光小学", P, address="江南区星光大道"),
        _school("450105", 3, "南宁市江南区第一初级中学", J, address="江南区亭洪路"),
        _school("450105", 4, "南宁市第二中学", S, address="江南区江南路"),
        _school("450105", 5, "南宁市江南区第一幼儿园", K, address="江南区白沙大道"),
    ),
    "450107": (
        _school("450107", 1, "南宁市西乡塘区衡阳路小学", P, address="西乡塘区衡阳路"),
        _school("450107", 2, "南宁市西乡塘区大学路小学", P, address="西乡塘区大学东路"),
        _school("450107", 3, "南宁市西乡塘区北湖初级中学", J, address="西乡塘区北湖路"),
        _school("450107", 4, "南宁市第十四中学", ("junior", "senior"), address="西乡塘区明秀路"),
        _school("450107", 5, "南宁市西乡塘区第一幼儿园", K, address="西乡塘区秀厢大道"),
    ),
    "450108": (
        _school("450108", 1, "南宁市良庆区五象小学", P, address="良庆区五象大道"),
        _school("450108", 2, "南宁市良庆区玉洞小学", P, address="良庆区玉洞大道"),
        _school("450108", 3, "南宁市良庆区五象初级中学", J, address="良庆区平乐大道"),
        _school("450108", 4, "南宁市良庆区第一幼儿园", K, address="良庆区银海大道"),
    ),
    "450109": (
        _school("450109", 1, "南宁市邕宁区蒲庙小学", P, address="邕宁区蒲庙镇"),
        _school("450109", 2, "南宁市邕宁区第一初级中学", J, address="邕宁区蒲兴大道"),
        _school("450109", 3, "南宁市邕宁高级中学", S, address="邕宁区龙岗大道"),
    ),
    "450110": (
        _school("450110", 1, "南宁市武鸣区城厢小学", P, address="武鸣区城厢镇"),
        _school("450110", 2, "南宁市武鸣区城东初级中学", J, address="武鸣区城东"),
        _school("450110", 3, "南宁市武鸣区第一幼儿园", K, address="武鸣区灵源路"),
    ),
    "450123": (
        _school("450123", 1, "隆安县城厢小学", P, address="隆安县城厢镇"),
        _school("450123", 2, "隆安县第一初级中学", J, address="隆安县城厢镇"),
    ),
    "450124": (
        _school("450124", 1, "马山县白山小学", P, address="马山县白山镇"),
        _school("450124", 2, "马山县民族中学", ("junior", "senior"), address="马山县白山镇"),
    ),
    "450125": (
        _school("450125", 1, "上林县大丰小学", P, address="上林县大丰镇"),
        _school("450125", 2, "上林县中学", S, address="上林县大丰镇"),
    ),
    "450126": (
        _school("450126", 1, "宾阳县宾州小学", P, address="宾阳县宾州镇"),
        _school("450126", 2, "宾阳县宾州初级中学", J, address="宾阳县宾州镇"),
        _school("450126", 3, "宾阳县第一幼儿园", K, address="宾阳县宾州镇"),
    ),
    "450181": (
        _school("450181", 1, "横州市横州镇第一小学", P, address="横州市横州镇"),
        _school("450181", 2, "横州市横州镇第一初级中学", J, address="横州市横州镇"),
    ),
    "450191": (
        _school("450191", 1, "南宁高新区心圩小学", P, address="高新区科园大道"),
        _school("450191", 2, "南宁高新区第一初级中学", J, address="高新区高新大道"),
    ),
    "450192": (
        _school("450192", 1, "南宁经开区吴圩小学", P, address="经开区吴圩镇"),
        _school("450192", 2, "南宁经开区九年一贯制学校", PJ, address="经开区友谊路"),
    ),
    "450193": (_school("450193", 1, "东盟经开区宁武小学", P, address="东盟经开区宁武镇"),),
}
