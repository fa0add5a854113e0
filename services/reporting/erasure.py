"""reporting's part of an approved erasure (services/cases/erasure.py tells the whole story).

The cases stay in the journal and the index with every fact the reports count (channel, category,
place as the gazetteer names it, sex, age group, deadlines, referrals), so the figures do not move;
what goes is any text: the narratives (a case_opened keeps the `[not kept]` the contract needs),
attachment references. The erased references are remembered, so that an event about one of them
arriving after the erasure is journalled and indexed without its text as well.
"""
from elasticsearch import NotFoundError
from psycopg.types.json import Jsonb

from chassis.erasure import count_erased, identifiers, report_done, scrub_messaging
from contracts.envelope import Envelope
from contracts.events import ErasureApproved
from services.reporting import domain


def without_text(body: dict) -> dict:
    """A journalled envelope without the free text of its payload."""
    payload = dict(body.get("payload") or {})
    if isinstance(payload.get("narrative"), str):
        payload["narrative"] = domain.NOT_KEPT if body.get("type") in ("case_opened", "feedback_received") else None
    if payload.get("attachments"):
        payload["attachments"] = []
    return {**body, "payload": payload}


def is_erased(conn, reference: str | None) -> bool:
    return reference is not None and conn.execute(
        "SELECT 1 FROM erased_cases WHERE reference = %s", [reference]).fetchone() is not None


def forget_texts(conn, references: list[str]) -> int:
    """Rewrite the journal entries of these cases without text; returns how many changed."""
    changed = 0
    for seq, body in conn.execute("SELECT seq, envelope FROM journal WHERE reference = ANY(%s) FOR UPDATE",
                                  [references]).fetchall():
        scrubbed = without_text(body)
        if scrubbed != body:
            conn.execute("UPDATE journal SET envelope = %s WHERE seq = %s", [Jsonb(scrubbed), seq])
            changed += 1
    return changed


def erase(uow, indexes, erasure: ErasureApproved, envelope: Envelope) -> None:
    with uow:
        if not uow.claim_message():
            return
        conn = uow.conn
        references = list(erasure.references)
        conn.execute("INSERT INTO erased_cases (reference) SELECT unnest(%s::text[]) ON CONFLICT DO NOTHING",
                     [references])
        erased = {"journal": forget_texts(conn, references), "index:cases": 0}
        for reference in references:
            try:
                found = indexes.client.get(index=indexes.cases, id=reference)["_source"]
            except NotFoundError:
                continue  # not indexed yet: it will be, without text (is_erased)
            if found.get("narrative") is not None:
                indexes.update_case(reference, lambda document: {**document, "narrative": None})
                erased["index:cases"] += 1
        erased.update(scrub_messaging(conn, identifiers(erasure)))
        report_done(uow, erasure, envelope, "reporting", erased)
    count_erased("reporting", erased)
