"""Every built-in framework the service stores at migration and seed time."""

from __future__ import annotations

from .builtin import BUILTIN_FRAMEWORKS
from .government import COUNTY_GOVERNMENT_DUTY
from .model import Framework
from .special import SPECIAL_FRAMEWORKS

ALL_BUILTIN_FRAMEWORKS: tuple[Framework, ...] = (
    *BUILTIN_FRAMEWORKS,
    COUNTY_GOVERNMENT_DUTY,
    *SPECIAL_FRAMEWORKS,
)


def builtin(code: str, version: str) -> Framework | None:
    return next(
        (f for f in ALL_BUILTIN_FRAMEWORKS if f.code == code and f.version == version), None
    )
