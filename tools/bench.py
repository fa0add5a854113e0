"""`make bench`: how many feedback messages per second flow from intake's HTTP
API to the search index on this machine.

Starts the whole platform (each service its own process) on a database, a
RabbitMQ vhost and an index prefix of its own, posts N realistic messages
from C concurrent clients, and waits until every case is searchable. Prints
the HTTP accept rate and latency, and the end-to-end rate. The local
Elasticsearch dev server's own speed is part of the end-to-end figure.
"""
import argparse
import os
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg
import requests
from elasticsearch import Elasticsearch
from psycopg import sql

from chassis.db import apply_migrations
from chassis.migrate import declare_queues
from chassis.services import SERVICES
from services.identity.commands import dev_token
from services.reporting.reports import percentile
from tools.platform import start_platform, stop_platform

RABBIT_API = "http://127.0.0.1:15672/api"
NARRATIVES = [
    "Le paiement de l'appui au commerce est en retard à Kindia depuis trois mois.",
    "Quand aura lieu la prochaine formation en couture à Labé ?",
    "Merci pour le kit de réinstallation, il est arrivé complet.",
    "The cash transfer for November did not arrive in Kano.",
]


def isolated_resources(database: str, services: tuple[str, ...]) -> tuple[str, str, str, str]:
    """A fresh database with `services`' schemas, a vhost with their queues, and an index prefix,
    so that a benchmark never touches `make run`'s data. Returns (database url, amqp uri, vhost, prefix)."""
    run_id = uuid.uuid4().hex[:8]
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    database_url = f"postgresql://postgres@127.0.0.1:5432/{database}"
    for name in services:
        apply_migrations(database_url, name)
    vhost = f"cfm-bench-{run_id}"
    requests.put(f"{RABBIT_API}/vhosts/{vhost}", auth=("guest", "guest")).raise_for_status()
    requests.put(f"{RABBIT_API}/permissions/{vhost}/guest", auth=("guest", "guest"),
                 json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
    amqp_uri = f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    declare_queues(amqp_uri, services=services)
    return database_url, amqp_uri, vhost, f"bench-{run_id}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", "--messages", type=int, default=500)
    parser.add_argument("-c", "--clients", type=int, default=8)
    args = parser.parse_args()

    database_url, amqp_uri, vhost, prefix = isolated_resources("cfm_bench", SERVICES)
    env = {"CFM__DATABASE__URL": database_url, "CFM__AMQP__URI": amqp_uri,
           "CFM__ELASTICSEARCH__INDEX_PREFIX": prefix, "CFM__TRACING__EXPORTER": "none",
           "CFM__LOGGING__LEVEL": "WARNING"}
    service_env = {name: {"CFM__HTTP__PORT": str(18000 + i), "CFM__HTTP__METRICS_PORT": str(19000 + i)}
                   for i, name in enumerate(SERVICES, start=1)}
    processes, settings = start_platform(env, service_env, sink_args=("--port", "18099", "--record-file",
                                                                      os.devnull))
    es = Elasticsearch(settings["reporting"].elasticsearch.url)
    try:
        token = dev_token(settings["identity"], subject="bench", role="agent", countries=["GN"])
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        url = f"http://127.0.0.1:{settings['intake'].http.port}/v1/feedback"

        def post(i: int) -> float:
            started = time.perf_counter()
            answer = session.post(url, timeout=30, json={
                "country": "GN", "channel": "hotline", "language": "fr", "narrative": NARRATIVES[i % 4],
                "contact": {"phone": f"+22462{i:07d}"}, "consent": {"callback": False}})
            answer.raise_for_status()
            return time.perf_counter() - started

        started = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            latencies = sorted(pool.map(post, range(args.messages)))
        accepted = time.perf_counter() - started
        while True:
            es.indices.refresh(index=f"{prefix}-cases")
            indexed = es.count(index=f"{prefix}-cases")["count"]
            if indexed >= args.messages or time.perf_counter() - started > 600:
                break
            time.sleep(0.2)
        flowed = time.perf_counter() - started
    finally:
        stop_platform(processes)
        for name in ("cases", "events", "calls"):
            es.options(ignore_status=404).indices.delete(index=f"{prefix}-{name}-v1")
        requests.delete(f"{RABBIT_API}/vhosts/{vhost}", auth=("guest", "guest"))

    print(f"messages: {args.messages}, concurrent clients: {args.clients}, machine: {os.cpu_count()} cores")
    print(f"intake accepted (202):  {args.messages / accepted:7.1f} msg/s   "
          f"latency p50 {percentile(latencies, 0.5) * 1000:.0f} ms, "
          f"p95 {percentile(latencies, 0.95) * 1000:.0f} ms")
    print(f"intake -> search index: {indexed / flowed:7.1f} msg/s   ({indexed} cases searchable after {flowed:.1f} s)")
    return 0 if indexed >= args.messages else 1


if __name__ == "__main__":
    sys.exit(main())
