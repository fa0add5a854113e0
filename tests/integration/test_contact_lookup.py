"""An agent looks a caller up by phone number: intake names the person (a pseudonym cases lists their
cases by) and how many cases they have in the agent's countries, the look-up logged in a hash-chained table with the person found and never the number, in no log either."""
import json
import logging

import pytest
import requests

from contracts.snapshots import EXAMPLE_DIR
from tools.audit_verify import verify_table

AGENT_ENTRY = json.loads((EXAMPLE_DIR / "http.FeedbackSubmission.json").read_text())


@pytest.fixture
def intake(run_service):
    return run_service("intake")


def record(intake, country, phone, narrative):
    answer = requests.post(f"{intake.url}/v1/feedback", headers=intake.headers(countries=(country,)), timeout=10,
                           json={**AGENT_ENTRY, "country": country, "narrative": narrative,
                                 "contact": {"name": "Mamadou Diallo", "phone": phone}})
    assert answer.status_code == 202, answer.text
    return answer.json()["reference"]


def look_up(intake, phone, role="agent", countries=("GN",), country="GN"):
    return requests.post(f"{intake.url}/v1/contacts/lookup", headers=intake.headers(role, countries), timeout=10,
                         json={"country": country, "phone": phone})


def test_a_caller_is_found_by_phone_and_the_look_up_is_logged_without_the_number(intake, db, caplog):
    caplog.set_level(logging.DEBUG)
    first = record(intake, "GN", "+224622123456", "Le paiement de mon commerce est en retard.")
    second = record(intake, "GN", "622 12 34 56", "Toujours pas de paiement à Kindia.")
    record(intake, "ML", "+224622123456", "Au Mali aussi, pas de nouvelles.")   # outside a GN agent's countries
    record(intake, "GN", "+224655000000", "Quelqu'un d'autre.")

    answer = look_up(intake, "+224 622 12 34 56")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["found"] is True
    owner = db.execute("SELECT DISTINCT contact_ref::text FROM intake.feedback WHERE reference = ANY(%s)",
                       [[first, second]]).fetchall()
    assert owner == [(body["contact_ref"],)]   # both calls, one person
    assert set(body) == {"found", "contact_ref"}, "intake names no case: cases decides which may be seen"
    nobody = look_up(intake, "+224 600 00 00 01").json()
    assert nobody == {"found": False, "contact_ref": None}

    logged = db.execute("""SELECT requested_by, role, country, contact_ref IS NOT NULL, shown
                           FROM intake.contact_lookups ORDER BY id""").fetchall()
    assert logged == [("test-user", "agent", "GN", True, 2), ("test-user", "agent", "GN", False, 0)]
    assert verify_table(db, "intake", "contact_lookups").broken_at is None
    table = json.dumps(db.execute("SELECT to_jsonb(l) FROM intake.contact_lookups l").fetchall(), default=str)
    assert caplog.records, "the service logged nothing at all: this test would prove nothing"
    for digits in ("622123456", "622 12 34 56", "600000001"):
        assert digits not in table and digits not in caplog.text


def test_a_look_up_is_refused_to_other_roles_countries_and_unreadable_numbers(intake, db):
    assert look_up(intake, "+224622123456", role="partner").json()["error"]["code"] == "role_not_allowed"
    assert look_up(intake, "+224622123456", country="ML").json()["error"]["code"] == "country_not_in_scope"
    refused = look_up(intake, "call me maybe")
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "invalid_phone"
    assert "call me" not in refused.text
    assert db.execute("SELECT count(*) FROM intake.contact_lookups").fetchone()[0] == 0
    # The number never goes in a URL: the look-up answers POST only.
    assert requests.get(f"{intake.url}/v1/contacts/lookup", headers=intake.headers(), timeout=10,
                        params={"phone": "+224622123456"}).status_code == 405
