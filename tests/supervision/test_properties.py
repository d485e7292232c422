"""Invariants, checked with Hypothesis: apportioning a combined school's shared resources, and
redaction of what the public sees."""

import math
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from supervision.disclosure.schemas import RedactionRequest, TextReplacement
from supervision.disclosure.service import redact
from supervision.schooldata.schemas import SchoolStatistics

pupils = st.integers(min_value=1, max_value=5000)
amount = st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_infinity=False)


@given(primary=pupils, junior=pupils, senior=st.integers(min_value=0, max_value=5000), space=amount)
def test_apportioned_space_per_pupil_keeps_the_1_to_1_1_weights(
    primary: int, junior: int, senior: int, space: float
) -> None:
    parts: dict[str, Any] = {"primary": {"students": primary}, "junior": {"students": junior}}
    if senior:
        parts["senior"] = {"students": senior}
    statistics = SchoolStatistics.model_validate({"parts": parts, "teaching_space_m2": space})

    split = statistics.to_balance("S")

    p, j = split["primary"].teaching_space_m2, split["junior"].teaching_space_m2
    assert p is not None
    assert j is not None
    senior_share = space * 1.32 * senior / (primary + 1.1 * junior + 1.32 * senior)
    assert math.isclose(p + j + senior_share, space, rel_tol=1e-9, abs_tol=1e-6)
    if space > 1e-6:  # a subnormal amount has no meaningful share to compare
        assert math.isclose((j / junior) / (p / primary), 1.1, rel_tol=1e-9)


names = st.text(alphabet="张王李赵刘陈杨黄科长校主任 ", min_size=1, max_size=12)
secrets = st.text(alphabet="张王李赵刘陈杨黄", min_size=2, max_size=6)


@given(people=st.lists(names, min_size=1, max_size=8), secret=secrets)
def test_redaction_never_publishes_responsible_persons(people: list[str], secret: str) -> None:
    content = {
        "assessment": {"id": "x", "title": f"关于{secret}的督导"},
        "targets": [{"org_code": "1", "evaluation_id": "e", "reasons": [f"{secret}未整改"]}],
        "findings": {
            "total": len(people),
            "items": [{"owner_org_code": "1", "owner_person": p, "title": "t"} for p in people],
        },
    }

    public = redact(
        content, RedactionRequest(replacements=[TextReplacement(find=secret, replace="某")])
    )

    assert all("owner_person" not in item for item in public["findings"]["items"])
    assert "evaluation_id" not in public["targets"][0]
    assert "id" not in public["assessment"]
    assert secret not in public["assessment"]["title"]
    assert secret not in public["targets"][0]["reasons"][0]
    assert content["findings"]["items"][0]["owner_person"] == people[0]  # the original is kept
