"""PostgreSQL for every service: a pool that cooperates with eventlet, one
schema per service, versioned SQL migrations, and the unit of work.

The unit of work owns a transaction. What a handler changes, the events it
emits (outbox) and the id of the message it consumed (idempotency) commit
together or not at all.
"""
import json
import logging
from pathlib import Path
from uuid import UUID, uuid4

import psycopg
import psycopg.waiting
from nameko.extensions import DependencyProvider
from psycopg import sql
from psycopg_pool import ConnectionPool

from chassis import metrics
from chassis.outbox import OutboxRelay
from chassis.tracing import current_trace_headers
from contracts.envelope import Envelope, EventPayload

log = logging.getLogger(__name__)

CHASSIS_MIGRATIONS = Path(__file__).parent / "migrations"
SERVICES_DIR = Path(__file__).resolve().parent.parent / "services"


def make_psycopg_cooperative() -> None:
    """psycopg's C wait function blocks the whole process under eventlet:
    use the select()-based one, which eventlet's monkey patching makes green."""
    psycopg.waiting.wait = psycopg.waiting.wait_select


def assert_psycopg_cooperative() -> None:
    if psycopg.waiting.wait is getattr(psycopg.waiting, "wait_c", None):
        raise RuntimeError("psycopg uses its C wait function: every query would block all workers")


def open_pool(url: str, schema: str, min_size: int = 1, max_size: int = 10) -> ConnectionPool:
    make_psycopg_cooperative()
    return ConnectionPool(
        url, min_size=min_size, max_size=max_size, open=True, name=schema,
        kwargs={"options": f"-c search_path={schema}"},
    )


def migration_files(service: str) -> list[tuple[str, Path]]:
    """(version, file) in the order they apply: the chassis's tables, then the service's."""
    files = [(f"chassis:{path.stem}", path) for path in sorted(CHASSIS_MIGRATIONS.glob("*.sql"))]
    files += [(path.stem, path) for path in sorted((SERVICES_DIR / service / "migrations").glob("*.sql"))]
    return files


def apply_migrations(url: str, service: str) -> list[str]:
    """Create the service's schema and apply its pending migrations; returns what was applied."""
    applied_now = []
    with psycopg.connect(url, autocommit=False) as conn:
        schema = sql.Identifier(service)
        # Several processes may start at once: one migrates, the others wait.
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"migrate:{service}"])
        # Checked before creating: in a deployment the service's own role may create nothing (its
        # schema and tables belong to the migration role, deploy/postgres/roles.sql), and PostgreSQL
        # checks that right before it looks whether the schema exists.
        if not conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [service]).fetchone():
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(schema))
        conn.execute(sql.SQL("SET LOCAL search_path TO {}").format(schema))
        if conn.execute("SELECT to_regclass('schema_migrations')").fetchone()[0] is None:
            conn.execute("""CREATE TABLE schema_migrations (
                                version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())""")
        done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
        for version, path in migration_files(service):
            if version in done:
                continue
            conn.execute(path.read_text())
            conn.execute("INSERT INTO schema_migrations (version) VALUES (%s)", [version])
            applied_now.append(version)
        conn.commit()
    return applied_now


class UnitOfWork:
    """One transaction: state changes, emitted events and the consumed message id."""

    def __init__(self, pool: ConnectionPool, service: str, worker_ctx, on_commit):
        self._pool = pool
        self._service = service
        self._worker_ctx = worker_ctx
        self._on_commit = on_commit
        self._emitted = 0

    def __enter__(self) -> "UnitOfWork":
        self._lease = self._pool.connection()
        self.conn: psycopg.Connection = self._lease.__enter__()
        return self

    def __exit__(self, exc_type, exc, tb):
        # The pool commits the transaction when the block succeeded, rolls it back otherwise.
        self._lease.__exit__(exc_type, exc, tb)
        if exc_type is None and self._emitted:
            self._on_commit()
        return False

    def execute(self, query, params=None):
        return self.conn.execute(query, params)

    def claim_message(self) -> bool:
        """Record the consumed message; False when it was handled before (a redelivery)."""
        data = self._worker_ctx.data
        consumer, message_id = data.get("consumer"), data.get("causation_id")
        if consumer is None or message_id is None:
            raise RuntimeError("claim_message() is for event handlers only")
        claimed = self.conn.execute(
            "INSERT INTO processed_messages (consumer, message_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
            [consumer, message_id]).rowcount == 1
        if not claimed:
            self._worker_ctx.duplicate_message = True
        return claimed

    def emit(self, payload: EventPayload, *, country: str) -> Envelope:
        """Add an event to the outbox, to be published once this transaction commits; during a
        breaking change, its older versions too (same transaction, so both go out or neither)."""
        data = self._worker_ctx.data if self._worker_ctx is not None else {}
        correlation = data.get("correlation_id")
        causation = data.get("causation_id")
        correlation_id = UUID(correlation) if correlation else uuid4()
        envelopes = [Envelope.wrap(
            version, country=country, producer=self._service, correlation_id=correlation_id,
            causation_id=UUID(causation) if causation else None,
        ) for version in (payload, *payload.also_published_as())]
        for envelope in envelopes:
            self.conn.execute(
                "INSERT INTO outbox (message_id, event_type, routing_key, body, headers) VALUES (%s, %s, %s, %s, %s)",
                [envelope.message_id, envelope.type, envelope.routing_key,
                 envelope.model_dump_json(), json.dumps(current_trace_headers())])
        self._emitted += len(envelopes)
        return envelopes[0]


class Database(DependencyProvider):
    """The service's PostgreSQL schema: gives workers a unit-of-work factory
    and runs the outbox relay for as long as the service runs."""

    def setup(self):
        settings = self.container.config["SETTINGS"]
        self.service = settings.service
        self.pool = open_pool(settings.database.url, settings.schema,
                              settings.database.pool_min, settings.database.pool_max)
        assert_psycopg_cooperative()
        self.relay = OutboxRelay(self.pool, settings.amqp.uri, settings.service,
                                 poll_seconds=settings.consumer.outbox_poll_seconds)

    def start(self):
        with self.pool.connection() as conn:
            parked = conn.execute("SELECT count(*) FROM parked_messages").fetchone()[0]
        metrics.PARKED_NOW.labels(self.service).set(parked)
        self.container.spawn_managed_thread(self.relay.run, identifier="outbox_relay")

    def stop(self):
        self.relay.stop()
        self.pool.close()

    def kill(self):
        self.relay.stop()
        self.pool.close()

    def get_dependency(self, worker_ctx):
        return lambda: UnitOfWork(self.pool, self.service, worker_ctx, self.relay.wake)
