"""Every service's `GET /admin/retention/preview`: what the retention job would take now in one country,
as `make retention-preview` says it (the same function), scoped like the parked messages, counts only,
and the number of restricted cases withheld from those who may not open them."""
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import requests

from chassis.db import open_pool
from chassis.retention import dry_run, kinds_of
from services.cases.service import CasesService
from tests.conftest import wait_for

DAYS = timedelta(days=1)


def preview(service, role="admin", countries=("GN",), country="GN"):
    return requests.get(f"{service.url}/admin/retention/preview", params={"country": country} if country else None,
                        headers=service.headers(role, countries))


def due(answer) -> dict:
    return {(row["kind"], row["country"]): row for row in answer.json()["kinds"]}


def test_an_admin_sees_what_each_service_would_delete_or_anonymise_in_a_country(run_service, db, database_url):
    intake = run_service("intake")
    cases = run_service("cases")
    submit = {"country": "GN", "channel": "hotline", "language": "fr", "consent": {"callback": False},
              "narrative": "Le paiement de l'appui est en retard à Kindia depuis trois mois"}
    for narrative in (submit["narrative"], "La distribution de Boké a oublié notre quartier"):
        assert requests.post(f"{intake.url}/v1/feedback", json=submit | {"narrative": narrative},
                             headers=intake.headers()).status_code == 202
    wait_for(lambda: db.execute("SELECT count(*) FROM cases.cases").fetchone()[0] == 2)
    ordinary, sensitive = [row[0] for row in db.execute("SELECT case_id FROM cases.cases ORDER BY opened_at")]
    long_ago = datetime.now(UTC) - 3000 * DAYS
    db.execute("UPDATE cases.cases SET status = 'closed', updated_at = %s WHERE case_id = %s", [long_ago, ordinary])
    db.execute("""UPDATE cases.cases SET status = 'closed', sensitive = true, restricted = true, updated_at = %s
                  WHERE case_id = %s""", [long_ago, sensitive])
    old = datetime.now(UTC) - 40 * DAYS
    for country in ("GN", "GN", "ML"):
        db.execute("""INSERT INTO intake.outbox (message_id, event_type, routing_key, body, published_at)
                      VALUES (%s, 'feedback_received', 'feedback_received.v1', %s, %s)""",
                   [uuid4(), f'{{"country": "{country}"}}', old])
    outbox_before = db.execute("SELECT count(*) FROM intake.outbox").fetchone()[0]

    answer = preview(intake)

    assert answer.status_code == 200
    body = answer.json()
    assert body["service"] == "intake" and body["country"] == "GN"
    rows = due(answer)
    assert rows[("outbox_published", "GN")]["rows"] == 2          # Mali's old row is not Guinea's
    assert rows[("outbox_published", "GN")]["period_days"] == 7
    assert datetime.fromisoformat(rows[("outbox_published", "GN")]["cutoff"]) < datetime.now(UTC) - 6 * DAYS
    assert ("processed_messages", None) in rows                   # one period for every country
    assert not any(country == "ML" for _, country in rows)
    assert db.execute("SELECT count(*) FROM intake.outbox").fetchone()[0] == outbox_before  # nothing deleted

    case_rows = due(preview(cases))
    assert case_rows[("closed_cases", "GN")]["rows"] == 1
    # A sensitive case is a restricted one: an admin does not open it, so is not told how many there are.
    assert case_rows[("closed_sensitive_cases", "GN")] | {"cutoff": None} == {
        "kind": "closed_sensitive_cases", "country": "GN", "period_days": 1825, "cutoff": None, "rows": None,
        "withheld": True}
    assert db.execute("SELECT count(*) FROM cases.cases WHERE anonymised_at IS NULL").fetchone()[0] == 2

    # The make target's function, on the same settings, counts the same (and the sensitive case too).
    pool = open_pool(database_url, cases.settings.schema, 1, 1)
    try:
        with pool.connection() as conn:
            counted = {(row["kind"], row["country"]): row["rows"]
                       for row in dry_run(conn, cases.settings, kinds_of(CasesService), "GN")}
    finally:
        pool.close()
    assert counted[("closed_cases", "GN")] == 1 and counted[("closed_sensitive_cases", "GN")] == 1
    assert {key: row["rows"] for key, row in case_rows.items() if not row["withheld"]} == {
        key: rows for key, rows in counted.items() if key != ("closed_sensitive_cases", "GN")}


def test_the_preview_is_for_operators_of_the_country_and_admins_only(run_service):
    referrals = run_service("referrals")

    assert preview(referrals, "ops", ("GN",)).status_code == 200
    assert preview(referrals, "admin", ("ML",)).status_code == 200        # an admin sees every country, as parked
    refused = preview(referrals, "ops", ("ML",))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "country_not_in_scope"
    for role in ("agent", "focal_point", "manager"):
        refused = preview(referrals, role)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "role_not_allowed"
    for country in (None, "ZZ"):
        refused = preview(referrals, country=country)
        assert refused.status_code == 400 and refused.json()["error"]["code"] == "country_required"
