"""Frameworks as versioned data.

Built-ins are stored at migration and seed time (active, never edited in place). The city edits
by copying — a new version of the same code, or a new code — and by writing overlays with
effective dates; drafts are edited freely, activation freezes a version, because evaluation
results point at it. Every document is validated by `supervision.frameworks.model.Framework`,
and overlays are checked against their parent before they are stored.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import record
from shared.errors import Conflict, InvalidInput, NotFound
from shared.i18n import Text
from shared.pagination import CursorParams
from supervision import clock
from supervision.catalog.builtins import builtin_rows, row_values
from supervision.catalog.repository import FrameworkRepository
from supervision.catalog.schemas import FrameworkCopy, FrameworkIn
from supervision.frameworks.model import (
    Framework,
    FrameworkError,
    FrameworkRef,
    ResolvedFramework,
    resolve,
)
from supervision.models import AuditLog, FrameworkOrigin, FrameworkStatus, StoredFramework
from supervision.policies import Scope


class FrameworkNotFound(NotFound):
    code = "supervision.framework.not_found"
    title = Text("指标体系不存在", "Framework not found")


class FrameworkExists(Conflict):
    code = "supervision.framework.exists"
    title = Text("该指标体系版本已存在", "This framework version already exists")


class FrameworkNotEditable(Conflict):
    code = "supervision.framework.not_editable"
    title = Text(
        "只有草稿可以修改；已启用或内置的版本请复制后修改",
        "Only drafts can be edited; copy an active or built-in version",
    )


class FrameworkStateConflict(Conflict):
    code = "supervision.framework.state"
    title = Text("指标体系当前状态不允许该操作", "Not allowed in the framework's current state")


class FrameworkNotInForce(Conflict):
    code = "supervision.framework.not_in_force"
    title = Text("指定日期没有生效的指标体系", "No framework version in force on that date")


def document_of(row: StoredFramework) -> Framework:
    return Framework.model_validate(row.document)


class FrameworkService:
    async def ensure_builtins(self, session: AsyncSession) -> int:
        """Store every built-in version not stored yet (idempotent; the seed calls it)."""
        return await FrameworkRepository(session).insert_missing(builtin_rows())

    async def page(
        self,
        session: AsyncSession,
        params: CursorParams,
        *,
        code: str | None = None,
        status: FrameworkStatus | None = None,
        origin: FrameworkOrigin | None = None,
    ) -> tuple[list[StoredFramework], str | None]:
        return await FrameworkRepository(session).list_page(
            params, code=code, status=status, origin=origin
        )

    async def get(self, session: AsyncSession, id: uuid.UUID) -> StoredFramework:
        row = await FrameworkRepository(session).get(id)
        if row is None:
            raise FrameworkNotFound()
        return row

    async def create(
        self, session: AsyncSession, scope: Scope, document: FrameworkIn
    ) -> StoredFramework:
        repository = FrameworkRepository(session)
        framework = self._with_id(document)
        if await repository.get_version(framework.code, framework.version) is not None:
            raise FrameworkExists()
        await self._check_overlay(session, framework, field="body")
        row = StoredFramework(
            **row_values(framework, origin=FrameworkOrigin.custom, status=FrameworkStatus.draft),
            created_by=scope.subject,
        )
        await repository.create(row, flush=True)
        self._audit(session, scope, "framework.create", row)
        return row

    async def replace(
        self, session: AsyncSession, scope: Scope, id: uuid.UUID, document: FrameworkIn
    ) -> StoredFramework:
        repository = FrameworkRepository(session)
        row = await self.get(session, id)
        if row.status != FrameworkStatus.draft or row.origin == FrameworkOrigin.builtin:
            raise FrameworkNotEditable()
        framework = self._with_id(document)
        other = await repository.get_version(framework.code, framework.version)
        if other is not None and other.id != row.id:
            raise FrameworkExists()
        await self._check_overlay(session, framework, field="body")
        values = row_values(framework, origin=row.origin, status=row.status, id=row.id)
        await repository.update(row, values, flush=True)
        self._audit(session, scope, "framework.replace", row)
        return row

    async def delete(self, session: AsyncSession, scope: Scope, id: uuid.UUID) -> None:
        row = await self.get(session, id)
        if row.status != FrameworkStatus.draft:
            raise FrameworkNotEditable()
        self._audit(session, scope, "framework.delete", row)
        await FrameworkRepository(session).delete(row, flush=True)

    async def copy(
        self, session: AsyncSession, scope: Scope, id: uuid.UUID, body: FrameworkCopy
    ) -> StoredFramework:
        repository = FrameworkRepository(session)
        source = await self.get(session, id)
        code = body.code or source.code
        if await repository.get_version(code, body.version) is not None:
            raise FrameworkExists()
        update: dict[str, Any] = {"code": code, "version": body.version, "id": ""}
        if body.name:
            update["name"] = body.name
        if body.effective_from:
            update["effective_from"] = body.effective_from
            if source.effective_to is not None and source.effective_to < body.effective_from:
                update["effective_to"] = None
        data = {**source.document, **update}
        try:
            framework = self._with_id(FrameworkIn.model_validate(data))
        except ValueError as error:
            raise InvalidInput.for_field("body", Text(str(error), str(error))) from None
        row = StoredFramework(
            **row_values(framework, origin=FrameworkOrigin.custom, status=FrameworkStatus.draft),
            copied_from_id=source.id,
            created_by=scope.subject,
        )
        await repository.create(row, flush=True)
        self._audit(session, scope, "framework.copy", row, {"from": str(source.id)})
        return row

    async def activate(self, session: AsyncSession, scope: Scope, id: uuid.UUID) -> StoredFramework:
        row = await self.get(session, id)
        if row.status != FrameworkStatus.draft:
            raise FrameworkStateConflict()
        await self._check_overlay(session, document_of(row), field="document")
        row.status = FrameworkStatus.active
        row.activated_at = clock.now()
        self._audit(session, scope, "framework.activate", row)
        return row

    async def retire(self, session: AsyncSession, scope: Scope, id: uuid.UUID) -> StoredFramework:
        row = await self.get(session, id)
        if row.status != FrameworkStatus.active:
            raise FrameworkStateConflict()
        row.status = FrameworkStatus.retired
        self._audit(session, scope, "framework.retire", row)
        return row

    async def resolve(
        self, session: AsyncSession, code: str, as_of: date, version: str | None = None
    ) -> ResolvedFramework:
        """The rules of ``code`` in force on ``as_of``: the baseline (``version``, or the active
        version in force then) with every active overlay in force then."""
        repository = FrameworkRepository(session)
        if version is not None:
            row = await repository.get_version(code, version)
            if row is None or row.parent_code is not None or row.status == FrameworkStatus.draft:
                raise FrameworkNotFound(
                    Text(f"没有已启用的 {code}@{version}", f"No active {code}@{version}")
                )
            baseline = document_of(row)
        else:
            candidates = [
                document_of(r)
                for r in await repository.active_baselines(code)
                if document_of(r).in_force(as_of)
            ]
            if not candidates:
                raise FrameworkNotInForce(
                    Text(
                        f"{as_of.isoformat()} 没有生效的 {code} 指标体系",
                        f"No version of {code} is in force on {as_of.isoformat()}",
                    )
                )
            baseline = max(candidates, key=lambda f: (f.effective_from, f.version))
        overlays = [document_of(r) for r in await repository.active_overlays()]
        try:
            return resolve(baseline, overlays, as_of)
        except FrameworkError as error:
            raise FrameworkNotInForce(Text(str(error), str(error))) from None

    async def _check_overlay(self, session: AsyncSession, framework: Framework, field: str) -> None:
        """An overlay must name a stored parent and apply to it cleanly on its first day."""
        if framework.parent is None:
            return
        chain = await self._ancestors(session, framework.parent, field=f"{field}.parent")
        baseline, overlays = chain[-1], chain[:-1]
        as_of = framework.effective_from
        try:
            resolve(
                baseline.model_copy(update={"effective_from": date.min, "effective_to": None}),
                [
                    *(
                        o.model_copy(update={"effective_from": date.min, "effective_to": None})
                        for o in overlays
                    ),
                    framework,
                ],
                as_of,
            )
        except FrameworkError as error:
            raise InvalidInput.for_field(
                f"{field}.overrides",
                Text(f"叠加规则无法应用：{error}", f"The overlay does not apply: {error}"),
            ) from None

    async def _ancestors(
        self, session: AsyncSession, ref: FrameworkRef, *, field: str
    ) -> list[Framework]:
        """The parent chain up to the baseline, nearest first."""
        repository = FrameworkRepository(session)
        chain: list[Framework] = []
        current: FrameworkRef | None = ref
        while current is not None:
            rows: Sequence[StoredFramework] = await repository.versions_of(current.code)
            matches = [document_of(r) for r in rows if current.matches(r.code, r.version)]
            if not matches:
                raise InvalidInput.for_field(
                    field,
                    Text(
                        f"上级指标体系 {current.code} 不存在",
                        f"Parent framework {current.code} not found",
                    ),
                )
            parent = max(matches, key=lambda f: (f.effective_from, f.version))
            chain.append(parent)
            if len(chain) > 10:
                raise InvalidInput.for_field(
                    field, Text("上级指标体系层级过深", "Too many overlay levels")
                )
            current = parent.parent
        return chain

    def _with_id(self, document: FrameworkIn) -> Framework:
        data = document.model_dump()
        data["id"] = f"{document.code}@{document.version}"
        return Framework.model_validate(data)

    def _audit(
        self,
        session: AsyncSession,
        scope: Scope,
        action: str,
        row: StoredFramework,
        details: dict[str, Any] | None = None,
    ) -> None:
        record(
            session,
            AuditLog,
            action=action,
            resource_type="framework",
            resource_id=row.id,
            principal=scope.principal,
            details={"code": row.code, "version": row.version, **(details or {})},
        )


framework_service = FrameworkService()
