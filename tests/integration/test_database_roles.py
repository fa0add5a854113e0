"""deploy/postgres/roles.sql in a database of its own: each service's role reads and writes its own
schema only, and cannot get past the audit tables' protections (the issue's attack: the owner
disables the trigger, then deletes)."""
import json
import subprocess
import uuid
from pathlib import Path

import psycopg
import pytest
import requests
from psycopg import sql

from chassis.db import apply_migrations
from chassis.services import SERVICES
from tests.conftest import PG_ADMIN_URL, wait_for
from tests.integration.test_broker_users import broker_users  # noqa: F401 (fixture)
from tests.integration.test_notifications import sms_settings
from tools.audit_verify import verify_table

ROLES_SQL = Path(__file__).resolve().parents[2] / "deploy" / "postgres" / "roles.sql"


@pytest.fixture
def deployed():
    """A database set up as deploy/ does: roles of roles.sql, migrations run by the migration role."""
    prefix = f"cfmtest_{uuid.uuid4().hex[:8]}"
    database = f"{prefix}_db"
    passwords = {name: uuid.uuid4().hex for name in ("migrator", *SERVICES)}
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    try:
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-q", "-v", "ON_ERROR_STOP=1",
                        "-v", f"prefix={prefix}", "-v", f"passwords={json.dumps(passwords)}", "-f", str(ROLES_SQL)],
                       check=True, capture_output=True)

        def url(role):
            return f"postgresql://{prefix}_{role}:{passwords[role]}@127.0.0.1:5432/{database}"
        for service in SERVICES:
            apply_migrations(url("migrator"), service)
        yield url
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
            for role in ("migrator", *SERVICES):
                admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(f"{prefix}_{role}")))


def refused(conn, statement: str) -> bool:
    try:
        with conn.transaction():
            conn.execute(statement)
    except psycopg.errors.InsufficientPrivilege:
        return True
    return False


@pytest.mark.security
def test_a_service_role_reads_only_its_schema_and_cannot_rewrite_the_audit_trail(deployed):
    # Every service starts as itself: its migrations are applied already, so it creates nothing.
    for service in SERVICES:
        assert apply_migrations(deployed(service), service) == []
    with psycopg.connect(deployed("cases"), autocommit=True) as cases:
        cases.execute("""INSERT INTO cases.audit_log (actor, role, action, reference)
                         VALUES ('agent-1', 'agent', 'read_denied', 'GN-2026-000042')""")
        assert cases.execute("SELECT count(*) FROM cases.audit_log").fetchone()[0] == 1
        for statement in (
                "SELECT * FROM intake.contacts",          # the vault is intake's
                "SELECT * FROM reporting.outbox",
                "ALTER TABLE cases.audit_log DISABLE TRIGGER audit_log_append_only",
                "ALTER TABLE cases.audit_log DISABLE TRIGGER ALL",
                "SET session_replication_role = replica",  # would skip every trigger
                "UPDATE cases.audit_log SET actor = 'nobody'",
                "DELETE FROM cases.audit_log",
                "TRUNCATE cases.audit_log",
                "DROP TABLE cases.audit_log",
                "CREATE TABLE cases.shadow (id int)",
        ):
            assert refused(cases, statement), statement
        assert cases.execute("SELECT actor FROM cases.audit_log").fetchall() == [("agent-1",)]
    with psycopg.connect(deployed("intake"), autocommit=True) as intake:
        assert intake.execute("SELECT count(*) FROM intake.contacts").fetchone()[0] == 0
        for statement in ("SELECT * FROM cases.cases", "DELETE FROM intake.contact_reveals",
                          "ALTER TABLE intake.contact_reveals DISABLE TRIGGER contact_reveals_append_only"):
            assert refused(intake, statement), statement


def test_the_services_work_under_their_own_roles(run_service, deployed, broker_users, sms_sink):  # noqa: F811
    """Every service on its own database role and broker user: a message becomes a case, an
    acknowledgement (the vault checked and logged, chained) and a journal entry."""
    services = {name: run_service(name, database={"url": deployed(name)}, amqp={"uri": broker_users(name)},
                                  **({"sms": sms_settings(sms_sink)} if name == "notifications" else {}))
                for name in SERVICES}
    intake = services["intake"]
    submission = {"country": "GN", "channel": "hotline", "language": "fr", "narrative": "Le paiement est en retard.",
                  "contact": {"phone": "622 98 76 54"}, "consent": {"callback": True}}
    reference = requests.post(f"{intake.url}/v1/feedback", json=submission, headers=intake.headers()).json()[
        "reference"]
    wait_for(lambda: sms_sink.messages, timeout=20)
    assert reference in sms_sink.messages[0]["body"]
    with psycopg.connect(deployed("migrator")) as owner:
        wait_for(lambda: owner.execute("SELECT count(*) FROM reporting.journal").fetchone()[0] >= 2, timeout=20)
        assert verify_table(owner, "intake", "contact_reveals").rows == 1
        assert verify_table(owner, "cases", "audit_log").broken_at is None
