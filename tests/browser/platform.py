"""The whole platform with the console, for the browser tests: a database, vhost and index prefix of
their own, every service trusting identity's real keys (no test key), and demo accounts made by identity.

This module must not import tests.conftest: that one monkey-patches eventlet, under which Playwright's
synchronous API cannot stop its driver. The browser tests run in a pytest process of their own."""
import os
import random
import socket
import uuid
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import psycopg
import requests
from elasticsearch import Elasticsearch
from psycopg import sql

from chassis.db import apply_migrations
from chassis.migrate import declare_queues
from chassis.services import SERVICES
from services.identity.commands import seed_demo_accounts
from tools.platform import start_platform, stop_platform

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
RABBIT_API = "http://127.0.0.1:15672/api"
RABBIT_AUTH = ("guest", "guest")
ES_URL = "http://127.0.0.1:9200"


def free_port() -> int:
    """A free port below the ephemeral range (see tests/conftest.py for why)."""
    while True:
        port = random.randint(20000, 32000)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


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


def _fresh_database(name: str) -> str:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    for service in SERVICES:
        apply_migrations(url, service)
    return url


def _delete_indices(prefix: str) -> None:
    client = Elasticsearch(ES_URL)
    for name in ("cases", "events", "calls"):
        created = client.options(ignore_status=404).indices.get(index=f"{prefix}-{name}-*")
        for index in created if hasattr(created, "keys") else ():
            client.options(ignore_status=404).indices.delete(index=index)
        client.options(ignore_status=404).indices.delete_index_template(name=f"{prefix}-{name}")
    client.close()


@contextmanager
def running_platform(console_env: dict | None = None, identity_env: dict | None = None, with_extra=None):
    """`with_extra(urls)` may return a context manager yielding (thing, identity_env) started before the
    platform, e.g. an organisation's identity provider that must know identity's address."""
    database = os.environ.get("CFM_TEST_DATABASE", "cfm_test") + "_browser"
    database_url = _fresh_database(database)
    vhost = f"cfm-test-{uuid.uuid4().hex[:10]}"
    requests.put(f"{RABBIT_API}/vhosts/{vhost}", auth=RABBIT_AUTH, timeout=10).raise_for_status()
    requests.put(f"{RABBIT_API}/permissions/{vhost}/guest", auth=RABBIT_AUTH, timeout=10,
                 json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
    amqp_uri = f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    declare_queues(amqp_uri)
    es_prefix = f"test-{uuid.uuid4().hex[:10]}"
    ports = {name: free_port() for name in SERVICES}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    env = {"CFM__DATABASE__URL": database_url, "CFM__AMQP__URI": amqp_uri, "CFM__ELASTICSEARCH__URL": ES_URL,
           "CFM__ELASTICSEARCH__INDEX_PREFIX": es_prefix, "CFM__TRACING__EXPORTER": "none",
           "CFM__SMS__BASE_URL": f"http://127.0.0.1:{free_port()}"}
    service_env = {name: {"CFM__HTTP__PORT": str(port)} for name, port in ports.items()}
    service_env["identity"].update({"CFM__CONSOLE_URL": urls["console"], "CFM__PUBLIC_URL": urls["identity"],
                                    **(identity_env or {})})
    service_env["console"].update({"CFM__APIS__IDENTITY": urls["identity"], "CFM__APIS__INTAKE": urls["intake"],
                                   "CFM__APIS__CASES": urls["cases"], "CFM__APIS__REPORTING": urls["reporting"],
                                   **(console_env or {})})
    processes = {}
    with ExitStack() as stack:
        extra, more_identity_env = stack.enter_context(with_extra(urls)) if with_extra else (None, {})
        service_env["identity"].update(more_identity_env)
        try:
            processes, settings = start_platform(env, service_env,
                                                 sink_args=("--port", env["CFM__SMS__BASE_URL"].rsplit(":", 1)[1]))
            accounts = {account["username"]: account for account in seed_demo_accounts(settings["identity"])}
            yield Platform(urls, settings, accounts, database_url, extra)
        finally:
            stop_platform(processes)
            requests.delete(f"{RABBIT_API}/vhosts/{vhost}", auth=RABBIT_AUTH, timeout=10)
            _delete_indices(es_prefix)
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
