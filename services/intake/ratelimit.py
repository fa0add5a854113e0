"""Rate limit of the public web form, per client address, in this process's memory.

The client is the TCP peer, unless the peer is one of the platform's own trusted
proxies: then the right-most address of X-Forwarded-For that is not a trusted proxy
(anything left of it could be forged by the client). Several intake processes each
keep their own window: the limit is per process, which is enough to blunt a flood."""
import math
import time
from collections import deque

from nameko.extensions import DependencyProvider


def client_address(remote_addr: str | None, forwarded_for: str | None, trusted_proxies: frozenset[str]) -> str:
    address = remote_addr or "unknown"
    if address in trusted_proxies and forwarded_for:
        for hop in reversed([part.strip() for part in forwarded_for.split(",") if part.strip()]):
            if hop not in trusted_proxies:
                return hop
    return address


class SlidingWindow:
    """At most `limit` requests per `seconds` for each key."""

    def __init__(self, limit: int, seconds: float, clock=time.monotonic):
        self.limit = limit
        self.seconds = seconds
        self.clock = clock
        self._hits: dict[str, deque] = {}

    def retry_after(self, key: str) -> int | None:
        """None when the request may go ahead (and counts it), else the seconds to wait."""
        now = self.clock()
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.seconds:
            hits.popleft()
        if len(hits) >= self.limit:
            return max(1, math.ceil(hits[0] + self.seconds - now))
        hits.append(now)
        if len(self._hits) > 100_000:  # forget idle clients rather than grow without bound
            self._hits = {key: value for key, value in self._hits.items() if value and value[-1] > now - self.seconds}
        return None


class WebFormRateLimit(DependencyProvider):
    def setup(self):
        settings = self.container.config["SETTINGS"].channels
        self.window = SlidingWindow(settings.web_form_rate_limit.requests, settings.web_form_rate_limit.per_seconds)
        self.trusted = frozenset(settings.trusted_proxies)

    def get_dependency(self, worker_ctx):
        return self
