"""Fixtures for every test: a fresh database, a throw-away RabbitMQ vhost per
test, a throw-away Elasticsearch index prefix per test, and nameko containers
of the real services wired to them.

Unit tests use none of these and need no I/O.
"""
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
import eventlet  # noqa: E402

eventlet.monkey_patch()  # before anything opens a socket, as in chassis.run

import os  # noqa: E402
import threading  # noqa: E402
import uuid  # noqa: E402

import psycopg  # noqa: E402
import pytest  # noqa: E402
from nameko.containers import ServiceContainer  # noqa: E402
from psycopg import sql  # noqa: E402

from chassis.services import SERVICES, load_service  # noqa: E402
from chassis.settings import _deep_merge, load_settings  # noqa: E402
# The shared infrastructure's addresses and helpers, importable from here as before.
from tests.platform import (  # noqa: E402, F401
    ES_URL, PG_ADMIN_URL, RABBIT_API, RABBIT_AUTH, create_vhost, delete_test_indices, delete_vhost, free_port,
    fresh_database,
)
from tests.helpers import EventRecorder  # noqa: E402
from tests.tokens import TEST_AUTH_ENV, TEST_JWKS, mint_token  # noqa: E402, F401
from tools.sms_sink import SmsSink  # noqa: E402
from tools.whatsapp_sink import WhatsAppSink  # noqa: E402

TEST_DATABASE = os.environ.get("CFM_TEST_DATABASE", "cfm_test")  # one per checkout run side by side
# The services under test trust the test run's own signing key, and fetch no other.
TEST_AUTH = {"jwks": TEST_JWKS, "jwks_url": None, "revocations_url": None}


@pytest.fixture(scope="session")
def database_url():
    """A database made afresh for this test session, with every service's schema."""
    return fresh_database(TEST_DATABASE)


def empty_database(conn) -> None:
    """Delete every row of every service's tables and restart their sequences (the schema and
    migrations stay). Only the tables that need it are truncated: a test leaves most of them empty, and
    truncating all sixty costs a third of a second a test where looking costs a hundredth."""
    tables = conn.execute(
        """SELECT schemaname, tablename FROM pg_tables
           WHERE schemaname = ANY(%s) AND tablename <> 'schema_migrations'""", [list(SERVICES)]).fetchall()
    with_rows = conn.execute(sql.SQL(" UNION ALL ").join(
        sql.SQL("SELECT {}, {} WHERE EXISTS (SELECT FROM {})").format(
            sql.Literal(schema), sql.Literal(table), sql.Identifier(schema, table)) for schema, table in tables)).fetchall()
    # Empty tables whose serial or identity column has moved on (rows deleted, or inserts rolled back).
    moved_on = conn.execute(
        """SELECT DISTINCT owner_ns.nspname, owner.relname
           FROM pg_depend d
           JOIN pg_class seq ON seq.oid = d.objid AND seq.relkind = 'S'
           JOIN pg_namespace seq_ns ON seq_ns.oid = seq.relnamespace
           JOIN pg_sequences s ON s.schemaname = seq_ns.nspname AND s.sequencename = seq.relname
           JOIN pg_class owner ON owner.oid = d.refobjid
           JOIN pg_namespace owner_ns ON owner_ns.oid = owner.relnamespace
           WHERE d.deptype IN ('a', 'i') AND owner_ns.nspname = ANY(%s) AND owner.relname <> 'schema_migrations'
             AND s.last_value IS NOT NULL""", [list(SERVICES)]).fetchall()
    dirty = sorted(set(with_rows) | set(moved_on))
    if not dirty:
        return
    truncate = sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(
        sql.SQL(", ").join(sql.Identifier(schema, table) for schema, table in dirty))
    # As a replica, so that the triggers keeping cases' audit log append-only let the test reset it.
    conn.execute("SET session_replication_role = replica")
    try:
        for attempt in (1, 2, 3):
            try:
                conn.execute(truncate)
                break
            except psycopg.errors.DeadlockDetected:
                # A transaction of the previous test's services, finishing as they stop, took the
                # same tables in another order; it ends in a moment.
                if attempt == 3:
                    raise
    finally:
        conn.execute("RESET session_replication_role")


@pytest.fixture
def db(database_url):
    """The test database emptied of every row; yields a connection for assertions."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        empty_database(conn)
        yield conn


@pytest.fixture
def amqp_uri():
    """A RabbitMQ vhost of this test's own, deleted afterwards."""
    uri = create_vhost()
    yield uri
    delete_vhost(uri)


@pytest.fixture
def events(amqp_uri):
    """The events cases publishes on the test's vhost, as they arrive."""
    recorder = EventRecorder(amqp_uri, "cases")
    yield recorder
    recorder.close()


@pytest.fixture
def es_prefix():
    """An index prefix of this test's own; its indices and templates are deleted afterwards."""
    prefix = f"test-{uuid.uuid4().hex[:10]}"
    yield prefix
    delete_test_indices(prefix)


@pytest.fixture
def make_settings(database_url, amqp_uri, es_prefix):
    """Settings of a real service, pointed at this test's database, vhost and indices."""
    def make(service: str, **overrides):
        base = {
            "database": {"url": database_url, "pool_max": 5},
            "amqp": {"uri": amqp_uri, "poll_seconds": 0.1},  # a consumer stops within this
            "elasticsearch": {"url": ES_URL, "index_prefix": es_prefix},
            "tracing": {"exporter": "none"},
            "http": {"port": free_port(), "metrics_port": free_port()},
            "consumer": {"first_backoff_seconds": 0.05},
            "auth": TEST_AUTH,
        }
        return load_settings(load_service(service)[1], service, overrides=_deep_merge(base, overrides), environ={})
    return make


@pytest.fixture
def sms_sink():
    """A fake SMS provider speaking Twilio's API; what the services sent is in `sms_sink.messages`."""
    sink = SmsSink(("127.0.0.1", free_port()), "ACtest", "sink-token")
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    yield sink
    sink.shutdown()


@pytest.fixture
def whatsapp_sink():
    """A fake WhatsApp Cloud API; what the services sent is in `whatsapp_sink.messages`."""
    sink = WhatsAppSink(("127.0.0.1", free_port()), "sink-whatsapp-token")
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    yield sink
    sink.shutdown()


@pytest.fixture
def run_service(make_settings):
    """Start a service (a real one by name, or any class with its settings) in a nameko container."""
    containers = []

    def run(service, service_cls=None, **overrides):
        settings = make_settings(service, **overrides)
        container = ServiceContainer(service_cls or load_service(service)[0], settings.nameko_config())
        container.start()
        containers.append(container)
        return RunningService(container, settings)

    yield run

    def stop(container):
        with eventlet.Timeout(10, False):
            container.stop()
        container.kill()
    # All at once: a container that does not stop within the timeout (some never do on a broker user of
    # restricted rights) then costs the test that timeout once, not once per service.
    stopping = eventlet.GreenPool()
    for container in reversed(containers):
        stopping.spawn(stop, container)
    stopping.waitall()


class RunningService:
    def __init__(self, container, settings):
        self.container = container
        self.settings = settings
        self.url = f"http://127.0.0.1:{settings.http.port}"
        self.metrics_url = f"http://127.0.0.1:{settings.http.metrics_port}/metrics"

    def token(self, role="agent", countries=("GN",), subject="test-user", **kwargs) -> str:
        return mint_token(subject=subject, role=role, countries=list(countries), **kwargs)

    def headers(self, role="agent", countries=("GN",)) -> dict:
        return {"Authorization": f"Bearer {self.token(role, countries)}"}


def wait_for(check, timeout: float = 30, interval: float = 0.05):
    """Poll `check` until it returns something truthy; fail after `timeout` seconds. The default is
    generous: a chain across three services on a loaded 2-core CI machine can take several seconds, and
    the wait costs time only when the test fails anyway."""
    deadline = eventlet.hubs.get_hub().clock() + timeout
    while True:
        result = check()
        if result:
            return result
        if eventlet.hubs.get_hub().clock() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        eventlet.sleep(interval)
