"""The other services' HTTP APIs, as the console calls them: with the signed-in person's token, never
with a power of its own."""
import logging
from collections.abc import Iterator
from dataclasses import dataclass

import requests

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 10
READINESS_TIMEOUT_SECONDS = 3   # a service slower than this to say it is ready is not ready


class Unavailable(Exception):
    """A service did not answer; the page says so and keeps what the person typed."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def error_code(self) -> str | None:
        error = self.body.get("error") if isinstance(self.body, dict) else None
        return error.get("code") if isinstance(error, dict) else None

    @property
    def error_fields(self) -> list[str]:
        error = self.body.get("error") if isinstance(self.body, dict) else None
        return [detail.get("field") or "" for detail in (error or {}).get("details", [])]


@dataclass(frozen=True)
class Download:
    """A file a service sends, passed on to the browser piece by piece as it arrives."""
    content_type: str
    disposition: str
    chunks: Iterator[bytes]


class PlatformApis:
    def __init__(self, urls):
        self.urls = urls

    def call(self, service: str, method: str, path: str, *, token: str | None = None, json: dict | None = None,
             params: dict | None = None, for_browser: str | None = None) -> Answer:
        """`for_browser`: the browser's address, passed on (X-Forwarded-For) where the service counts
        by client address, so that identity's lockout is per person's address, not the console's."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if for_browser:
            headers["X-Forwarded-For"] = for_browser
        answer = self._send(service, method, path, headers=headers, json=json, params=params)
        if answer.status >= 500:
            log.warning("service failed", extra={"service": service, "status": answer.status})
            raise Unavailable(service)
        return answer

    def readiness(self, service: str) -> Answer:
        """A service's /health/ready as it answers, 503 included (its body says which check fails);
        Unavailable only when the service does not answer at all."""
        return self._send(service, "GET", "/health/ready", timeout=READINESS_TIMEOUT_SECONDS)

    def _send(self, service: str, method: str, path: str, *, timeout: float = TIMEOUT_SECONDS, **kwargs) -> Answer:
        url = getattr(self.urls, service) + path
        try:
            response = requests.request(method, url, timeout=timeout, **kwargs)
        except requests.RequestException as exc:
            log.warning("service unreachable", extra={"service": service, "reason": type(exc).__name__})
            raise Unavailable(service) from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        return Answer(response.status_code, body if isinstance(body, dict) else {})

    def download(self, service: str, path: str, *, token: str, params: dict | None = None) -> Download | Answer:
        """A file from `service` (a report as XLSX or CSV), or the service's refusal as an Answer."""
        url = getattr(self.urls, service) + path
        try:
            response = requests.get(url, headers={"Authorization": f"Bearer {token}"}, params=params,
                                    timeout=TIMEOUT_SECONDS, stream=True)
        except requests.RequestException as exc:
            log.warning("service unreachable", extra={"service": service, "reason": type(exc).__name__})
            raise Unavailable(service) from None
        if response.status_code >= 500:
            response.close()
            log.warning("service failed", extra={"service": service, "status": response.status_code})
            raise Unavailable(service)
        disposition = response.headers.get("Content-Disposition", "")
        if response.status_code != 200 or not disposition.startswith("attachment"):
            try:
                body = response.json()
            except ValueError:
                body = {}
            response.close()
            return Answer(response.status_code if response.status_code != 200 else 502,
                          body if isinstance(body, dict) else {})

        def chunks():
            try:
                yield from response.iter_content(64 * 1024)
            finally:
                response.close()
        return Download(response.headers.get("Content-Type", "application/octet-stream"), disposition, chunks())
