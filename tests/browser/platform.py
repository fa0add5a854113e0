"""The whole platform with the console, for the browser tests: a database, vhost and index prefix of
their own, every service trusting identity's real keys (no test key), and demo accounts made by identity.

This module must not import tests.conftest: that one monkey-patches eventlet, under which Playwright's
synchronous API cannot stop its driver. The browser tests run in a pytest process of their own."""
import os
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from chassis.services import SERVICES
from services.identity.commands import seed_demo_accounts
from tests import platform as shared
from tests.platform import free_port  # noqa: F401 (the browser tests' fixtures take it from here)


@dataclass
class Platform:
    urls: dict[str, str]
    settings: dict
    accounts: dict[str, dict]     # username -> {password, totp_secret, role, countries}
    database_url: str
    extra: object = None          # what `with_extra` made (an organisation's identity provider)

    @property
    def console(self) -> str:
        return self.urls["console"]


@contextmanager
def running_platform(console_env: dict | None = None, identity_env: dict | None = None, with_extra=None):
    """`with_extra(urls)` may return a context manager yielding (thing, identity_env) started before the
    platform, e.g. an organisation's identity provider that must know identity's address."""
    database = os.environ.get("CFM_TEST_DATABASE", "cfm_test") + "_browser"
    ports = {name: free_port() for name in SERVICES}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    service_env = {name: {"CFM__HTTP__PORT": str(port)} for name, port in ports.items()}
    service_env["identity"].update({"CFM__CONSOLE_URL": urls["console"], "CFM__PUBLIC_URL": urls["identity"],
                                    **(identity_env or {})})
    # intake asks cases what a person's export holds (the focal point's export page).
    service_env["intake"]["CFM__EXPORT__CASES_URL"] = urls["cases"]
    service_env["console"].update({"CFM__APIS__IDENTITY": urls["identity"], "CFM__APIS__INTAKE": urls["intake"],
                                   "CFM__APIS__CASES": urls["cases"], "CFM__APIS__REFERRALS": urls["referrals"],
                                   "CFM__APIS__NOTIFICATIONS": urls["notifications"],
                                   "CFM__APIS__REPORTING": urls["reporting"], **(console_env or {})})
    with ExitStack() as stack:
        extra, more_identity_env = stack.enter_context(with_extra(urls)) if with_extra else (None, {})
        service_env["identity"].update(more_identity_env)
        database_url = shared.fresh_database(database)
        stack.callback(shared.drop_database, database)
        running = stack.enter_context(shared.running_platform(database_url, service_env=service_env))
        accounts = {account["username"]: account for account in seed_demo_accounts(running.settings["identity"])}
        yield Platform(running.urls, running.settings, accounts, database_url, extra)
