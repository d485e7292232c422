"""Errors are exceptions that carry their status; every one leaves as RFC 9457 problem+json."""

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.context import current_request_id
from shared.i18n import VALIDATION_MESSAGES_ZH, Text, current_language

PROBLEM_CONTENT_TYPE = "application/problem+json"

log = structlog.get_logger("shared.errors")


class FieldError(BaseModel):
    field: str = Field(description="Path of the offending field, e.g. `body.child.id_number`.")
    message: str
    type: str = Field(description="Machine-readable error type.")


class Problem(BaseModel):
    """RFC 9457 problem document with a stable `code` and the request id."""

    type: str = Field(examples=["urn:xuezai:problem:not_found"])
    title: str
    status: int
    detail: str | None = None
    code: str = Field(description="Stable machine-readable error code.")
    errors: list[FieldError] | None = None
    request_id: str | None = None


class AppError(Exception):
    """Base of every expected failure. Subclasses set `status`, `code` and `title`."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    title: ClassVar[Text] = Text("请求有误", "Bad request")

    def __init__(
        self,
        detail: Text | None = None,
        *,
        errors: Sequence[FieldError] | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        self.detail = detail
        self.errors = list(errors) if errors else None
        self.headers = dict(headers) if headers else None
        self.extra = dict(extra) if extra else None
        super().__init__(str(detail or self.title))

    def to_problem(self) -> Problem:
        return Problem(
            type=f"urn:xuezai:problem:{self.code}",
            title=str(self.title),
            status=self.status,
            detail=str(self.detail) if self.detail is not None else None,
            code=self.code,
            errors=self.errors,
            request_id=current_request_id.get(),
        )

    @classmethod
    def openapi_response(cls) -> dict[str, Any]:
        return {"model": Problem, "description": cls.title.en}


class BadRequest(AppError):
    status = 400
    code = "bad_request"
    title = Text("请求有误", "Bad request")


class InvalidInput(AppError):
    """A field-level business rule failed (the request was well-formed)."""

    status = 422
    code = "validation_error"
    title = Text("提交的数据未通过校验", "The submitted data is not valid")

    @classmethod
    def for_field(cls, field: str, message: Text, type_: str = "invalid") -> "InvalidInput":
        return cls(message, errors=[FieldError(field=field, message=str(message), type=type_)])


class Unauthenticated(AppError):
    status = 401
    code = "auth.unauthenticated"
    title = Text("未登录或登录已失效", "Authentication required")

    def __init__(self, detail: Text | None = None) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(AppError):
    status = 403
    code = "auth.forbidden"
    title = Text("没有权限执行此操作", "You are not allowed to do this")


class NotFound(AppError):
    status = 404
    code = "not_found"
    title = Text("资源不存在", "Not found")


class MethodNotAllowed(AppError):
    status = 405
    code = "method_not_allowed"
    title = Text("不支持该请求方法", "Method not allowed")


class Conflict(AppError):
    status = 409
    code = "conflict"
    title = Text("与当前状态冲突", "Conflict with the current state")


class PayloadTooLarge(AppError):
    status = 413
    code = "payload_too_large"
    title = Text("上传内容过大", "Payload too large")


class UnsupportedMediaType(AppError):
    status = 415
    code = "unsupported_media_type"
    title = Text("不支持的内容类型", "Unsupported media type")


class TooManyRequests(AppError):
    status = 429
    code = "rate_limited"
    title = Text("请求过于频繁，请稍后再试", "Too many requests; try again later")

    def __init__(self, detail: Text | None = None, *, retry_after: int | None = None) -> None:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        super().__init__(detail, headers=headers)


class UpstreamUnavailable(AppError):
    status = 503
    code = "upstream.unavailable"
    title = Text("依赖的服务暂时不可用", "A service this depends on is unavailable")


class UpstreamError(AppError):
    status = 502
    code = "upstream.error"
    title = Text("依赖的服务返回了错误", "A service this depends on returned an error")


class ServiceUnavailable(AppError):
    status = 503
    code = "service.unavailable"
    title = Text("服务暂时不可用", "Service unavailable")


class InternalError(AppError):
    status = 500
    code = "internal_error"
    title = Text("服务器内部错误", "Internal server error")


_STATUS_ERRORS: dict[int, type[AppError]] = {
    400: BadRequest,
    401: Unauthenticated,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
    409: Conflict,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
    429: TooManyRequests,
    503: ServiceUnavailable,
}


def problem_response(problem: Problem, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=problem.status,
        media_type=PROBLEM_CONTENT_TYPE,
        headers=dict(headers) if headers else None,
    )


def _field_path(loc: Sequence[int | str]) -> str:
    return ".".join(str(part) for part in loc)


def translate_validation_error(error: Mapping[str, Any]) -> FieldError:
    error_type = str(error.get("type", "value_error"))
    message = str(error.get("msg", ""))
    if current_language.get() == "zh" and error_type in VALIDATION_MESSAGES_ZH:
        context = dict(error.get("ctx") or {})
        if "expected" in context:
            context["expected"] = str(context["expected"]).replace(" or ", "、")
        try:
            message = VALIDATION_MESSAGES_ZH[error_type].format(**context)
        except (KeyError, IndexError):
            message = VALIDATION_MESSAGES_ZH[error_type].split("{")[0].rstrip("：: ")
    return FieldError(field=_field_path(error.get("loc", ())), message=message, type=error_type)


async def _app_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return problem_response(exc.to_problem(), exc.headers)


async def _validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    raw_errors = list(exc.errors())
    if any(error.get("type") == "json_invalid" for error in raw_errors):
        malformed = BadRequest(Text("请求体不是有效的 JSON", "The request body is not valid JSON"))
        malformed.errors = [translate_validation_error(error) for error in raw_errors]
        problem = malformed.to_problem()
        problem.code = "request.malformed_json"
        problem.type = "urn:xuezai:problem:request.malformed_json"
        return problem_response(problem)
    error = InvalidInput(errors=[translate_validation_error(error) for error in raw_errors])
    return problem_response(error.to_problem())


async def _http_exception_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    error_class = _STATUS_ERRORS.get(exc.status_code)
    if error_class is None:
        error: AppError = AppError()
        problem = error.to_problem()
        problem.status = exc.status_code
        problem.code = f"http_{exc.status_code}"
        problem.type = f"urn:xuezai:problem:http_{exc.status_code}"
    else:
        problem = error_class().to_problem()
    if isinstance(exc.detail, str) and exc.detail and exc.status_code not in (404, 405):
        problem.detail = exc.detail
    return problem_response(problem, exc.headers)


def add_exception_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, _http_exception_handler)


COMMON_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "Malformed request"},
    401: {"model": Problem, "description": "Missing, expired or invalid token"},
    403: {"model": Problem, "description": "Not allowed for this principal"},
    422: {"model": Problem, "description": "Validation error"},
}
