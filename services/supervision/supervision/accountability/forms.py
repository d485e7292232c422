"""《教育督导问责办法》 (国务院教育督导委员会, in force 2021-09-01; anchors §1.7 [V]): the forms
of accountability for units and for individuals, and the situations that call for them."""

UNIT_FORMS: dict[str, str] = {
    "public_criticism": "公开批评",
    "interview": "约谈",
    "supervision_notice": "督导通报",
    "resource_adjustment": "资源调整",
    "administrative_penalty": "行政处罚",
}

INDIVIDUAL_FORMS: dict[str, str] = {
    "order_self_examination": "责令检查",
    "interview": "约谈",
    "criticism_notice": "通报批评",
    "organisational_handling": "组织处理",
    "disciplinary_sanction": "处分",
    "transfer_to_authorities": "移交监察机关或司法机关",
}

# Additionally for the responsible persons of private schools and training institutions.
PRIVATE_INDIVIDUAL_FORMS: dict[str, str] = {
    "confiscation": "依法罚没违法所得",
    "practice_ban": "从业禁止",
    "credit_record": "纳入诚信记录",
}

SITUATIONS: dict[str, str] = {
    "policy_not_implemented": "贯彻党的教育方针和中央决策部署不坚决不彻底",
    "duties_not_performed": "履行教育职责不到位",
    "key_tasks_lagging": "教育攻坚任务完成严重滞后",
    "irregular_school_running": "办学行为不规范",
    "quality_decline": "教育教学质量下降",
    "safety_or_refusal": "安全问题较多或拒不接受教育督导",
}

ALL_FORMS: dict[str, str] = {**UNIT_FORMS, **INDIVIDUAL_FORMS, **PRIVATE_INDIVIDUAL_FORMS}


def allowed_forms(subject_type: str, private_institution: bool) -> dict[str, str]:
    if subject_type == "unit":
        return UNIT_FORMS
    if private_institution:
        return {**INDIVIDUAL_FORMS, **PRIVATE_INDIVIDUAL_FORMS}
    return INDIVIDUAL_FORMS
