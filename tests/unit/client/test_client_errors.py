"""API errors on the client side: a Status reply becomes the error class of its reason
(kubelite.client.errors)."""

from __future__ import annotations

from kubelite.api.errors import AlreadyExists, Conflict, Gone, NotFound
from kubelite.client.errors import error_from_response


def test_errors_are_built_from_the_status_reason_then_the_code():
    def status(reason, code):
        return f'{{"kind":"Status","reason":"{reason}","code":{code},"message":"m"}}'.encode()

    assert isinstance(error_from_response(409, status("AlreadyExists", 409)), AlreadyExists)
    assert isinstance(error_from_response(409, status("Conflict", 409)), Conflict)
    assert isinstance(error_from_response(410, status("Expired", 410)), Gone)
    assert isinstance(error_from_response(404, b"<html>no</html>"), NotFound)
    assert error_from_response(502, b"").code == 502
