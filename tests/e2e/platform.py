"""The whole platform as separate processes (tests/platform.py), every service trusting the test run's
signing key, for e2e modules that share one start-up across their tests."""
from contextlib import contextmanager

from tests import platform as shared
from tests.tokens import TEST_AUTH_ENV, bearer


class Platform(shared.Platform):
    def headers(self, role: str, countries=("GN",), subject: str | None = None) -> dict:
        return bearer(role, countries, subject=subject or f"e2e-{role}")


@contextmanager
def running_platform(database_url: str, env: dict | None = None, **options):
    """Start the services and the SMS sink; `options` as tests.platform.running_platform's
    (`before_start(amqp_uri)` may declare extra queues, `service_env` configure one service)."""
    with shared.running_platform(database_url, {**TEST_AUTH_ENV, **(env or {})}, **options) as running:
        yield Platform(**vars(running))
