"""The complainant's right of access: everything the platform holds about one contact, for a focal point.

intake owns contacts, so it assembles the export: the contact as the vault holds it, the person's
messages and status requests of the focal point's country, and their cases' references and statuses
as cases shows them to that same focal point (asked over cases' API with the focal point's own token:
intake neither reads cases' tables nor lends its own authority). The contact is found by the phone
or email the person used, given in the request body (never a URL). A contact someone typed for
another (web form, Kobo) is kept out of the index, so it is not found by number: it has no owner to
prove. Every export, and every request that found nobody, is written to the append-only, hash-chained
`contact_exports` table.

All or nothing: if cases cannot answer, the export fails (503) rather than hand over part of it.
"""
import logging
from datetime import datetime
from uuid import UUID

import requests

from chassis.errors import ApiError
from contracts.http import (
    ContactExport, ContactExportRequest, ExportedAnswer, ExportedCase, ExportedMessage, ExportedStatusRequest,
)
from services.intake import domain, repository
from services.intake.vault import ContactVault

log = logging.getLogger(__name__)


def identity_of(request: ContactExportRequest) -> str:
    """The one identity the contact is indexed by: `phone:+E164` or `email:lower-case`."""
    if bool(request.phone) == bool(request.email):
        raise ApiError(422, "validation_failed", "Give the phone number or the email the person used (one of them).",
                       [{"field": "phone", "reason": "one of phone or email"}])
    if request.email:
        return f"email:{request.email.lower()}"
    try:
        return f"phone:{domain.normalize_phone(request.phone, request.country)}"
    except domain.InvalidPhoneNumber as exc:
        raise ApiError(422, "invalid_phone", "The phone number cannot be read.",
                       [{"field": "phone", "reason": str(exc)}]) from None


def export_contact(uow_factory, vault: ContactVault, settings, request: ContactExportRequest, principal,
                   authorization: str, client_address: str | None, now: datetime) -> ContactExport:
    principal.require_country(request.country)
    blind_index = vault.blind_index(identity_of(request))
    with uow_factory() as uow:
        contact_ref = repository.find_indexed_contact(uow.conn, blind_index)
        if contact_ref is not None:
            sealed = repository.find_contact(uow.conn, contact_ref)
            contact = vault.open(contact_ref, sealed)
            envelope = settings.text_envelope
            messages = [ExportedMessage(**{**row, "narrative": envelope.open(
                            envelope.existing_key(uow.conn, row["reference"]), row["narrative"])})
                        for row in _messages_of_contact(uow.conn, contact_ref, request.country)]
            status_requests = [ExportedStatusRequest(**row) for row in _status_requests_of_contact(
                uow.conn, contact_ref, request.country)]
            answers = [ExportedAnswer(**row) for row in _answers_of_contact(uow.conn, contact_ref, request.country)]
    if contact_ref is None:
        _log_export(uow_factory, principal, request.country, None, 0, 0, client_address)
        raise ApiError(404, "contact_not_found", "No contact with this phone or email in this country.")
    references = sorted({message.reference for message in messages})
    cases = [_case(settings.export, reference, authorization) for reference in references]
    export_id = _log_export(uow_factory, principal, request.country, contact_ref, len(messages),
                            sum(case.found for case in cases), client_address)
    return ContactExport(export_id=export_id, exported_at=now, contact_ref=contact_ref, contact=contact,
                         messages=messages, status_requests=status_requests, cases=cases, answers=answers)


def _case(export_settings, reference: str, authorization: str) -> ExportedCase:
    try:
        answer = requests.get(f"{export_settings.cases_url}/v1/cases/{reference}",
                              headers={"Authorization": authorization}, timeout=export_settings.timeout_seconds)
    except requests.RequestException as exc:
        log.warning("cases did not answer for an export", extra={"reason": type(exc).__name__})
        raise _cases_unavailable() from None
    if answer.status_code == 404:
        return ExportedCase(reference=reference, found=False)
    if answer.status_code != 200:
        log.warning("cases refused a case for an export", extra={"status": answer.status_code})
        raise _cases_unavailable()
    case = answer.json()
    return ExportedCase(reference=reference, found=True, status=case["status"],
                        category_code=case.get("category_code"), restricted=case.get("restricted"),
                        received_at=case.get("received_at"))


def _messages_of_contact(conn, contact_ref: UUID, country: str) -> list[dict]:
    keys = ("feedback_id", "reference", "channel", "language", "narrative", "received_at", "consent_callback",
            "consent_share", "repeat")
    rows = conn.execute(f"""SELECT {', '.join(keys)} FROM feedback WHERE contact_ref = %s AND country = %s
                            ORDER BY received_at, feedback_id""", [contact_ref, country]).fetchall()
    return [dict(zip(keys, row)) for row in rows]


def _status_requests_of_contact(conn, contact_ref: UUID, country: str) -> list[dict]:
    # A status request carries no country of its own: its endpoint's, or the reference's prefix.
    rows = conn.execute("""SELECT reference, channel, received_at FROM status_requests
                           WHERE contact_ref = %s AND left(reference, 2) = %s ORDER BY received_at""",
                        [contact_ref, country]).fetchall()
    return [dict(zip(("reference", "channel", "received_at"), row)) for row in rows]


def _answers_of_contact(conn, contact_ref: UUID, country: str) -> list[dict]:
    rows = conn.execute("""SELECT answer, channel, received_at FROM keyword_replies
                           WHERE contact_ref = %s AND country = %s ORDER BY received_at""",
                        [contact_ref, country]).fetchall()
    return [dict(zip(("answer", "channel", "received_at"), row)) for row in rows]


def _cases_unavailable() -> ApiError:
    return ApiError(503, "cases_unavailable", "cases could not say what it holds; nothing was exported. Try again.")


def _log_export(uow_factory, principal, country: str, contact_ref: UUID | None, messages: int, cases: int,
                client_address: str | None) -> int:
    with uow_factory() as uow:
        return uow.execute(
            """INSERT INTO contact_exports (requested_by, role, country, contact_ref, messages, cases, client_address)
               VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id""",
            [principal.subject, principal.role, country, contact_ref, messages, cases, client_address]).fetchone()[0]
