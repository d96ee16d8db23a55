"""CRI errors, one class per gRPC status code a runtime answers with.

```
CRIError                      any failed CRI call; .code is the grpc.StatusCode
 ├── NotFound                 NOT_FOUND: no such sandbox, container or image
 ├── AlreadyExists            ALREADY_EXISTS: a name is taken (sandbox/container name)
 ├── InvalidArgument          INVALID_ARGUMENT: the request cannot be honoured as written
 ├── FailedPrecondition       FAILED_PRECONDITION: wrong state (start a running container)
 ├── DeadlineExceeded         DEADLINE_EXCEEDED: the call or the exec timed out
 ├── Unimplemented            UNIMPLEMENTED: the runtime does not offer this method
 └── Unavailable              UNAVAILABLE: the runtime is not listening
```

The runtime raises these; its gRPC layer turns them into status codes, and the client
turns status codes back into them. Test with the predicates, not by matching messages.
"""

from __future__ import annotations

import grpc


class CRIError(Exception):
    code: grpc.StatusCode = grpc.StatusCode.UNKNOWN

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(CRIError):
    code = grpc.StatusCode.NOT_FOUND


class AlreadyExists(CRIError):
    code = grpc.StatusCode.ALREADY_EXISTS


class InvalidArgument(CRIError):
    code = grpc.StatusCode.INVALID_ARGUMENT


class FailedPrecondition(CRIError):
    code = grpc.StatusCode.FAILED_PRECONDITION


class DeadlineExceeded(CRIError):
    code = grpc.StatusCode.DEADLINE_EXCEEDED


class Unimplemented(CRIError):
    code = grpc.StatusCode.UNIMPLEMENTED


class Unavailable(CRIError):
    code = grpc.StatusCode.UNAVAILABLE


_BY_CODE: dict[grpc.StatusCode, type[CRIError]] = {
    cls.code: cls
    for cls in (
        NotFound,
        AlreadyExists,
        InvalidArgument,
        FailedPrecondition,
        DeadlineExceeded,
        Unimplemented,
        Unavailable,
    )
}


def from_rpc_error(err: grpc.RpcError) -> CRIError:
    """The CRIError for a failed call (its code chooses the class)."""
    code = err.code() if hasattr(err, "code") else grpc.StatusCode.UNKNOWN
    details = err.details() if hasattr(err, "details") else str(err)
    cls = _BY_CODE.get(code, CRIError)
    exc = cls(details or code.name)
    exc.code = code
    return exc


def is_not_found(err: BaseException) -> bool:
    return isinstance(err, NotFound)


def is_unavailable(err: BaseException) -> bool:
    return isinstance(err, Unavailable)
