"""督政: a county government's performance of its education duties, as a starting framework.

The six content areas are those of 《对省级人民政府履行教育职责的评价办法》 (国办发〔2017〕49号,
anchors §1.8 [V]) applied one level down; county schemes (e.g. 周口 2022: 9 items / 30 points)
set their own weights, so the scores, bands and the plan-progress bar here are editable starting
values, not national rules. Two inputs come from other sources: the share of the county's plan
tasks completed on time (from the plans service) and how much of the previous round's problem
list was closed (from this service's own findings).
"""

from __future__ import annotations

from datetime import date

from .model import (
    Framework,
    GradeBand,
    GradingSpec,
    IndicatorNode,
    RubricItem,
    RubricSpec,
    ThresholdSpec,
    VetoItem,
    VetoSpec,
)

STARTER_NOTE = "起始模板：分值、分档与达标线为可编辑的起始值，不是国家规定，使用前由市局确认"

# Inputs filled from other sources; an assessment refuses manual values for them.
PLAN_ON_TIME_INPUT = "plan_tasks_on_time_pct"
PLAN_OVERDUE_INPUT = "plan_tasks_overdue"
PREVIOUS_RECTIFICATION_INPUT = "previous_findings_closed_pct"

COUNTY_GOVERNMENT_DUTY = Framework(
    id="builtin-county-government-duty-starter",
    code="county_government_duty",
    name="县级人民政府履行教育职责督导评价",
    version="starter.1",
    basis="《对省级人民政府履行教育职责的评价办法》（国办发〔2017〕49号）；《教育督导条例》",
    level="city",
    effective_from=date(2017, 1, 1),
    note=(
        f"{STARTER_NOTE}。6个评价方面取自国办发〔2017〕49号 [V]；"
        "流程：政府自评报告公开 → 第三方监测与满意度调查 → 实地督导 → 问题清单与反馈意见 → "
        "整改方案 → 回头看 [V]。"
    ),
    grade_indicator="GRADE",
    indicators=[
        IndicatorNode(
            code="SCORE",
            name="履职评价评分",
            required=False,
            evaluator=RubricSpec(
                items=[
                    RubricItem(key="party_policy", name="贯彻执行党的教育方针", max_score=15),
                    RubricItem(key="laws_policies", name="落实教育法律法规和政策", max_score=15),
                    RubricItem(key="education_development", name="各级各类教育发展", max_score=20),
                    RubricItem(key="coordination", name="统筹推进教育工作", max_score=15),
                    RubricItem(key="guarantees", name="加强教育保障", max_score=20),
                    RubricItem(key="school_conduct", name="学校规范办学行为", max_score=15),
                ]
            ),
        ),
        IndicatorNode(
            code="GRADE",
            name="评价等级",
            evaluator=GradingSpec(
                source="SCORE",
                bands=[
                    GradeBand(grade="合格", min_score=80),
                    GradeBand(grade="基本合格", min_score=60),
                    GradeBand(grade="不合格", min_score=0),
                ],
            ),
        ),
        IndicatorNode(
            code="PLAN",
            name="规划任务落实",
            note="数据来自规划服务（县区人民政府承担的规划任务）",
            children=[
                IndicatorNode(
                    code="PLAN.1",
                    name="到期规划任务按期办结率",
                    note=STARTER_NOTE,
                    evaluator=ThresholdSpec(
                        input=PLAN_ON_TIME_INPUT, comparator=">=", threshold=90, unit="%"
                    ),
                ),
                IndicatorNode(
                    code="PLAN.2",
                    name="逾期未办结的规划任务数",
                    required=False,
                    note="参考项，不单独决定结论",
                    evaluator=ThresholdSpec(
                        input=PLAN_OVERDUE_INPUT, comparator="<=", threshold=0, unit="项"
                    ),
                ),
            ],
        ),
        IndicatorNode(
            code="RECT",
            name="上一轮督导问题整改销号率",
            required=False,
            note="数据来自本服务的问题清单（该县区此前督导评估的问题）；参考项",
            evaluator=ThresholdSpec(
                input=PREVIOUS_RECTIFICATION_INPUT, comparator=">=", threshold=100, unit="%"
            ),
        ),
        IndicatorNode(
            code="V",
            name="一票否决",
            note=(
                "取自《教育督导问责办法》的问责情形（安全问题较多或拒不接受教育督导）"
                "与评价办法中的弄虚作假；起始模板"
            ),
            evaluator=VetoSpec(
                items=[
                    VetoItem(key="major_safety_accident", name="发生重大安全责任事故"),
                    VetoItem(key="refused_supervision", name="拒不接受教育督导"),
                    VetoItem(key="data_fraud", name="弄虚作假"),
                ]
            ),
        ),
    ],
)
