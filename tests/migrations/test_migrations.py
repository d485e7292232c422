"""One Alembic chain: the models match it, and it upgrades, downgrades and upgrades again."""

import asyncio
import re

from alembic import command
from alembic.script import ScriptDirectory

from shared import embedded, migrations


def test_models_and_migrations_agree(database_url: str) -> None:
    command.check(migrations.alembic_config(database_url))


def test_single_head_and_dated_file_names() -> None:
    script = ScriptDirectory.from_config(migrations.alembic_config("postgresql+asyncpg://unused/x"))

    assert len(script.get_heads()) == 1
    for revision in script.walk_revisions():
        name = revision.path.rsplit("/", 1)[-1]
        assert re.match(r"^\d{4}-\d{2}-\d{2}-\d{4}_", name), name


def test_upgrade_downgrade_upgrade(database_url: str) -> None:
    # Named after the test database, so suites running side by side never share it.
    scratch_name = f"{embedded.database_name(database_url)}_migrations"
    scratch = embedded.with_database(database_url, scratch_name)
    asyncio.run(embedded.recreate_database(scratch))

    migrations.upgrade(scratch)
    migrations.downgrade(scratch, "base")
    migrations.upgrade(scratch)
    command.check(migrations.alembic_config(scratch))
    asyncio.run(embedded.drop_database(scratch))
