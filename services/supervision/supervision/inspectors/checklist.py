"""The standing content of 挂牌督导 (《中小学校责任督学挂牌督导办法》, 2013; anchors §1.5 [V])."""

from typing import Literal

ChecklistKey = Literal[
    "school_affairs",
    "admissions_fees",
    "curriculum_teaching",
    "student_workload",
    "teacher_ethics",
    "campus_safety",
    "canteen_hygiene",
    "school_ethos",
]

# The eight regular-supervision items (经常性督导事项).
CHECKLIST: tuple[tuple[str, str], ...] = (
    ("school_affairs", "校务管理和制度执行"),
    ("admissions_fees", "招生、收费、择校"),
    ("curriculum_teaching", "课程开设和课堂教学"),
    ("student_workload", "学生学习、体育锻炼和课业负担"),
    ("teacher_ethics", "教师师德和专业发展"),
    ("campus_safety", "校园及周边安全、学生交通安全"),
    ("canteen_hygiene", "食堂、食品、饮水及宿舍卫生"),
    ("school_ethos", "校风、教风、学风建设"),
)
CHECKLIST_NAMES = dict(CHECKLIST)

MethodKey = Literal[
    "random_class_observation",
    "document_review",
    "meeting_attendance",
    "interviews",
    "questionnaire",
    "campus_patrol",
]

METHODS: tuple[tuple[str, str], ...] = (
    ("random_class_observation", "随机听课"),
    ("document_review", "查阅资料"),
    ("meeting_attendance", "列席会议"),
    ("interviews", "座谈走访"),
    ("questionnaire", "问卷调查"),
    ("campus_patrol", "校园巡视"),
)

DUTIES: tuple[str, ...] = (
    "监督学校依法办学",
    "指导学校管理和教育教学",
    "受理并核实群众举报和投诉",
    "发现问题并督促学校整改",
    "向督导部门报告情况，向有关部门提出意见建议",
)
