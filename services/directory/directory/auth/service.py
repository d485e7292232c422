"""The OAuth2 token endpoint's grants, SMS codes and sign-out.

Failures that change state — a failed password try counting towards the lockout, a wrong SMS
code using up one of its tries, a reused refresh token revoking its family, and the audit rows
of all of them — must be stored even though the caller gets an error. So those grants return
`Rejected(error)` instead of raising: the endpoint sends the problem document after the
request's unit of work has committed.
"""

import hmac
import math
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from directory.accounts.repository import ParentRepository, UserRepository
from directory.accounts.service import token_grants
from directory.auth.errors import AccountLocked, InvalidClient, InvalidGrant, InvalidScope
from directory.auth.issuer import AccessToken, AccessTokenIssuer
from directory.auth.repository import (
    ApiClientRepository,
    AuthSessionRepository,
    RefreshTokenRepository,
    SmsCodeRepository,
)
from directory.auth.schemas import SmsCodeSent, TokenResponse
from directory.auth.sessions import session_key, session_service
from directory.auth.sms import SmsMessage, mask_phone
from directory.crypto import token_hash
from directory.models import (
    ApiClient,
    AuditLog,
    AuthSession,
    ClientKind,
    ParentAccount,
    SmsCode,
    UserAccount,
)
from directory.runtime import Runtime
from shared import audit
from shared.auth import CLIENT_RATE_WINDOW_SECONDS, Grant, Principal, Role, client_rate_limit_name
from shared.errors import AppError, InvalidInput, TooManyRequests
from shared.i18n import Text
from shared.ids import uuid7

log = structlog.get_logger("directory.auth")

SHANGHAI = ZoneInfo("Asia/Shanghai")
SMS_CODE_GRANT = "urn:xuezai:params:oauth:grant-type:sms-code"
_PHONE = re.compile(r"^1[3-9]\d{9}$")


@dataclass(frozen=True, slots=True)
class Rejected:
    error: AppError


GrantOutcome = TokenResponse | Rejected


def normalize_phone(value: str, field: str = "body.phone") -> str:
    """A mainland mobile number: spaces and dashes dropped, +86 / 0086 / 86 prefix removed."""
    digits = re.sub(r"[\s-]", "", value or "")
    digits = re.sub(r"^(?:\+86|0086|86)(?=1\d{10}$)", "", digits)
    if not _PHONE.fullmatch(digits):
        raise InvalidInput.for_field(
            field, Text("请输入 11 位手机号码", "Give an 11-digit mainland mobile number")
        )
    return digits


def _now() -> datetime:
    return datetime.now(UTC)


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


class AuthService:
    def issuer(self, runtime: Runtime) -> AccessTokenIssuer:
        return AccessTokenIssuer(runtime.settings, runtime.keys)

    def _audit(
        self,
        session: AsyncSession,
        action: str,
        *,
        subject: str | None,
        resource_type: str,
        resource_id: object | None,
        client_ip: str | None,
        details: dict[str, object] | None = None,
    ) -> None:
        audit.record(
            session,
            AuditLog,
            action=action,
            resource_type=resource_type,
            resource_id=resource_id,
            subject=subject,
            client_ip=client_ip,
            details=details,
        )

    # --- guessing from one address ----------------------------------------------------------

    @staticmethod
    def _failures_key(client_ip: str | None) -> str:
        return f"sign-in-failures:{client_ip}"

    async def _refuse_if_guessing(self, runtime: Runtime, client_ip: str | None) -> None:
        if client_ip is None:
            return
        decision = await runtime.limiter.check(
            self._failures_key(client_ip),
            limit=runtime.settings.failed_sign_ins_per_ip,
            window_seconds=runtime.settings.failed_sign_ins_window_seconds,
        )
        if not decision.allowed:
            raise TooManyRequests(
                Text(
                    "该网络登录失败次数过多，请稍后再试",
                    "Too many failed sign-ins from this network",
                ),
                retry_after=decision.retry_after,
            )

    async def _count_failure(self, runtime: Runtime, client_ip: str | None) -> None:
        if client_ip is not None:
            await runtime.limiter.record(
                self._failures_key(client_ip),
                window_seconds=runtime.settings.failed_sign_ins_window_seconds,
            )

    # --- staff: username and password --------------------------------------------------------

    async def password_grant(
        self,
        session: AsyncSession,
        runtime: Runtime,
        *,
        username: str,
        password: str,
        client_ip: str | None,
    ) -> GrantOutcome:
        settings = runtime.settings
        await self._refuse_if_guessing(runtime, client_ip)
        now = _now()
        generic = InvalidGrant(Text("用户名或密码不正确", "Wrong username or password"))
        user = await UserRepository(session).get_for_sign_in(username.strip())
        if user is None:
            await self._count_failure(runtime, client_ip)
            await runtime.crypto.secrets.burn(password)
            self._audit(
                session,
                "auth.sign_in.failed",
                subject=None,
                resource_type="user",
                resource_id=None,
                client_ip=client_ip,
                details={"username": username.strip().lower()[:64], "reason": "unknown_user"},
            )
            return Rejected(generic)
        subject = f"user:{user.id}"
        if user.locked_until is not None and user.locked_until > now:
            await runtime.crypto.secrets.burn(password)
            self._audit(
                session,
                "auth.sign_in.refused",
                subject=subject,
                resource_type="user",
                resource_id=user.id,
                client_ip=client_ip,
                details={"reason": "locked"},
            )
            minutes = math.ceil((user.locked_until - now).total_seconds() / 60)
            return Rejected(
                AccountLocked(
                    Text(
                        f"密码错误次数过多，账号已锁定，请 {minutes} 分钟后再试",
                        f"Too many failed sign-ins; try again in {minutes} minutes",
                    ),
                    retry_after=_seconds_until(user.locked_until, now),
                )
            )
        if not await runtime.crypto.secrets.verify(user.password_hash, password):
            await self._count_failure(runtime, client_ip)
            user.failed_attempts += 1
            details: dict[str, object] = {
                "reason": "wrong_password",
                "attempts": user.failed_attempts,
            }
            self._audit(
                session,
                "auth.sign_in.failed",
                subject=subject,
                resource_type="user",
                resource_id=user.id,
                client_ip=client_ip,
                details=details,
            )
            if user.failed_attempts >= settings.lockout_threshold:
                user.locked_until = now + timedelta(minutes=settings.lockout_minutes)
                user.failed_attempts = 0
                self._audit(
                    session,
                    "auth.account.locked",
                    subject=subject,
                    resource_type="user",
                    resource_id=user.id,
                    client_ip=client_ip,
                    details={"until": user.locked_until.isoformat()},
                )
            return Rejected(generic)
        if not user.is_active:
            self._audit(
                session,
                "auth.sign_in.refused",
                subject=subject,
                resource_type="user",
                resource_id=user.id,
                client_ip=client_ip,
                details={"reason": "inactive"},
            )
            return Rejected(generic)

        user.failed_attempts = 0
        user.locked_until = None
        user.last_sign_in_at = now
        if runtime.crypto.secrets.needs_rehash(user.password_hash):
            user.password_hash = await runtime.crypto.secrets.hash(password)
        auth_session, refresh = await session_service.start(
            session, runtime, subject=subject, user_id=user.id, client_ip=client_ip, now=now
        )
        self._audit(
            session,
            "auth.sign_in.succeeded",
            subject=subject,
            resource_type="user",
            resource_id=user.id,
            client_ip=client_ip,
            details={"method": "password", "session": session_key(auth_session.id)},
        )
        return await self._session_tokens(
            session,
            runtime,
            auth_session,
            user=user,
            refresh=refresh,
            grant_type="password",
            client_ip=client_ip,
            now=now,
        )

    async def _session_tokens(
        self,
        session: AsyncSession,
        runtime: Runtime,
        auth_session: AuthSession,
        *,
        user: UserAccount | None = None,
        parent: ParentAccount | None = None,
        refresh: str,
        grant_type: str,
        client_ip: str | None,
        now: datetime,
    ) -> TokenResponse:
        if user is not None:
            grants = token_grants(user)
            access = await self.issuer(runtime).issue(
                session,
                subject=f"user:{user.id}",
                kind="staff",
                grants=grants,
                session_id=session_key(auth_session.id),
                name=user.display_name,
                now=now,
            )
        else:
            assert parent is not None
            access = await self.issuer(runtime).issue(
                session,
                subject=f"parent:{parent.id}",
                kind="parent",
                grants=[Grant(Role.parent)],
                session_id=session_key(auth_session.id),
                now=now,
            )
        self._audit(
            session,
            "auth.token.issued",
            subject=auth_session.subject,
            resource_type="session",
            resource_id=session_key(auth_session.id),
            client_ip=client_ip,
            details={"grant_type": grant_type, "jti": access.token_id},
        )
        return TokenResponse(
            access_token=access.token,
            expires_in=access.expires_in,
            refresh_token=refresh,
            refresh_expires_in=max(0, int((auth_session.expires_at - now).total_seconds())),
            scope=access.scope,
            session_id=session_key(auth_session.id),
        )

    # --- refresh: rotation with reuse detection ------------------------------------------------

    async def refresh_grant(
        self,
        session: AsyncSession,
        runtime: Runtime,
        *,
        refresh_token: str,
        client_ip: str | None,
    ) -> GrantOutcome:
        now = _now()
        invalid = InvalidGrant(
            Text("刷新令牌无效或已过期", "The refresh token is invalid or expired")
        )
        stored = await RefreshTokenRepository(session).get_by_hash_for_update(
            token_hash(refresh_token)
        )
        if stored is None:
            return Rejected(invalid)
        auth_session = await AuthSessionRepository(session).get_for_update(stored.session_id)
        if auth_session is None or auth_session.revoked_at is not None:
            return Rejected(invalid)
        if stored.used_at is not None:
            # Someone replays a token that was already exchanged: either the client or a thief
            # holds a stale copy. Revoke the family so neither can go on.
            await session_service.revoke(runtime, [auth_session], reason="refresh_reuse", now=now)
            self._audit(
                session,
                "auth.refresh.reuse_detected",
                subject=auth_session.subject,
                resource_type="session",
                resource_id=session_key(auth_session.id),
                client_ip=client_ip,
                details={"revoked": True},
            )
            log.warning("refresh_token_reused", session=session_key(auth_session.id))
            return Rejected(
                InvalidGrant(
                    Text(
                        "刷新令牌已被使用过，为安全起见本次登录已注销，请重新登录",
                        "The refresh token was already used; the session is revoked, sign in again",
                    )
                )
            )
        if stored.expires_at <= now or auth_session.expires_at <= now:
            return Rejected(invalid)

        user: UserAccount | None = None
        parent: ParentAccount | None = None
        if auth_session.user_id is not None:
            user = await UserRepository(session).get_loaded(auth_session.user_id)
            active = user is not None and user.is_active
        else:
            assert auth_session.parent_id is not None
            parent = await ParentRepository(session).get(auth_session.parent_id)
            active = parent is not None and parent.is_active
        if not active:
            await session_service.revoke(
                runtime, [auth_session], reason="account_inactive", now=now
            )
            return Rejected(invalid)

        stored.used_at = now
        auth_session.last_refreshed_at = now
        refresh = session_service.new_refresh_token(session, auth_session, now)
        return await self._session_tokens(
            session,
            runtime,
            auth_session,
            user=user,
            parent=parent,
            refresh=refresh,
            grant_type="refresh_token",
            client_ip=client_ip,
            now=now,
        )

    # --- agency clients and services ---------------------------------------------------------

    async def client_credentials_grant(
        self,
        session: AsyncSession,
        runtime: Runtime,
        *,
        client_id: str,
        client_secret: str,
        scope: str | None,
        client_ip: str | None,
    ) -> GrantOutcome:
        await self._refuse_if_guessing(runtime, client_ip)
        client = await ApiClientRepository(session).get_by_client_id(client_id)
        if client is None:
            await runtime.crypto.secrets.burn(client_secret)
        if (
            client is None
            or not await runtime.crypto.secrets.verify(client.secret_hash, client_secret)
            or not client.is_active
        ):
            await self._count_failure(runtime, client_ip)
            self._audit(
                session,
                "auth.client.failed",
                subject=f"client:{client_id[:64]}",
                resource_type="client",
                resource_id=client.id if client else None,
                client_ip=client_ip,
                details={
                    "reason": "unknown_or_wrong_secret"
                    if client is None or client.is_active
                    else "inactive"
                },
            )
            return Rejected(
                InvalidClient(Text("客户端 ID 或密钥不正确", "Wrong client id or secret"))
            )

        requested = set(scope.split()) if scope else set(client.scopes)
        extra_scopes = requested - set(client.scopes)
        if extra_scopes:
            return Rejected(
                InvalidScope(
                    Text(
                        f"该客户端无权申请：{' '.join(sorted(extra_scopes))}",
                        f"Not allowed for this client: {' '.join(sorted(extra_scopes))}",
                    )
                )
            )
        if client.rate_limit_per_minute:
            decision = await runtime.limiter.hit(
                client_rate_limit_name(client.client_id),
                limit=client.rate_limit_per_minute,
                window_seconds=CLIENT_RATE_WINDOW_SECONDS,
            )
            if not decision.allowed:
                raise TooManyRequests(retry_after=decision.retry_after)

        access = await self._client_token(session, runtime, client, requested)
        self._audit(
            session,
            "auth.token.issued",
            subject=self.client_subject(client),
            resource_type="client",
            resource_id=client.id,
            client_ip=client_ip,
            details={
                "grant_type": "client_credentials",
                "jti": access.token_id,
                "scope": access.scope,
            },
        )
        return TokenResponse(
            access_token=access.token, expires_in=access.expires_in, scope=access.scope
        )

    @staticmethod
    def client_subject(client: ApiClient) -> str:
        prefix = "service" if client.kind == ClientKind.service else "client"
        return f"{prefix}:{client.client_id}"

    @staticmethod
    def client_session_id(client: ApiClient) -> str:
        return f"client-{client.id.hex}-{client.token_generation}"

    async def _client_token(
        self, session: AsyncSession, runtime: Runtime, client: ApiClient, scopes: set[str]
    ) -> AccessToken:
        issuer = self.issuer(runtime)
        if client.kind == ClientKind.service:
            return await issuer.issue(
                session,
                subject=self.client_subject(client),
                kind="service",
                grants=[Grant(Role.service)],
                scopes=scopes,
                session_id=self.client_session_id(client),
                extra={"client_id": client.client_id},
            )
        extra: dict[str, object] = {"client_id": client.client_id}
        if client.rate_limit_per_minute:
            extra["rate_limit"] = client.rate_limit_per_minute
        return await issuer.issue(
            session,
            subject=self.client_subject(client),
            kind="client",
            grants=[Grant(Role.agency_client)],
            scopes=scopes,
            session_id=self.client_session_id(client),
            name=client.name,
            extra=extra,
        )

    # --- parents: SMS code -------------------------------------------------------------------

    async def send_sms_code(
        self,
        session: AsyncSession,
        runtime: Runtime,
        *,
        phone: str,
        client_ip: str | None,
    ) -> SmsCodeSent:
        settings = runtime.settings
        number = normalize_phone(phone)
        if client_ip is not None:
            decision = await runtime.limiter.hit(
                f"sms-ip:{client_ip}", limit=settings.sms_hourly_limit_per_ip, window_seconds=3600
            )
            if not decision.allowed:
                raise TooManyRequests(
                    Text(
                        "该网络请求验证码过于频繁，请稍后再试",
                        "Too many codes requested from this network",
                    ),
                    retry_after=decision.retry_after,
                )
        index = runtime.crypto.phone_index(number)
        repository = SmsCodeRepository(session)
        await repository.lock_phone(index)
        now = _now()
        latest = await repository.latest(index)
        if latest is not None:
            resend_at = latest.created_at + timedelta(seconds=settings.sms_resend_seconds)
            if resend_at > now:
                wait = _seconds_until(resend_at, now)
                raise TooManyRequests(
                    Text(
                        f"验证码已发送，请 {wait} 秒后再试",
                        f"A code was just sent; retry in {wait} s",
                    ),
                    retry_after=wait,
                )
        midnight = datetime.now(SHANGHAI).replace(hour=0, minute=0, second=0, microsecond=0)
        if await repository.count_since(index, midnight) >= settings.sms_daily_limit:
            tomorrow = midnight + timedelta(days=1)
            raise TooManyRequests(
                Text(
                    "今日获取验证码次数已达上限，请明天再试",
                    "Daily limit of codes reached; try tomorrow",
                ),
                retry_after=_seconds_until(tomorrow.astimezone(UTC), now),
            )
        code = f"{secrets.randbelow(1_000_000):06d}"
        minutes = settings.sms_code_seconds // 60
        record = SmsCode(
            id=uuid7(),
            phone_index=index,
            code_hash=runtime.crypto.sms_codes(f"{index}:{code}"),
            created_at=now,
            expires_at=now + timedelta(seconds=settings.sms_code_seconds),
            attempts=0,
            client_ip=client_ip,
        )
        session.add(record)
        await session.flush()
        # Sent inside the transaction: if the gateway fails, the code is rolled back and the
        # family may ask again at once instead of waiting out the resend interval.
        await runtime.sms.send(
            SmsMessage(
                phone=number,
                text=f"【学在南宁】您的登录验证码是 {code}，{minutes} 分钟内有效。请勿告诉他人。",
                meta={"code": code, "expires_at": record.expires_at.isoformat()},
            )
        )
        self._audit(
            session,
            "auth.sms_code.sent",
            subject=None,
            resource_type="sms_code",
            resource_id=record.id,
            client_ip=client_ip,
            details={"phone": mask_phone(number)},
        )
        return SmsCodeSent(
            expires_in=settings.sms_code_seconds,
            resend_after=settings.sms_resend_seconds,
            phone=mask_phone(number),
        )

    async def sms_code_grant(
        self,
        session: AsyncSession,
        runtime: Runtime,
        *,
        phone: str,
        code: str,
        client_ip: str | None,
    ) -> GrantOutcome:
        settings = runtime.settings
        number = normalize_phone(phone, "body.phone")
        index = runtime.crypto.phone_index(number)
        repository = SmsCodeRepository(session)
        await repository.lock_phone(index)
        now = _now()
        latest = await repository.latest(index)

        def failed(reason: str, message: Text, attempts: int | None = None) -> Rejected:
            self._audit(
                session,
                "auth.sign_in.failed",
                subject=None,
                resource_type="sms_code",
                resource_id=latest.id if latest else None,
                client_ip=client_ip,
                details={"method": "sms_code", "reason": reason, "phone": mask_phone(number)}
                | ({"attempts": attempts} if attempts is not None else {}),
            )
            return Rejected(InvalidGrant(message))

        if latest is None or latest.consumed_at is not None:
            return failed("no_code", Text("请先获取验证码", "Request a code first"))
        if latest.expires_at <= now:
            return failed(
                "expired",
                Text("验证码已过期，请重新获取", "The code has expired; request a new one"),
            )
        if latest.attempts >= settings.sms_max_attempts:
            return failed(
                "too_many_tries",
                Text("验证码错误次数过多，请重新获取", "Too many wrong tries; request a new code"),
            )
        given = runtime.crypto.sms_codes(f"{index}:{code.strip()}")
        if not hmac.compare_digest(given, latest.code_hash):
            latest.attempts += 1
            left = settings.sms_max_attempts - latest.attempts
            message = (
                Text(f"验证码不正确，还可尝试 {left} 次", f"Wrong code; {left} tries left")
                if left > 0
                else Text(
                    "验证码错误次数过多，请重新获取", "Too many wrong tries; request a new code"
                )
            )
            return failed("wrong_code", message, latest.attempts)

        latest.consumed_at = now
        parents = ParentRepository(session)
        parent = await parents.get_by_phone_index(index)
        if parent is None:
            encrypted = runtime.crypto.phones.encrypt(number.encode())
            parent = ParentAccount(
                id=uuid7(),
                phone_index=index,
                phone_encrypted=encrypted.ciphertext,
                phone_key_id=encrypted.key_id,
                phone_masked=mask_phone(number),
                is_active=True,
            )
            session.add(parent)
            await session.flush()
            self._audit(
                session,
                "parent.created",
                subject=f"parent:{parent.id}",
                resource_type="parent",
                resource_id=parent.id,
                client_ip=client_ip,
            )
        if not parent.is_active:
            return failed("inactive", Text("该账号已停用", "This account is disabled"))
        parent.last_sign_in_at = now
        subject = f"parent:{parent.id}"
        auth_session, refresh = await session_service.start(
            session, runtime, subject=subject, parent_id=parent.id, client_ip=client_ip, now=now
        )
        self._audit(
            session,
            "auth.sign_in.succeeded",
            subject=subject,
            resource_type="parent",
            resource_id=parent.id,
            client_ip=client_ip,
            details={"method": "sms_code", "session": session_key(auth_session.id)},
        )
        return await self._session_tokens(
            session,
            runtime,
            auth_session,
            parent=parent,
            refresh=refresh,
            grant_type=SMS_CODE_GRANT,
            client_ip=client_ip,
            now=now,
        )

    # --- signing out ---------------------------------------------------------------------------

    async def logout(
        self, session: AsyncSession, runtime: Runtime, principal: Principal, client_ip: str | None
    ) -> None:
        """Revoke the caller's session: its refresh tokens and its live access tokens."""
        try:
            session_id = uuid.UUID(principal.session_id or "")
        except ValueError:
            return
        auth_session = await AuthSessionRepository(session).get_for_update(session_id)
        if auth_session is None or auth_session.subject != principal.subject:
            return
        await session_service.revoke(runtime, [auth_session], reason="logout")
        self._audit(
            session,
            "auth.session.revoked",
            subject=principal.subject,
            resource_type="session",
            resource_id=session_key(auth_session.id),
            client_ip=client_ip,
            details={"reason": "logout"},
        )

    async def revoke_refresh_token(
        self, session: AsyncSession, runtime: Runtime, token: str, client_ip: str | None
    ) -> None:
        """RFC 7009: revoking a refresh token revokes its whole session; unknown tokens are
        not an error (the answer must not tell which tokens exist)."""
        stored = await RefreshTokenRepository(session).get_by_hash_for_update(token_hash(token))
        if stored is None:
            return
        auth_session = await AuthSessionRepository(session).get_for_update(stored.session_id)
        if auth_session is None:
            return
        revoked = await session_service.revoke(runtime, [auth_session], reason="revoked")
        if revoked:
            self._audit(
                session,
                "auth.session.revoked",
                subject=auth_session.subject,
                resource_type="session",
                resource_id=session_key(auth_session.id),
                client_ip=client_ip,
                details={"reason": "revocation_request"},
            )


auth_service = AuthService()
