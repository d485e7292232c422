"""Government units that plans name as responsible units, with the spellings documents use.

The names and abbreviations come from the city's three-year plan (seed 001: "组织实施单位：
市教育局、财政局、发展改革委、编办 …"; "具体实施单位：各县区人民政府、开发区管委会"). Several
units it names were merged in the 2019 reform of government bodies (国土资源局 and 规划局 into
自然资源局, 城乡建委 into 住房和城乡建设局, 卫生计生委 into 卫生健康委 …); they are kept as
closed units whose successor is the new body, so a 2018 plan resolves to what existed then and
today's look-ups follow the link. The reform dates here are the month the new bodies took over
(January 2019; 扶贫办 → 乡村振兴局 in 2021) — demo data, to be checked against the bureau's
records before anyone relies on them. 横县 became 横州市 on 2021-02-03 (State Council approval).
"""

from dataclasses import dataclass, field
from datetime import date

REFORM_2019 = date(2019, 1, 1)
RURAL_REVITALISATION_2021 = date(2021, 6, 1)
HENGZHOU_2021 = date(2021, 2, 3)
CITY_GOVERNMENT = "南宁市人民政府"


@dataclass(frozen=True, slots=True)
class Unit:
    name: str
    aliases: tuple[str, ...] = ()
    kind: str = "department"
    district_code: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    successor: str | None = None  # the successor's name
    code: str | None = None


def _city(name: str, *short: str, **kwargs: object) -> Unit:
    """A city department: "南宁市财政局" is also written "市财政局" and "财政局"."""
    aliases = [f"市{name.removeprefix('南宁市')}", name.removeprefix("南宁市"), *short]
    for extra in short:
        if not extra.startswith("市"):
            aliases.append(f"市{extra}")
    return Unit(name, tuple(dict.fromkeys(aliases)), **kwargs)  # type: ignore[arg-type]


DEPARTMENTS: tuple[Unit, ...] = (
    _city("南宁市发展和改革委员会", "发展改革委", "发改委"),
    _city("南宁市财政局"),
    _city("南宁市人力资源和社会保障局", "人力资源社会保障局", "人社局"),
    _city("南宁市住房和城乡建设局", "住房城乡建设局", "住建局", valid_from=REFORM_2019),
    _city("南宁市住房保障和房产管理局", "住房局", "住房保障局"),
    _city("南宁市自然资源局", valid_from=REFORM_2019),
    _city("南宁市公安局"),
    _city("南宁市民政局"),
    _city("南宁市科学技术局", "科技局"),
    _city("南宁市民族宗教事务委员会", "民宗委"),
    _city("南宁市林业和园林局", "林园局"),
    _city("南宁市卫生健康委员会", "卫生健康委", "卫健委", valid_from=REFORM_2019),
    _city("南宁市生态环境局", valid_from=REFORM_2019),
    _city("南宁市文化广电和旅游局", "文化广电旅游局", "文广旅局", valid_from=REFORM_2019),
    _city("南宁市工业和信息化局", "工业和信息化局", "工信局", valid_from=REFORM_2019),
    _city("南宁市外事办公室", "外事办", valid_from=REFORM_2019),
    _city("南宁市市场监督管理局", "市场监管局", valid_from=REFORM_2019),
    _city("南宁市乡村振兴局", valid_from=RURAL_REVITALISATION_2021),
    _city("南宁市人民政府国有资产监督管理委员会", "国资委"),
    _city("南宁市投资促进局", "投资促进局"),
    _city("南宁市人民政府台湾事务办公室", "台办"),
    _city("南宁市残疾人联合会", "残联"),
    Unit("国家税务总局南宁市税务局", ("南宁市税务局", "市税务局", "税务局")),
    Unit("中共南宁市委机构编制委员会办公室", ("市编办", "编办", "南宁市编办")),
    # Merged or renamed in the 2019 reform: kept closed, pointing at their successors.
    _city("南宁市国土资源局", valid_to=REFORM_2019, successor="南宁市自然资源局"),
    _city("南宁市规划管理局", "规划局", valid_to=REFORM_2019, successor="南宁市自然资源局"),
    _city(
        "南宁市城乡建设委员会",
        "城乡建委",
        valid_to=REFORM_2019,
        successor="南宁市住房和城乡建设局",
    ),
    _city(
        "南宁市卫生和计划生育委员会",
        "卫生计生委",
        valid_to=REFORM_2019,
        successor="南宁市卫生健康委员会",
    ),
    _city("南宁市环境保护局", "环保局", valid_to=REFORM_2019, successor="南宁市生态环境局"),
    _city(
        "南宁市文化新闻出版广电局",
        "文新广局",
        valid_to=REFORM_2019,
        successor="南宁市文化广电和旅游局",
    ),
    _city(
        "南宁市工业和信息化委员会",
        "工信委",
        valid_to=REFORM_2019,
        successor="南宁市工业和信息化局",
    ),
    _city("南宁市外事侨务办公室", "外侨办", valid_to=REFORM_2019, successor="南宁市外事办公室"),
    _city(
        "南宁市食品药品监督管理局",
        "食品药品监督管理局",
        "食药监局",
        valid_to=REFORM_2019,
        successor="南宁市市场监督管理局",
    ),
    _city(
        "南宁市扶贫开发办公室",
        "扶贫办",
        valid_to=RURAL_REVITALISATION_2021,
        successor="南宁市乡村振兴局",
    ),
)

ADMINISTRATIVE_COMMITTEES: tuple[Unit, ...] = (
    Unit(
        "南宁高新技术产业开发区管理委员会",
        ("高新区管委会", "南宁高新区管委会"),
        kind="government",
        district_code="450191",
    ),
    Unit(
        "南宁经济技术开发区管理委员会",
        ("经开区管委会", "南宁经开区管委会"),
        kind="government",
        district_code="450192",
    ),
    Unit(
        "广西-东盟经济技术开发区管理委员会",
        ("东盟经开区管委会", "东盟经济技术开发区管委会"),
        kind="government",
        district_code="450193",
    ),
    Unit("南宁五象新区管理委员会", ("五象新区管委会",), kind="government"),
    Unit("南宁青秀山风景名胜旅游区管理委员会", ("青秀山管委会",), kind="government"),
)

INSTITUTIONS: tuple[Unit, ...] = (
    Unit("南宁职业技术学院", ("南职院",), kind="institution"),
    Unit("南宁学院", (), kind="institution"),
)

# 横县 → 横州市: the old county's bodies, closed and pointing at the new city's.
HENGXIAN_BUREAU = Unit(
    "横县教育局",
    (),
    kind="district_bureau",
    code="450127",
    district_code="450127",
    valid_to=HENGZHOU_2021,
    successor="横州市教育局",
)
HENGXIAN_GOVERNMENT = Unit(
    "横县人民政府",
    ("横县政府",),
    kind="government",
    district_code="450127",
    valid_to=HENGZHOU_2021,
    successor="横州市人民政府",
)


@dataclass(frozen=True, slots=True)
class Group:
    code: str
    name: str
    names: tuple[str, ...]
    description: str
    # Which units belong: resolved by the loader.
    members: str
    extra_members: tuple[str, ...] = field(default=())


GROUPS: tuple[Group, ...] = (
    Group(
        "county-governments",
        "各县区人民政府",
        (
            "各县（市、区）人民政府",
            "各县(市、区)人民政府",
            "各县（区）人民政府",
            "各县区政府",
            "各县、区人民政府",
            "各城区、县（市）人民政府",
            "各县（市、区）政府",
        ),
        "南宁市辖各县级行政区（城区、县、县级市）人民政府",
        members="county_governments",
    ),
    Group(
        "counties-and-wuming",
        "各县、武鸣区人民政府",
        ("各县和武鸣区人民政府", "各县、武鸣区政府"),
        "各县（含横县/横州市）和武鸣区人民政府",
        members="counties_and_wuming",
    ),
    Group(
        "development-zones",
        "开发区管委会",
        ("各开发区管委会", "各开发区管理委员会", "各开发区"),
        "高新区、经开区、东盟经开区管委会",
        members="development_zones",
    ),
    Group(
        "district-bureaus",
        "各县区教育局",
        ("各县（市、区）教育局", "各县区、开发区教育局", "各县区教育行政部门"),
        "各县区及开发区教育局",
        members="district_bureaus",
    ),
)

# The county-level units that are counties (not urban districts), for "各县".
COUNTY_CODES = ("450123", "450124", "450125", "450126", "450181", "450127")
WUMING = "450110"
