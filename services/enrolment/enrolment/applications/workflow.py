"""The application state machine (DESIGN §4), its timeline, audit and family notifications.

Every transition goes through `transition`: it checks the move is allowed, appends to the
family-facing timeline, writes the audit log and queues the SMS in the outbox — all in the
request's transaction, so a rolled-back request leaves no trace of any of them.
"""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from enrolment.errors import InvalidTransition
from enrolment.models import (
    Application,
    ApplicationEvent,
    ApplicationStatus,
    AuditLog,
    OutboxMessage,
)
from shared import audit
from shared.auth import Principal
from shared.i18n import Text
from shared.outbox import add_message

S = ApplicationStatus

TRANSITIONS: dict[ApplicationStatus, frozenset[ApplicationStatus]] = {
    S.draft: frozenset({S.submitted, S.withdrawn}),
    S.submitted: frozenset({S.under_review, S.returned, S.verified, S.rejected, S.withdrawn}),
    S.under_review: frozenset({S.returned, S.verified, S.rejected, S.withdrawn}),
    # A returned or approved application can still be rejected until admission: a duplicate
    # submission for the same child may come to light only then.
    S.returned: frozenset({S.resubmitted, S.rejected, S.withdrawn}),
    S.resubmitted: frozenset({S.under_review, S.returned, S.verified, S.rejected, S.withdrawn}),
    S.verified: frozenset({S.admitted, S.unplaced, S.rejected, S.withdrawn}),
    S.admitted: frozenset({S.confirmed, S.declined}),
    S.unplaced: frozenset({S.reassigned}),
    S.reassigned: frozenset({S.confirmed, S.declined}),
    S.rejected: frozenset(),
    S.confirmed: frozenset(),
    # A family that declines its main-round offer may ask for one 调剂 offer instead.
    S.declined: frozenset({S.reassigned}),
    S.withdrawn: frozenset(),
}

STATUS_TEXT: dict[ApplicationStatus, str] = {
    S.draft: "草稿，尚未提交",
    S.submitted: "已提交，等待审核",
    S.under_review: "审核中",
    S.returned: "已退回，请按要求修改后重新提交",
    S.resubmitted: "已重新提交，等待审核",
    S.verified: "审核通过",
    S.rejected: "审核未通过",
    S.admitted: "已录取",
    S.unplaced: "暂未录取，等待统筹安排",
    S.reassigned: "已统筹安排学位",
    S.confirmed: "已确认入学",
    S.declined: "已放弃学位",
    S.withdrawn: "已撤回",
}

NOTIFY: dict[ApplicationStatus, str] = {
    S.submitted: "【学在南宁】{child}的入学报名已提交，属于{batch}。请留意审核结果。",
    S.resubmitted: "【学在南宁】{child}的入学报名已重新提交，请留意审核结果。",
    S.returned: "【学在南宁】{child}的入学报名被退回：{message}。请登录修改后重新提交。",
    S.verified: "【学在南宁】{child}的入学报名已审核通过。",
    S.rejected: "【学在南宁】{child}的入学报名审核未通过：{message}。",
    S.reassigned: "【学在南宁】教育局为{child}统筹安排了学位：{message}。",
    S.confirmed: "【学在南宁】{child}的入学学位已确认。",
    S.declined: "【学在南宁】{child}的入学学位已放弃：{message}。",
}

NOTIFICATION_TOPIC = "enrolment.notification.sms"
# Withdrawing, confirming and declining stay possible until these.
WITHDRAWABLE = frozenset(
    {S.draft, S.submitted, S.under_review, S.returned, S.resubmitted, S.verified}
)


def can(application: Application, target: ApplicationStatus) -> bool:
    return target in TRANSITIONS[application.status]


def require(application: Application, target: ApplicationStatus) -> None:
    if not can(application, target):
        raise InvalidTransition(
            Text(
                f"报名当前为「{STATUS_TEXT[application.status]}」，不能变为「{STATUS_TEXT[target]}」",
                f"An application that is {application.status.value} cannot become {target.value}",
            )
        )


def transition(
    session: AsyncSession,
    application: Application,
    target: ApplicationStatus,
    *,
    actor_kind: str,
    principal: Principal | None,
    now: datetime,
    reason_code: str | None = None,
    message: str | None = None,
    child_name: str = "",
    client_ip: str | None = None,
) -> ApplicationEvent:
    require(application, target)
    previous = application.status
    application.status = target
    application.updated_at = now
    event = ApplicationEvent(
        application_id=application.id,
        occurred_at=now,
        from_status=previous,
        to_status=target,
        actor_kind=actor_kind,
        reason_code=reason_code,
        message=message,
    )
    session.add(event)
    audit.record(
        session,
        AuditLog,
        action=f"application.{target.value}",
        resource_type="application",
        resource_id=application.id,
        principal=principal,
        subject=None if principal else f"system:{actor_kind}",
        client_ip=client_ip,
        details={"from": previous.value, "to": target.value, "reason_code": reason_code},
    )
    template = NOTIFY.get(target)
    if template is not None:
        add_message(
            session,
            OutboxMessage,
            NOTIFICATION_TOPIC,
            {
                "parent_subject": application.parent_subject,
                "application_id": str(application.id),
                "template": target.value,
                "dedupe_key": f"{application.id}:{target.value}:{now.isoformat()}",
                "message": template.format(
                    child=child_name or "孩子",
                    batch=application.batch_name or "统筹安排",
                    message=message or "",
                ),
            },
        )
    return event
