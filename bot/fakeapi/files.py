"""The files the fake knows, sent by a user or uploaded by the bot, by file id and by path.

The path is what getFile answers and what the server serves under ``/file/bot<token>/``.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass

from .common import _bad_request
from .params import _Params, _Upload


@dataclass
class _File:
    file_id: str
    unique_id: str
    path: str
    data: bytes
    filename: str | None = None
    mime_type: str | None = None


class _FileStore:
    def __init__(self) -> None:
        self.by_id: dict[str, _File] = {}
        self.by_path: dict[str, _File] = {}
        self._counter = 0

    def new(
        self, kind: str, data: bytes, *, filename: str | None = None, mime_type: str | None = None
    ) -> _File:
        """Store `data` as a new file of `kind` ("photo", "document", ...)."""
        self._counter += 1
        n = self._counter
        ext = ""
        if filename and "." in filename:
            ext = filename.rsplit(".", 1)[1]
        elif mime_type:
            ext = (mimetypes.guess_extension(mime_type) or "").lstrip(".")
        path = f"{kind}s/file_{n}" + (f".{ext}" if ext else "")
        record = _File(f"FAKE-{kind.upper()}-{n:06d}", f"U{n:06d}", path, data, filename, mime_type)
        self.by_id[record.file_id] = record
        self.by_path[path] = record
        return record

    def from_input(self, params: _Params, field_name: str, kind: str) -> _File:
        """The file a send method names: an upload, a known file id or a URL (stored empty)."""
        value = params.file(field_name)
        if value is None or (isinstance(value, str) and not value):
            raise _bad_request(f"there is no {field_name} in the request")
        if isinstance(value, _Upload):
            mime = value.content_type
            if mime in (None, "application/octet-stream") and value.filename:
                mime = mimetypes.guess_type(value.filename)[0] or mime
            return self.new(kind, value.data, filename=value.filename, mime_type=mime)
        if value in self.by_id:
            return self.by_id[value]
        if value.startswith(("http://", "https://")):
            name = value.rsplit("/", 1)[-1] or None
            return self.new(kind, b"", filename=name)
        raise _bad_request("wrong file identifier/HTTP URL specified")
