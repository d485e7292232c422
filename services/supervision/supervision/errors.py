"""Text PostgreSQL cannot store (NUL characters, unpaired UTF-16 surrogates) is the caller's
mistake: it becomes a 422, not a 500, and the transaction rolls back as for any error."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError

from shared.errors import InvalidInput, problem_response
from shared.i18n import Text

# character_not_in_repertoire, untranslatable_character, invalid JSON text, data_exception
# (what asyncpg reports when it cannot encode a string).
UNSTORABLE_TEXT = frozenset({"22021", "22P05", "22P02", "22000"})


class UnstorableText(InvalidInput):
    code = "request.unstorable_text"
    title = Text(
        "提交的文本包含无法保存的字符（如 NUL 或不成对的代理字符）",
        "The text contains characters that cannot be stored (NUL or unpaired surrogates)",
    )


def _sqlstate(error: DBAPIError) -> str | None:
    original = error.orig
    state = getattr(original, "sqlstate", None) or getattr(
        getattr(original, "__cause__", None), "sqlstate", None
    )
    return str(state) if state else None


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DBAPIError)
    if _sqlstate(exc) in UNSTORABLE_TEXT:
        return problem_response(UnstorableText().to_problem())
    raise exc


def add_text_error_handler(app: FastAPI) -> None:
    app.add_exception_handler(DBAPIError, _database_error)
