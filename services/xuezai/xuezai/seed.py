"""Idempotent demo data for `make run`. Each service's seed writes only that service's schema."""

from dataclasses import dataclass, field

from shared.db import create_engine, create_sessionmaker
from shared.settings import Environment

# Development only: `load_demo_data` refuses to run in production.
DEMO_PASSWORD = "Xuezai-demo-2024"
DEMO_CLIENT_SECRET = "demo-agency-secret-2024"
DEMO_INSPECTOR_CERTIFICATE = "GXDX-450103-001"


@dataclass(frozen=True, slots=True)
class DemoAccount:
    role: str
    username: str
    password: str
    scope: str
    display_name: str = ""
    # `role@level:code` as in tokens; an `org` grant may name its unit.
    grants: tuple[str, ...] = field(default=())
    # Agency clients: their scopes and rate limit (requests per minute).
    client_scopes: tuple[str, ...] = field(default=())
    rate_limit_per_minute: int = 60


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount(
        "city_admin",
        "city.admin",
        DEMO_PASSWORD,
        "南宁市教育局 450100",
        "市局管理员",
        ("city_admin@city:450100",),
    ),
    DemoAccount(
        "district_admin",
        "qingxiu.admin",
        DEMO_PASSWORD,
        "青秀区 450103",
        "青秀区教育局管理员",
        ("district_admin@district:450103",),
    ),
    DemoAccount(
        "school_staff",
        "binhu.staff",
        DEMO_PASSWORD,
        "滨湖路小学 4501030001",
        "滨湖路小学招生老师",
        ("school_staff@school:4501030001",),
    ),
    DemoAccount(
        "inspector",
        "qingxiu.inspector",
        DEMO_PASSWORD,
        "青秀区 450103",
        "青秀区责任督学",
        ("inspector@district:450103",),
    ),
    DemoAccount(
        "unit_reporter",
        "finance.reporter",
        DEMO_PASSWORD,
        "南宁市财政局",
        "市财政局填报员",
        ("unit_reporter@org:南宁市财政局",),
    ),
    DemoAccount(
        "agency_client",
        "demo-agency",
        DEMO_CLIENT_SECRET,
        "directory:organizations:read enrolment:stats:read",
        "演示用外部机构系统",
        client_scopes=("directory:organizations:read", "enrolment:stats:read"),
        rate_limit_per_minute=120,
    ),
)


async def load_demo_data(database_url: str) -> None:
    from directory.config import Settings as DirectorySettings
    from directory.seed.loader import (
        AccountSpec,
        ClientSpec,
        load_demo_accounts,
        load_demo_organizations,
    )
    from directory.seed.nanning import SCHOOLS
    from enrolment.config import Settings as EnrolmentSettings
    from enrolment.privacy import PersonalDataVault
    from enrolment.seed import DemoSchool, load_demo_applications, load_demo_enrolment
    from plans.seed import load_demo_plans
    from supervision.seed import DemoSchool as SupervisedSchool
    from supervision.seed import load_demo_supervision

    demo_schools = [
        DemoSchool(
            school.code, school.name, district, school.stages, school.ownership, school.address
        )
        for district, schools in SCHOOLS.items()
        for school in schools
    ]

    settings = DirectorySettings(database_url=database_url)
    if settings.env == Environment.production:
        raise SystemExit("demo data (with known passwords) is never loaded in production")
    accounts = [
        AccountSpec(account.username, account.display_name, account.password, account.grants)
        for account in DEMO_ACCOUNTS
        if account.role != "agency_client"
    ]
    clients = [
        ClientSpec(
            account.username,
            account.display_name,
            account.password,
            account.client_scopes,
            account.rate_limit_per_minute,
        )
        for account in DEMO_ACCOUNTS
        if account.role == "agency_client"
    ]
    engine = create_engine(
        database_url, application_name="xuezai.seed", pool_size=1, max_overflow=0
    )
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            await load_demo_organizations(session)
            subjects = await load_demo_accounts(session, settings, accounts, clients)
        async with create_sessionmaker(engine)() as session, session.begin():
            await load_demo_enrolment(session, demo_schools)
            await load_demo_applications(
                session,
                PersonalDataVault.from_settings(EnrolmentSettings(database_url=database_url)),
            )
        async with create_sessionmaker(engine)() as session, session.begin():
            await load_demo_plans(session)
        async with create_sessionmaker(engine)() as session, session.begin():
            await load_demo_supervision(
                session,
                [
                    SupervisedSchool(school.code, school.name, district, school.stages)
                    for district, schools in SCHOOLS.items()
                    for school in schools
                ],
                # The demo inspector signs in as qingxiu.inspector and sees their schools.
                inspector_accounts={DEMO_INSPECTOR_CERTIFICATE: subjects["qingxiu.inspector"]},
            )
    finally:
        await engine.dispose()
