"""The whole platform, each service its own process, followed from the first
HTTP request to the last observable effect."""
import json
import time
from pathlib import Path

import psycopg
import pytest
import requests

from chassis.services import SERVICES
from tests.conftest import wait_for
from tests.tokens import bearer

pytestmark = pytest.mark.e2e

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
MESSAGE_SERVICES = set(SERVICES) - {"identity", "console"}   # every service a message passes through


@pytest.fixture(scope="module")
def platform(shared_platform):
    urls = shared_platform.urls
    yield urls, shared_platform.settings["intake"], Path(shared_platform.settings["intake"].tracing.file_dir)


def test_a_message_flows_from_intake_to_search_acknowledgement_and_one_trace(platform):
    urls, settings, trace_dir = platform
    agent = bearer("agent", subject="e2e-agent")
    submitted = time.monotonic()
    answer = requests.post(f"{urls['intake']}/v1/feedback", headers={
        **agent, "traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01"}, json={
        "country": "GN", "channel": "hotline", "language": "fr",
        "narrative": "Le paiement de l'appui au commerce est en retard à Kindia depuis trois mois.",
        "contact": {"name": "Ibrahima Sow", "phone": "+224 655 44 33 22"},
        "consent": {"callback": True, "share_with_partners": False}})
    assert answer.status_code == 202
    reference = answer.json()["reference"]

    def found():
        hits = requests.get(f"{urls['reporting']}/v1/search", params={"q": "Kindia"}, headers=agent).json()
        return [hit for hit in hits["results"] if hit["reference"] == reference]

    hit = wait_for(found, timeout=15, interval=0.1)[0]
    print(f"intake to search: {time.monotonic() - submitted:.2f} s")
    # The number as typed or stored, never "655" alone: a timestamp's microseconds may hold those digits.
    assert "Ibrahima" not in json.dumps(hit) and "655 44" not in json.dumps(hit) and "655443322" not in json.dumps(hit)

    def sent_to_the_caller():  # the platform is shared: other tests' people get messages too
        return [sms for sms in requests.get(f"{urls['sms-sink']}/messages").json() if sms["to"] == "+224655443322"]

    sms = wait_for(sent_to_the_caller, timeout=15)
    assert len(sms) == 1 and reference in sms[0]["body"]

    case = requests.get(f"{urls['cases']}/v1/cases/{reference}", headers=agent).json()
    assert case["status"] == "new" and case["has_contact"]

    def spans_of_trace():
        spans = [json.loads(line) for path in trace_dir.glob("*.jsonl") for line in path.read_text().splitlines()]
        services = {span["service"] for span in spans if span["trace_id"] == TRACE_ID}
        return services if services == MESSAGE_SERVICES else None

    assert wait_for(spans_of_trace, timeout=15, interval=0.2) == MESSAGE_SERVICES
    traces = " ".join(path.read_text() for path in trace_dir.glob("*.jsonl"))
    assert "Ibrahima" not in traces and "655 44" not in traces and "Kindia" not in traces


def test_a_sensitive_message_is_hidden_referred_and_never_searchable_by_agents(platform, shared_platform):
    urls, settings, _ = platform
    agent = bearer("agent", subject="e2e-agent")
    focal = bearer("focal_point", subject="e2e-focal_point")
    answer = requests.post(f"{urls['intake']}/v1/feedback", headers=agent, json={
        "country": "GN", "channel": "reception_desk", "language": "fr",
        "narrative": "Le gardien du centre m'a demandé de coucher avec lui pour recevoir le kit.",
        "consent": {"callback": False, "share_with_partners": True}})
    reference = answer.json()["reference"]

    def indexed():
        hits = requests.get(f"{urls['reporting']}/v1/search", headers=focal).json()
        return [hit for hit in hits["results"] if hit["reference"] == reference]

    hit = wait_for(indexed, timeout=15, interval=0.1)[0]
    with psycopg.connect(shared_platform.database_url, autocommit=True) as db:
        wait_for(lambda: db.execute("SELECT 1 FROM referrals.referrals WHERE reference = %s", [reference]).fetchone())
    assert hit["restricted"] and hit["excerpt"] is None
    assert requests.get(f"{urls['cases']}/v1/cases/{reference}", headers=agent).status_code == 404
    assert requests.get(f"{urls['cases']}/v1/cases/{reference}", headers=focal).json()["category_code"] == 6
    agent_hits = requests.get(f"{urls['reporting']}/v1/search", headers=agent).json()["results"]
    assert reference not in [hit["reference"] for hit in agent_hits]
