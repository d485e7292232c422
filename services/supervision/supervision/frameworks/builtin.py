"""Built-in frameworks, as data.

Every number comes from ``/work/shared/reference/supervision-anchors.md`` §1 (cited per framework
below, with the anchors' confidence tag where it is not [V]). Items whose wording or number the
anchors mark as unverified ([M]) or local ([R]) are kept and say so in ``note``; the bureau can
correct them with an overlay instead of a code change.

Input conventions: rates are percentages (85 % → 85); per-school resource values are the derived
indicators computed by ``balance.py``; ``*_count`` / ``max_*`` inputs are county aggregates
(enter 0 where the county has no such school); yes/no items take the inspectors' finding.

The effective dates are placeholders (1 January of the document's year): the anchors do not give
the issuing dates, and no evaluation is dated before them.
"""

from __future__ import annotations

from datetime import date

from .model import (
    Comparator,
    Framework,
    GradeBand,
    GradingSpec,
    IndicatorNode,
    NOfMMember,
    NOfMSpec,
    RubricItem,
    RubricSpec,
    Stage,
    StageThreshold,
    ThresholdSpec,
    VetoItem,
    VetoSpec,
    WeightedCVSpec,
)


def _item(
    code: str,
    name: str,
    input: str,
    comparator: Comparator,
    threshold: StageThreshold,
    unit: str = "",
    *,
    note: str | None = None,
    veto: bool = False,
) -> IndicatorNode:
    return IndicatorNode(
        code=code,
        name=name,
        note=note,
        veto=veto,
        evaluator=ThresholdSpec(input=input, comparator=comparator, threshold=threshold, unit=unit),
    )


def _yes(code: str, name: str, input: str, *, note: str | None = None) -> IndicatorNode:
    return IndicatorNode(
        code=code,
        name=name,
        note=note,
        evaluator=ThresholdSpec(input=input, comparator="is_true", unit="是/否"),
    )


def _group(
    code: str, name: str, children: list[IndicatorNode], *, note: str | None = None
) -> IndicatorNode:
    return IndicatorNode(code=code, name=name, note=note, children=children)


# --- 优质均衡: 教督〔2017〕6号 (anchors §1.1) ---------------------------------------------------

# The seven per-school resource indicators, in the order of the 办法 (anchors §1.1.1 [V]; Hebei
# restatement, the Shenyang indicator JSON and a secondary summary agree on every threshold).
RESOURCE_MEMBERS: tuple[NOfMMember, ...] = (
    NOfMMember(
        key="qualified_teachers_per_100",
        name="每百名学生拥有高于规定学历教师数",
        unit="人",
        threshold={"primary": 4.2, "junior": 5.3},
        note="高于规定学历：小学为专科及以上，初中为本科及以上（一份二手摘要称小学为本科，属误读）",
    ),
    NOfMMember(
        key="backbone_teachers_per_100",
        name="每百名学生拥有县级以上骨干教师数",
        unit="人",
        threshold={"primary": 1.0, "junior": 1.0},
    ),
    NOfMMember(
        key="pe_art_teachers_per_100",
        name="每百名学生拥有体育、艺术（美术、音乐）专任教师数",
        unit="人",
        threshold={"primary": 0.9, "junior": 0.9},
        note="50–99人的乡村小规模学校和教学点可计入交流轮岗、兼职、走教教师 [R，沈阳口径，待核实]",
    ),
    NOfMMember(
        key="teaching_space_per_pupil",
        name="生均教学及辅助用房面积",
        unit="㎡",
        threshold={"primary": 4.5, "junior": 5.8},
        note="教学及辅助用房总面积扣除室内体育用房面积 [R]",
    ),
    NOfMMember(
        key="sports_space_per_pupil",
        name="生均体育运动场馆面积",
        unit="㎡",
        threshold={"primary": 7.5, "junior": 10.2},
        note="中心城区学校可计入改造的地下/楼顶场地及10分钟步行可达的租赁场馆 [R，待核实]",
    ),
    NOfMMember(
        key="equipment_value_per_pupil",
        name="生均教学仪器设备值",
        unit="元",
        threshold={"primary": 2000.0, "junior": 2500.0},
        note="教学仪器设备资产值按账面原值 [R]",
    ),
    NOfMMember(
        key="multimedia_classrooms_per_100",
        name="每百名学生拥有网络多媒体教室数",
        unit="间",
        threshold={"primary": 2.3, "junior": 2.4},
    ),
)
RESOURCE_INDICATORS: tuple[str, ...] = tuple(m.key for m in RESOURCE_MEMBERS)

RESOURCE_SCHOOL_CODE = "R.S"
RESOURCE_CV_CODE = "R.CV"
# 所有指标校际差异系数，小学均小于或等于0.50，初中均小于或等于0.45 (anchors §1.1.1 [V]).
CV_LIMITS: dict[Stage, float] = {"primary": 0.50, "junior": 0.45}

COMPULSORY_QUALITY_BALANCE = Framework(
    id="builtin-compulsory-quality-balance-2017",
    code="compulsory_quality_balance",
    name="县域义务教育优质均衡发展督导评估",
    version="2017.1",
    basis="教督〔2017〕6号",
    level="national",
    effective_from=date(2017, 1, 1),
    note=(
        "逐项达标认定，不设加权总分。资源配置7项指标适用于义务教育学校（含教学点），"
        "不含特殊教育学校、职业学校及学生数不足50人的教学点；申请认定须已通过基本均衡认定满3年。"
        "差异系数按在校生数加权（沿用2012年方法，anchors 标注待向局方/教育部指标解读确认）。"
    ),
    indicators=[
        _group(
            "R",
            "资源配置",
            [
                IndicatorNode(
                    code=RESOURCE_SCHOOL_CODE,
                    name="每所学校至少6项指标达到要求，余项不低于要求的85%",
                    evaluator=NOfMSpec(
                        members=list(RESOURCE_MEMBERS), min_met=6, floor_fraction=0.85
                    ),
                ),
                _group(
                    RESOURCE_CV_CODE,
                    "校际差异系数（每项指标分别计算，小学≤0.50、初中≤0.45）",
                    [
                        IndicatorNode(
                            code=f"R.CV.{i}",
                            name=f"{m.name}校际差异系数",
                            evaluator=WeightedCVSpec(indicator=m.key, limit=dict(CV_LIMITS)),
                        )
                        for i, m in enumerate(RESOURCE_MEMBERS, start=1)
                    ],
                    note="没有综合差异系数：2012年基本均衡的“8项平均”口径不适用于2017年办法",
                ),
            ],
        ),
        _group(
            "G",
            "政府保障程度（15项均达标）",
            [
                _yes(
                    "G.1",
                    "县域内义务教育学校规划布局合理，符合国家规定要求",
                    "layout_planning_reasonable",
                ),
                _yes(
                    "G.2",
                    "城乡义务教育学校建设标准、教师编制标准、生均公用经费基准定额、基本装备配置标准统一",
                    "urban_rural_standards_unified",
                    note="沈阳另设生均公用经费小学≥1150元、初中≥1350元（地方口径，需要时以叠加框架设置）",
                ),
                _group(
                    "G.3",
                    "所有小学、初中每12个班级配备音乐、美术专用教室1间以上，音乐教室≥96㎡、美术教室≥90㎡",
                    [
                        _item(
                            "G.3.1",
                            "音乐、美术专用教室间数不足（每12个班级1间）的学校数",
                            "schools_short_of_music_art_rooms",
                            "<=",
                            0,
                            "所",
                        ),
                        _item(
                            "G.3.2",
                            "音乐教室小于96㎡或美术教室小于90㎡的学校数",
                            "schools_with_undersized_music_art_rooms",
                            "<=",
                            0,
                            "所",
                            note=(
                                "地方放宽 [R]：2016年及以前规划建设的学校音乐≥73㎡、美术≥67㎡；"
                                "最大班额<30人的乡村小规模学校小学≥54㎡、初中≥61㎡"
                            ),
                        ),
                    ],
                ),
                _group(
                    "G.4",
                    "所有小学、初中规模不超过2000人，九年一贯制、十二年一贯制学校义务教育阶段不超过2500人",
                    [
                        _item(
                            "G.4.1",
                            "小学、初中最大学校规模",
                            "max_enrolment_primary_junior_school",
                            "<=",
                            2000,
                            "人",
                        ),
                        _item(
                            "G.4.2",
                            "九年一贯制、十二年一贯制学校义务教育阶段最大规模",
                            "max_enrolment_combined_school",
                            "<=",
                            2500,
                            "人",
                            note="县域内无一贯制学校时填0；地方放宽 [R]：2010年前建校或随迁子女超50%的学校为2400/3000人",
                        ),
                    ],
                ),
                _group(
                    "G.5",
                    "小学、初中所有班级学生数分别不超过45人、50人",
                    [
                        _item("G.5.1", "小学最大班额", "max_class_size_primary", "<=", 45, "人"),
                        _item("G.5.2", "初中最大班额", "max_class_size_junior", "<=", 50, "人"),
                    ],
                ),
                _yes(
                    "G.6",
                    "不足100名学生的村小学和教学点按100名学生核定公用经费",
                    "small_schools_funded_as_100",
                ),
                _item(
                    "G.7",
                    "特殊教育学校生均公用经费不低于6000元",
                    "special_education_funds_per_pupil",
                    ">=",
                    6000,
                    "元",
                    note=(
                        "6000元为国家标准 [M，与2016年特教生均补助由4000元提至6000元一致]；"
                        "沈阳用8000元（地方叠加）"
                    ),
                ),
                _group(
                    "G.8",
                    "教师平均工资收入水平不低于当地公务员平均工资收入水平，按规定足额核定教师绩效工资总量",
                    [
                        _item(
                            "G.8.1",
                            "教师平均工资收入与当地公务员平均工资收入之比",
                            "teacher_to_civil_servant_pay_pct",
                            ">=",
                            100,
                            "%",
                            note="输入为 教师平均工资收入 ÷ 当地公务员平均工资收入 × 100",
                        ),
                        _yes("G.8.2", "足额核定教师绩效工资总量", "performance_pay_fully_approved"),
                    ],
                ),
                _item(
                    "G.9",
                    "教师5年360学时培训完成率",
                    "teacher_training_360h_completion_pct",
                    ">=",
                    100,
                    "%",
                ),
                _yes(
                    "G.10",
                    "县级教育行政部门在核定的编制总额和岗位总量内统筹分配各校教职工编制和岗位数量",
                    "staffing_allocated_by_county",
                ),
                _group(
                    "G.11",
                    "教师交流轮岗",
                    [
                        _item(
                            "G.11.1",
                            "每年交流轮岗教师占符合交流条件教师总数的比例",
                            "teacher_rotation_pct",
                            ">=",
                            10,
                            "%",
                        ),
                        _item(
                            "G.11.2",
                            "骨干教师占交流轮岗教师总数的比例",
                            "backbone_share_of_rotation_pct",
                            ">=",
                            20,
                            "%",
                        ),
                    ],
                ),
                _item(
                    "G.12",
                    "专任教师持有教师资格证上岗率",
                    "teacher_certification_pct",
                    ">=",
                    100,
                    "%",
                ),
                _group(
                    "G.13",
                    "城区和镇区公办小学、初中（不含寄宿制学校）就近划片入学比例",
                    [
                        _item(
                            "G.13.1",
                            "城区和镇区公办小学就近划片入学比例",
                            "nearby_enrolment_primary_pct",
                            ">=",
                            100,
                            "%",
                        ),
                        _item(
                            "G.13.2",
                            "城区和镇区公办初中就近划片入学比例",
                            "nearby_enrolment_junior_pct",
                            ">=",
                            95,
                            "%",
                        ),
                    ],
                    note="数据来自招生服务（就近入学比例）",
                ),
                _group(
                    "G.14",
                    "优质高中招生名额分配比例不低于50%，并向农村初中倾斜",
                    [
                        _item(
                            "G.14.1",
                            "优质高中招生名额分配比例",
                            "quota_allocation_pct",
                            ">=",
                            50,
                            "%",
                        ),
                        _yes("G.14.2", "名额分配向农村初中倾斜", "quota_favours_rural_junior"),
                    ],
                ),
                _group(
                    "G.15",
                    "留守儿童关爱体系健全；随迁子女在公办学校和政府购买服务的民办学校就读比例不低于85%",
                    [
                        _yes("G.15.1", "留守儿童关爱体系健全", "left_behind_care_system"),
                        _item(
                            "G.15.2",
                            "符合条件的随迁子女在公办学校和政府购买服务的民办学校就读比例",
                            "migrant_children_public_pct",
                            ">=",
                            85,
                            "%",
                            note="数据来自招生服务（随迁子女就读情况）",
                        ),
                    ],
                ),
            ],
            note="15项的编号与数值 [V]；条目措辞依据 anchors 的整理 [R/M]，待以原文核对",
        ),
        _group(
            "Q",
            "教育质量（9项均达标）",
            [
                _item(
                    "Q.1",
                    "初中三年巩固率",
                    "junior_retention_3y_pct",
                    ">=",
                    95,
                    "%",
                    note="(毕业生数 − 三年内转入 + 三年内转出) ÷ (初一在校生数 − 死亡) × 100 [R]",
                ),
                _item(
                    "Q.2", "残疾儿童少年入学率", "disabled_children_enrolment_pct", ">=", 95, "%"
                ),
                _yes(
                    "Q.3",
                    "所有学校制定章程，实现学校管理与教学信息化",
                    "charters_and_informatisation",
                ),
                _item(
                    "Q.4",
                    "各校教师培训经费占年度公用经费预算总额比例的最低值",
                    "min_school_training_budget_pct",
                    ">=",
                    5,
                    "%",
                    note="办法要求所有学校均不低于5%，故输入为全县各校中的最低比例",
                ),
                _yes(
                    "Q.5",
                    "教师能熟练运用信息化手段组织教学，设施设备利用率较高",
                    "ict_teaching_effective",
                ),
                _yes("Q.6", "德育工作、校园文化建设水平达到良好以上", "moral_education_good"),
                _yes(
                    "Q.7",
                    "课程开齐开足，教学秩序规范，综合实践活动有效开展",
                    "curriculum_complete",
                ),
                _yes("Q.8", "无过重课业负担", "no_excessive_homework"),
                _group(
                    "Q.9",
                    "国家义务教育质量监测：相关科目学生学业水平达到Ⅲ级以上，且校际差异率低于0.15",
                    [
                        _item(
                            "Q.9.1",
                            "各监测科目学生学业水平的最低等级",
                            "monitoring_min_level",
                            ">=",
                            3,
                            "级",
                            note="Ⅰ–Ⅳ级记为1–4；输入各相关科目中最低的等级",
                        ),
                        _item(
                            "Q.9.2",
                            "各监测科目校际差异率的最大值",
                            "monitoring_max_inter_school_difference",
                            "<",
                            0.15,
                            note="由质量监测结果导入，不在本系统计算",
                        ),
                    ],
                ),
            ],
        ),
        _item(
            "S",
            "社会认可度",
            "social_recognition_pct",
            ">=",
            85,
            "%",
            veto=True,
            note="中国教育报将社会认可度列入一票否决 [V]；调查样本规则（常住人口1‰、家长≥50%）未核实 [R]",
        ),
        IndicatorNode(
            code="V",
            name="一票否决",
            evaluator=VetoSpec(
                items=[
                    VetoItem(key="exam_based_admission", name="以考试方式招生"),
                    VetoItem(key="illegal_school_choice", name="违规择校"),
                    VetoItem(key="key_schools", name="设置重点学校"),
                    VetoItem(key="key_classes", name="设置重点班"),
                    VetoItem(
                        key="major_safety_accident",
                        name="发生重大安全责任事故",
                        note="[M] 出自记忆，待以办法原文核对",
                    ),
                    VetoItem(
                        key="serious_violations",
                        name="发生严重违纪违规事件",
                        note="[M] 出自记忆，待以办法原文核对",
                    ),
                    VetoItem(
                        key="data_fraud",
                        name="弄虚作假",
                        note="[M] 出自记忆，待以办法原文核对",
                    ),
                ]
            ),
            note="前四项见中国教育报对办法的报道 [V]；输入 true 表示存在该情形",
        ),
    ],
)


# --- 学前普及普惠: 教督〔2020〕1号 (anchors §1.3) -----------------------------------------------

PRESCHOOL_UNIVERSAL_INCLUSIVE = Framework(
    id="builtin-preschool-universal-inclusive-2020",
    code="preschool_universal_inclusive",
    name="县域学前教育普及普惠督导评估",
    version="2020.1",
    basis="教督〔2020〕1号",
    level="national",
    effective_from=date(2020, 1, 1),
    note=(
        "普及普惠水平3项及社会认可度为国家数值 [V]；政府保障9项、保教质量5项的结构取自辽宁/沈阳细化 [R]，"
        "与国家发布一致。二级指标评为合格/基本合格/不合格；允许多少项基本合格由省级方案确定（anchors 未给出国家规则），"
        "本框架将基本合格视为达标，可由叠加框架调整。"
    ),
    indicators=[
        _group(
            "P",
            "普及普惠水平",
            [
                _item(
                    "P.1",
                    "学前三年毛入园率",
                    "gross_enrolment_3y_pct",
                    ">=",
                    85,
                    "%",
                    note="在园幼儿数 ÷ 3–5岁适龄人口 × 100；分母用户籍还是常住人口待广西确认；河南提高到90%（地方叠加）",
                ),
                _item(
                    "P.2",
                    "普惠性幼儿园覆盖率",
                    "inclusive_coverage_pct",
                    ">=",
                    80,
                    "%",
                    note="(公办园 + 普惠性民办园在园幼儿) ÷ 在园幼儿总数 × 100",
                ),
                _item(
                    "P.3",
                    "公办园在园幼儿占比",
                    "public_kindergarten_share_pct",
                    ">=",
                    50,
                    "%",
                    note="原则上达到50%；公办园（含公办教学点）在园幼儿 ÷ 在园幼儿总数 × 100",
                ),
            ],
        ),
        _group(
            "G",
            "政府保障情况",
            [
                _yes("G.1", "党的领导坚强有力", "party_leadership"),
                _yes("G.2", "发展规划科学合理", "development_plan_sound"),
                _item(
                    "G.3",
                    "有公办中心园的乡镇比例（每个乡镇原则上至少一所公办中心园）",
                    "townships_with_public_centre_pct",
                    ">=",
                    100,
                    "%",
                    note="原则上要求，省级方案可放宽",
                ),
                _item(
                    "G.4",
                    "小区配套幼儿园办成公办园或普惠性民办园的比例",
                    "community_kindergartens_inclusive_pct",
                    ">=",
                    100,
                    "%",
                ),
                _yes(
                    "G.5",
                    "财政投入到位（公办园生均财政拨款或公用经费标准、普惠性民办园补助）",
                    "funding_in_place",
                    note="地方数值（如四川某县普惠性民办园生均补助500元/年）用叠加框架增设",
                ),
                _yes("G.6", "收费合理", "fees_reasonable"),
                _yes(
                    "G.7",
                    "教师工资待遇有保障",
                    "teacher_pay_secured",
                    note="地方数值（如非在编与在编教师工资之比75%）用叠加框架增设",
                ),
                _group(
                    "G.8",
                    "安全风险防控机制健全",
                    [
                        _yes("G.8.1", "安全风险防控机制健全", "safety_mechanism_in_place"),
                        _item(
                            "G.8.2",
                            "认定前两年内发生的重大安全责任事故数",
                            "major_safety_accidents_2y",
                            "<=",
                            0,
                            "起",
                        ),
                    ],
                ),
                _group(
                    "G.9",
                    "监管制度比较完善",
                    [
                        _yes(
                            "G.9.1",
                            "先证后照、年检、信息备案公示到位，民办园无上市和过度逐利",
                            "regulation_in_place",
                        ),
                        _item(
                            "G.9.2",
                            "3–5年一轮办园行为督导评估覆盖的幼儿园比例",
                            "conduct_inspection_coverage_pct",
                            ">=",
                            100,
                            "%",
                        ),
                        _item(
                            "G.9.3",
                            "幼儿园责任督学挂牌督导覆盖率",
                            "responsible_inspector_coverage_pct",
                            ">=",
                            100,
                            "%",
                        ),
                        _item("G.9.4", "无证园数", "unlicensed_kindergartens", "<=", 0, "所"),
                    ],
                ),
            ],
        ),
        _group(
            "Q",
            "幼儿园保教质量保障情况",
            [
                _yes("Q.1", "办园条件合格", "premises_qualified"),
                _item(
                    "Q.2",
                    "班额达标的班级比例",
                    "classes_within_size_limit_pct",
                    ">=",
                    85,
                    "%",
                    note=(
                        "班额标准（小班25、中班30、大班35、混龄30）出自《幼儿园工作规程》[M]；"
                        "沈阳 JSON 把本项归在“教师配足配齐”下，疑为错位"
                    ),
                ),
                _group(
                    "Q.3",
                    "教师配足配齐",
                    [
                        IndicatorNode(
                            code="Q.3.1",
                            name="教职工按配备标准配齐的幼儿园比例",
                            note="100%为合格、≥80%为基本合格 [R，沈阳分级示例]",
                            evaluator=GradingSpec(
                                input="staffing_compliant_kindergartens_pct",
                                bands=[
                                    GradeBand(grade="合格", min_score=100),
                                    GradeBand(grade="基本合格", min_score=80),
                                    GradeBand(grade="不合格", min_score=0),
                                ],
                            ),
                        ),
                        _item(
                            "Q.3.2",
                            "在园幼儿与专任教师之比（每名专任教师对应幼儿数）",
                            "children_per_teacher",
                            "<=",
                            15,
                            "人",
                            note="专任教师与在园幼儿之比不低于1:15；河南等地另有要求",
                        ),
                    ],
                ),
                _item(
                    "Q.4",
                    "园长、专任教师持证上岗率",
                    "principal_teacher_certification_pct",
                    ">=",
                    100,
                    "%",
                ),
                _group(
                    "Q.5",
                    "落实科学保教要求",
                    [
                        _yes("Q.5.1", "无“小学化”倾向", "no_primary_schooling"),
                        _item(
                            "Q.5.2",
                            "认定前两年内发生的严重师德事件数",
                            "serious_ethics_incidents_2y",
                            "<=",
                            0,
                            "起",
                        ),
                    ],
                ),
            ],
        ),
        _item("S", "社会认可度", "social_recognition_pct", ">=", 85, "%"),
        IndicatorNode(
            code="V",
            name="一票否决",
            evaluator=VetoSpec(items=[VetoItem(key="data_fraud", name="数据弄虚作假")]),
            note=(
                "办法规定：抽查县明显不达标、投诉多、负面反映强烈或数据弄虚作假的，终止该省当年认定 [V]；"
                "在县级把弄虚作假作为一票否决是本框架的保守处理，可由叠加框架删改"
            ),
        ),
    ],
)


# --- editable starting frameworks (rubric + grading) -------------------------------------------

_STARTER_BANDS = [
    GradeBand(grade="合格", min_score=80),
    GradeBand(grade="基本合格", min_score=60),
    GradeBand(grade="不合格", min_score=0),
]
_STARTER_NOTE = "起始模板：分值、分档与否决项为可编辑的起始值，不是国家规定，使用前由市局确认"

SCHOOL_ROUTINE_MANAGEMENT = Framework(
    id="builtin-school-routine-management-starter",
    code="school_routine_management",
    name="中小学校常规管理评估",
    version="starter.1",
    basis="《义务教育学校管理标准》（2017）；运城市常规管理评估6项一级指标（参照）",
    level="city",
    effective_from=date(2017, 1, 1),
    note=(
        f"{_STARTER_NOTE}。一级指标取自运城市2022年评估 [V]；"
        "《义务教育学校管理标准》6大管理职责/22项任务/88条 [M] 可作为二级指标细化。"
    ),
    grade_indicator="GRADE",
    indicators=[
        IndicatorNode(
            code="SCORE",
            name="常规管理评分",
            required=False,
            evaluator=RubricSpec(
                items=[
                    RubricItem(key="leadership", name="领导机制", max_score=15),
                    RubricItem(key="conditions", name="办学条件", max_score=15),
                    RubricItem(key="management", name="学校管理", max_score=20),
                    RubricItem(key="teaching", name="教学工作", max_score=20),
                    RubricItem(key="quality", name="教育质量", max_score=20),
                    RubricItem(key="outcomes", name="发展成效", max_score=10),
                ]
            ),
        ),
        IndicatorNode(
            code="GRADE",
            name="评估等级",
            evaluator=GradingSpec(source="SCORE", bands=list(_STARTER_BANDS)),
        ),
        IndicatorNode(
            code="V",
            name="一票否决",
            evaluator=VetoSpec(
                items=[
                    VetoItem(key="major_safety_accident", name="发生重大安全责任事故"),
                    VetoItem(key="serious_ethics_incident", name="发生严重师德失范事件"),
                    VetoItem(key="data_fraud", name="评估材料弄虚作假"),
                ]
            ),
            note=_STARTER_NOTE,
        ),
    ],
)

KINDERGARTEN_CONDUCT = Framework(
    id="builtin-kindergarten-conduct-starter",
    code="kindergarten_conduct",
    name="幼儿园办园行为督导评估",
    version="starter.1",
    basis="《幼儿园办园行为督导评估办法》（2017）",
    level="city",
    effective_from=date(2017, 1, 1),
    note=(f"{_STARTER_NOTE}。5个方面取自办法 [V]；每所幼儿园3–5年评估一轮 [V]。"),
    grade_indicator="GRADE",
    indicators=[
        IndicatorNode(
            code="SCORE",
            name="办园行为评分",
            required=False,
            evaluator=RubricSpec(
                items=[
                    RubricItem(key="conditions", name="办园条件", max_score=20),
                    RubricItem(key="safety_health", name="安全卫生", max_score=20),
                    RubricItem(key="care_education", name="保育教育", max_score=20),
                    RubricItem(key="staff", name="教职工队伍", max_score=20),
                    RubricItem(key="management", name="内部管理", max_score=20),
                ]
            ),
        ),
        IndicatorNode(
            code="GRADE",
            name="评估等级",
            evaluator=GradingSpec(source="SCORE", bands=list(_STARTER_BANDS)),
        ),
        IndicatorNode(
            code="V",
            name="一票否决",
            evaluator=VetoSpec(
                items=[
                    VetoItem(key="unlicensed", name="无证办园"),
                    VetoItem(key="major_safety_accident", name="发生重大安全责任事故"),
                    VetoItem(key="serious_ethics_incident", name="发生严重师德失范事件"),
                ]
            ),
            note=_STARTER_NOTE,
        ),
    ],
)

BUILTIN_FRAMEWORKS: tuple[Framework, ...] = (
    COMPULSORY_QUALITY_BALANCE,
    PRESCHOOL_UNIVERSAL_INCLUSIVE,
    SCHOOL_ROUTINE_MANAGEMENT,
    KINDERGARTEN_CONDUCT,
)
