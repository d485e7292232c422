"""Responsible units named in a task's text, with their roles.

Names are kept exactly as written (minus surrounding punctuation): "财政局" in a list that
starts with "市教育局" means 市财政局, and "各县区人民政府" means every county government, but
resolving either is the directory service's job, which knows the aliases and which units were
valid at the plan's date.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict

Role = Literal["organizing", "implementing", "cooperating"]

__all__ = [
    "Role",
    "UnitAssignment",
    "extract_units",
    "split_unit_names",
    "trailing_parenthetical",
]


class UnitAssignment(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    role: Role


# Longer labels first: "组织实施单位" must not be read as "实施单位".
_LABEL_ROLES: tuple[tuple[str, Role], ...] = (
    ("组织实施单位", "organizing"),
    ("组织实施部门", "organizing"),
    ("具体实施单位", "implementing"),
    ("具体实施部门", "implementing"),
    ("牵头单位", "organizing"),
    ("牵头部门", "organizing"),
    ("主责单位", "organizing"),
    ("主办单位", "organizing"),
    ("责任单位", "implementing"),
    ("责任部门", "implementing"),
    ("实施单位", "implementing"),
    ("承办单位", "implementing"),
    ("配合单位", "cooperating"),
    ("配合部门", "cooperating"),
    ("协办单位", "cooperating"),
    ("协同单位", "cooperating"),
    ("参与单位", "cooperating"),
    ("牵头", "organizing"),
    ("配合", "cooperating"),
    ("协办", "cooperating"),
)
_ROLE_OF = dict(_LABEL_ROLES)
_LABEL = re.compile(r"(?P<label>" + "|".join(label for label, _ in _LABEL_ROLES) + r")\s*[：:]")
# Fields that end a unit list without naming units themselves.
_STOP_LABEL = re.compile(
    r"(?:完成时限|完成时间|办结时限|时限要求|时间要求|时间节点|截止时间|完成期限|时间安排|时限|时间"
    r"|责任人|联系人|责任领导|分管领导)\s*[：:]"
)
_OPEN = "（(〔【[<《〈“‘"
_CLOSE = "）)〕】]>》〉”’"
_SEPARATORS = "、，,；;/\n"
_TRAILING_JUNK = " \t\u3000。.，,、；;：:！!？?"
_SUFFIX_WORDS = re.compile(r"(?:等相关单位|等有关单位|等有关部门|等相关部门|等单位|等部门|等)$")
# What an organisation's name ends with; used to tell a unit list from any other parenthesis.
_ORG_SUFFIX = re.compile(
    r"(?:人民政府|政府|管委会|委员会|委|局|厅|办|院|校|学校|学院|大学|中心|会|部|处|室|所|站|队|社|团|馆|组|公司|集团|单位|部门|机构|幼儿园|县区|城区|开发区)$"
)
# "各县" alone is half of a collective phrase ("各县、武鸣区人民政府"): it has no suffix of its own.
_COLLECTIVE_HEAD = re.compile(r"^各[\u4e00-\u9fff]{1,4}$")
_MAX_NAME = 40


def split_unit_names(value: str) -> list[str]:
    """Split a unit list on 、，,；; and newlines, but never inside brackets.

    "各县（市、区）人民政府" stays whole; "各县、武鸣区人民政府" too, because a bare "各县" cannot
    stand on its own as a unit.
    """
    parts: list[str] = []
    seps: list[str] = []
    depth = 0
    buf: list[str] = []
    for ch in value:
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(0, depth - 1)
        if depth == 0 and ch in _SEPARATORS:
            parts.append("".join(buf))
            seps.append(ch)
            buf = []
        else:
            buf.append(ch)
    parts.append("".join(buf))
    names: list[str] = []
    carry = ""
    for i, part in enumerate(parts):
        name = _clean(part)
        if not name:
            continue
        if carry:
            name = carry + name
            carry = ""
        if (
            _COLLECTIVE_HEAD.match(name)
            and not _ORG_SUFFIX.search(name)
            and i + 1 < len(parts)
            and seps[i] in "、，,"
        ):
            carry = name + seps[i]
            continue
        names.append(name)
    if carry:
        names.append(carry.rstrip("、，,"))
    return [n for n in names if len(n) <= _MAX_NAME]


def _clean(name: str) -> str:
    name = name.strip(_TRAILING_JUNK)
    name = re.sub(r"\s+", "", name)
    name = _SUFFIX_WORDS.sub("", name)
    name = re.sub(r"(?:按职责分工负责|按职责分工|按职责负责|分别负责|负责)$", "", name)
    return name.strip(_TRAILING_JUNK)


def _value_end(text: str, start: int) -> int:
    """Where a labelled unit list that starts at ``start`` ends.

    At the next label, at a bracket that closes one opened before the list, or at the end of the
    sentence; brackets opened inside the list ("各县（市、区）") do not end it.
    """
    depth = 0
    i = start
    n = len(text)
    while i < n:
        ch = text[i]
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            if depth == 0:
                return i
            depth -= 1
        elif depth == 0 and ch in "。":
            return i
        elif depth == 0 and ch in "；;，,\n":
            rest = text[i + 1 : i + 16].lstrip()
            if _LABEL.match(rest) or _STOP_LABEL.match(rest):
                return i
        elif depth == 0 and (_LABEL.match(text, i) or _STOP_LABEL.match(text, i)):
            return i
        i += 1
    return n


# Unlabelled responsibility, as in "（市发展改革委、市教育局按职责分工负责，2022年8月底前完成）".
_FREE_ROLE = re.compile(
    r"^(?:由)?(?P<names>.+?)(?P<verb>牵头负责|牵头|按职责分工负责|按职责负责|分别负责|共同负责|负责|配合|协办|参与)$"
)
_FREE_VERB_ROLE: dict[str, Role] = {
    "牵头负责": "organizing",
    "牵头": "organizing",
    "按职责分工负责": "implementing",
    "按职责负责": "implementing",
    "分别负责": "implementing",
    "共同负责": "implementing",
    "负责": "implementing",
    "配合": "cooperating",
    "协办": "cooperating",
    "参与": "cooperating",
}


_ROLE_TAG = re.compile(r"[（(](牵头|配合|协办|参与|负责)[）)]$")


def trailing_parenthetical(text: str) -> str | None:
    """The bracketed clause at the very end of ``text`` (full- or half-width), if any."""
    t = text.rstrip().rstrip("。.;；")
    if not t or t[-1] not in "）)":
        return None
    depth = 0
    for i in range(len(t) - 1, -1, -1):
        if t[i] in "）)":
            depth += 1
        elif t[i] in "（(":
            depth -= 1
            if depth == 0:
                return t[i + 1 : -1]
    return None


def _looks_like_units(names: list[str]) -> bool:
    return bool(names) and all(
        _ORG_SUFFIX.search(n) or n.startswith(("各", "有关", "相关")) for n in names
    )


def extract_units(text: str) -> list[UnitAssignment]:
    """Units named in ``text``, in order of appearance, each (name, role) once.

    Labelled lists are read wherever they stand ("组织实施单位：…" in brackets, in a following
    paragraph, or in a table row rendered as text). Without labels, only a trailing parenthesis
    whose clauses read "X牵头" / "X负责" / "X配合" counts, so that an aside such as
    "（包括新建、迁建、扩建）" is never taken for a list of units.
    """
    found: list[UnitAssignment] = []
    seen: set[tuple[str, Role]] = set()

    def add(name: str, role: Role) -> None:
        if (name, role) not in seen:
            seen.add((name, role))
            found.append(UnitAssignment(name=name, role=role))

    for m in _LABEL.finditer(text):
        role = _ROLE_OF[m.group("label")]
        end = _value_end(text, m.end())
        for name in split_unit_names(text[m.end() : end]):
            # "责任单位：市教育局（牵头）、市财政局" marks the lead inside the list.
            tag = _ROLE_TAG.search(name)
            if tag is not None:
                if tag.start() > 0:
                    add(name[: tag.start()], _FREE_VERB_ROLE[tag.group(1)])
            else:
                add(name, role)
    if found:
        return found

    paren = trailing_parenthetical(text)
    if paren is None:
        return found
    for clause in re.split(r"[，,；;]", paren):
        fm = _FREE_ROLE.match(clause.strip())
        if fm is None:
            continue
        names = split_unit_names(fm.group("names"))
        if _looks_like_units(names):
            for name in names:
                add(name, _FREE_VERB_ROLE[fm.group("verb")])
    return found
