"""HTTP entrypoints with authentication, size limits, tracing and clear errors.

`@api("POST", "/v1/feedback", roles=("agent", ...))` replaces nameko's
`@http`. The handler receives the werkzeug request, the path values and, when
`roles` is given, the authenticated `principal`. It returns a contract model
(200), a `(status, model)` pair or a werkzeug Response. Every refusal is a
JSON `ErrorBody` with a stable code, counted in `cfm_requests_rejected`.
"""
import json
import logging
import time
from functools import partial
from typing import TypeVar
from uuid import UUID, uuid4

from eventlet.event import Event
from nameko.web.handlers import HttpRequestHandler
from pydantic import BaseModel, ValidationError
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.wrappers import Response

from chassis import metrics
from chassis.auth import principal_from_header
from chassis.errors import ApiError
from chassis.server import GuardedWebServer
from chassis.tracing import TRACE_HEADER
from contracts.http import Error, ErrorBody, ErrorDetail

log = logging.getLogger(__name__)

JSON = "application/json"
M = TypeVar("M", bound=BaseModel)


def json_response(model: BaseModel, status: int = 200, headers: dict | None = None) -> Response:
    return Response(model.model_dump_json(), status=status, headers=headers, mimetype=JSON)


def error_response(error: ApiError) -> Response:
    body = ErrorBody(error=Error(code=error.code, message=error.message,
                                 details=[ErrorDetail(**detail) for detail in error.details]))
    return json_response(body, error.status, error.headers)


def validation_details(exc: ValidationError) -> list[dict]:
    """Where and why, without echoing the rejected values back (they may be personal data)."""
    return [{"field": ".".join(str(part) for part in error["loc"]) or None, "reason": error["msg"]}
            for error in exc.errors(include_input=False, include_url=False)]


# Deeper than any provider's payload (WhatsApp's is 7 levels); far below Python's recursion limit.
MAX_JSON_DEPTH = 32


def without_nul(text: str) -> str:
    """The text without NUL characters. PostgreSQL cannot store them, and they carry nothing a
    person could read: they are dropped rather than the message refused, because a refused
    provider message is lost for good (a provider does not send a 4xx again)."""
    return text.replace("\x00", "") if "\x00" in text else text


def _cleaned(data):
    """Decoded JSON with NULs dropped from every string and key, walked without recursion;
    an ApiError when it nests deeper than MAX_JSON_DEPTH."""
    def clean(value):
        if isinstance(value, str):
            return without_nul(value)
        if isinstance(value, dict):
            return {without_nul(key): item for key, item in value.items()}
        return list(value) if isinstance(value, list) else value

    root = [clean(data)]
    pending = [(root, 0, 0)]
    while pending:
        container, key, depth = pending.pop()
        value = container[key]
        if not isinstance(value, (dict, list)):
            continue
        if depth >= MAX_JSON_DEPTH:
            raise _too_deep()
        for child in (value if isinstance(value, dict) else range(len(value))):
            value[child] = clean(value[child])
            pending.append((value, child, depth + 1))
    return root[0]


def _too_deep() -> ApiError:
    return ApiError(400, "nesting_too_deep", f"The JSON body nests deeper than {MAX_JSON_DEPTH} levels.")


def read_json(data: bytes):
    """Decoded JSON, without NULs, or an ApiError: `malformed_json`, `nesting_too_deep`."""
    try:
        decoded = json.loads(data)
    except RecursionError:
        raise _too_deep() from None
    except ValueError:
        raise ApiError(400, "malformed_json", "The body is not valid JSON.") from None
    return _cleaned(decoded)


def read_form(request):
    """The form fields of a request, NULs dropped from names and values (see without_nul). Check a
    provider's signature on `request.form` first: it signed what it sent."""
    return MultiDict([(without_nul(name), without_nul(value)) for name, values in request.form.lists()
                      for value in values])


def parse_body(request, model: type[M]) -> M:
    """The JSON body as `model`, or an ApiError saying exactly what is wrong."""
    if request.mimetype != JSON:
        raise ApiError(415, "unsupported_media_type", "Send the body as application/json.")
    data = read_json(request.get_data())
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(422, "validation_failed", "The request body does not match the contract.",
                       validation_details(exc)) from None


def _correlation_id(request) -> str:
    given = request.headers.get("X-Correlation-Id", "")
    try:
        return str(UUID(given))
    except ValueError:
        return str(uuid4())


class ApiEndpoint(HttpRequestHandler):
    server = GuardedWebServer()

    def __init__(self, method: str, url: str, *, roles: tuple[str, ...] | None = None, public: bool = False,
                 **kwargs):
        if not public and not roles:
            raise ValueError(f"{method} {url}: name the roles allowed, or mark it public")
        self.roles = roles
        self.public = public
        super().__init__(method, url, **kwargs)

    def handle_request(self, request):
        settings = self.container.config["SETTINGS"]
        service = self.container.service_name
        started = time.monotonic()
        request.max_content_length = settings.http.max_body_bytes
        request.shallow = False
        try:
            if (request.content_length or 0) > settings.http.max_body_bytes:
                raise RequestEntityTooLarge()
            kwargs = dict(request.path_values)
            if not self.public:
                principal = principal_from_header(request.headers.get("Authorization"), settings.auth)
                principal.require_role(*self.roles)
                kwargs["principal"] = principal
            context_data = {"correlation_id": _correlation_id(request),
                            TRACE_HEADER: request.headers.get(TRACE_HEADER)}
            done = Event()
            context_data = {key: value for key, value in context_data.items() if value is not None}
            self.container.spawn_worker(self, (request,), kwargs, context_data=context_data,
                                        handle_result=partial(self.handle_result, done))
            response = self.response_from_result(done.wait())
        except Exception as exc:
            response = self.response_from_exception(exc)
        status = response.status_code
        metrics.HTTP_REQUESTS.labels(service, request.method, self.url, str(status)).inc()
        metrics.HTTP_SECONDS.labels(service, self.url).observe(time.monotonic() - started)
        return response

    def response_from_result(self, result):
        if isinstance(result, Response):
            return result
        status, model = result if isinstance(result, tuple) else (200, result)
        return json_response(model, status)

    def response_from_exception(self, exc):
        if isinstance(exc, RequestEntityTooLarge):
            exc = ApiError(413, "body_too_large", "The body is larger than this endpoint accepts.")
        elif isinstance(exc, HTTPException) and exc.code and exc.code < 500:
            exc = ApiError(exc.code, "bad_request", "The request could not be read.")
        if isinstance(exc, ApiError):
            metrics.REQUESTS_REJECTED.labels(self.container.service_name, self.url, exc.code).inc()
            return error_response(exc)
        # The log formatter writes the exception's type and stack, never its message.
        log.error("request failed", exc_info=exc, extra={"route": self.url, "reason": type(exc).__name__})
        return error_response(ApiError(500, "internal_error", "Something went wrong on our side; it has been logged."))


api = ApiEndpoint.decorator
