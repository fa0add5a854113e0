"""`make seal-clear-texts` against real services: rows an older version stored in clear (written here
by raw SQL, as that version wrote them, without data keys) are sealed under their case's data key,
the services still show their texts to whoever may read them, and a second run changes nothing."""
import json
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import psycopg
import pytest
import requests

from chassis.clear_texts import main as seal_clear_texts, seal_place
from services.cases.clear_texts import PLACES as CASES_PLACES
from tests.conftest import wait_for

SUBMIT = {"country": "GN", "channel": "hotline", "language": "fr",
          "narrative": "Toujours pas de paiement pour notre groupe à Boké",
          "contact": {"name": "Fanta Keita", "phone": "622 98 76 54"},
          "consent": {"callback": True, "share_with_partners": False}}

# What the older version stored in clear, a year ago.
OLD_MESSAGE = "Le chef de site de Kindia garde les kits pour sa famille, appelez Fanta"
NOTE = "Rappelée le 4 mars : elle confirme, deux voisines aussi"
RESOLUTION = "Kits redistribués par l'équipe de Kindia le 10 mars"
ANSWER = "Dit à Fanta au téléphone que les kits sont arrivés"
ABUSE = "Le gardien du dépôt m'a demandé de coucher avec lui pour avoir le kit"
MISSED_NOTE = "Note restée en clair d'un cas effacé"
OLD_TEXTS = (OLD_MESSAGE, NOTE, RESOLUTION, ANSWER, ABUSE, MISSED_NOTE)

SCANNED = ("intake.feedback", "intake.data_keys", "cases.cases", "cases.case_notes", "cases.case_history",
           "cases.data_keys")


def old_case(db, reference: str, narrative: str, *, restricted=False, status="closed", resolution=None,
             response=None, contact_ref=None) -> str:
    """A case as the older version stored it: every text in clear, no data key."""
    case_id = uuid4()
    received = datetime.now(UTC) - timedelta(days=365)
    db.execute("""INSERT INTO cases.cases (case_id, reference, feedback_id, country, channel, language, narrative,
                                           received_at, opened_at, status, category_code, sensitive, restricted,
                                           priority, deadline_kind, deadline_at, contact_ref, consent_callback,
                                           consent_share, resolution, response, response_channel, updated_at)
                  VALUES (%s, %s, %s, 'GN', 'hotline', 'fr', %s, %s, %s, %s, 5, %s, %s, 'normal', 'resolve', %s,
                          %s, true, false, %s, %s, %s, %s)""",
               [case_id, reference, uuid4(), narrative, received, received, status, restricted, restricted,
                received + timedelta(days=30), contact_ref, resolution, response,
                "phone" if response else None, received + timedelta(days=9)])
    return str(case_id)


def stored(db) -> dict[str, list[str]]:
    """Every row of the tables that hold texts, as PostgreSQL prints them."""
    return {table: [row[0] for row in db.execute(f"SELECT t::text FROM {table} t ORDER BY 1")] for table in SCANNED}


def test_texts_stored_in_clear_before_encryption_are_sealed_and_still_read_by_who_may(
        run_service, db, database_url, monkeypatch, capsys):
    cases = run_service("cases")
    intake = run_service("intake", export={"cases_url": cases.url})
    today = requests.post(f"{intake.url}/v1/feedback", json=SUBMIT, headers=intake.headers()).json()["reference"]
    wait_for(lambda: db.execute("SELECT count(*) FROM cases.cases").fetchone()[0] == 1)
    contact_ref = db.execute("SELECT contact_ref FROM intake.feedback WHERE reference = %s", [today]).fetchone()[0]

    # A year ago Fanta called; the older version kept her message, her case, its note, its closure and
    # its timeline in clear. A restricted case of then, and a case erased since whose note was missed.
    old = "GN-2025-000007"
    db.execute("""INSERT INTO intake.feedback (feedback_id, reference, country, channel, language, narrative,
                                               received_at, contact_ref, consent_callback, consent_share)
                  VALUES (%s, %s, 'GN', 'hotline', 'fr', %s, now() - interval '365 days', %s, true, false)""",
               [uuid4(), old, OLD_MESSAGE, contact_ref])
    old_id = old_case(db, old, OLD_MESSAGE, resolution=RESOLUTION, response=ANSWER, contact_ref=contact_ref)
    db.execute("INSERT INTO cases.case_notes (note_id, case_id, at, author, text) VALUES (%s, %s, now(), 'agent.gn', %s)",
               [uuid4(), old_id, NOTE])
    for version, action, detail in (
            (2, "note_added", {"note_id": str(uuid4()), "text": NOTE}),
            (3, "status_changed", {"from_status": "in_progress", "to_status": "resolved",
                                   "resolution": RESOLUTION, "response": ANSWER, "response_channel": "phone"}),
            (4, "status_changed", {"from_status": "resolved", "to_status": "closed"})):
        db.execute("""INSERT INTO cases.case_history (case_id, version, at, actor, action, detail)
                      VALUES (%s, %s, now(), 'agent.gn', %s, %s)""", [old_id, version, action, json.dumps(detail)])
    restricted = "GN-2025-000008"
    old_case(db, restricted, ABUSE, restricted=True, status="in_progress")
    erased_id = old_case(db, "GN-2025-000009", "", status="closed")
    db.execute("INSERT INTO cases.data_keys (subject, destroyed_at) VALUES (%s, now())", [erased_id])
    db.execute("INSERT INTO cases.case_notes (note_id, case_id, at, author, text) VALUES (%s, %s, now(), 'agent.gn', %s)",
               [uuid4(), erased_id, MISSED_NOTE])
    assert any(OLD_MESSAGE in row for row in stored(db)["cases.cases"])  # the test starts where the old code left

    monkeypatch.setenv("CFM__DATABASE__URL", database_url)
    assert seal_clear_texts(["--batch-size", "1"]) == 0  # one row a transaction: many batches
    printed = capsys.readouterr().out

    assert printed.splitlines() == [
        "intake: feedback: 1 row(s) sealed, 0 blanked (case erased), 0 still in clear",
        "cases: cases: 2 row(s) sealed, 0 blanked (case erased), 0 still in clear",
        "cases: case_notes: 1 row(s) sealed, 1 blanked (case erased), 0 still in clear",
        "cases: case_history: 2 row(s) sealed, 0 blanked (case erased), 0 still in clear",
    ]
    after = stored(db)
    for text in OLD_TEXTS:
        assert not any(text in row for rows in after.values() for row in rows), "a text is still stored in clear"
    assert db.execute("SELECT narrative LIKE 'enc:v1:%%' FROM intake.feedback WHERE reference = %s",
                      [old]).fetchone() == (True,)
    assert db.execute("SELECT count(*) FROM cases.data_keys WHERE subject IN (%s, %s) AND wrapped_key IS NOT NULL",
                      [old_id, erased_id]).fetchone() == (1,)  # made for the old case; the erased one stays erased

    # The agent reads the old case as before: narrative, closure and timeline.
    view = requests.get(f"{cases.url}/v1/cases/{old}", headers=cases.headers()).json()
    assert (view["narrative"], view["resolution"], view["response"]) == (OLD_MESSAGE, RESOLUTION, ANSWER)
    details = [entry["detail"] for entry in view["timeline"]]
    assert details[0]["text"] == NOTE and "sealed" not in details[0]
    assert (details[1]["resolution"], details[1]["response"], details[1]["to_status"]) == (
        RESOLUTION, ANSWER, "resolved")
    assert details[2] == {"from_status": "resolved", "to_status": "closed"}  # no text: left as it was
    # the restricted one: a focal point reads it, an agent is told it does not exist
    assert requests.get(f"{cases.url}/v1/cases/{restricted}", headers=cases.headers("focal_point")).json()[
        "narrative"] == ABUSE
    assert requests.get(f"{cases.url}/v1/cases/{restricted}", headers=cases.headers()).status_code == 404
    # and a focal point's export of everything held about Fanta shows both of her messages
    export = requests.post(f"{intake.url}/v1/contacts/export", json={"country": "GN", "phone": "622 98 76 54"},
                           headers=intake.headers("focal_point")).json()
    assert [(m["reference"], m["narrative"]) for m in export["messages"]] == [
        (old, OLD_MESSAGE), (today, SUBMIT["narrative"])]
    assert not any(text in printed for text in OLD_TEXTS)

    # Run again: nothing left to seal, nothing changed.
    assert seal_clear_texts([]) == 0
    assert all(" 0 row(s) sealed, 0 blanked" in line for line in capsys.readouterr().out.splitlines())
    assert stored(db) == after


class CrashingOnThe:
    """A place that dies while rewriting its `n`th row, as a killed process would."""

    def __init__(self, place, n: int):
        self.place, self.n, self.table = place, n, place.table

    def clear_rows(self, conn, after, limit):
        return self.place.clear_rows(conn, after, limit)

    def rewrite(self, conn, row, key):
        self.n -= 1
        if self.n == 0:
            raise KeyboardInterrupt("killed")
        self.place.rewrite(conn, row, key)

    def count_clear(self, conn):
        return self.place.count_clear(conn)


def test_a_run_stopped_halfway_keeps_its_committed_batches_and_the_next_run_finishes(make_settings, db):
    settings = make_settings("cases")
    case_ids = [old_case(db, f"GN-2025-00001{i}", f"Plainte ancienne numéro {i}") for i in range(5)]
    narratives = CASES_PLACES[0]
    with psycopg.connect(settings.database.url, autocommit=True, options="-c search_path=cases") as conn:
        with pytest.raises(KeyboardInterrupt):
            seal_place(conn, settings.text_envelope, CrashingOnThe(narratives, 4), batch_size=2)
        # the first batch (two cases) committed, the second rolled back whole
        assert narratives.count_clear(conn) == 3
        assert seal_place(conn, settings.text_envelope, narratives, batch_size=2) == {
            "sealed": 3, "blanked": 0, "still_clear": 0}
        envelope = settings.text_envelope
        opened = [envelope.open(envelope.existing_key(conn, case_id), narrative) for case_id, narrative in
                  conn.execute("SELECT case_id::text, narrative FROM cases ORDER BY reference")]
    assert opened == [f"Plainte ancienne numéro {i}" for i in range(5)]
    assert len(case_ids) == db.execute("SELECT count(*) FROM cases.data_keys").fetchone()[0]
