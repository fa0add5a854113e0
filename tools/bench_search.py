"""`make bench-search`: how fast reporting indexes events, and how long searches
and reports take, on this machine.

Starts the reporting service alone (its own process) on a database, a RabbitMQ
vhost and an index prefix of its own, publishes the events of N realistic
cases (FeedbackReceived, CaseOpened, CaseStatusChanged) as the other services
would, waits until every one is indexed, then times searches and a weekly
report. On this machine the index is the Elasticsearch development server,
which scans every document on each search: its latencies say nothing about a
real Elasticsearch cluster, only about this code path end to end.
"""
import argparse
import os
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import requests
from elasticsearch import Elasticsearch
from nameko.amqp.publish import Publisher
from nameko.standalone.events import get_event_exchange

from contracts.common import Channel, Location, Respondent
from contracts.envelope import Envelope
from contracts.events import CaseOpened, CaseStatusChanged, FeedbackReceived
from services.reporting.reports import percentile
from tools.bench import RABBIT_API, isolated_resources
from services.identity.commands import dev_token
from tools.platform import start_platform, stop_platform

REGIONS = ("Kindia", "Conakry", "Labé", "Kankan", "Nzérékoré", "Boké")
CHANNELS = ("hotline", "sms", "whatsapp", "reception_desk", "web_form")
NARRATIVES = (
    "Le paiement de l'appui au commerce est en retard depuis trois mois.",
    "Quand aura lieu la prochaine formation en couture ?",
    "Merci pour le kit de réinstallation, il est arrivé complet.",
    "Retard de paiement de l'allocation de loyer promise au retour.",
    "Je n'ai pas reçu les médicaments prévus dans le kit médical.",
)
SEARCHES = {
    "full text 'retard paiement Kindia'": {"q": "retard paiement Kindia"},
    "filters only (channel, status, region)": {"channel": "hotline,sms", "status": "acknowledged", "region": "Kindia"},
    "full text + filters, oldest first": {"q": "formation", "region": "Labé", "sort": "oldest"},
}


def events_of_case(number: int, start: datetime):
    received = start + timedelta(minutes=7 * number)
    reference, case_id = f"GN-2026-{number + 1:06d}", uuid.uuid4()
    channel = CHANNELS[number % len(CHANNELS)]
    narrative = NARRATIVES[number % len(NARRATIVES)]
    yield "intake", FeedbackReceived(
        feedback_id=uuid.uuid4(), reference=reference, channel=channel, narrative=narrative, received_at=received,
        location=Location(adm1=REGIONS[number % len(REGIONS)]),
        respondent=Respondent(sex=("female", "male")[number % 2], age_group=("18-24", "25-59")[number % 2]))
    yield "cases", CaseOpened(
        case_id=case_id, reference=reference, feedback_id=uuid.uuid4(), channel=Channel(channel),
        narrative=narrative, received_at=received, opened_at=received, sensitive=False, restricted=False,
        priority="normal", deadline_kind="acknowledge", deadline_at=received + timedelta(days=1), category_code=4)
    yield "cases", CaseStatusChanged(
        case_id=case_id, reference=reference, case_version=2, status="acknowledged", restricted=False,
        at=received + timedelta(hours=2), by="agent-1", from_status="new")


def timed(call, repeat: int) -> list[float]:
    durations = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        durations.append(time.perf_counter() - started)
    return sorted(durations)


def describe(durations: list[float]) -> str:
    return (f"p50 {percentile(durations, 0.5) * 1000:7.0f} ms   "
            f"p95 {percentile(durations, 0.95) * 1000:7.0f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", "--cases", type=int, default=2000)
    parser.add_argument("-r", "--repeat", type=int, default=20, help="times each search is run")
    args = parser.parse_args()

    database_url, amqp_uri, vhost, prefix = isolated_resources("cfm_bench_search", ("identity", "reporting"))
    env = {"CFM__DATABASE__URL": database_url, "CFM__AMQP__URI": amqp_uri,
           "CFM__ELASTICSEARCH__INDEX_PREFIX": prefix, "CFM__TRACING__EXPORTER": "none",
           "CFM__LOGGING__LEVEL": "WARNING"}
    service_env = {"identity": {"CFM__HTTP__PORT": "18106", "CFM__HTTP__METRICS_PORT": "19106"},
                   "reporting": {"CFM__HTTP__PORT": "18105", "CFM__HTTP__METRICS_PORT": "19105"}}
    processes, settings = start_platform(env, service_env, sink_args=("--port", "18199", "--record-file",
                                                                      os.devnull), services=("identity", "reporting"))
    es = Elasticsearch(settings["reporting"].elasticsearch.url)
    try:
        start = datetime(2026, 11, 2, 8, tzinfo=UTC)
        envelopes = [(producer, Envelope.wrap(event, country="GN", producer=producer, correlation_id=uuid.uuid4()))
                     for number in range(args.cases) for producer, event in events_of_case(number, start)]
        publishers = {producer: Publisher(amqp_uri, use_confirms=True, declare=[get_event_exchange(producer, {})])
                      for producer in ("intake", "cases")}
        started = time.perf_counter()
        for producer, envelope in envelopes:
            publishers[producer].publish(envelope.model_dump(mode="json"), exchange=get_event_exchange(producer, {}),
                                         routing_key=envelope.routing_key, message_id=str(envelope.message_id))
        published = time.perf_counter() - started
        with psycopg.connect(database_url) as conn:
            while conn.execute("SELECT count(*) FROM reporting.journal").fetchone()[0] < len(envelopes):
                if time.perf_counter() - started > 1800:
                    raise RuntimeError("indexing did not finish within 30 minutes")
                time.sleep(0.5)
        indexed = time.perf_counter() - started
        es.indices.refresh(index=f"{prefix}-*")

        token = dev_token(settings["identity"], subject="bench", role="manager", countries=["GN"])
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        base = f"http://127.0.0.1:{settings['reporting'].http.port}"

        def get(path, params):
            answer = session.get(f"{base}{path}", params=params, timeout=120)
            answer.raise_for_status()
            return answer

        results = {name: timed(lambda p=params: get("/v1/search", p), args.repeat) for name, params in SEARCHES.items()}
        cursor = {}

        def walk_pages():
            nonlocal cursor
            page = get("/v1/search", {"size": 100, **cursor}).json()
            cursor = {"cursor": page["next_cursor"]} if page["next_cursor"] else {}
        results["next page (search_after, 100 hits)"] = timed(walk_pages, args.repeat)
        results["weekly report (JSON)"] = timed(
            lambda: get("/v1/reports", {"period": "week", "date": "2026-11-04", "country": "GN"}), 3)
        results["weekly report (XLSX)"] = timed(
            lambda: get("/v1/reports", {"period": "week", "date": "2026-11-04", "country": "GN", "format": "xlsx"}), 3)
    finally:
        stop_platform(processes)
        for name in ("cases", "events", "calls"):
            es.options(ignore_status=404).indices.delete(index=f"{prefix}-{name}-v1")
        requests.delete(f"{RABBIT_API}/vhosts/{vhost}", auth=("guest", "guest"))

    print(f"cases: {args.cases} ({len(envelopes)} events), machine: {os.cpu_count()} cores, "
          "index: the Elasticsearch dev server (not a cluster)")
    print(f"published in {published:.1f} s; indexed by reporting: {len(envelopes) / indexed:7.1f} events/s "
          f"({args.cases / indexed:.1f} cases/s, all indexed after {indexed:.1f} s)")
    for name, durations in results.items():
        print(f"{name:42s} {describe(durations)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
