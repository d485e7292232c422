"""Idempotent demo data for `make run`. Each service's seed writes only that service's schema."""

from dataclasses import dataclass

from shared.db import create_engine, create_sessionmaker


@dataclass(frozen=True, slots=True)
class DemoAccount:
    role: str
    username: str
    password: str
    scope: str


# Created by the directory issue's seed; listed here so `make run` can print them.
DEMO_ACCOUNTS: tuple[DemoAccount, ...] = ()


async def load_demo_data(database_url: str) -> None:
    from directory.seed.loader import load_demo_organizations
    from directory.seed.nanning import SCHOOLS
    from supervision.seed import DemoSchool, load_demo_supervision

    engine = create_engine(
        database_url, application_name="xuezai.seed", pool_size=1, max_overflow=0
    )
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            await load_demo_organizations(session)
        async with create_sessionmaker(engine)() as session, session.begin():
            await load_demo_supervision(
                session,
                [
                    DemoSchool(school.code, school.name, district, school.stages)
                    for district, schools in SCHOOLS.items()
                    for school in schools
                ],
            )
    finally:
        await engine.dispose()
