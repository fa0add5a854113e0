"""`python -m chassis.migrate` (make migrate): create the database if needed,
apply every service's migrations and declare every event queue, so that no
event is published before the queue of a consumer that is not running yet
exists."""
import sys
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import psycopg
from kombu import Connection
from psycopg import sql

from chassis.db import apply_migrations
from chassis.services import SERVICES, load_service
from chassis.settings import load_settings


def ensure_database(url: str) -> None:
    """Create the database named in `url` when it does not exist yet."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    name = info["dbname"]
    admin_url = psycopg.conninfo.make_conninfo(url, dbname="postgres")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def declare_queues(amqp_uri: str, services=SERVICES) -> list[str]:
    """Declare the durable queue of every event consumer of `services`."""
    from chassis.messaging import EventConsumer, consumer_queue_name
    from kombu import Exchange, Queue

    declared = []
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        for name in services:
            service_cls, _ = load_service(name)
            for attr in dir(service_cls):
                for entrypoint in getattr(getattr(service_cls, attr), "nameko_entrypoints", ()):
                    if not isinstance(entrypoint, EventConsumer):
                        continue
                    queue_name = consumer_queue_name(name, entrypoint.source_service, entrypoint.event_model)
                    exchange = Exchange(f"{entrypoint.source_service}.events", type="topic", durable=True)
                    Queue(queue_name, exchange=exchange, routing_key=entrypoint.event_type,
                          durable=True)(channel).declare()
                    declared.append(queue_name)
    return declared


def main() -> int:
    for name in SERVICES:
        _, settings_cls = load_service(name)
        settings = load_settings(settings_cls, name, require_secrets=False)  # it uses none of them
        ensure_database(settings.database.url)
        applied = apply_migrations(settings.database.url, name)
        print(f"{name}: {len(applied)} migration(s) applied" + (f" ({', '.join(applied)})" if applied else ""))
    queues = declare_queues(settings.amqp.uri)
    print(f"{len(queues)} event queues declared")
    return 0


if __name__ == "__main__":
    sys.exit(main())
