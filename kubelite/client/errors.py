"""Turning the API server's `Status` replies back into kubelite's API error tree.

The client raises the same classes the server raised (`kubelite.api.errors`), so a
controller writes `except NotFound:` or `is_conflict(err)` whichever side of the wire it
is on. The class is picked by the Status `reason`, falling back to the HTTP code for
bodies that are not a Status (a proxy's HTML error page, say). The original body is kept
on the error as `body`.
"""

from __future__ import annotations

from typing import Any

import orjson

from kubelite.api import errors as api_errors
from kubelite.api.errors import APIError

_BY_REASON: dict[str, type[APIError]] = {
    cls.reason: cls
    for cls in (
        api_errors.BadRequest,
        api_errors.Unauthorized,
        api_errors.Forbidden,
        api_errors.NotFound,
        api_errors.MethodNotAllowed,
        api_errors.NotAcceptable,
        api_errors.AlreadyExists,
        api_errors.Conflict,
        api_errors.Gone,
        api_errors.RequestEntityTooLarge,
        api_errors.UnsupportedMediaType,
        api_errors.Invalid,
        api_errors.TooManyRequests,
        api_errors.InternalError,
        api_errors.ServiceUnavailable,
        api_errors.Timeout,
    )
}
_BY_REASON["Gone"] = api_errors.Gone  # Kubernetes uses both "Gone" and "Expired" for 410

_BY_CODE: dict[int, type[APIError]] = {}
for _cls in _BY_REASON.values():
    _BY_CODE.setdefault(_cls.code, _cls)
_BY_CODE[409] = api_errors.Conflict


def error_from_status(
    status: dict[str, Any], code: int | None = None, headers: dict[str, str] | None = None
) -> APIError:
    """The APIError subclass for a Status body (or for `code` when the body says little)."""
    code = int(status.get("code") or code or 500)
    cls = _BY_REASON.get(str(status.get("reason") or "")) or _BY_CODE.get(code)
    if cls is None:
        cls = api_errors.InternalError if code >= 500 else api_errors.BadRequest
    err = cls(
        str(status.get("message") or f"the server responded with status {code}"),
        details=status.get("details"),
        headers=headers,
    )
    err.code = code  # keep the server's code even when the class is a fallback
    err.body = status  # type: ignore[attr-defined]
    return err


def error_from_response(code: int, body: bytes, headers: dict[str, str] | None = None) -> APIError:
    try:
        status = orjson.loads(body) if body else {}
    except orjson.JSONDecodeError:
        status = {}
    if not isinstance(status, dict) or status.get("kind") != "Status":
        text = body.decode(errors="replace").strip()[:200]
        status = {"code": code, "message": text or f"the server responded with status {code}"}
    return error_from_status(status, code, headers)


def retry_after(err: APIError) -> float | None:
    """Seconds the server asked us to wait (Retry-After or details.retryAfterSeconds)."""
    value = err.headers.get("Retry-After")
    if value is None and err.details:
        value = err.details.get("retryAfterSeconds")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
