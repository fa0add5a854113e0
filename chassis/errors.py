"""The one exception type that becomes a clear HTTP error."""


class ApiError(Exception):
    """A request the service refuses: an HTTP status, a stable machine-readable
    code and a sentence for a person. Never put personal data in either."""

    def __init__(self, status: int, code: str, message: str, details: list[dict] | None = None,
                 headers: dict | None = None):
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or []
        self.headers = headers or {}


class Refused(Exception):
    """An action a service's rules refuse (raised by domain and use-case code, which know nothing of HTTP):
    the status and stable reason code the service answers with."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message
