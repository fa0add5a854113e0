"""The whole platform with the console, for the browser tests: a database, vhost and index prefix of
their own, every service trusting identity's real keys (no test key), and demo accounts made by identity.

This module must not import tests.conftest: that one monkey-patches eventlet, under which Playwright's
synchronous API cannot stop its driver. The browser tests run in a pytest process of their own."""
import os
import threading
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from chassis.services import SERVICES
from services.identity.commands import seed_demo_accounts
from tests import platform as shared
from tests.platform import free_port  # noqa: F401 (the browser tests' fixtures take it from here)
from tools.whatsapp_sink import WhatsAppSink

WHATSAPP_TOKEN = "browser-whatsapp-token"


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
def whatsapp_sink():
    """A fake WhatsApp Cloud API (tools/whatsapp_sink.py) in this process; yields its URL."""
    sink = WhatsAppSink(("127.0.0.1", free_port()), WHATSAPP_TOKEN)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{sink.server_address[1]}"
    finally:
        sink.shutdown()
        sink.server_close()


@contextmanager
def running_platform(console_env: dict | None = None, identity_env: dict | None = None, with_extra=None,
                     whatsapp: bool = False):
    """`with_extra(urls)` may return a context manager yielding (thing, identity_env) started before the
    platform, e.g. an organisation's identity provider that must know identity's address.

    `whatsapp` also starts a fake WhatsApp Cloud API (its URL is `urls["whatsapp-sink"]`), sends WhatsApp
    replies there and takes a message to intake's WhatsApp number as agreeing to a reply (the endpoint's
    `assume_callback_consent`). Off by default, as with `make run`: the other journeys' reply composer then
    offers SMS only. Such a platform has a database of its own, so that it may run beside the default one."""
    suffix = "_browser_whatsapp" if whatsapp else "_browser"
    database = os.environ.get("CFM_TEST_DATABASE", "cfm_test") + suffix
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
        sinks = {}
        if whatsapp:
            sinks["whatsapp-sink"] = stack.enter_context(whatsapp_sink())
            service_env["notifications"].update({"CFM__WHATSAPP__BASE_URL": sinks["whatsapp-sink"],
                                                 "CFM__WHATSAPP__ACCESS_TOKEN": WHATSAPP_TOKEN})
            service_env["intake"]["CFM__ENDPOINTS__GN_WHATSAPP__ASSUME_CALLBACK_CONSENT"] = "true"
        extra, more_identity_env = stack.enter_context(with_extra(urls)) if with_extra else (None, {})
        service_env["identity"].update(more_identity_env)
        database_url = shared.fresh_database(database)
        stack.callback(shared.drop_database, database)
        running = stack.enter_context(shared.running_platform(database_url, service_env=service_env))
        accounts = {account["username"]: account for account in seed_demo_accounts(running.settings["identity"])}
        yield Platform({**running.urls, **sinks}, running.settings, accounts, database_url, extra)
