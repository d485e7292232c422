"""专项督导 templates: 双减, 控辍保学, 校园安全, 欺凌, 防溺水, 乱收费, 大班额.

Each template is a checklist framework (yes/no findings and a few counts) plus what a campaign
needs to start: who is inspected and how long a round usually takes. The items restate the
well-known requirements of each national document; the anchors do not verify these texts, so
every framework is marked as a starting point ([M]) that the city edits by copying it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from .model import Comparator, Framework, IndicatorNode, ThresholdSpec, VetoItem, VetoSpec

TEMPLATE_NOTE = "专项督导起始模板：检查项依据相关文件整理 [M]，未经 anchors 核实，使用前由市局确认"


def _check(code: str, name: str, input: str, *, note: str | None = None) -> IndicatorNode:
    return IndicatorNode(
        code=code,
        name=name,
        note=note,
        evaluator=ThresholdSpec(input=input, comparator="is_true", unit="是/否"),
    )


def _count(
    code: str,
    name: str,
    input: str,
    comparator: Comparator,
    threshold: float,
    unit: str,
    *,
    note: str | None = None,
) -> IndicatorNode:
    return IndicatorNode(
        code=code,
        name=name,
        note=note,
        evaluator=ThresholdSpec(input=input, comparator=comparator, threshold=threshold, unit=unit),
    )


def _framework(code: str, name: str, basis: str, indicators: list[IndicatorNode]) -> Framework:
    return Framework(
        id=f"builtin-{code.replace('_', '-')}-starter",
        code=code,
        name=name,
        version="starter.1",
        basis=basis,
        level="city",
        effective_from=date(2017, 1, 1),
        note=TEMPLATE_NOTE,
        indicators=indicators,
    )


DOUBLE_REDUCTION = _framework(
    "special_double_reduction",
    "“双减”专项督导",
    "《关于进一步减轻义务教育阶段学生作业负担和校外培训负担的意见》（2021）",
    [
        _check(
            "H.1",
            "作业总量和时长调控到位（一二年级不布置书面家庭作业，三至六年级不超过60分钟，初中不超过90分钟）",
            "homework_time_controlled",
        ),
        _count(
            "S.1", "有需求学生课后服务覆盖率", "after_school_service_coverage_pct", ">=", 100, "%"
        ),
        _check(
            "S.2", "课后服务“5+2”全覆盖，结束时间与当地正常下班时间衔接", "after_school_5_plus_2"
        ),
        _check("M.1", "落实睡眠管理（小学生10小时、初中生9小时）", "sleep_management"),
        _check("T.1", "学校未组织或变相组织学科类校外培训", "no_school_run_tutoring"),
        _count("T.2", "查实的在职教师有偿补课件数", "teacher_paid_tutoring_cases", "<=", 0, "件"),
    ],
)

DROPOUT_CONTROL = _framework(
    "special_dropout_control",
    "控辍保学专项督导",
    "《国务院办公厅关于进一步加强控辍保学提高义务教育巩固水平的通知》（国办发〔2017〕72号）",
    [
        _count(
            "D.1", "未劝返复学的失学辍学学生数（动态清零）", "dropouts_not_returned", "<=", 0, "人"
        ),
        _count("D.2", "九年义务教育巩固率", "compulsory_retention_pct", ">=", 95, "%"),
        _check("D.3", "建立失学辍学学生台账，一人一案", "dropout_ledger"),
        _check("D.4", "落实“双线四级”联控联保责任制", "joint_responsibility_system"),
    ],
)

CAMPUS_SAFETY = _framework(
    "special_campus_safety",
    "校园安全专项督导",
    "中小学幼儿园安全防范“4个100%”要求；《中小学幼儿园安全管理办法》",
    [
        _check("A.1", "按要求配备专职保安员", "full_time_security_guards"),
        _check("A.2", "校园封闭化管理", "closed_campus"),
        _check("A.3", "一键式紧急报警装置与公安机关联网", "alarm_linked_to_police"),
        _check("A.4", "视频监控系统达标并与上级联网", "video_surveillance_compliant"),
        _check("A.5", "每学期开展应急疏散演练", "emergency_drills"),
        _count("A.6", "排查出的未整改安全隐患数", "unfixed_hazards", "<=", 0, "处"),
    ],
)

BULLYING = _framework(
    "special_bullying",
    "防范中小学生欺凌专项督导",
    "《加强中小学生欺凌综合治理方案》（教督〔2017〕10号）",
    [
        _check("B.1", "成立学生欺凌治理委员会，制定防治方案", "anti_bullying_committee"),
        _check("B.2", "每学期开展欺凌排查", "bullying_screening"),
        _check("B.3", "公开欺凌举报电话或渠道", "reporting_channel_public"),
        _check("B.4", "开展防欺凌专题教育", "anti_bullying_education"),
        _count("B.5", "未按规定处置的欺凌事件数", "unhandled_bullying_cases", "<=", 0, "起"),
    ],
)

DROWNING_PREVENTION = _framework(
    "special_drowning_prevention",
    "防溺水专项督导",
    "教育部防溺水工作部署（“六不”安全教育）",
    [
        _check("W.1", "防溺水安全教育覆盖全体学生（“六不”）", "drowning_education"),
        _count("W.2", "《致家长的一封信》签收率", "parent_letter_signed_pct", ">=", 100, "%"),
        _check("W.3", "排查周边危险水域并设置警示", "hazardous_waters_marked"),
        _check("W.4", "节假日前开展安全提醒", "holiday_reminders"),
    ],
)

ILLEGAL_FEES = _framework(
    "special_illegal_fees",
    "规范教育收费专项督导",
    "《关于进一步加强和规范教育收费管理的意见》（教财〔2020〕5号）",
    [
        _check("F.1", "收费项目、标准、依据公示", "fees_published"),
        _check("F.2", "无擅自设立收费项目或提高标准", "no_unauthorised_fees"),
        _check("F.3", "无强制或变相强制征订教辅、服务性收费", "no_forced_purchases"),
        _count("F.4", "查实未退还的违规收费件数", "unrefunded_illegal_fees", "<=", 0, "件"),
    ],
)

LARGE_CLASSES = _framework(
    "special_large_classes",
    "消除大班额专项督导",
    "消除56人以上大班额工作部署；义务教育标准班额（小学45人、初中50人）",
    [
        _count("C.1", "56人及以上大班额班级数", "classes_56_plus", "<=", 0, "个"),
        _count("C.2", "66人及以上超大班额班级数", "classes_66_plus", "<=", 0, "个"),
        _count("C.3", "小学最大班额", "max_class_size_primary", "<=", 45, "人"),
        _count("C.4", "初中最大班额", "max_class_size_junior", "<=", 50, "人"),
        IndicatorNode(
            code="V",
            name="一票否决",
            evaluator=VetoSpec(items=[VetoItem(key="data_fraud", name="班额数据弄虚作假")]),
        ),
    ],
)


@dataclass(frozen=True, slots=True)
class CampaignTemplate:
    code: str
    name: str
    framework: Framework
    target_kind: Literal["school", "county"]
    default_days: int
    focus: str


CAMPAIGN_TEMPLATES: tuple[CampaignTemplate, ...] = (
    CampaignTemplate(
        "double_reduction",
        "“双减”专项督导",
        DOUBLE_REDUCTION,
        "school",
        60,
        "作业管理、课后服务、睡眠管理、校外培训",
    ),
    CampaignTemplate(
        "dropout_control",
        "控辍保学专项督导",
        DROPOUT_CONTROL,
        "county",
        90,
        "失学辍学学生劝返、巩固率、台账与联控联保",
    ),
    CampaignTemplate(
        "campus_safety",
        "校园安全专项督导",
        CAMPUS_SAFETY,
        "school",
        30,
        "专职保安、封闭管理、一键报警、视频监控、演练与隐患整改",
    ),
    CampaignTemplate(
        "bullying", "防范学生欺凌专项督导", BULLYING, "school", 30, "治理机构、排查、举报渠道、处置"
    ),
    CampaignTemplate(
        "drowning_prevention",
        "防溺水专项督导",
        DROWNING_PREVENTION,
        "school",
        30,
        "安全教育、家长告知、危险水域、节假日提醒",
    ),
    CampaignTemplate(
        "illegal_fees", "规范教育收费专项督导", ILLEGAL_FEES, "school", 30, "收费公示与违规收费"
    ),
    CampaignTemplate(
        "large_classes",
        "消除大班额专项督导",
        LARGE_CLASSES,
        "school",
        60,
        "大班额、超大班额与标准班额",
    ),
)

SPECIAL_FRAMEWORKS: tuple[Framework, ...] = tuple(t.framework for t in CAMPAIGN_TEMPLATES)


def template(code: str) -> CampaignTemplate | None:
    return next((t for t in CAMPAIGN_TEMPLATES if t.code == code), None)
