"""Reading uploads without trusting them: size capped while reading, type sniffed from bytes."""

from fastapi import Request, UploadFile

from shared.errors import InvalidInput, PayloadTooLarge
from shared.i18n import Text

CHUNK = 64 * 1024


def refuse_oversized_request(request: Request, limit: int, field: str = "body.file") -> None:
    """Before parsing: a declared body far above the cap is refused without reading it."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + 64 * 1024:
        raise too_large(limit, field)


def too_large(limit: int, field: str) -> PayloadTooLarge:
    message = Text(
        f"文件不能超过 {limit // (1024 * 1024)} MB",
        f"The file must not exceed {limit // (1024 * 1024)} MB",
    )
    error = PayloadTooLarge(message)
    error.errors = [InvalidInput.for_field(field, message, "too_large").errors[0]]  # type: ignore[index]
    return error


async def read_capped(upload: UploadFile, limit: int, field: str = "body.file") -> bytes:
    parts: list[bytes] = []
    size = 0
    while chunk := await upload.read(CHUNK):
        size += len(chunk)
        if size > limit:
            raise too_large(limit, field)
        parts.append(chunk)
    if size == 0:
        raise InvalidInput.for_field(field, Text("文件为空", "The file is empty"), "empty")
    return b"".join(parts)
