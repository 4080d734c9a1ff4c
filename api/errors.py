"""One error shape for the whole API.

Every 4xx body is ``{"detail": "...", "errors": [{"field": "...", "message":
"..."}]}``: ``field`` is the dotted path of the bad input (``answers.medicines.0
.last_dose``), so a client can put the message beside the right field.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError


class ApiError(Exception):
    """A refusal found by the domain after the schema accepted the input."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        # More keys for the error body, beside "detail" and "errors".
        self.extra: dict[str, Any] = {}


# Ninja prefixes locations with where the value came from and the name of the
# view argument; a client knows neither, so they are dropped.
_LOCATION_PREFIXES = {"body", "query", "path", "header", "cookie", "form", "file"}


def _field(loc: list[Any] | tuple[Any, ...], arg_names: set[str]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in _LOCATION_PREFIXES:
        parts = parts[1:]
    if parts and parts[0] in arg_names:
        parts = parts[1:]
    return ".".join(parts) or "body"


def _message(error: dict[str, Any]) -> str:
    msg = str(error.get("msg", "Invalid value"))
    if error.get("type") == "missing":
        return "This field is required."
    return msg.removeprefix("Value error, ")


def install(api: NinjaAPI, arg_names: set[str]) -> None:
    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = [
            {"field": _field(e.get("loc", ()), arg_names), "message": _message(e)}
            for e in exc.errors
        ]
        fields = ", ".join(dict.fromkeys(e["field"] for e in errors))
        return api.create_response(
            request, {"detail": f"Invalid input: {fields}", "errors": errors}, status=422
        )

    @api.exception_handler(ApiError)
    def api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        errors = [{"field": exc.field, "message": exc.message}] if exc.field else []
        body = {"detail": exc.message, "errors": errors, **exc.extra}
        return api.create_response(request, body, status=exc.status)

    @api.exception_handler(AuthenticationError)
    def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return api.create_response(
            request, {"detail": "Authentication required.", "errors": []}, status=401
        )

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        errors = []
        if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
            errors = [{"field": "body", "message": "The request body is not valid JSON."}]
        return api.create_response(
            request, {"detail": str(exc), "errors": errors}, status=exc.status_code
        )
