"""Erasure of a case or of a complainant (crypto-shredding), owned by cases.

A focal point or an admin of the case's country asks (`POST /v1/erasures`); another person of
those roles approves or declines it (four eyes: the requester can do neither). On approval, in one
transaction, cases erases its own part (destroys the cases' data keys, blanks the narratives,
notes, resolutions, answers and timeline details, forgets the contact, scrubs its outbox and
parked messages), records what it erased, and emits `ErasureApproved`; every other service
erases its part and answers `ErasureCompleted`, which cases keeps as the certificate's lines
(`GET /v1/erasures/{id}/certificate`). The case itself stays, without text or contact: an
anonymous statistic that reports still count.

Idempotent and crash-safe by construction: the approval and the event commit together (outbox),
each service's erasure and its answer commit together and are recorded as consumed, so a crash
anywhere resumes where it stopped and a redelivery erases nothing twice.

The SQL of erasures is here rather than in repository.py: it is read together with the rules.
"""
from datetime import datetime
from uuid import UUID, uuid4

from psycopg.types.json import Jsonb

from chassis.envelope import ERASED
from chassis.erasure import count_erased, identifiers, scrub_messaging
from chassis.errors import ApiError
from contracts.envelope import Envelope
from contracts.events import ErasureApproved, ErasureCompleted
from contracts.http import ErasureCertificate, ErasureList, ErasureReceipt, ErasureView, RequestErasure
from services.cases import repository

# Every service that keeps something of a case, and must say it erased it before the certificate is complete.
ERASING_SERVICES = ("cases", "intake", "referrals", "notifications", "reporting")
ERASURE_ROLES = ("focal_point", "admin")

NOT_FOUND = ApiError(404, "erasure_not_found", "There is no erasure with this id that you may see.")

_COLUMNS = ("erasure_id", "scope", "ground", "reference", "country", "case_ids", "references_", "contact_ref",
            "status", "requested_by", "requested_at", "decided_by", "decided_at")


def _view(row: dict) -> ErasureView:
    return ErasureView(erasure_id=row["erasure_id"], scope=row["scope"], ground=row["ground"],
                       reference=row["reference"], references=row["references_"], country=row["country"],
                       status=row["status"], requested_by=row["requested_by"], requested_at=row["requested_at"],
                       decided_by=row["decided_by"], decided_at=row["decided_at"])


def _find(conn, erasure_id: UUID, *, lock: bool = False) -> dict | None:
    row = conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM erasures WHERE erasure_id = %s"
                       + (" FOR UPDATE" if lock else ""), [erasure_id]).fetchone()
    return dict(zip(_COLUMNS, row)) if row else None


def _covered_cases(conn, case: dict, scope: str) -> list[tuple[UUID, str]]:
    """(case_id, reference) of every case the erasure covers: the case, or every case of its contact."""
    if scope == "case" or case["contact_ref"] is None:
        return [(case["case_id"], case["reference"])]
    return conn.execute("SELECT case_id, reference FROM cases WHERE contact_ref = %s ORDER BY reference",
                        [case["contact_ref"]]).fetchall()


def _audit(conn, caller, action: str, case_id, reference, detail: dict) -> None:
    repository.audit(conn, actor=caller.principal.subject, role=caller.principal.role, action=action,
                     case_id=case_id, reference=reference, client_address=caller.address,
                     user_agent=caller.user_agent, detail=detail)


# --- asking and deciding ------------------------------------------------------------------------------------


def request_erasure(uow, caller, body: RequestErasure, now: datetime) -> ErasureView:
    principal = caller.principal
    with uow:
        case = repository.find_case(uow.conn, body.reference)
        denied = case is None or case["country"] not in principal.countries
        if denied:  # audited, and committed: the refusal is raised once out of the transaction
            _audit(uow.conn, caller, "erasure_request_denied", case["case_id"] if case else None,
                   body.reference[:64], {})
    if denied:
        raise ApiError(404, "case_not_found", "There is no case with this reference that you may see.")
    with uow:
        case = repository.find_case(uow.conn, body.reference)
        if body.scope == "complainant" and case["contact_ref"] is None:
            raise ApiError(422, "anonymous_case", "This case has no contact to erase: erase the case instead.")
        covered = _covered_cases(uow.conn, case, body.scope)
        row = {"erasure_id": uuid4(), "scope": body.scope, "ground": body.ground, "reference": case["reference"],
               "country": case["country"], "case_ids": [case_id for case_id, _ in covered],
               "references_": [reference for _, reference in covered],
               "contact_ref": case["contact_ref"] if body.scope == "complainant" else None,
               "status": "requested", "requested_by": principal.subject, "requested_at": now,
               "decided_by": None, "decided_at": None}
        uow.conn.execute(f"INSERT INTO erasures ({', '.join(_COLUMNS)}) VALUES ({', '.join(['%s'] * len(_COLUMNS))})",
                         [row[column] for column in _COLUMNS])
        _audit(uow.conn, caller, "erasure_requested", case["case_id"], case["reference"],
               {"erasure_id": str(row["erasure_id"]), "scope": body.scope, "ground": body.ground,
                "cases": len(covered)})
        return _view(row)


def decide_erasure(uow, settings, caller, erasure_id: UUID, approve: bool, now: datetime) -> ErasureView:
    """Approve (and carry out at once) or decline a request; never by the person who asked."""
    principal = caller.principal
    with uow:
        row = _find(uow.conn, erasure_id, lock=True)
        if row is None or row["country"] not in principal.countries:
            raise NOT_FOUND
        same_person = row["requested_by"] == principal.subject
        if same_person:  # audited, and committed: the refusal is raised once out of the transaction
            _audit(uow.conn, caller, "erasure_decision_refused", None, row["reference"],
                   {"erasure_id": str(erasure_id), "reason": "four_eyes_required"})
    if same_person:
        raise ApiError(403, "four_eyes_required", "Another person must approve or decline the erasure you asked for.")
    with uow:
        row = _find(uow.conn, erasure_id, lock=True)
        if row["status"] != "requested":
            raise ApiError(409, "erasure_already_decided", f"This erasure is already {row['status']}.")
        row.update(decided_by=principal.subject, decided_at=now, status="approved" if approve else "declined")
        if approve:
            # The complainant's cases as they are now (one may have come in since the request).
            case = repository.find_case(uow.conn, row["reference"])
            if row["scope"] == "complainant" and case is not None and case["contact_ref"] is not None:
                covered = _covered_cases(uow.conn, case, "complainant")
                row["case_ids"] = [case_id for case_id, _ in covered]
                row["references_"] = [reference for _, reference in covered]
        uow.conn.execute(
            """UPDATE erasures SET status = %s, decided_by = %s, decided_at = %s, case_ids = %s, references_ = %s
               WHERE erasure_id = %s""",
            [row["status"], row["decided_by"], now, row["case_ids"], row["references_"], erasure_id])
        if not approve:
            _audit(uow.conn, caller, "erasure_declined", None, row["reference"], {"erasure_id": str(erasure_id)})
            return _view(row)
        approved = ErasureApproved(erasure_id=erasure_id, scope=row["scope"], references=row["references_"],
                                   case_ids=row["case_ids"], contact_ref=row["contact_ref"], approved_at=now)
        erased = erase_own_part(uow.conn, settings.text_envelope, approved)
        _record_receipt(uow.conn, erasure_id, "cases", erased, now)
        uow.emit(approved, country=row["country"])
        for case_id, reference in zip(row["case_ids"], row["references_"]):
            _audit(uow.conn, caller, "erasure_approved", case_id, reference,
                   {"erasure_id": str(erasure_id), "requested_by": row["requested_by"]})
    count_erased("cases", erased)
    return _view(row)


# --- carrying it out ----------------------------------------------------------------------------------------


def erase_own_part(conn, envelope, erasure: ErasureApproved) -> dict[str, int]:
    """cases' own part: what it erased, by place. Running it again erases (and counts) nothing more."""
    case_ids = list(erasure.case_ids)
    erased = {"data_keys": sum(envelope.destroy(conn, str(case_id)) for case_id in case_ids)}
    erased["cases.narrative"] = conn.execute(
        "UPDATE cases SET narrative = %s WHERE case_id = ANY(%s) AND narrative <> %s",
        [ERASED, case_ids, ERASED]).rowcount
    erased["cases.closure_texts"] = conn.execute(
        """UPDATE cases SET resolution = NULL, response = NULL, no_contact_reason = NULL
           WHERE case_id = ANY(%s)
             AND (resolution IS NOT NULL OR response IS NOT NULL OR no_contact_reason IS NOT NULL)""",
        [case_ids]).rowcount
    erased["cases.contact_ref"] = conn.execute(
        "UPDATE cases SET contact_ref = NULL WHERE case_id = ANY(%s) AND contact_ref IS NOT NULL",
        [case_ids]).rowcount
    erased["satisfaction_surveys.contact_ref"] = conn.execute(
        "UPDATE satisfaction_surveys SET contact_ref = NULL WHERE case_id = ANY(%s) AND contact_ref IS NOT NULL",
        [case_ids]).rowcount
    erased["case_notes"] = conn.execute(
        "UPDATE case_notes SET text = %s WHERE case_id = ANY(%s) AND text <> %s", [ERASED, case_ids, ERASED]).rowcount
    erased["case_history"] = conn.execute(
        "UPDATE case_history SET detail = '{}' WHERE case_id = ANY(%s) AND detail <> '{}'", [case_ids]).rowcount
    erased["classifier_examples"] = conn.execute(
        "DELETE FROM classifier_examples WHERE case_id = ANY(%s)", [case_ids]).rowcount
    erased.update(scrub_messaging(conn, identifiers(erasure)))
    return erased


def _record_receipt(conn, erasure_id: UUID, service: str, erased: dict, at: datetime) -> None:
    """One service's line; the last one completes the erasure. The caller holds the erasure's row lock."""
    conn.execute("""INSERT INTO erasure_receipts (erasure_id, service, erased, completed_at) VALUES (%s, %s, %s, %s)
                    ON CONFLICT (erasure_id, service) DO NOTHING""", [erasure_id, service, Jsonb(erased), at])
    reported = {row[0] for row in conn.execute("SELECT service FROM erasure_receipts WHERE erasure_id = %s",
                                                [erasure_id])}
    if reported >= set(ERASING_SERVICES):
        conn.execute("UPDATE erasures SET status = 'completed' WHERE erasure_id = %s AND status = 'approved'",
                     [erasure_id])


def on_erasure_completed(uow, completed: ErasureCompleted, envelope: Envelope) -> None:
    """A service reported its part: one more line of the certificate."""
    with uow:
        if not uow.claim_message():
            return
        # Locked: two services' answers recorded at once would each miss the other's uncommitted line,
        # and neither would see the certificate complete.
        if _find(uow.conn, completed.erasure_id, lock=True) is None:
            return  # not one of ours (a replay from another deployment): nothing to record
        _record_receipt(uow.conn, completed.erasure_id, completed.service, completed.erased, completed.completed_at)


# --- reading ------------------------------------------------------------------------------------------------


def list_erasures(uow, caller, status: str | None) -> ErasureList:
    countries = sorted(caller.principal.countries)
    with uow:
        rows = uow.conn.execute(
            f"""SELECT {', '.join(_COLUMNS)} FROM erasures WHERE country = ANY(%s) AND (%s::text IS NULL OR status = %s)
                ORDER BY requested_at DESC LIMIT 200""", [countries, status, status]).fetchall()
    return ErasureList(erasures=[_view(dict(zip(_COLUMNS, row))) for row in rows])


def certificate(uow, caller, erasure_id: UUID, now: datetime) -> ErasureCertificate:
    with uow:
        row = _find(uow.conn, erasure_id)
        if row is None or row["country"] not in caller.principal.countries:
            raise NOT_FOUND
        receipts = [ErasureReceipt(service=service, erased=erased, completed_at=at) for service, erased, at in
                    uow.conn.execute("""SELECT service, erased, completed_at FROM erasure_receipts
                                        WHERE erasure_id = %s ORDER BY completed_at, service""", [erasure_id])]
        _audit(uow.conn, caller, "erasure_certificate_read", None, row["reference"], {"erasure_id": str(erasure_id)})
    reported = {receipt.service for receipt in receipts}
    waiting = [] if row["status"] == "declined" else [service for service in ERASING_SERVICES
                                                      if service not in reported]
    return ErasureCertificate(erasure=_view(row), services=receipts, waiting_for=waiting,
                              complete=row["status"] == "completed", issued_at=now)

