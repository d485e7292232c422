"""Chinese by default, English on request (`Accept-Language: en`)."""

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Literal

Language = Literal["zh", "en"]

current_language: ContextVar[Language] = ContextVar("current_language", default="zh")


@dataclass(frozen=True, slots=True)
class Text:
    """A message in both languages; `str()` gives the one the current request asked for."""

    zh: str
    en: str

    def format(self, **params: object) -> "Text":
        return Text(self.zh.format(**params), self.en.format(**params))

    def __str__(self) -> str:
        return self.en if current_language.get() == "en" else self.zh


def language_from_header(accept_language: str | None) -> Language:
    """Pick the best of our two languages from an Accept-Language header."""
    if not accept_language:
        return "zh"
    ranked: list[tuple[float, str]] = []
    for part in accept_language.split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((quality, tag.strip().lower()))
    for _, tag in sorted(ranked, key=lambda item: -item[0]):
        if tag.startswith("en"):
            return "en"
        if tag.startswith("zh") or tag == "*":
            return "zh"
    return "zh"


# Pydantic's error types, in Chinese. Anything not listed keeps pydantic's English message.
VALIDATION_MESSAGES_ZH: dict[str, str] = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不允许的字段",
    "string_type": "应为字符串",
    "string_too_short": "长度不能少于 {min_length} 个字符",
    "string_too_long": "长度不能超过 {max_length} 个字符",
    "string_pattern_mismatch": "格式不正确",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "decimal_parsing": "应为数字",
    "bool_type": "应为布尔值",
    "bool_parsing": "应为布尔值",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "应大于或等于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "应小于或等于 {le}",
    "list_type": "应为列表",
    "too_short": "至少需要 {min_length} 项",
    "too_long": "最多允许 {max_length} 项",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "enum": "取值应为：{expected}",
    "literal_error": "取值应为：{expected}",
    "date_type": "应为日期（YYYY-MM-DD）",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "datetime_type": "应为日期时间（ISO 8601）",
    "datetime_parsing": "应为日期时间（ISO 8601）",
    "datetime_from_date_parsing": "应为日期时间（ISO 8601）",
    "time_parsing": "应为时间（HH:MM）",
    "uuid_type": "应为 UUID",
    "uuid_parsing": "应为 UUID",
    "json_invalid": "JSON 格式错误",
    "json_type": "应为 JSON",
    "value_error": "取值无效：{error}",
    "assertion_error": "取值无效：{error}",
    "url_parsing": "应为网址",
    "url_type": "应为网址",
    "none_required": "应为空",
    "string_unicode": "应为有效的 Unicode 字符串",
    "bytes_too_long": "内容过长",
    "union_tag_invalid": "类型标签无效：{tag}",
    "union_tag_not_found": "缺少类型标签字段 {discriminator}",
    "multiple_of": "应为 {multiple_of} 的倍数",
    "finite_number": "应为有限数值",
}
