"""RabbitMQ goes away and comes back, twice, while hotline messages keep arriving: every
service must come back by itself and every accepted message must end as a case, a search document
and an acknowledgement SMS.

The broker here is a private RabbitMQ node (tests/e2e/broker.py), stopped and started with
rabbitmqctl, then killed outright: the machine's shared RabbitMQ is never touched. A burst of
calls just before each outage keeps every service busy acking when its connection drops, the moment
that used to kill a service's container and leave the process wedged.
"""
import itertools
import time

import eventlet
import pytest
import requests
from elasticsearch import Elasticsearch

from chassis.services import SERVICES
from tests.conftest import ES_URL, free_port, wait_for
from tests.e2e.broker import PrivateBroker, private_broker_available
from tests.e2e.platform import running_platform
from tests.tokens import bearer

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
    with running_platform(database_url, amqp_uri=broker.uri) as running:
        yield running


def health(url: str, which: str) -> int | None:
    """The status of /health/<which>, or None when the service does not answer within 3 s."""
    try:
        return requests.get(f"{url}/health/{which}", timeout=3).status_code
    except requests.RequestException:
        return None


class Hotline:
    """Agents recording calls, each caller with a phone of their own who asked to be called back
    (so each accepted message owes one acknowledgement SMS)."""

    def __init__(self, intake_url: str):
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
            # Long enough that a slow answer is not counted refused while intake accepted it.
            answer = session.post(self.url, headers=self.headers, timeout=30, json={
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
    urls, es_prefix, processes = platform.urls, platform.es_prefix, platform.processes
    # The services that consume events (identity and the console take none: their readiness says only
    # "broker unreachable" during an outage).
    services = {name: urls[name] for name in SERVICES if name not in ("identity", "console")}
    hotline = Hotline(urls["intake"])
    started = time.monotonic()
    try:
        # Two outages, the second after the services came back from the first: RabbitMQ stopped (its
        # clients told), then its node killed outright (no goodbye). Each lasts as long as every service
        # takes to notice and intake to accept 5 more messages, plus the broker's restart (seconds; the
        # node's boot after the crash takes longer): several failed reconnection attempts each.
        for crash in (False, True):
            before = len(hotline.accepted)
            wait_for(lambda: len(hotline.accepted) >= before + 6, timeout=60, interval=0.2)
            hotline.burst(30)
            if crash:
                broker.crash()
            else:
                broker.stop()
            # Every service says so, and keeps answering while the broker is away.
            assert all(eventlet.GreenPool().imap(lambda url: wait_for(
                lambda: health(url, "ready") == 503, timeout=15, interval=0.1), services.values()))
            assert all(wait_for(lambda: health(url, "live") == 200, timeout=15, interval=0.1)
                       for url in services.values())
            # A consumer notices the lost connection a moment after the broker ping fails: wait for each.
            assert all(wait_for(lambda: requests.get(f"{url}/health/ready", timeout=10).json()["checks"]["consumers"]
                                == "detached", timeout=15, interval=0.1) for url in services.values())
            # intake keeps accepting messages into its outbox meanwhile
            during = len(hotline.accepted)
            wait_for(lambda: len(hotline.accepted) >= during + 5, timeout=30, interval=0.2)
            if crash:
                broker.start_node()
            else:
                broker.start()
            assert all(eventlet.GreenPool().imap(lambda url: wait_for(
                lambda: health(url, "ready") == 200, timeout=60, interval=0.1), services.values()))
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
        wait_for(all_done, timeout=120, interval=0.5)
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
        assert wait_for(lambda: health(url, "ready") == 200 and health(url, "live") == 200, timeout=15), name
    assert all(process.poll() is None for process in processes.values())
