"""cases' retention kinds: a closed case whose period has ended is anonymised.

An ordinary case closed more than `retention.periods.closed_cases` days ago (24 months by default),
a sensitive one after `closed_sensitive_cases` (the protection partner's period), each per country.
Anonymised, the case stays a statistic: country, channel, language, category, status, dates,
deadlines and their outcome stay, so reports count it as before. Its texts go (the narrative, notes, resolution, response, the reasons typed into its timeline, the
classifier's explanation that quotes it) and so does its contact link. The timeline says when, the
audit log records it, and `CaseAnonymised` tells the services that keep a copy of its texts.

A closed case's time is its last change (`updated_at`): a case reopened and closed again starts over.
"""
from datetime import UTC, datetime

from chassis.envelope import TextEnvelope
from chassis.retention import Due, RetentionKind
from contracts.events import CaseAnonymised
from services.cases.domain import TEXT_DETAIL_KEYS

ACTOR = "system"

_DUE = """FROM cases WHERE country = %s AND sensitive = %s AND status = 'closed' AND anonymised_at IS NULL
            AND coalesce(updated_at, opened_at) < %s"""


def _count(sensitive: bool):
    def count(conn, due: Due) -> int:
        return conn.execute(f"SELECT count(*) {_DUE}", [due.country, sensitive, due.cutoff]).fetchone()[0]
    return count


def _anonymise(sensitive: bool):
    def apply(uow, due: Due, limit: int) -> int:
        rows = uow.execute(f"""SELECT case_id, reference, feedback_id, restricted {_DUE}
                               ORDER BY updated_at LIMIT %s FOR UPDATE SKIP LOCKED""",
                           [due.country, sensitive, due.cutoff, limit]).fetchall()
        now = datetime.now(UTC)
        for case_id, reference, feedback_id, restricted in rows:
            anonymise_case(uow, case_id, reference, feedback_id, restricted, due.country, now)
        return len(rows)
    return apply


def anonymise_case(uow, case_id, reference, feedback_id, restricted, country, now) -> None:
    version = uow.execute(
        """UPDATE cases SET narrative = '', contact_ref = NULL, resolution = NULL, response = NULL,
                            no_contact_reason = NULL, anonymised_at = %s, version = version + 1
           WHERE case_id = %s RETURNING version""", [now, case_id]).fetchone()[0]
    repeats = [row[0] for row in uow.execute("SELECT feedback_id FROM case_feedback WHERE case_id = %s", [case_id])]
    uow.execute("UPDATE case_notes SET text = '' WHERE case_id = %s", [case_id])
    uow.execute("UPDATE satisfaction_surveys SET contact_ref = NULL WHERE case_id = %s", [case_id])
    # What stays sealed (timeline details) can no longer be opened: the case's data key is destroyed.
    TextEnvelope.destroy(uow.conn, str(case_id))
    # The sealed part, and the texts of entries written before texts were sealed (still in clear).
    strip = "".join(f" - '{key}'" for key in (*TEXT_DETAIL_KEYS, "sealed"))
    uow.execute(f"""UPDATE case_history SET detail = detail{strip} WHERE case_id = %s""", [case_id])
    uow.execute("""INSERT INTO case_history (case_id, version, at, actor, action, detail)
                   VALUES (%s, %s, %s, %s, 'anonymised', '{"why": "retention_period_ended"}')""",
                [case_id, version, now, ACTOR])
    uow.execute("""INSERT INTO audit_log (actor, role, action, case_id, reference, detail)
                   VALUES (%s, %s, 'anonymise', %s, %s, '{"why": "retention_period_ended"}')""",
                [ACTOR, ACTOR, case_id, reference])
    uow.emit(CaseAnonymised(
        case_id=case_id, reference=reference, case_version=version, status="closed", restricted=restricted,
        at=now, by=ACTOR, feedback_ids=[feedback_id, *repeats]), country=country)


CLOSED_CASES = RetentionKind("closed_cases", per_country=True, count=_count(False), apply=_anonymise(False))
# Sensitive cases are the restricted ones: their number is for those who may open them.
CLOSED_SENSITIVE_CASES = RetentionKind("closed_sensitive_cases", per_country=True, count=_count(True),
                                       apply=_anonymise(True), restricted=True)
KINDS = (CLOSED_CASES, CLOSED_SENSITIVE_CASES)
