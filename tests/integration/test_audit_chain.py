"""The audit trail cannot be rewritten unseen: rows are hash-chained, and `make audit-verify`
(tools.audit_verify) names the first row changed or removed, even by the tables' owner."""
from uuid import uuid4

import psycopg
import pytest

from tools.audit_verify import main as audit_verify, verify_table


def audit(db, actor):
    db.execute("""INSERT INTO cases.audit_log (actor, role, action, reference, detail)
                  VALUES (%s, 'agent', 'read_denied', 'GN-2026-000042', '{"n": 1}')""", [actor])


def reveal_logged(db):
    contact_ref = uuid4()
    db.execute("INSERT INTO intake.contacts (contact_ref, key_id, nonce, ciphertext) VALUES (%s, 'k1', '', '')",
               [contact_ref])
    db.execute("""INSERT INTO intake.contact_reveals (contact_ref, purpose, requested_by, refused)
                  VALUES (%s, 'status_reply', 'someone', 'no_grounds')""", [contact_ref])


def test_an_untouched_trail_verifies_and_rows_chain_in_id_order(db, database_url, capsys):
    for actor in ("a", "b", "c"):
        audit(db, actor)
    reveal_logged(db)
    report = verify_table(db, "cases", "audit_log")
    assert (report.rows, report.broken_at) == (3, None)
    assert audit_verify(["--database-url", database_url]) == 0
    assert "cases.audit_log: 3 rows, chain intact" in capsys.readouterr().out


@pytest.mark.security
def test_the_owner_disables_the_trigger_and_rewrites_a_row_and_audit_verify_names_it(db, database_url, capsys):
    for actor in ("a", "b", "c", "d"):
        audit(db, actor)
    ids = [row[0] for row in db.execute("SELECT id FROM cases.audit_log ORDER BY id")]
    with pytest.raises(psycopg.errors.InsufficientPrivilege):  # append-only for everyone else
        db.execute("UPDATE cases.audit_log SET actor = 'nobody'")
    # The attack of the issue: the owner disables the trigger, then edits and deletes.
    db.execute("ALTER TABLE cases.audit_log DISABLE TRIGGER audit_log_append_only")
    db.execute("UPDATE cases.audit_log SET actor = 'nobody' WHERE id = %s", [ids[1]])
    assert audit_verify(["--database-url", database_url]) == 1
    assert f"cases.audit_log: BROKEN at id {ids[1]}: its content was changed" in capsys.readouterr().out

    db.execute("DELETE FROM cases.audit_log WHERE id = %s", [ids[1]])
    report = verify_table(db, "cases", "audit_log")
    assert (report.broken_at, report.reason.startswith("it does not follow")) == (ids[2], True)
    db.execute("ALTER TABLE cases.audit_log ENABLE TRIGGER audit_log_append_only")


@pytest.mark.security
def test_the_log_of_contact_reveals_is_append_only_and_chained(db):
    reveal_logged(db)
    reveal_logged(db)
    for statement in ("UPDATE intake.contact_reveals SET requested_by = 'x'", "DELETE FROM intake.contact_reveals",
                      "TRUNCATE intake.contact_reveals CASCADE"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            db.execute(statement)
    assert verify_table(db, "intake", "contact_reveals").rows == 2
    db.execute("ALTER TABLE intake.contact_reveals DISABLE TRIGGER contact_reveals_append_only")
    first, second = [row[0] for row in db.execute("SELECT id FROM intake.contact_reveals ORDER BY id")]
    db.execute("DELETE FROM intake.contact_reveals WHERE id = %s", [first])
    db.execute("ALTER TABLE intake.contact_reveals ENABLE TRIGGER contact_reveals_append_only")
    assert verify_table(db, "intake", "contact_reveals").broken_at == second


def test_writers_at_once_still_make_one_chain(db, database_url):
    import eventlet

    from chassis.db import make_psycopg_cooperative
    make_psycopg_cooperative()

    def writer(name):
        with psycopg.connect(database_url) as conn:
            for n in range(15):
                with conn.transaction():
                    audit(conn, f"{name}-{n}")
                    conn.execute("SELECT pg_sleep(0.002)")  # hold the chain a moment before committing
    pool = eventlet.GreenPool()
    for name in ("a", "b", "c"):
        pool.spawn(writer, name)
    pool.waitall()
    assert verify_table(db, "cases", "audit_log").rows == 45
