"""A service killed outright (SIGKILL) in the middle of its erasure: nothing of its half-done work
stays, it erases its part once it is back, and the certificate lists it once.

intake runs as a process of its own (as `make run` starts it), so that it can be killed; the other
services run in this test's process. The kill lands mid-transaction by design, not by luck: the
test holds a row lock on the contact that intake's erasure rewrites after it has already destroyed
the data key and blanked the message (services/intake/erasure.py), waits until PostgreSQL shows
intake's erasure blocked on that lock, and only then kills intake's process."""
import os
import signal
from uuid import UUID

import psycopg
import pytest
import requests

from chassis.services import SERVICES
from tests.conftest import ES_URL, free_port, wait_for
from tests.tokens import TEST_AUTH_ENV, bearer
from tools.platform import start_service, stop_platform, wait_service_ready

NAME = "Hawa Soumah"
PHONE = "+224 628 71 90 42"
NARRATIVE = f"Je suis {NAME}. Le distributeur Brimblecott exige de l'argent pour inscrire ma famille."
THEIR_STRINGS = ("Hawa", "Soumah", "628719042", "628 71 90 42", "Brimblecott")


class ServiceProcess:
    """A service as a process of its own on this test's database, vhost and indices: started,
    killed, started again as it was."""

    def __init__(self, name: str, env: dict):
        self.name, self.env, self.process = name, env, None

    def start(self) -> None:
        self.process, settings = start_service(self.name, self.env)
        wait_service_ready(self.name, settings)
        self.url = f"http://127.0.0.1:{settings.http.port}"

    def kill(self) -> None:
        """kill -9: no goodbye to the broker or the database."""
        self.process.send_signal(signal.SIGKILL)
        assert self.process.wait(timeout=10) == -signal.SIGKILL


@pytest.fixture
def intake_process(database_url, amqp_uri, es_prefix):
    intake = ServiceProcess("intake", {
        **os.environ, **TEST_AUTH_ENV, "CFM__DATABASE__URL": database_url, "CFM__AMQP__URI": amqp_uri,
        "CFM__AMQP__POLL_SECONDS": "0.1", "CFM__ELASTICSEARCH__URL": ES_URL,
        "CFM__ELASTICSEARCH__INDEX_PREFIX": es_prefix, "CFM__TRACING__EXPORTER": "none",
        "CFM__HTTP__PORT": str(free_port()), "CFM__HTTP__METRICS_PORT": str(free_port())})
    intake.start()
    yield intake
    stop_platform({"intake": intake.process})


def strings_in_tables(conn) -> dict[str, list[str]]:
    """Which of the complainant's strings are in which table of any service's schema."""
    found: dict[str, list[str]] = {}
    tables = conn.execute("SELECT schemaname, tablename FROM pg_tables WHERE schemaname = ANY(%s)",
                          [list(SERVICES)]).fetchall()
    for schema, table in tables:
        for (row,) in conn.execute(f'SELECT to_jsonb(t)::text FROM "{schema}"."{table}" t'):
            for string in THEIR_STRINGS:
                if string.lower() in row.lower():
                    found.setdefault(string, []).append(f"{schema}.{table}")
    return found


def erasure_waiting_for_the_contact(conn):
    """The PostgreSQL backend of intake's erasure while it waits for the contact's row lock, or None."""
    row = conn.execute("""SELECT pid FROM pg_stat_activity WHERE datname = current_database()
                          AND wait_event_type = 'Lock' AND query LIKE '%%UPDATE contacts%%'""").fetchone()
    return row[0] if row else None


def test_a_service_killed_in_the_middle_of_its_erasure_erases_its_part_once_when_it_is_back(
        intake_process, run_service, database_url, db):
    cases = run_service("cases")
    for name in ("referrals", "notifications", "reporting"):
        run_service(name)
    awa = bearer("focal_point", subject="focal-awa")
    binta = bearer("focal_point", subject="focal-binta")
    recorded = requests.post(f"{intake_process.url}/v1/feedback", headers=bearer("agent"), json={
        "country": "GN", "channel": "hotline", "language": "fr", "narrative": NARRATIVE,
        "contact": {"name": NAME, "phone": PHONE}, "consent": {"callback": False, "share_with_partners": False}})
    assert recorded.status_code == 202, recorded.text
    reference = recorded.json()["reference"]
    wait_for(lambda: db.execute("SELECT 1 FROM cases.cases WHERE reference = %s", [reference]).fetchone())
    contact_ref = db.execute("SELECT contact_ref FROM intake.feedback WHERE reference = %s", [reference]).fetchone()[0]
    assert "Brimblecott" in strings_in_tables(db)  # the scan sees the text where it is in clear

    with psycopg.connect(database_url) as holder:
        # The test holds the contact's row: intake's erasure stops there, its earlier work not committed.
        holder.execute("SELECT 1 FROM intake.contacts WHERE contact_ref = %s FOR UPDATE", [contact_ref])
        erasure_id = requests.post(f"{cases.url}/v1/erasures", headers=awa, json={
            "reference": reference, "scope": "complainant", "ground": "complainant_request"}).json()["erasure_id"]
        approved = requests.post(f"{cases.url}/v1/erasures/{erasure_id}/approve", headers=binta)
        assert approved.status_code == 200, approved.text
        stuck = wait_for(lambda: erasure_waiting_for_the_contact(db), timeout=20)
        intake_process.kill()
        holder.rollback()  # the lock goes; the orphaned transaction finds its client gone and rolls back

    wait_for(lambda: not db.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [stuck]).fetchone())
    # Nothing of the half-done erasure stayed: the data key, the message and the contact are as they were.
    assert db.execute("SELECT wrapped_key IS NOT NULL FROM intake.data_keys WHERE subject = %s",
                      [reference]).fetchone() == (True,)
    assert db.execute("SELECT narrative LIKE 'enc:v1:%%' FROM intake.feedback WHERE reference = %s",
                      [reference]).fetchone() == (True,)
    assert db.execute("SELECT key_id <> 'erased' FROM intake.contacts WHERE contact_ref = %s",
                      [contact_ref]).fetchone() == (True,)
    assert db.execute("SELECT count(*) FROM intake.outbox WHERE event_type = 'erasure_completed'").fetchone() == (0,)

    def certificate():
        return requests.get(f"{cases.url}/v1/erasures/{erasure_id}/certificate", headers=awa).json()
    assert "intake" in certificate()["waiting_for"]

    intake_process.start()  # the approval was never acknowledged: RabbitMQ hands it to intake again
    issued = wait_for(lambda: (answer := certificate())["complete"] and answer, timeout=20, interval=0.2)

    assert sorted(line["service"] for line in issued["services"]) == [
        "cases", "intake", "notifications", "referrals", "reporting"]  # each once
    intake_line = next(line["erased"] for line in issued["services"] if line["service"] == "intake")
    # all of intake's part, counted by the one run that committed
    assert {place: intake_line[place] for place in ("data_keys", "feedback", "contacts", "contact_index")} == {
        "data_keys": 1, "feedback": 1, "contacts": 1, "contact_index": 1}
    assert db.execute("SELECT count(*) FROM intake.outbox WHERE event_type = 'erasure_completed'").fetchone() == (1,)
    assert db.execute("SELECT count(*) FROM cases.erasure_receipts WHERE erasure_id = %s",
                      [UUID(erasure_id)]).fetchone() == (5,)
    assert db.execute("SELECT key_id FROM intake.contacts WHERE contact_ref = %s", [contact_ref]).fetchone() == (
        "erased",)
    assert strings_in_tables(db) == {}
