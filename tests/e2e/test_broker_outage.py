"""RabbitMQ goes away and comes back, several times, while hotline messages keep arriving: every
service must come back by itself and every accepted message must end as a case, a search document
and an acknowledgement SMS.

The broker here is a private RabbitMQ node (tests/e2e/broker.py), stopped and started with
rabbitmqctl, and once killed outright: the machine's shared RabbitMQ is never touched. A burst of
calls just before each outage keeps every service busy acking when its connection drops, the moment
that used to kill a service's container and leave the process wedged.
"""
import itertools
import shutil
import tempfile
import time
import uuid
from pathlib import Path

import eventlet
import pytest
import requests
from elasticsearch import Elasticsearch

from chassis.migrate import declare_queues
from chassis.services import SERVICES
from tests.conftest import ES_URL, TEST_AUTH_ENV, delete_test_indices, free_port, wait_for
from tests.e2e.broker import PrivateBroker, private_broker_available
from tests.tokens import bearer
from tools.platform import start_platform, stop_platform

pytestmark = pytest.mark.e2e

SENDERS = 2
PAUSE_SECONDS = 1.0  # about 2 messages a second in all, well within what this shared machine handles


@pytest.fixture
def broker():
    reason = private_broker_available()
    if reason:
        pytest.skip(reason)
    node = PrivateBroker(free_port(), free_port())
    try:
        node.start_node()
        yield node
    finally:
        node.close()


@pytest.fixture
def platform(broker, db, database_url):
    declare_queues(broker.uri)
    work_dir = Path(tempfile.mkdtemp(prefix="cfm-outage-"))
    es_prefix = f"test-{uuid.uuid4().hex[:10]}"
    sink_port = free_port()
    env = {"CFM__DATABASE__URL": database_url, "CFM__AMQP__URI": broker.uri, "CFM__ELASTICSEARCH__URL": ES_URL,
           "CFM__ELASTICSEARCH__INDEX_PREFIX": es_prefix, "CFM__TRACING__EXPORTER": "none",
           "CFM__SMS__BASE_URL": f"http://127.0.0.1:{sink_port}", **TEST_AUTH_ENV}
    service_env = {name: {"CFM__HTTP__PORT": str(free_port()), "CFM__HTTP__METRICS_PORT": str(free_port())}
                   for name in SERVICES}
    processes = {}
    try:
        processes, settings = start_platform(env, service_env, sink_args=(
            "--port", str(sink_port), "--record-file", str(work_dir / "sms.jsonl")))
        urls = {name: f"http://127.0.0.1:{settings[name].http.port}" for name in SERVICES}
        urls["sms-sink"] = f"http://127.0.0.1:{sink_port}"
        yield urls, settings["intake"], es_prefix, processes
    finally:
        stop_platform(processes)
        delete_test_indices(es_prefix)
        shutil.rmtree(work_dir, ignore_errors=True)


def health(url: str, which: str) -> int | None:
    """The status of /health/<which>, or None when the service does not answer within 3 s."""
    try:
        return requests.get(f"{url}/health/{which}", timeout=3).status_code
    except requests.RequestException:
        return None


class Hotline:
    """Agents recording calls, each caller with a phone of their own who asked to be called back
    (so each accepted message owes one acknowledgement SMS)."""

    def __init__(self, intake_url: str, settings):
        self.url = f"{intake_url}/v1/feedback"
        self.headers = bearer("agent", subject="e2e-agent")
        self.numbers = itertools.count(1)
        self.accepted: dict[str, str] = {}  # reference -> phone
        self.refused = 0
        self.running = True
        self.threads = [eventlet.spawn(self._send) for _ in range(SENDERS)]

    def _send(self):
        session = requests.Session()
        while self.running:
            self.call(session)
            eventlet.sleep(PAUSE_SECONDS)

    def burst(self, calls: int) -> None:
        """Many calls at once, so that every service is busy when the broker goes."""
        pool = eventlet.GreenPool(10)
        for _ in range(calls):
            pool.spawn(self.call, requests)
        pool.waitall()

    def call(self, session) -> None:
        number = next(self.numbers)
        phone = f"+22462{number:07d}"
        try:
            answer = session.post(self.url, headers=self.headers, timeout=10, json={
                "country": "GN", "channel": "hotline", "language": "fr",
                "narrative": f"Appel {number}: la distribution de vivres à Kindia n'a pas eu lieu ce mois.",
                "contact": {"name": "Mariama Bah", "phone": phone},
                "consent": {"callback": True, "share_with_partners": False}})
        except requests.RequestException:
            self.refused += 1
            return
        if answer.status_code == 202:
            self.accepted[answer.json()["reference"]] = phone
        else:
            self.refused += 1

    def stop(self):
        self.running = False
        for thread in self.threads:
            thread.wait()


def test_every_service_comes_back_after_broker_outages_and_nothing_is_lost(broker, platform, db):
    urls, settings, es_prefix, processes = platform
    # The services that consume events (identity and the console take none: their readiness says only
    # "broker unreachable" during an outage).
    services = {name: urls[name] for name in SERVICES if name not in ("identity", "console")}
    hotline = Hotline(urls["intake"], settings)
    started = time.monotonic()
    try:
        # Three outages of different lengths, one of them a crash of the node (no goodbye to clients).
        for outage_seconds, crash in ((5, False), (10, True), (2, False)):
            before = len(hotline.accepted)
            wait_for(lambda: len(hotline.accepted) >= before + 6, timeout=60, interval=0.2)
            hotline.burst(30)
            if crash:
                broker.crash()
            else:
                broker.stop()
            # Every service says so, and keeps answering while the broker is away.
            assert all(eventlet.GreenPool().imap(lambda url: wait_for(
                lambda: health(url, "ready") == 503, timeout=15, interval=0.3), services.values()))
            assert [health(url, "live") for url in services.values()] == [200] * len(services)
            assert {requests.get(f"{url}/health/ready", timeout=10).json()["checks"]["consumers"]
                    for url in services.values()} == {"detached"}
            # intake keeps accepting messages into its outbox meanwhile
            during = len(hotline.accepted)
            wait_for(lambda: len(hotline.accepted) >= during + 5, timeout=30, interval=0.2)
            eventlet.sleep(outage_seconds)  # the outage lasts this long whatever the services do
            if crash:
                broker.start_node()
            else:
                broker.start()
            assert all(eventlet.GreenPool().imap(lambda url: wait_for(
                lambda: health(url, "ready") == 200, timeout=60, interval=0.3), services.values()))
    finally:
        hotline.stop()

    accepted = dict(hotline.accepted)
    outages_done = time.monotonic()
    assert len(accepted) >= 50
    es = Elasticsearch(ES_URL)

    def all_done():
        cases = db.execute("SELECT count(DISTINCT reference) FROM cases.cases").fetchone()[0]
        es.indices.refresh(index=f"{es_prefix}-cases")
        indexed = es.count(index=f"{es_prefix}-cases")["count"]
        sms = requests.get(f"{urls['sms-sink']}/messages", timeout=5).json()
        acknowledged = {message["to"] for message in sms}
        return (cases, indexed, len(acknowledged)) if min(cases, indexed, len(acknowledged)) >= len(accepted) \
            else None

    try:
        wait_for(all_done, timeout=120, interval=1)
    finally:
        cases = db.execute("SELECT count(*) FROM cases.cases").fetchone()[0]
        sms = requests.get(f"{urls['sms-sink']}/messages", timeout=5).json()
        print(f"accepted {len(accepted)}, refused {hotline.refused}, cases {cases}, sms {len(sms)}; "
              f"outages {outages_done - started:.0f} s, caught up {time.monotonic() - outages_done:.0f} s later")
    references = {row[0] for row in db.execute("SELECT reference FROM cases.cases")}
    assert references == set(accepted)
    sms = requests.get(f"{urls['sms-sink']}/messages", timeout=5).json()
    assert {message["to"] for message in sms} == set(accepted.values())
    assert len(sms) == len(accepted)  # one acknowledgement each, none twice
    assert es.count(index=f"{es_prefix}-cases")["count"] == len(accepted)
    assert db.execute("SELECT count(*) FROM intake.outbox WHERE published_at IS NULL").fetchone()[0] == 0
    for name in SERVICES:
        assert db.execute(f"SELECT count(*) FROM {name}.parked_messages").fetchone()[0] == 0, name
    for name, url in services.items():
        assert health(url, "ready") == 200 and health(url, "live") == 200, name
    assert all(process.poll() is None for process in processes.values())
