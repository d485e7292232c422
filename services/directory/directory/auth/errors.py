"""Token-endpoint errors. OAuth2 names them (`invalid_grant` …); here they are problem documents
whose `code` is `auth.<oauth error>`, like every other error of the platform."""

from shared.errors import AppError
from shared.i18n import Text


class InvalidGrant(AppError):
    status = 400
    code = "auth.invalid_grant"
    title = Text("登录凭据无效", "The credentials are not valid")


class InvalidClient(AppError):
    status = 401
    code = "auth.invalid_client"
    title = Text("客户端认证失败", "Client authentication failed")

    def __init__(self, detail: Text | None = None) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Basic realm="xuezai"'})


class InvalidScope(AppError):
    status = 400
    code = "auth.invalid_scope"
    title = Text("请求的权限范围无效", "The requested scope is not allowed")


class UnsupportedGrantType(AppError):
    status = 400
    code = "auth.unsupported_grant_type"
    title = Text("不支持的授权类型", "Unsupported grant type")


class AccountLocked(AppError):
    status = 400
    code = "auth.account_locked"
    title = Text("账号已被临时锁定", "The account is temporarily locked")

    def __init__(self, detail: Text | None = None, *, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})
