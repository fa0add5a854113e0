"""The proof of an erasure: a complainant reaches the whole platform (a hotline call that is referred,
an SMS, a WhatsApp message under their profile name, a status request, a note, a resolution, a
message stuck in a parked queue, the weekly report), a focal point asks to erase them and another
approves; then no string of theirs is left in any table of any schema, in any search index, in the
services' logs or in their trace files, and the weekly report still counts their cases."""
import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

import psycopg
import pytest
import requests
from elasticsearch import Elasticsearch

from chassis.services import SERVICES
from contracts.events import FeedbackReceived
from tests.channel_payloads import (
    env_for_endpoint_secrets, gateway_body, post_gateway, post_whatsapp, wa_message, whatsapp_body,
)
from tests.conftest import ES_URL, wait_for
from tests.e2e.platform import running_platform
from tests.helpers import publish_event
from tools.platform import LOG_DIR

pytestmark = pytest.mark.e2e

NAME = "Zakariatou Bangoura"
PHONE = "+224 622 55 44 33"
# Words no other test writes, one per place the complainant's words go.
CALL = f"Je suis {NAME}. Le magasinier Quorvenex m'a demandé de coucher avec lui pour avoir le kit."
SMS = "Le paiement Plumbrisk n'est toujours pas arrivé à Kindia depuis septembre."
NOTE = "Rappelée : Vandalorix la menace encore, elle a peur de sortir."
RESOLUTION = "Paiement Trelliwump versé le 20 novembre."
STUCK = "Encore moi, Grizzlemont ne répond pas."
# On WhatsApp she writes from the same phone (wa_id: its digits) under the name her profile shows.
WA_ID = "224622554433"
WA_PROFILE = "Zaka Brindlemarsh"
WHATSAPP = "Le chef Snorvadel garde les bons de la distribution pour sa famille."
THEIR_STRINGS = ("Zakariatou", "Bangoura", "622554433", "622 55 44 33", "55 44 33", "Quorvenex", "Plumbrisk",
                 "Vandalorix", "Trelliwump", "Grizzlemont", "Brindlemarsh", "Snorvadel")


@pytest.fixture(scope="module")
def platform(database_url):
    traces = Path(tempfile.mkdtemp(prefix="cfm-erasure-traces-"))
    logs_before = {path: path.stat().st_size for path in LOG_DIR.glob("*.log")} if LOG_DIR.exists() else {}
    env = {**env_for_endpoint_secrets(), "CFM__TRACING__EXPORTER": "file", "CFM__TRACING__FILE_DIR": str(traces),
           "CFM__CONSUMER__FIRST_BACKOFF_SECONDS": "0.05"}
    with running_platform(database_url, env) as running:
        running.traces, running.logs_before = traces, logs_before
        yield running


def found_in_database(database_url: str) -> dict[str, list[str]]:
    """Every table of every schema, every column (bytea read as the bytes it holds): where each string is."""
    found: dict[str, list[str]] = {}
    with psycopg.connect(database_url) as conn:
        tables = conn.execute("SELECT schemaname, tablename FROM pg_tables WHERE schemaname = ANY(%s)",
                              [list(SERVICES)]).fetchall()
        for schema, table in tables:
            for (row,) in conn.execute(f'SELECT to_jsonb(t)::text FROM "{schema}"."{table}" t'):
                text = row.lower() + bytes_in(row)
                for string in THEIR_STRINGS:
                    if string.lower() in text:
                        found.setdefault(string, []).append(f"{schema}.{table}")
    return found


def bytes_in(row_json: str) -> str:
    """The text inside the bytea columns of a row (shown as \\x... hex in JSON)."""
    texts = []
    for value in json.loads(row_json).values():
        if isinstance(value, str) and value.startswith("\\x"):
            try:
                texts.append(bytes.fromhex(value[2:]).decode("utf-8", "ignore").lower())
            except ValueError:
                pass
    return " ".join(texts)


def found_in(texts: dict[str, str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for place, text in texts.items():
        for string in THEIR_STRINGS:
            if string.lower() in text.lower():
                found.setdefault(string, []).append(place)
    return found


def index_texts(prefix: str) -> dict[str, str]:
    client = Elasticsearch(ES_URL)
    texts = {}
    for name in ("cases", "events", "calls"):
        client.indices.refresh(index=f"{prefix}-{name}")
        hits = client.search(index=f"{prefix}-{name}", size=1000)["hits"]["hits"]
        texts[f"index:{name}"] = json.dumps([hit["_source"] for hit in hits], ensure_ascii=False)
    return texts


def log_and_trace_texts(platform) -> dict[str, str]:
    texts = {}
    for path in LOG_DIR.glob("*.log"):
        with path.open("rb") as log:
            log.seek(platform.logs_before.get(path, 0))
            texts[f"log:{path.name}"] = log.read().decode("utf-8", "ignore")
    for path in platform.traces.glob("*"):
        texts[f"trace:{path.name}"] = path.read_text(errors="ignore")
    return texts


def weekly_total(platform, day) -> int:
    """Messages of the week holding `day` (taken once per test: a run over Sunday midnight reads one week)."""
    requests.post(f"{ES_URL}/_refresh")
    answer = requests.get(f"{platform.urls['reporting']}/v1/reports",
                          params={"period": "week", "country": "GN", "date": day.isoformat()},
                          headers=platform.headers("manager"))
    assert answer.status_code == 200, answer.text
    return answer.json()["messages"]["total"]


def test_an_erased_complainant_leaves_no_string_anywhere_and_their_cases_are_still_counted(platform):
    intake, cases = platform.urls["intake"], platform.urls["cases"]
    db_url = platform.database_url
    focal_a, focal_b = platform.headers("focal_point", subject="focal-awa"), platform.headers("focal_point",
                                                                                               subject="focal-binta")
    agent = platform.headers("agent")
    this_week = datetime.now(UTC).date()

    # A hotline call (sensitive: restricted and referred), then an SMS and a status request from the same phone.
    call = requests.post(f"{intake}/v1/feedback", headers=agent, json={
        "country": "GN", "channel": "hotline", "language": "fr", "narrative": CALL,
        "contact": {"name": NAME, "phone": PHONE}, "consent": {"callback": True, "share_with_partners": True}})
    assert call.status_code == 202, call.text
    hidden = call.json()["reference"]
    sms = post_gateway(intake, gateway_body(SMS, sender=PHONE))
    assert sms.ok, sms.text
    ordinary = sms.json()["reference"]
    assert post_gateway(intake, gateway_body(f"STATUT {ordinary}", sender=PHONE)).ok
    whatsapp = post_whatsapp(intake, whatsapp_body(wa_message("text", {"body": WHATSAPP}, wa_id=WA_ID),
                                                   wa_id=WA_ID, name=WA_PROFILE))
    assert whatsapp.ok, whatsapp.text
    on_whatsapp = whatsapp.json()["received"][0]["reference"]

    def case(reference, headers):
        answer = requests.get(f"{cases}/v1/cases/{reference}", headers=headers)
        return answer.json() if answer.status_code == 200 else None
    def act(reference, headers, action, body):
        """An action on the case's current version (a referral may move it meanwhile)."""
        def attempt():
            view = case(reference, headers)
            answer = view and requests.post(f"{cases}/v1/cases/{reference}/{action}", headers=headers,
                                            json={**body, "version": view["version"]})
            return answer if answer is not None and answer.status_code != 409 else None
        return wait_for(attempt, timeout=30, interval=0.3)
    assert wait_for(lambda: case(hidden, focal_a), timeout=30)["restricted"]
    noted = act(hidden, focal_a, "notes", {"text": NOTE})
    assert noted.status_code == 200, noted.text
    resolved = act(ordinary, agent, "resolve", {"resolution": RESOLUTION})
    assert resolved.status_code == 200, resolved.text

    with psycopg.connect(db_url) as conn:
        contact_ref = conn.execute("SELECT contact_ref FROM intake.feedback WHERE reference = %s",
                                   [hidden]).fetchone()[0]
        # The same person on every channel: WhatsApp's wa_id finds the contact by the phone's blind index.
        assert conn.execute("SELECT contact_ref FROM intake.feedback WHERE reference = %s",
                            [on_whatsapp]).fetchone()[0] == contact_ref
    # One more message of theirs that cases cannot place (its first message's case is unknown): parked.
    publish_event(platform.amqp_uri, "intake", FeedbackReceived(
        feedback_id=uuid4(), reference="GN-2026-999991", channel="sms", narrative=STUCK, repeat=True,
        received_at=datetime.now(UTC), contact_ref=contact_ref))

    def settled():
        """Referred, parked, the status request answered, the WhatsApp time kept by notifications, the
        resolution journalled by reporting."""
        with psycopg.connect(db_url) as conn:
            def count(query, *params):
                return conn.execute(query, params).fetchone()[0]
            return (count("SELECT count(*) FROM referrals.referrals WHERE reference = %s", hidden)
                    and count("SELECT count(*) FROM cases.parked_messages")
                    and count("SELECT count(*) FROM notifications.notifications WHERE request_id IS NOT NULL")
                    and count("SELECT count(*) FROM notifications.whatsapp_sessions")
                    and count("SELECT count(*) FROM reporting.journal WHERE reference = %s "
                              "AND event_type = 'case_status_changed'", ordinary))
    wait_for(settled, timeout=30, interval=0.3)
    assert wait_for(lambda: case(on_whatsapp, focal_a), timeout=30)["channel"] == "whatsapp"
    def all_three_counted():  # the call, the SMS and the WhatsApp message, once reporting indexed them
        total = weekly_total(platform, this_week)
        return total if total >= 3 else None
    counted = wait_for(all_three_counted, timeout=30, interval=0.3)
    before = found_in_database(db_url)
    assert {"Quorvenex", "Grizzlemont", "Snorvadel"} <= before.keys()  # the scan sees them where they are, in clear

    # The request, refused to its own author, approved by a second focal point.
    asked = requests.post(f"{cases}/v1/erasures", headers=focal_a,
                          json={"reference": hidden, "scope": "complainant", "ground": "complainant_request"})
    assert asked.status_code == 200, asked.text
    erasure_id = asked.json()["erasure_id"]
    assert sorted(asked.json()["references"]) == sorted([hidden, ordinary, on_whatsapp])
    own = requests.post(f"{cases}/v1/erasures/{erasure_id}/approve", headers=focal_a)
    assert own.status_code == 403 and own.json()["error"]["code"] == "four_eyes_required"
    approved = requests.post(f"{cases}/v1/erasures/{erasure_id}/approve", headers=focal_b)
    assert approved.status_code == 200 and approved.json()["status"] == "approved", approved.text

    def certificate():
        answer = requests.get(f"{cases}/v1/erasures/{erasure_id}/certificate", headers=focal_b).json()
        return answer if answer["complete"] else None
    issued = wait_for(certificate, timeout=30, interval=0.3)
    assert {line["service"] for line in issued["services"]} == {"cases", "intake", "referrals", "notifications",
                                                                 "reporting"}
    assert issued["erasure"]["requested_by"] == "focal-awa" and issued["erasure"]["decided_by"] == "focal-binta"
    by_service = {line["service"]: line["erased"] for line in issued["services"]}
    assert by_service["intake"]["contacts"] == 1 and by_service["cases"]["data_keys"] == 3
    assert by_service["notifications"]["whatsapp_sessions"] == 1  # when they last wrote on WhatsApp

    # Nothing of theirs anywhere: the database, the indices, the logs, the traces.
    assert found_in_database(db_url) == {}
    prefix = platform.settings["reporting"].elasticsearch.index_prefix
    assert found_in(index_texts(prefix)) == {}
    assert found_in(log_and_trace_texts(platform)) == {}

    # Their cases are still there as anonymous statistics, counted as before; nothing new can be written in.
    assert weekly_total(platform, this_week) == counted
    erased = case(hidden, focal_b)
    assert erased["narrative"] == "" and not erased["has_contact"]
    assert not any("text" in entry["detail"] for entry in erased["timeline"])
    refused = requests.post(f"{cases}/v1/cases/{hidden}/notes", headers=focal_b,
                            json={"text": "encore", "version": erased["version"]})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "case_erased"
    # The same phone writing again is a new person to the platform.
    again = post_gateway(intake, gateway_body(f"STATUT {ordinary}", sender=PHONE))
    assert again.ok
    with psycopg.connect(db_url) as conn:
        assert conn.execute("SELECT count(*) FROM intake.contact_index WHERE contact_ref = %s",
                            [UUID(str(contact_ref))]).fetchone()[0] == 0
