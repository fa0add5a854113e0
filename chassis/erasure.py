"""What every service erases of a case or a complainant: the copies of their texts in its messaging
tables (outbox, parked messages), and its answer to cases.

An approved erasure (`ErasureApproved`) names the cases (references and ids) and the complainant's
contact_ref. Every message a service keeps that mentions one of them is rewritten without its
free text: `narrative` becomes `[erased]` (the events stay valid, so a parked message can still be
replayed and counted) and attachment references go. processed_messages holds message ids only.

Each service's own tables are its own erasure module's (services/<name>/erasure.py); one with
nothing but messaging tables (referrals, notifications) uses `erase_messaging_only`.
"""
import json
from datetime import UTC, datetime

from prometheus_client import Counter

from contracts.envelope import Envelope
from contracts.events import ErasureApproved, ErasureCompleted

# Labels name services and places (tables, indices), never a case or a person.
ERASED = Counter("cfm_erased_items", "Rows or documents an approved erasure erased, by place", ["service", "place"])

ERASED_TEXT = "[erased]"
TEXT_FIELDS = ("narrative",)        # free text an event may carry
REFERENCE_FIELDS = ("attachments",)  # media ids, URLs and file names a person chose


def identifiers(erasure: ErasureApproved) -> list[str]:
    """The strings by which a message mentions what is erased."""
    found = [*erasure.references, *(str(case_id) for case_id in erasure.case_ids)]
    if erasure.contact_ref is not None:
        found.append(str(erasure.contact_ref))
    return found


def scrub_payload(payload: dict) -> dict:
    """An event payload without its free text."""
    scrubbed = dict(payload)
    for field in TEXT_FIELDS:
        if isinstance(scrubbed.get(field), str):
            scrubbed[field] = ERASED_TEXT
    for field in REFERENCE_FIELDS:
        if scrubbed.get(field):
            scrubbed[field] = []
    return scrubbed


def scrub_envelope(body: dict) -> dict:
    if isinstance(body.get("payload"), dict):
        return {**body, "payload": scrub_payload(body["payload"])}
    return body


def scrub_messaging(conn, mentions: list[str]) -> dict[str, int]:
    """Rewrite the outbox rows and parked messages that mention any of `mentions` without their free
    text; returns how many rows of each were rewritten (0 the second time)."""
    patterns = [f"%{mention}%" for mention in mentions]
    outbox = 0
    for row_id, body in conn.execute("SELECT id, body FROM outbox WHERE body::text LIKE ANY(%s) FOR UPDATE",
                                     [patterns]).fetchall():
        scrubbed = scrub_envelope(body)
        if scrubbed != body:
            conn.execute("UPDATE outbox SET body = %s WHERE id = %s", [json.dumps(scrubbed), row_id])
            outbox += 1
    parked = 0
    needles = [mention.encode() for mention in mentions]
    for row_id, body in conn.execute("SELECT id, body FROM parked_messages FOR UPDATE").fetchall():
        body = bytes(body)
        if not any(needle in body for needle in needles):
            continue
        try:
            scrubbed = json.dumps(scrub_envelope(json.loads(body))).encode()
        except (ValueError, UnicodeDecodeError, AttributeError):
            # Not an envelope we can rewrite: it cannot be replayed without its text either.
            conn.execute("DELETE FROM parked_messages WHERE id = %s", [row_id])
            parked += 1
            continue
        if scrubbed != body:
            conn.execute("UPDATE parked_messages SET body = %s WHERE id = %s", [scrubbed, row_id])
            parked += 1
    return {"outbox": outbox, "parked_messages": parked}


def report_done(uow, erasure: ErasureApproved, envelope: Envelope, service: str, erased: dict[str, int]) -> None:
    """Tell cases what this service erased (in the transaction of the erasure)."""
    uow.emit(ErasureCompleted(erasure_id=erasure.erasure_id, service=service, erased=erased,
                              completed_at=datetime.now(UTC)), country=envelope.country)


def count_erased(service: str, erased: dict[str, int] | None) -> None:
    """After the erasure committed: the counts by place, for the metrics."""
    for place, count in (erased or {}).items():
        ERASED.labels(service, place).inc(count)


def erase_messaging_only(uow, erasure: ErasureApproved, envelope: Envelope, service: str,
                         own_links=None) -> None:
    """The whole erasure of a service that keeps no text of its own (referrals, notifications).
    `own_links(conn, erasure)`, if given, forgets the service's own links to the complainant and says
    how many rows by place."""
    erased = None
    with uow:
        if uow.claim_message():
            erased = scrub_messaging(uow.conn, identifiers(erasure))
            if own_links is not None:
                erased.update(own_links(uow.conn, erasure))
            report_done(uow, erasure, envelope, service, erased)
    count_erased(service, erased)
