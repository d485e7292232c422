"""Rows for the framework table, and the built-ins as rows. Kept free of the web stack: the
migration that creates the table imports it to store the built-ins."""

import uuid
from typing import Any

from supervision.frameworks.library import ALL_BUILTIN_FRAMEWORKS
from supervision.frameworks.model import Framework
from supervision.models import FrameworkOrigin, FrameworkStatus

BUILTIN_NAMESPACE = uuid.UUID("6f1c2b1e-3f0a-4d55-9a59-6d7a1f2f9b10")


def builtin_id(framework: Framework) -> uuid.UUID:
    """Built-ins have the same id on every installation."""
    return uuid.uuid5(BUILTIN_NAMESPACE, framework.ref)


def row_values(
    framework: Framework,
    *,
    origin: FrameworkOrigin,
    status: FrameworkStatus,
    id: uuid.UUID | None = None,
) -> dict[str, Any]:
    return {
        "id": id or uuid.uuid4(),
        "code": framework.code,
        "version": framework.version,
        "name": framework.name,
        "level": framework.level,
        "basis": framework.basis[:300],
        "effective_from": framework.effective_from,
        "effective_to": framework.effective_to,
        "parent_code": framework.parent.code if framework.parent else None,
        "parent_version": framework.parent.version if framework.parent else None,
        "origin": origin,
        "status": status,
        "document": framework.model_dump(mode="json"),
    }


def builtin_rows() -> list[dict[str, Any]]:
    return [
        row_values(
            f, origin=FrameworkOrigin.builtin, status=FrameworkStatus.active, id=builtin_id(f)
        )
        for f in ALL_BUILTIN_FRAMEWORKS
    ]
