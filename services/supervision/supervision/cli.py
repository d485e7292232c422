"""``xuezai supervision …`` commands: the pure evaluators, without database or HTTP.

The top-level command mounts this with ``app.add_typer(supervision_app, name="supervision")``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError

from .frameworks.balance import BalanceInput, evaluate_balance

supervision_app = typer.Typer(
    help="教育督导：督导评估计算（不连接数据库）。", no_args_is_help=True, add_completion=False
)

# Exit code for input the command cannot use; 2 is also what Click uses for usage errors, so
# scripts see one code for "your input is wrong" either way.
BAD_INPUT = 2


@supervision_app.callback()
def _group() -> None:
    """教育督导：督导评估计算（不连接数据库）。"""
    # A callback keeps this a command group even with a single command, so the command is
    # always invoked by name (`supervision evaluate-balance …`), as it will be under `xuezai`.


@supervision_app.command("evaluate-balance")
def evaluate_balance_command(
    input_file: Annotated[
        str,
        typer.Argument(
            metavar="INPUT.json",
            help="优质均衡资源配置输入（county、stage、schools）；- 表示从标准输入读取",
        ),
    ],
    compact: Annotated[bool, typer.Option("--compact", help="输出单行 JSON")] = False,
) -> None:
    """计算县域义务教育优质均衡资源配置（教督〔2017〕6号）：各校7项指标、加权差异系数与县域结论。

    结论在输出 JSON 的 county_pass / outcome 中；县域未达标时退出码仍为 0。
    输入有误时退出码为 2，并指出有问题的学校和字段。
    """
    raw = _read(input_file)
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        _fail(f"输入不是合法的 JSON（第 {exc.lineno} 行第 {exc.colno} 列）：{exc.msg}")
    try:
        balance_input = BalanceInput.model_validate(data)
    except ValidationError as exc:
        lines = [_describe(error, data) for error in exc.errors()]
        _fail("输入有误：\n" + "\n".join(f"  - {line}" for line in lines))
    result = evaluate_balance(balance_input)
    payload = result.model_dump(mode="json")
    if compact:
        typer.echo(json.dumps(payload, ensure_ascii=False, separators=(",", ":")))
    else:
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))


def _read(input_file: str) -> str:
    if input_file == "-":
        return sys.stdin.read()
    try:
        return Path(input_file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"无法读取输入文件 {input_file}：{exc}")


def _fail(message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(code=BAD_INPUT)


def _describe(error: Any, data: Any) -> str:
    """Name the school (by id when it has one) and the field, in Chinese."""
    loc = list(error.get("loc", ()))
    message = _message(error)
    if len(loc) >= 2 and loc[0] == "schools" and isinstance(loc[1], int):
        index = loc[1]
        school_id = None
        schools = data.get("schools") if isinstance(data, dict) else None
        if isinstance(schools, list) and index < len(schools) and isinstance(schools[index], dict):
            school_id = schools[index].get("id")
        who = f"学校 {school_id}（schools[{index}]）" if school_id else f"schools[{index}]"
        field = ".".join(str(part) for part in loc[2:])
        return f"{who}字段 {field}：{message}" if field else f"{who}：{message}"
    if loc:
        return f"字段 {'.'.join(str(part) for part in loc)}：{message}"
    return message


def _message(error: Any) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    messages = {
        "missing": "缺少该字段",
        "extra_forbidden": "未知字段",
        "int_type": "应为整数",
        "int_parsing": "应为整数",
        "int_from_float": "应为整数",
        "float_type": "应为数字",
        "float_parsing": "应为数字",
        "finite_number": "应为有限数值",
        "string_type": "应为字符串",
        "string_too_short": "不能为空",
        "string_too_long": f"长度不能超过 {ctx.get('max_length')}",
        "greater_than_equal": f"应大于或等于 {ctx.get('ge')}",
        "greater_than": f"应大于 {ctx.get('gt')}",
        "literal_error": f"取值应为 {ctx.get('expected')}",
        "too_short": f"至少需要 {ctx.get('min_length')} 项",
        "list_type": "应为数组",
        "model_type": "应为对象",
        "model_attributes_type": "应为对象",
        "dict_type": "应为对象",
    }
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    return messages.get(kind, str(error.get("msg", "")))
