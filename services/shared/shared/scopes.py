"""The scopes agency clients and services may hold (`service:resource:action`).

The directory refuses to give a client a scope not listed here, so a typo cannot create a
permission nobody checks. A service that adds an endpoint for agencies adds its scope here.
"""

from shared.i18n import Text

KNOWN_SCOPES: dict[str, Text] = {
    "directory:organizations:read": Text(
        "读取机构目录（查询、批量解析）", "Read the organisation directory (search, look-up)"
    ),
    "enrolment:stats:read": Text("读取招生统计", "Read enrolment statistics"),
    "enrolment:verification:write": Text(
        "回写部门核验结果（户籍、不动产、社保）",
        "Write back verification results (household, property, social insurance)",
    ),
    "plans:progress:read": Text("读取规划任务进展", "Read plan-task progress"),
}

# Our own services may ask for any known scope.
SERVICE_SCOPES: tuple[str, ...] = tuple(sorted(KNOWN_SCOPES))
