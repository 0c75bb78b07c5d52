"""The parameters of one request: read from the query, a form, multipart or a JSON body.

PTB sends form fields or multipart with nested objects JSON-encoded as strings; others send JSON.
`_Params` reads them back with Telegram's coercions, whichever way they came.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp import web

from .common import JSONDict, _bad_request

_N = TypeVar("_N", int, float)


@dataclass
class _Upload:
    filename: str | None
    data: bytes
    content_type: str | None


class _Params:
    """The parameters of one request, with Telegram's coercions (everything may be a string)."""

    def __init__(self, method: str, values: JSONDict, uploads: dict[str, _Upload]) -> None:
        self.method = method
        self.values = values
        self.uploads = uploads

    def raw(self, name: str) -> Any:
        return self.values.get(name)

    def get_str(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        return json.dumps(value) if isinstance(value, dict | list) else str(value)

    def get_int(self, name: str) -> int | None:
        return self._number(name, int, "an integer")

    def get_float(self, name: str) -> float | None:
        return self._number(name, float, "a number")

    def _number(self, name: str, convert: Callable[[Any], _N], what: str) -> _N | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return convert(value)
        except (TypeError, ValueError):
            raise _bad_request(f"field {name!r} must be {what}, got {value!r}") from None

    def get_bool(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, str):
            return value.lower() in ("true", "1")
        return bool(value)

    def get_json(self, name: str) -> Any:
        value = self.values.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise _bad_request(f"can't parse {name} JSON object") from None
        return value

    def required_int(self, name: str) -> int:
        value = self.get_int(name)
        if value is None:
            raise _bad_request(f"{name} is empty")
        return value

    def file(self, name: str) -> _Upload | str | None:
        if name in self.uploads:
            return self.uploads[name]
        value = self.get_str(name)
        if value is not None and value.startswith("attach://"):
            attached = self.uploads.get(value.removeprefix("attach://"))
            if attached is None:
                raise _bad_request(f"file {value} not found in the request")
            return attached
        return value


async def _read_params(method: str, request: web.Request) -> _Params:
    """The parameters of `request`: its query, then its JSON, form or multipart body."""
    values: JSONDict = dict(request.query)
    uploads: dict[str, _Upload] = {}
    if request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise _bad_request("can't parse JSON body") from None
            if not isinstance(body, dict):
                raise _bad_request("JSON body must be an object")
            values.update(body)
        elif request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    uploads[key] = _Upload(value.filename, value.file.read(), value.content_type)
                else:
                    values[key] = value
    return _Params(method, values, uploads)


_Handler = Callable[[_Params], Awaitable[Any]]
"""A Bot API method of the fake: its parameters in, its ``result`` out."""
