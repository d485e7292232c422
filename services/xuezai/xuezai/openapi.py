"""Generate the committed OpenAPI documents (`openapi/<service>.json`)."""

import importlib
import json
from pathlib import Path
from typing import Any

from xuezai.platform import SERVICES

REPOSITORY_ROOT = Path(__file__).resolve().parents[3]
OPENAPI_DIR = REPOSITORY_ROOT / "openapi"


def render(service: str) -> str:
    spec = next(spec for spec in SERVICES if spec.name == service)
    module_name, factory_name = spec.app.split(":")
    factory: Any = getattr(importlib.import_module(module_name), factory_name)
    document = factory().openapi()
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def stale_documents(directory: Path = OPENAPI_DIR) -> list[str]:
    stale = []
    for spec in SERVICES:
        path = directory / f"{spec.name}.json"
        if not path.exists() or path.read_text(encoding="utf-8") != render(spec.name):
            stale.append(spec.name)
    return stale


def write_documents(directory: Path = OPENAPI_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for spec in SERVICES:
        path = directory / f"{spec.name}.json"
        path.write_text(render(spec.name), encoding="utf-8")
        written.append(path)
    return written
