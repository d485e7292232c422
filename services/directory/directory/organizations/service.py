import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from directory.models import (
    AuditLog,
    Organization,
    OrganizationAlias,
    OrganizationGroup,
    OrganizationGroupMember,
    OrganizationKind,
    Ownership,
    Stage,
)
from directory.organizations.names import normalize_name
from directory.organizations.repository import GroupRepository, OrganizationRepository
from directory.organizations.schemas import (
    GroupCreate,
    GroupRead,
    GroupUpdate,
    OrganizationCreate,
    OrganizationFilters,
    OrganizationUpdate,
    Succession,
)
from directory.text import storable
from shared import audit
from shared.auth import Principal, Role
from shared.clients.directory import LookupRequest, LookupResult, NameMatch, OrganizationRef
from shared.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from shared.i18n import Text
from shared.ids import uuid7
from shared.pagination import CursorParams

SHANGHAI = ZoneInfo("Asia/Shanghai")

# Who may change which kinds: district admins look after their own schools and kindergartens.
DISTRICT_ADMIN_KINDS = frozenset({OrganizationKind.school, OrganizationKind.kindergarten})
SCHOOL_KINDS = frozenset({OrganizationKind.school, OrganizationKind.kindergarten})
BUREAU_KINDS = frozenset({OrganizationKind.city_bureau, OrganizationKind.district_bureau})
SCHOOL_STAGES = frozenset({Stage.primary.value, Stage.junior.value, Stage.senior.value})
SUCCESSOR_DEPTH = 10


def today() -> date:
    """Business dates are in Asia/Shanghai."""
    return datetime.now(SHANGHAI).date()


class OrganizationNotFound(NotFound):
    code = "directory.organization.not_found"
    title = Text("机构不存在", "Organisation not found")


class CodeTaken(Conflict):
    code = "directory.organization.code_taken"
    title = Text("该代码已被现有机构使用", "Another current organisation has this code")


class GroupNotFound(NotFound):
    code = "directory.organization_group.not_found"
    title = Text("机构组不存在", "Organisation group not found")


class GroupCodeTaken(Conflict):
    code = "directory.organization_group.code_taken"
    title = Text("机构组代码已存在", "An organisation group with this code exists")


@dataclass
class Draft:
    """The fields of an organisation being created or changed, before they are checked."""

    kind: OrganizationKind
    code: str | None
    name: str
    parent_id: uuid.UUID | None
    district_code: str | None
    stages: list[str]
    ownership: Ownership | None
    address: str | None
    latitude: Any
    longitude: Any
    valid_from: date | None
    valid_to: date | None
    successor_id: uuid.UUID | None
    aliases: list[str]

    @classmethod
    def of(cls, organization: Organization) -> "Draft":
        return cls(
            kind=organization.kind,
            code=organization.code,
            name=organization.name,
            parent_id=organization.parent_id,
            district_code=organization.district_code,
            stages=list(organization.stages),
            ownership=organization.ownership,
            address=organization.address,
            latitude=organization.latitude,
            longitude=organization.longitude,
            valid_from=organization.valid_from,
            valid_to=organization.valid_to,
            successor_id=organization.successor_id,
            aliases=[alias.alias for alias in organization.aliases],
        )


Problem = tuple[str, Text]


def check_draft(draft: Draft, parent: Organization | None) -> list[Problem]:
    """The rules of the tree, as (field, message) pairs; the draft is completed in place
    (district code from the parent, a kindergarten's stage)."""
    problems: list[Problem] = []
    kind = draft.kind
    if kind in BUREAU_KINDS and not (draft.code and re.fullmatch(r"\d{6}", draft.code)):
        problems.append(
            ("code", Text("教育局的代码应为 6 位行政区划代码", "A bureau's code is 6 digits"))
        )
    if kind in SCHOOL_KINDS and not (draft.code and re.fullmatch(r"\d{10}", draft.code)):
        problems.append(
            ("code", Text("学校标识码应为 10 位数字", "A school's code (学校标识码) is 10 digits"))
        )

    if kind == OrganizationKind.city_bureau and parent is not None:
        problems.append(("parent_id", Text("市教育局没有上级机构", "A city bureau has no parent")))
    if kind == OrganizationKind.district_bureau and (
        parent is None or parent.kind != OrganizationKind.city_bureau
    ):
        problems.append(
            (
                "parent_id",
                Text("区县教育局的上级应为市教育局", "A district bureau belongs to a city bureau"),
            )
        )
    if kind in SCHOOL_KINDS and (parent is None or parent.kind not in BUREAU_KINDS):
        problems.append(
            (
                "parent_id",
                Text(
                    "学校的上级应为市或区县教育局", "A school belongs to a city or district bureau"
                ),
            )
        )
    if parent is not None and draft.valid_to is None and parent.valid_to is not None:
        problems.append(
            ("parent_id", Text("上级机构已撤销", "The parent organisation has been closed"))
        )

    if kind == OrganizationKind.school:
        if not draft.stages or not set(draft.stages) <= SCHOOL_STAGES:
            problems.append(
                (
                    "stages",
                    Text(
                        "学校应至少开设小学、初中、高中中的一个学段",
                        "A school offers primary, junior and/or senior",
                    ),
                )
            )
    elif kind == OrganizationKind.kindergarten:
        if draft.stages not in ([], [Stage.kindergarten.value]):
            problems.append(
                ("stages", Text("幼儿园的学段只能是幼儿园", "A kindergarten offers kindergarten"))
            )
        draft.stages = [Stage.kindergarten.value]
    elif draft.stages:
        problems.append(("stages", Text("只有学校和幼儿园有学段", "Only schools have stages")))

    if kind in SCHOOL_KINDS and draft.ownership is None:
        problems.append(
            (
                "ownership",
                Text("请填写办学性质（公办或民办）", "Give the ownership (public or private)"),
            )
        )
    if kind not in SCHOOL_KINDS and draft.ownership is not None:
        problems.append(
            ("ownership", Text("只有学校和幼儿园有办学性质", "Only schools have an ownership"))
        )

    if draft.valid_from and draft.valid_to and draft.valid_to <= draft.valid_from:
        problems.append(
            ("valid_to", Text("停用日期应晚于启用日期", "valid_to must come after valid_from"))
        )

    inherited = parent.district_code if parent is not None else None
    if kind == OrganizationKind.district_bureau:
        if draft.district_code and draft.district_code != draft.code:
            problems.append(
                (
                    "district_code",
                    Text(
                        "区县教育局的区县代码即其代码", "A district bureau's district is its code"
                    ),
                )
            )
        draft.district_code = draft.code
    elif inherited is not None:
        if draft.district_code and draft.district_code != inherited:
            problems.append(
                (
                    "district_code",
                    Text("区县代码与上级机构不一致", "The district differs from the parent's"),
                )
            )
        draft.district_code = inherited
    return problems


def raise_for(problems: list[Problem], prefix: str = "body") -> None:
    if problems:
        raise InvalidInput(
            problems[0][1],
            errors=[
                FieldError(field=f"{prefix}.{field}", message=str(message), type="invalid")
                for field, message in problems
            ],
        )


def to_ref(organization: Organization) -> OrganizationRef:
    return OrganizationRef(
        id=organization.id,
        kind=organization.kind.value,
        code=organization.code,
        name=organization.name,
        parent_id=organization.parent_id,
        district_code=organization.district_code,
        stages=list(organization.stages),
        ownership=organization.ownership.value if organization.ownership else None,
        valid_from=organization.valid_from,
        valid_to=organization.valid_to,
    )


def is_valid_on(organization: Organization, day: date) -> bool:
    return (organization.valid_from is None or organization.valid_from <= day) and (
        organization.valid_to is None or organization.valid_to > day
    )


def apply_draft(organization: Organization, draft: Draft) -> None:
    organization.kind = draft.kind
    organization.code = draft.code
    organization.name = draft.name
    organization.search_name = normalize_name(draft.name)
    organization.parent_id = draft.parent_id
    organization.district_code = draft.district_code
    organization.stages = list(draft.stages)
    organization.ownership = draft.ownership
    organization.address = draft.address
    organization.latitude = draft.latitude
    organization.longitude = draft.longitude
    organization.valid_from = draft.valid_from
    organization.valid_to = draft.valid_to
    organization.successor_id = draft.successor_id
    wanted: dict[str, str] = {}
    for alias in draft.aliases:
        normalized = normalize_name(alias)
        if normalized and normalized != organization.search_name:
            wanted.setdefault(normalized, alias)
    kept = [alias for alias in organization.aliases if alias.normalized in wanted]
    present = {alias.normalized for alias in kept}
    kept += [
        OrganizationAlias(id=uuid7(), alias=alias, normalized=normalized)
        for normalized, alias in wanted.items()
        if normalized not in present
    ]
    organization.aliases = kept


class OrganizationService:
    # --- reading ---------------------------------------------------------------------------

    async def search(
        self, session: AsyncSession, filters: OrganizationFilters, params: CursorParams
    ) -> tuple[list[Organization], str | None]:
        return await OrganizationRepository(session).list_page(filters, params, today())

    async def get(self, session: AsyncSession, organization_id: uuid.UUID) -> Organization:
        organization = await OrganizationRepository(session).get_loaded(organization_id)
        if organization is None:
            raise OrganizationNotFound()
        return organization

    # --- writing ---------------------------------------------------------------------------

    def _admin_scope_check(self, principal: Principal, draft: Draft) -> None:
        if principal.has_role(Role.city_admin):
            return
        scope = principal.org_filter(Role.district_admin)
        if draft.kind not in DISTRICT_ADMIN_KINDS or not scope.allows_district(draft.district_code):
            raise Forbidden(
                Text(
                    "区县管理员只能维护本区县的学校和幼儿园",
                    "District admins maintain their own district's schools and kindergartens",
                )
            )

    async def _parent(
        self, repository: OrganizationRepository, parent_id: uuid.UUID | None, field: str
    ) -> Organization | None:
        if parent_id is None:
            return None
        parent = await repository.get(parent_id)
        if parent is None:
            raise InvalidInput.for_field(
                field, Text("上级机构不存在", "The parent organisation does not exist")
            )
        return parent

    async def _check_references(
        self,
        repository: OrganizationRepository,
        organization_id: uuid.UUID,
        draft: Draft,
    ) -> None:
        if draft.parent_id is not None and await repository.ancestors_include(
            draft.parent_id, organization_id
        ):
            raise InvalidInput.for_field(
                "body.parent_id",
                Text("上级机构不能是自己或自己的下级", "A unit cannot be its own ancestor"),
            )
        if draft.successor_id is not None:
            if await repository.get(draft.successor_id) is None:
                raise InvalidInput.for_field(
                    "body.successor_id", Text("继任机构不存在", "The successor does not exist")
                )
            if await repository.successors_include(draft.successor_id, organization_id):
                raise InvalidInput.for_field(
                    "body.successor_id",
                    Text("继任关系不能成环", "A unit cannot succeed itself"),
                )

    async def _check_code_free(
        self,
        repository: OrganizationRepository,
        draft: Draft,
        organization_id: uuid.UUID | None,
    ) -> None:
        if draft.code is None or draft.valid_to is not None:
            return
        holder = await repository.get_by_code(draft.code)
        if holder is not None and holder.id != organization_id:
            raise CodeTaken(
                Text(f"代码 {draft.code} 已属于「{holder.name}」", f"{draft.code} is {holder.name}")
            )

    async def _flush(self, session: AsyncSession) -> None:
        try:
            await session.flush()
        except IntegrityError as error:
            # Two admins racing for one code: the partial unique index decides.
            raise CodeTaken() from error

    async def create(
        self, session: AsyncSession, data: OrganizationCreate, principal: Principal
    ) -> Organization:
        repository = OrganizationRepository(session)
        parent = await self._parent(repository, data.parent_id, "body.parent_id")
        draft = Draft(
            **data.model_dump(exclude={"stages"}), stages=[stage.value for stage in data.stages]
        )
        raise_for(check_draft(draft, parent))
        self._admin_scope_check(principal, draft)
        organization = Organization(id=uuid7(), aliases=[])
        await self._check_references(repository, organization.id, draft)
        await self._check_code_free(repository, draft, None)
        apply_draft(organization, draft)
        session.add(organization)
        await self._flush(session)
        audit.record(
            session,
            AuditLog,
            action="organization.created",
            resource_type="organization",
            resource_id=organization.id,
            principal=principal,
            details={"kind": draft.kind.value, "code": draft.code, "name": draft.name},
        )
        return organization

    async def _load_for_change(
        self, session: AsyncSession, organization_id: uuid.UUID, principal: Principal
    ) -> Organization:
        repository = OrganizationRepository(session)
        if principal.has_role(Role.city_admin):
            organization = await repository.get_loaded(organization_id)
        else:
            organization = await repository.get_in_scope(
                organization_id, principal.org_filter(Role.district_admin)
            )
        if organization is None:
            raise OrganizationNotFound()
        return organization

    async def update(
        self,
        session: AsyncSession,
        organization_id: uuid.UUID,
        data: OrganizationUpdate,
        principal: Principal,
    ) -> Organization:
        organization = await self._load_for_change(session, organization_id, principal)
        self._admin_scope_check(principal, Draft.of(organization))
        repository = OrganizationRepository(session)
        draft = Draft.of(organization)
        changes = data.model_dump(exclude_unset=True)
        if "stages" in changes and data.stages is not None:
            changes["stages"] = [stage.value for stage in data.stages]
        for name, value in changes.items():
            if name == "aliases" and value is None:
                continue
            setattr(draft, name, value)
        if "district_code" not in changes and "parent_id" in changes:
            draft.district_code = None  # derived again from the new parent
        parent = await self._parent(repository, draft.parent_id, "body.parent_id")
        raise_for(check_draft(draft, parent))
        self._admin_scope_check(principal, draft)
        await self._check_references(repository, organization.id, draft)
        await self._check_code_free(repository, draft, organization.id)
        apply_draft(organization, draft)
        await self._flush(session)
        audit.record(
            session,
            AuditLog,
            action="organization.updated",
            resource_type="organization",
            resource_id=organization.id,
            principal=principal,
            details={"fields": sorted(changes)},
        )
        return organization

    async def close(
        self,
        session: AsyncSession,
        organization_id: uuid.UUID,
        effective: date | None,
        principal: Principal,
    ) -> Organization:
        """End a unit's validity. Units are never erased: plans and findings refer to them."""
        organization = await self._load_for_change(session, organization_id, principal)
        self._admin_scope_check(principal, Draft.of(organization))
        day = effective or today()
        if organization.valid_from is not None and day <= organization.valid_from:
            raise InvalidInput.for_field(
                "query.effective",
                Text("停用日期应晚于启用日期", "The closing day must come after valid_from"),
            )
        if await OrganizationRepository(session).current_children(organization.id):
            raise Conflict(
                Text(
                    "该机构仍有下属机构，请先迁移或撤销它们（或使用继任）",
                    "Move or close its current children first (or use a succession)",
                )
            )
        organization.valid_to = day
        await self._flush(session)
        audit.record(
            session,
            AuditLog,
            action="organization.closed",
            resource_type="organization",
            resource_id=organization.id,
            principal=principal,
            details={"valid_to": day.isoformat()},
        )
        return organization

    async def succeed(
        self,
        session: AsyncSession,
        organization_id: uuid.UUID,
        data: Succession,
        principal: Principal,
    ) -> Organization:
        repository = OrganizationRepository(session)
        organization = await self._load_for_change(session, organization_id, principal)
        self._admin_scope_check(principal, Draft.of(organization))
        successor = await repository.get_loaded(data.successor_id)
        if successor is None:
            raise InvalidInput.for_field(
                "body.successor_id", Text("继任机构不存在", "The successor does not exist")
            )
        if successor.id == organization.id or await repository.successors_include(
            successor.id, organization.id
        ):
            raise InvalidInput.for_field(
                "body.successor_id", Text("继任关系不能成环", "A unit cannot succeed itself")
            )
        if organization.valid_from is not None and data.effective <= organization.valid_from:
            raise InvalidInput.for_field(
                "body.effective",
                Text("继任日期应晚于原机构的启用日期", "The succession must follow valid_from"),
            )
        moved = 0
        if data.move_children:
            for child in await repository.current_children(organization.id):
                child.parent_id = successor.id
                if successor.kind == OrganizationKind.district_bureau:
                    child.district_code = successor.code
                moved += 1
        organization.valid_to = data.effective
        organization.successor_id = successor.id
        if successor.valid_from is None:
            successor.valid_from = data.effective
        await self._flush(session)
        audit.record(
            session,
            AuditLog,
            action="organization.succeeded",
            resource_type="organization",
            resource_id=organization.id,
            principal=principal,
            details={
                "successor_id": str(successor.id),
                "effective": data.effective.isoformat(),
                "children_moved": moved,
            },
        )
        return organization

    # --- the bulk look-up other services call ----------------------------------------------

    async def _follow_successors(
        self, repository: OrganizationRepository, start: Sequence[Organization], day: date
    ) -> list[Organization]:
        found: list[Organization] = []
        frontier = list(start)
        seen: set[uuid.UUID] = {organization.id for organization in frontier}
        for _ in range(SUCCESSOR_DEPTH):
            next_ids = [
                organization.successor_id
                for organization in frontier
                if organization.successor_id is not None and organization.successor_id not in seen
            ]
            if not next_ids:
                break
            frontier = list(await repository.get_many(next_ids))
            seen.update(organization.id for organization in frontier)
            found += [organization for organization in frontier if is_valid_on(organization, day)]
            frontier = [
                organization for organization in frontier if not is_valid_on(organization, day)
            ]
        return found

    async def _resolve(
        self, repository: OrganizationRepository, candidates: Sequence[Organization], day: date
    ) -> list[Organization]:
        """Candidates valid on `day`; else their successors valid then; else the candidates."""
        valid = [organization for organization in candidates if is_valid_on(organization, day)]
        if valid:
            return valid
        successors = await self._follow_successors(repository, candidates, day)
        return successors or list(candidates)

    async def lookup(self, session: AsyncSession, request: LookupRequest) -> LookupResult:
        day = request.as_of or today()
        repository = OrganizationRepository(session)

        by_id = {o.id: o for o in await repository.get_many(request.ids)}
        found: dict[uuid.UUID, Organization] = {}
        missing_ids: list[uuid.UUID] = []
        for value in dict.fromkeys(request.ids):
            if value in by_id:
                found[value] = by_id[value]
            else:
                missing_ids.append(value)

        holders: dict[str, list[Organization]] = {}
        for organization in await repository.with_codes(filter(storable, request.codes)):
            holders.setdefault(organization.code or "", []).append(organization)
        missing_codes: list[str] = []
        for code in dict.fromkeys(request.codes):
            candidates = holders.get(code)
            if not candidates:
                missing_codes.append(code)
                continue
            valid = [organization for organization in candidates if is_valid_on(organization, day)]
            chosen = (
                valid[0]
                if valid
                else max(
                    candidates,
                    key=lambda item: (item.valid_to or date.max, item.valid_from or date.min),
                )
            )
            found.setdefault(chosen.id, chosen)

        queries = list(dict.fromkeys(request.names))
        normalized = {query: normalize_name(query) for query in queries}
        # A name longer than any stored one, or with a NUL, can match nothing: not asked.
        keys = [v for v in normalized.values() if v and len(v) <= 200 and storable(v)]
        by_name: dict[str, list[Organization]] = {}
        for organization in await repository.with_search_names(keys):
            by_name.setdefault(organization.search_name, []).append(organization)
        by_alias: dict[str, list[Organization]] = {}
        for key, organization in await repository.with_aliases(keys):
            by_alias.setdefault(key, []).append(organization)
        groups = await GroupRepository(session).with_names(keys)
        members: dict[uuid.UUID, list[Organization]] = {}
        for group_id, organization in await GroupRepository(session).members_valid_on(
            [group.id for group in groups], day
        ):
            members.setdefault(group_id, []).append(organization)

        matches: list[NameMatch] = []
        for query in queries:
            key = normalized[query]
            if key in by_name:
                resolved = await self._resolve(repository, by_name[key], day)
                matches.append(
                    NameMatch(
                        query=query, match="name", organizations=[to_ref(o) for o in resolved]
                    )
                )
            elif key in by_alias:
                resolved = await self._resolve(repository, by_alias[key], day)
                matches.append(
                    NameMatch(
                        query=query, match="alias", organizations=[to_ref(o) for o in resolved]
                    )
                )
            elif group := next((group for group in groups if key in group.names), None):
                matches.append(
                    NameMatch(
                        query=query,
                        match="collective",
                        organizations=[to_ref(o) for o in members.get(group.id, [])],
                    )
                )
            else:
                matches.append(NameMatch(query=query, match="none", organizations=[]))

        return LookupResult(
            organizations=[to_ref(organization) for organization in found.values()],
            missing_ids=missing_ids,
            missing_codes=missing_codes,
            names=matches,
        )

    # --- groups -------------------------------------------------------------------------------

    @staticmethod
    def group_read(group: OrganizationGroup) -> GroupRead:
        return GroupRead(
            id=group.id,
            code=group.code,
            name=group.name,
            names=list(group.names),
            description=group.description,
            member_ids=sorted(member.organization_id for member in group.members),
        )

    async def list_groups(self, session: AsyncSession) -> Sequence[OrganizationGroup]:
        return await GroupRepository(session).list_all()

    async def get_group(self, session: AsyncSession, group_id: uuid.UUID) -> OrganizationGroup:
        group = await GroupRepository(session).get_loaded(group_id)
        if group is None:
            raise GroupNotFound()
        return group

    async def _check_members(self, session: AsyncSession, member_ids: list[uuid.UUID]) -> None:
        known = {o.id for o in await OrganizationRepository(session).get_many(member_ids)}
        unknown = [str(value) for value in member_ids if value not in known]
        if unknown:
            raise InvalidInput.for_field(
                "body.member_ids",
                Text(
                    f"机构不存在：{', '.join(unknown)}",
                    f"Unknown organisations: {', '.join(unknown)}",
                ),
            )

    @staticmethod
    def _names(name: str, names: list[str]) -> list[str]:
        return list(dict.fromkeys(n for n in map(normalize_name, [name, *names]) if n))

    async def create_group(
        self, session: AsyncSession, data: GroupCreate, principal: Principal
    ) -> OrganizationGroup:
        repository = GroupRepository(session)
        if await repository.get_by_code(data.code) is not None:
            raise GroupCodeTaken()
        await self._check_members(session, data.member_ids)
        group = OrganizationGroup(
            id=uuid7(),
            code=data.code,
            name=data.name,
            names=self._names(data.name, data.names),
            description=data.description,
            members=[
                OrganizationGroupMember(organization_id=value)
                for value in dict.fromkeys(data.member_ids)
            ],
        )
        session.add(group)
        try:
            await session.flush()
        except IntegrityError as error:
            raise GroupCodeTaken() from error
        audit.record(
            session,
            AuditLog,
            action="organization_group.created",
            resource_type="organization_group",
            resource_id=group.id,
            principal=principal,
            details={"code": group.code, "members": len(group.members)},
        )
        return group

    async def update_group(
        self, session: AsyncSession, group_id: uuid.UUID, data: GroupUpdate, principal: Principal
    ) -> OrganizationGroup:
        group = await self.get_group(session, group_id)
        if data.name is not None:
            group.name = data.name
        if data.name is not None or data.names is not None:
            extra = data.names if data.names is not None else list(group.names)
            group.names = self._names(group.name, extra)
        if data.description is not None:
            group.description = data.description
        if data.member_ids is not None:
            await self._check_members(session, data.member_ids)
            wanted = list(dict.fromkeys(data.member_ids))
            keep = [member for member in group.members if member.organization_id in wanted]
            present = {member.organization_id for member in keep}
            group.members = keep + [
                OrganizationGroupMember(organization_id=value)
                for value in wanted
                if value not in present
            ]
        await session.flush()
        audit.record(
            session,
            AuditLog,
            action="organization_group.updated",
            resource_type="organization_group",
            resource_id=group.id,
            principal=principal,
            details={"fields": sorted(data.model_dump(exclude_unset=True))},
        )
        return group


organization_service = OrganizationService()
