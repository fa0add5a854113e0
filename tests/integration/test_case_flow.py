"""cases, referrals, notifications and reporting reacting to real events."""
from datetime import UTC, datetime
from uuid import uuid4

import pytest
import requests
from elasticsearch import Elasticsearch

from contracts.common import Consent
from contracts.events import FeedbackReceived
from tests.conftest import ES_URL, wait_for
from tests.helpers import publish_event


def feedback(narrative, reference, contact_ref=None, callback=False, language="fr"):
    return FeedbackReceived(feedback_id=uuid4(), reference=reference, channel="hotline", language=language,
                            narrative=narrative, received_at=datetime.now(UTC), contact_ref=contact_ref,
                            consent=Consent(callback=callback))


ABUSE = "Le gardien m'a demandé de coucher avec lui pour avoir le kit. Appelez-moi au 622 12 34 56, Fatoumata Camara"
DELAY = "Le paiement de l'appui est en retard à Kindia. Mon numéro est +224 622 98 76 54, mail fanta.k@example.org"


def test_cases_hides_a_sensitive_case_from_everyone_but_focal_points(run_service, amqp_uri, db):
    cases = run_service("cases")
    publish_event(amqp_uri, "intake", feedback(ABUSE, "GN-2026-000101"))
    publish_event(amqp_uri, "intake", feedback(DELAY, "GN-2026-000102"))
    wait_for(lambda: db.execute("SELECT count(*) FROM cases.cases").fetchone()[0] == 2)

    def get(reference, role, countries=("GN",)):
        return requests.get(f"{cases.url}/v1/cases/{reference}", headers=cases.headers(role, countries))

    assert get("GN-2026-000101", "agent").status_code == 404
    assert get("GN-2026-000101", "supervisor").json()["error"]["code"] == "case_not_found"
    sensitive = get("GN-2026-000101", "focal_point").json()
    assert sensitive["restricted"] and sensitive["category_code"] == 6 and sensitive["deadline_kind"] == "refer"
    ordinary = get("GN-2026-000102", "agent").json()
    assert not ordinary["restricted"] and ordinary["deadline_kind"] == "acknowledge"
    assert get("GN-2026-000102", "agent", countries=("ML",)).status_code == 404
    assert get("GN-2026-999999", "agent").status_code == 404


def test_a_sensitive_case_is_referred_to_the_configured_partner(run_service, amqp_uri, db):
    run_service("cases")
    run_service("referrals")
    publish_event(amqp_uri, "intake", feedback(ABUSE, "GN-2026-000103"))
    publish_event(amqp_uri, "intake", feedback(DELAY, "GN-2026-000104"))
    referral = wait_for(lambda: db.execute("SELECT reference, partner_id, status FROM referrals.referrals")
                        .fetchone())
    assert referral == ("GN-2026-000103", "gn-psea-focal-point", "sent")
    wait_for(lambda: db.execute("SELECT count(*) FROM referrals.processed_messages").fetchone()[0] == 1)
    assert db.execute("SELECT count(*) FROM referrals.referrals").fetchone()[0] == 1



def test_a_complainant_who_consented_gets_an_acknowledgement_sms(run_service, amqp_uri, db, sms_sink):
    intake = run_service("intake")
    run_service("cases")
    sms = {"base_url": f"http://127.0.0.1:{sms_sink.server_address[1]}", "account_sid": "ACtest",
           "auth_token": "sink-token"}
    run_service("notifications", sms=sms)
    submit = {"country": "GN", "channel": "hotline", "language": "fr", "narrative": DELAY,
              "contact": {"name": "Fanta Keita", "phone": "622 98 76 54"},
              "consent": {"callback": True, "share_with_partners": False}}
    reference = requests.post(f"{intake.url}/v1/feedback", json=submit, headers=intake.headers()).json()["reference"]
    anonymous = {**submit, "contact": None}
    requests.post(f"{intake.url}/v1/feedback", json=anonymous, headers=intake.headers())
    # Another text: the same person repeating the same text would be linked to the first case (a repeat).
    no_consent = {**submit, "narrative": "Toujours rien reçu pour le paiement.", "consent": {"callback": False}}
    requests.post(f"{intake.url}/v1/feedback", json=no_consent, headers=intake.headers())

    wait_for(lambda: sms_sink.messages)
    wait_for(lambda: db.execute("SELECT count(*) FROM cases.cases").fetchone()[0] == 3)
    wait_for(lambda: db.execute("SELECT count(*) FROM notifications.processed_messages").fetchone()[0] == 3)
    assert len(sms_sink.messages) == 1
    message = sms_sink.messages[0]
    assert message["to"] == "+224622987654"
    assert reference in message["body"] and "retard" not in message["body"]
    assert db.execute("SELECT purpose, reference FROM notifications.notifications").fetchone() == (
        "acknowledgement", reference)
    assert db.execute("SELECT requested_by, purpose FROM intake.contact_reveals").fetchone() == (
        "notifications", "acknowledgement")


def test_the_search_index_holds_no_personal_data(run_service, amqp_uri, db, es_prefix):
    reporting = run_service("reporting")
    run_service("cases")
    publish_event(amqp_uri, "intake", feedback(ABUSE, "GN-2026-000105"))
    publish_event(amqp_uri, "intake", feedback(DELAY, "GN-2026-000106"))

    def everything_indexed():
        emitted = db.execute("SELECT count(*) FROM cases.outbox").fetchone()[0]
        handled = db.execute("SELECT count(*) FROM reporting.processed_messages").fetchone()[0]
        return emitted >= 2 and handled == 2 + emitted  # both messages, and all cases said of them
    wait_for(everything_indexed)

    client = Elasticsearch(ES_URL)
    client.indices.refresh(index=[f"{es_prefix}-cases", f"{es_prefix}-events", f"{es_prefix}-calls"])
    documents = [hit["_source"] for hit in client.search(index=f"{es_prefix}-*", size=100)["hits"]["hits"]]
    assert {doc.get("reference") for doc in documents} == {"GN-2026-000105", "GN-2026-000106"}
    indexed = str(documents)
    for personal in ("622 12 34 56", "622 98 76 54", "Fatoumata", "Camara", "fanta.k", "example.org",
                     "coucher", "gardien"):
        assert personal not in indexed
    for personal in ("Fatoumata", "622", "fanta", "coucher"):
        assert client.search(index=f"{es_prefix}-*", q=personal)["hits"]["total"]["value"] == 0

    def search(role, query=""):
        return requests.get(f"{reporting.url}/v1/search", params={"q": query},
                            headers=reporting.headers(role, ("GN",))).json()

    agent_view = search("agent", "retard paiement Kindia")
    assert [hit["reference"] for hit in agent_view["results"]] == ["GN-2026-000106"]
    assert "[phone]" in agent_view["results"][0]["excerpt"]
    focal = search("focal_point")
    restricted = [hit for hit in focal["results"] if hit["reference"] == "GN-2026-000105"]
    assert restricted and restricted[0]["excerpt"] is None
    assert requests.get(f"{reporting.url}/v1/search", params={"q": "retard"},
                        headers=reporting.headers("manager", ("ML",))).json()["total"] == 0
