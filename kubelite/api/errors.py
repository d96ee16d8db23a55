"""API errors, one class per Kubernetes `Status` reason.

Every failure the API server reports is an `APIError`; its `status()` is the
`meta.k8s.io/v1 Status` body the wire carries, and `code` the HTTP status::

    APIError                      status() -> {"kind": "Status", ...}
    ├── BadRequest          400   malformed body, bad selector, bad query parameter
    ├── Unauthorized        401   no or bad credentials
    ├── Forbidden           403   authenticated but not allowed; namespace terminating
    ├── NotFound            404   object or path missing
    ├── MethodNotAllowed    405   verb not supported on the resource
    ├── AlreadyExists       409   create of an existing name
    ├── Conflict            409   stale resourceVersion, failed precondition
    ├── Gone                410   resourceVersion too old (reason "Expired")
    ├── UnsupportedMediaType 415
    ├── Invalid             422   validation failed; one cause per bad field
    ├── TooManyRequests     429
    ├── InternalError       500   unexpected; logged once with its traceback
    ├── Unknown             500   a failure Kubernetes reports without a reason (a
    │                             server-side apply body its schema cannot type)
    └── ServiceUnavailable  503

Test errors with the predicates at the bottom (`is_not_found(err)`), never by
matching messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(slots=True, frozen=True)
class FieldError:
    """One bad field: `spec.replicas: Invalid value: -1: must be ...`."""

    field: str
    reason: str  # FieldValueRequired, FieldValueInvalid, FieldValueNotSupported, ...
    detail: str = ""
    value: Any = None
    has_value: bool = False

    def body(self) -> str:
        """The message without the field path: what a Status cause carries beside `field`."""
        parts = [_REASON_LABEL.get(self.reason, self.reason)]
        if self.has_value:
            parts.append(_render_value(self.value))
        if self.detail:
            parts.append(self.detail)
        return ": ".join(parts)

    def message(self) -> str:
        return f"{self.field}: {self.body()}"

    def cause(self) -> dict[str, str]:
        return {"reason": self.reason, "message": self.body(), "field": self.field}


_REASON_LABEL = {
    "FieldValueRequired": "Required value",
    "FieldValueInvalid": "Invalid value",
    "FieldValueNotSupported": "Unsupported value",
    "FieldValueDuplicate": "Duplicate value",
    "FieldValueForbidden": "Forbidden",
    "FieldValueTooLong": "Too long",
    "FieldValueTooMany": "Too many",
    "FieldValueTypeInvalid": "Invalid value",
    "FieldValueNotFound": "Not found",
    "InternalError": "Internal error",
}


def _render_value(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        import orjson

        return orjson.dumps(value).decode()
    return str(value)


# Constructors for the common field errors, named as Kubernetes' field package names them.
def required(field: str, detail: str = "") -> FieldError:
    return FieldError(field, "FieldValueRequired", detail)


def invalid(field: str, value: Any, detail: str = "") -> FieldError:
    return FieldError(field, "FieldValueInvalid", detail, value, True)


def not_supported(field: str, value: Any, valid: list[str]) -> FieldError:
    detail = "supported values: " + ", ".join(f'"{v}"' for v in valid)
    return FieldError(field, "FieldValueNotSupported", detail, value, True)


def duplicate(field: str, value: Any) -> FieldError:
    return FieldError(field, "FieldValueDuplicate", "", value, True)


def forbidden(field: str, detail: str) -> FieldError:
    return FieldError(field, "FieldValueForbidden", detail)


def too_long(field: str, value: Any, limit: int) -> FieldError:
    return FieldError(field, "FieldValueTooLong", f"may not be more than {limit} bytes", value, False)


class APIError(Exception):
    """Base of every error that becomes a `Status` response."""

    code = 500
    reason = "InternalError"

    def __init__(
        self, message: str, *, details: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers = headers or {}

    def status(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if not self.reason:
            del body["reason"]
        if self.details is not None:
            body["details"] = self.details
        return body


class BadRequest(APIError):
    code, reason = 400, "BadRequest"


class Unauthorized(APIError):
    code, reason = 401, "Unauthorized"


class Forbidden(APIError):
    code, reason = 403, "Forbidden"


class NotFound(APIError):
    code, reason = 404, "NotFound"


class MethodNotAllowed(APIError):
    code, reason = 405, "MethodNotAllowed"


class NotAcceptable(APIError):
    code, reason = 406, "NotAcceptable"


class AlreadyExists(APIError):
    code, reason = 409, "AlreadyExists"


class Conflict(APIError):
    code, reason = 409, "Conflict"


class Gone(APIError):
    code, reason = 410, "Expired"


class RequestEntityTooLarge(APIError):
    code, reason = 413, "RequestEntityTooLarge"


class UnsupportedMediaType(APIError):
    code, reason = 415, "UnsupportedMediaType"


class Invalid(APIError):
    code, reason = 422, "Invalid"


class TooManyRequests(APIError):
    code, reason = 429, "TooManyRequests"


class InternalError(APIError):
    code, reason = 500, "InternalError"


class Unknown(APIError):
    code = 500
    reason = ""


class ServiceUnavailable(APIError):
    code, reason = 503, "ServiceUnavailable"


class Timeout(APIError):
    code, reason = 504, "Timeout"


# ---- constructors with Kubernetes' messages -------------------------------------------------


def qualified(resource: str, group: str) -> str:
    """`deployments.apps`, or `pods` for the core group."""
    return f"{resource}.{group}" if group else resource


def not_found(resource: str, group: str, name: str) -> NotFound:
    return NotFound(
        f'{qualified(resource, group)} "{name}" not found',
        details={"name": name, "group": group, "kind": resource}
        if group
        else {"name": name, "kind": resource},
    )


def path_not_found() -> NotFound:
    return NotFound("the server could not find the requested resource", details={})


def already_exists(resource: str, group: str, name: str) -> AlreadyExists:
    details = {"name": name, "kind": resource}
    if group:
        details["group"] = group
    return AlreadyExists(f'{qualified(resource, group)} "{name}" already exists', details=details)


def conflict(resource: str, group: str, name: str, why: str = "") -> Conflict:
    why = why or "the object has been modified; please apply your changes to the latest version and try again"
    details = {"name": name, "kind": resource}
    if group:
        details["group"] = group
    return Conflict(
        f'Operation cannot be fulfilled on {qualified(resource, group)} "{name}": {why}', details=details
    )


def invalid_object(kind: str, group: str, name: str, errors: list[FieldError]) -> Invalid:
    """422 with one cause per bad field, as `Kind.group "name" is invalid: a, b`."""
    qkind = f"{kind}.{group}" if group else kind
    messages = [e.message() for e in errors]
    summary = messages[0] if len(messages) == 1 else "[" + ", ".join(messages) + "]"
    details: dict[str, Any] = {"name": name, "kind": kind, "causes": [e.cause() for e in errors]}
    if group:
        details["group"] = group
    return Invalid(f'{qkind} "{name}" is invalid: {summary}', details=details)


def too_old(requested: int, oldest: int) -> Gone:
    return Gone(f"too old resource version: {requested} ({oldest})")


# ---- predicates ---------------------------------------------------------------------------


def is_not_found(err: BaseException) -> bool:
    return isinstance(err, NotFound)


def is_conflict(err: BaseException) -> bool:
    return isinstance(err, Conflict)


def is_already_exists(err: BaseException) -> bool:
    return isinstance(err, AlreadyExists)


def is_gone(err: BaseException) -> bool:
    return isinstance(err, Gone)


def is_invalid(err: BaseException) -> bool:
    return isinstance(err, Invalid)
