"""Where evidence bytes live. Content-addressed (by SHA-256), so a retried upload writes nothing
new and a file is never changed once stored; the database row is the index."""

import asyncio
import os
import tempfile
from pathlib import Path
from typing import Protocol


class BlobStore(Protocol):
    async def put(self, data: bytes, sha256: str) -> str: ...

    async def get(self, key: str) -> bytes: ...


class LocalBlobStore:
    """A folder on disk (a mounted volume in production; an S3-compatible store can implement
    the same two methods)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / key

    async def put(self, data: bytes, sha256: str) -> str:
        await asyncio.to_thread(self._write, data, sha256)
        return sha256

    def _write(self, data: bytes, key: str) -> None:
        path = self._path(key)
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename: a reader never sees half a file.
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread(self._path(key).read_bytes)
