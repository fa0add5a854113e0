"""The shared infrastructure of the tests (PostgreSQL, RabbitMQ, Elasticsearch) and the one way to start
the whole platform, every service its own process, on a vhost, index prefix and fake SMS provider of
its own: the e2e tests, the broker outage test and the browser tests all start it here.

This module must not import tests.conftest, nor eventlet: the browser tests use it in a pytest
process without eventlet's monkey patching (see tests/browser/conftest.py)."""
import random
import shutil
import socket
import tempfile
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import requests
from elasticsearch import Elasticsearch
from psycopg import sql

from chassis.db import apply_migrations
from chassis.migrate import declare_queues
from chassis.services import SERVICES
from tools.platform import start_platform, stop_platform

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
RABBIT_API = "http://127.0.0.1:15672/api"
RABBIT_AUTH = ("guest", "guest")
ES_URL = "http://127.0.0.1:9200"


_ports_handed_out: set[int] = set()


def free_port() -> int:
    """A port free now, below the kernel's ephemeral range (32768 and up on Linux): the services
    bind it a moment later, and a port from that range could meanwhile be taken by any outgoing
    connection (to PostgreSQL, RabbitMQ, Elasticsearch). Never the same port twice in one run: two
    draws for one test (a service's HTTP port and another's metrics port) once met, and the test
    talked to a metrics server."""
    while True:
        port = random.randint(20000, 32000)
        if port in _ports_handed_out:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            _ports_handed_out.add(port)
            return port


def fresh_database(name: str) -> str:
    """The database `name` made afresh, with every service's schema; returns its URL."""
    drop_database(name)
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    for service in SERVICES:
        apply_migrations(url, service)
    return url


def drop_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def create_vhost() -> str:
    """A RabbitMQ vhost of the caller's own; returns its AMQP URI (delete_vhost removes it)."""
    vhost = f"cfm-test-{uuid.uuid4().hex[:10]}"
    requests.put(f"{RABBIT_API}/vhosts/{vhost}", auth=RABBIT_AUTH, timeout=10).raise_for_status()
    requests.put(f"{RABBIT_API}/permissions/{vhost}/guest", auth=RABBIT_AUTH, timeout=10,
                 json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
    return f"amqp://guest:guest@127.0.0.1:5672/{vhost}"


def delete_vhost(amqp_uri: str) -> None:
    requests.delete(f"{RABBIT_API}/vhosts/{amqp_uri.rsplit('/', 1)[1]}", auth=RABBIT_AUTH, timeout=10)


def delete_test_indices(prefix: str) -> None:
    """Every index and template reporting made under `prefix` (the dev server refuses wildcard deletes)."""
    client = Elasticsearch(ES_URL)
    for name in ("cases", "events", "calls"):
        created = client.options(ignore_status=404).indices.get(index=f"{prefix}-{name}-*")
        for index in created if hasattr(created, "keys") else ():
            client.options(ignore_status=404).indices.delete(index=index)
        client.options(ignore_status=404).indices.delete_index_template(name=f"{prefix}-{name}")
    client.close()


@dataclass
class Platform:
    urls: dict[str, str]          # each service's, and the fake SMS provider's ("sms-sink")
    settings: dict                # each service's settings, as its process read them
    amqp_uri: str
    database_url: str
    es_prefix: str
    work_dir: Path                # the SMS provider's record of what it was asked to send
    processes: dict = field(repr=False)


@contextmanager
def running_platform(database_url: str, env: dict | None = None, service_env: dict[str, dict] | None = None,
                     amqp_uri: str | None = None, before_start=None):
    """Start every service and the SMS sink. `env` applies to every process, `service_env[name]` to one
    (a service's HTTP port may be chosen there beforehand); `amqp_uri` is a broker of the caller's
    (otherwise a vhost of the platform's own); `before_start(amqp_uri)` may declare extra queues."""
    own_vhost = amqp_uri is None
    amqp_uri = create_vhost() if own_vhost else amqp_uri
    work_dir = Path(tempfile.mkdtemp(prefix="cfm-platform-"))
    es_prefix = f"test-{uuid.uuid4().hex[:10]}"
    processes = {}
    try:
        declare_queues(amqp_uri)  # as `make migrate` does before `make run`
        if before_start:
            before_start(amqp_uri)
        sink_port = free_port()
        env = {"CFM__DATABASE__URL": database_url, "CFM__AMQP__URI": amqp_uri, "CFM__ELASTICSEARCH__URL": ES_URL,
               "CFM__ELASTICSEARCH__INDEX_PREFIX": es_prefix, "CFM__TRACING__EXPORTER": "none",
               "CFM__SMS__BASE_URL": f"http://127.0.0.1:{sink_port}",
               "CFM__AMQP__POLL_SECONDS": "0.1",  # each consumer then stops within a tenth of a second
               **(env or {})}
        service_env = {name: {"CFM__HTTP__PORT": str(free_port()), "CFM__HTTP__METRICS_PORT": str(free_port()),
                              **(service_env or {}).get(name, {})} for name in SERVICES}
        processes, settings = start_platform(env, service_env, sink_args=(
            "--port", str(sink_port), "--record-file", str(work_dir / "sms.jsonl")))
        urls = {name: f"http://127.0.0.1:{settings[name].http.port}" for name in SERVICES}
        urls["sms-sink"] = f"http://127.0.0.1:{sink_port}"
        yield Platform(urls, settings, amqp_uri, database_url, es_prefix, work_dir, processes)
    finally:
        stop_platform(processes)
        if own_vhost:
            delete_vhost(amqp_uri)
        delete_test_indices(es_prefix)
        shutil.rmtree(work_dir, ignore_errors=True)
