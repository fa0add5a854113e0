"""Intake's use cases: record messages from any channel (with their contact locked in the
vault), record call detail records, take batch uploads, and reveal a contact for a stated purpose.

Whatever the channel, a message goes through `_record`: a provider's retry gets the first
answer again; a status request (`STATUT GN-2026-000042`) emits StatusRequested and opens
nothing; the same person sending the same text within the repeat window is linked to the
first message's case; anything else gets a new case reference. All of it, and the events,
commit in the caller's transaction."""
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from chassis.errors import ApiError
from contracts.events import CallRecorded, FeedbackReceived, StatusRequested
from contracts.http import (
    BatchReport, BatchRowAccepted, BatchRowProblem, ChannelActivity, ChannelLastMessage, ContactLookup,
    ContactLookupResult, FeedbackAccepted, FeedbackSubmission, MessageReceipt, Place, PlaceList,
)
from contracts.rpc import RevealContactRequest, RevealContactResponse
from services.intake import answers, consent, domain, repository
from services.intake.formats import spreadsheets
from services.intake.formats.common import malformed
from services.intake.vault import ContactVault


@dataclass(frozen=True)
class Recorded:
    message: domain.InboundMessage
    receipt: MessageReceipt
    retry: bool  # the provider sent this message before; nothing new was recorded


def record_messages(uow, vault: ContactVault, settings, messages: list[domain.InboundMessage],
                    now: datetime) -> list[Recorded]:
    """Record several messages (one provider delivery) in one transaction."""
    with uow:
        return [_record(uow, vault, settings, message, now) for message in messages]


def submit_feedback(uow, vault: ContactVault, settings, submission: FeedbackSubmission,
                    submitted_by: str | None, now: datetime) -> tuple[FeedbackAccepted, Recorded]:
    """An agent's entry (hotline call, walk-in): stored, its contact sealed, FeedbackReceived emitted."""
    if submission.country not in settings.countries:
        raise ApiError(422, "unknown_country", f"No programme is configured for country {submission.country}.",
                       [{"field": "country", "reason": "not a configured country"}])
    interaction = submission.interaction
    endpoint_id = interaction.endpoint if interaction else None
    if endpoint_id is not None:
        endpoint = settings.endpoints.get(endpoint_id)
        if endpoint is None or endpoint.country != submission.country or endpoint.provider != "telephony":
            raise ApiError(422, "unknown_endpoint", "The interaction names a hotline line not configured here.",
                           [{"field": "interaction.endpoint", "reason": "not a hotline of this country"}])
    try:
        contact = domain.normalize_contact(submission.contact, submission.country)
    except domain.InvalidPhoneNumber as exc:
        raise _invalid_phone(exc, "contact.phone") from None
    # Without a way to reach the person, no consent to call back can apply.
    consent = submission.consent if contact else submission.consent.model_copy(update={"callback": False})
    message = domain.InboundMessage(
        endpoint_id=endpoint_id, country=submission.country, channel=submission.channel, text=submission.narrative,
        received_at=submission.received_at or now, contact=contact, language=submission.language, consent=consent,
        location=submission.location, respondent=submission.respondent, submitted_by=submitted_by,
        call_id=interaction.call_id if interaction else None, agent_assessment=submission.agent_assessment,
        # A staff member took the contact from the person, on the call or at the desk.
        contact_verified=contact is not None)
    recorded = record_messages(uow, vault, settings, [message], now)[0]
    receipt = recorded.receipt
    return FeedbackAccepted(feedback_id=receipt.feedback_id, reference=receipt.reference,
                            status=receipt.status), recorded


def _invalid_phone(exc: Exception, field: str) -> ApiError:
    return ApiError(422, "invalid_phone", "The contact's phone number cannot be read.",
                    [{"field": field, "reason": str(exc)}])


def message_too_long() -> ApiError:
    return ApiError(422, "message_too_long",
                    f"A message may hold at most {domain.MAX_NARRATIVE_LENGTH} characters; it was not recorded.",
                    [{"field": "narrative", "reason": f"longer than {domain.MAX_NARRATIVE_LENGTH} characters"}])


def stale_signature() -> ApiError:
    return ApiError(403, "stale_signature", "The signature's timestamp is too old; replays are refused.")


def record_mailgun_delivery(uow, vault: ContactVault, settings, message: domain.InboundMessage, token: str,
                            fresh: bool, now: datetime) -> Recorded:
    """One Mailgun delivery. Mailgun signs only timestamp+token, never the content, so each token may bring
    one email only: a token seen before gets the answer of the email it brought (a replay with another body
    records nothing). A signature older than the replay window is taken only from a retry of an email
    accepted before (Mailgun may retry with the first attempt's signature for 8 hours): it gets the first
    answer, 200, so that Mailgun stops; anything else stale is refused."""
    with uow:
        conn = uow.conn
        bound = repository.claim_mailgun_token(conn, message.endpoint_id, token, message.provider_message_id)
        if bound is not None and bound != message.provider_message_id:
            earlier = repository.find_receipt(conn, message.endpoint_id, bound)
            if earlier is not None:
                return Recorded(message, MessageReceipt.model_validate(earlier), retry=True)
            raise stale_signature()
        if not fresh:
            earlier = repository.find_receipt(conn, message.endpoint_id, message.provider_message_id)
            if earlier is None:
                raise stale_signature()
            return Recorded(message, MessageReceipt.model_validate(earlier), retry=True)
        return _record(uow, vault, settings, message, now)


def _record(uow, vault: ContactVault, settings, message: domain.InboundMessage, now: datetime) -> Recorded:
    # Checked here, where every channel's message becomes a feedback, and before anything is written.
    if domain.too_long(message.text):
        raise message_too_long()
    if len(message.provider_message_id or "") > domain.MAX_PROVIDER_MESSAGE_ID_LENGTH:
        raise malformed(f"longer than {domain.MAX_PROVIDER_MESSAGE_ID_LENGTH} characters", "message id")
    conn = uow.conn
    if message.provider_message_id:
        earlier = repository.claim_provider_message(conn, message.endpoint_id, message.provider_message_id)
        if earlier is not None:
            return Recorded(message, MessageReceipt.model_validate(earlier), retry=True)
    contact_ref = _contact_ref(conn, vault, message.contact, message.unverified_contact)
    asked_about = domain.status_request_reference(message.text) if message.may_ask_status else None
    answer = answers.recognised(message, contact_ref, settings)
    if consent.is_withdrawal(message, contact_ref, settings):
        receipt = consent.withdraw(uow, settings, message, contact_ref)
    elif answer is not None:
        receipt = answers.record(uow, message, contact_ref, answer)
    elif asked_about is not None:
        receipt = _status_request(uow, message, asked_about, contact_ref)
    else:
        receipt = _feedback(uow, vault, settings, message, contact_ref, now)
    if message.provider_message_id:
        repository.save_receipt(conn, message.endpoint_id, message.provider_message_id,
                                receipt.model_dump(mode="json"))
    return Recorded(message, receipt, retry=False)


def _contact_ref(conn, vault: ContactVault, contact, unverified: bool) -> UUID | None:
    """The person's one contact_ref: found by the blind index of their phone or email, else sealed anew.
    An unverified contact is sealed anew every time and left out of the index."""
    if contact is None:
        return None
    if unverified:
        contact_ref = uuid4()
        repository.insert_contact(conn, contact_ref, vault.seal(contact_ref, contact))
        return contact_ref
    indexes = [vault.blind_index(identity) for identity in domain.contact_identities(contact)]
    for index in sorted(indexes):  # a fixed order: two transactions never wait on each other crosswise
        repository.lock_contact_identity(conn, index)
    known = [ref for ref in (repository.find_indexed_contact(conn, index) for index in indexes) if ref]
    contact_ref = known[0] if known else uuid4()
    if not known:
        repository.insert_contact(conn, contact_ref, vault.seal(contact_ref, contact))
    for index in indexes:
        if repository.find_indexed_contact(conn, index) is None:
            repository.index_contact(conn, index, contact_ref)
    return contact_ref


def _status_request(uow, message: domain.InboundMessage, reference: str, contact_ref: UUID | None) -> MessageReceipt:
    if contact_ref is None:
        # Nobody to answer, and no owner to check against: recorded nowhere, said so to the sender.
        return MessageReceipt(status="not_answerable", reference=None)
    request_id = uuid4()
    language = domain.language_tag(message.language) or domain.status_request_language(message.text)
    repository.insert_status_request(uow.conn, request_id=request_id, reference=reference, contact_ref=contact_ref,
                                     channel=message.channel, endpoint=message.endpoint_id,
                                     received_at=message.received_at)
    uow.emit(StatusRequested(request_id=request_id, reference=reference, contact_ref=contact_ref,
                             channel=message.channel, language=language, received_at=message.received_at),
             country=message.country)
    # The reference is not echoed: whether it exists or is theirs is for cases to answer, to its owner only.
    return MessageReceipt(status="status_requested")


def _feedback(uow, vault: ContactVault, settings, message: domain.InboundMessage, contact_ref: UUID | None,
              now: datetime) -> MessageReceipt:
    conn = uow.conn
    language, detected = domain.choose_language(message.language, message.text)
    digest = domain.text_digest(message.text)
    first = None
    if contact_ref is not None:
        window = timedelta(hours=settings.channels.repeat_window_hours)
        first = repository.find_first_message(conn, contact_ref, digest, message.received_at, window)
    if first is None:
        local_year = now.astimezone(ZoneInfo(settings.countries[message.country].timezone)).year
        sequence = repository.next_reference_number(conn, message.country, local_year)
        number = domain.reference_number(sequence, vault.reference_key(), message.country, local_year)
        reference = domain.format_reference(message.country, local_year, number)
    else:
        reference = first
    feedback_id = uuid4()
    consent = message.consent if contact_ref else message.consent.model_copy(update={"callback": False})
    details = {"location": message.location, "respondent": message.respondent,
               "attachments": list(message.attachments), "call_id": message.call_id}
    # Kept as received, sealed under the case's own data key (chassis/envelope.py): erasing the case
    # destroys the key, and with it every copy of the text.
    envelope = settings.text_envelope
    sealed_text = envelope.seal(envelope.data_key(conn, reference), message.text)
    repository.insert_feedback(
        conn, feedback_id=feedback_id, reference=reference, country=message.country, channel=message.channel,
        language=language, narrative=sealed_text, received_at=message.received_at, contact_ref=contact_ref,
        consent=consent, submitted_by=message.submitted_by, endpoint=message.endpoint_id,
        provider_message_id=message.provider_message_id, repeat=first is not None, language_detected=detected,
        text_digest=digest,
        details={key: _jsonable(value) for key, value in details.items() if value})
    # What leaves intake: the places as the gazetteer names them, and the text without the
    # complainant's own name (it stays in the vault; staff see it by revealing the contact).
    uow.emit(FeedbackReceived(
        feedback_id=feedback_id, reference=reference, channel=message.channel, language=language,
        narrative=domain.without_own_name(message.text, message.contact), received_at=message.received_at,
        contact_ref=contact_ref, consent=consent, submitted_by=message.submitted_by, language_detected=detected,
        location=settings.gazetteers[message.country].locate(message.location),
        respondent=message.respondent, attachments=list(message.attachments), endpoint=message.endpoint_id,
        provider_message_id=message.provider_message_id, repeat=first is not None, call_id=message.call_id,
        agent_assessment=message.agent_assessment,
        contact_verified=message.contact_verified if contact_ref is not None else None,
    ), country=message.country)
    return MessageReceipt(status="repeat" if first else "received", reference=reference, feedback_id=feedback_id)


def _jsonable(value):
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    return value.model_dump(mode="json", exclude_none=True) if hasattr(value, "model_dump") else value


# --- batches -------------------------------------------------------------------------------------


def upload_box_batch(uow, vault: ContactVault, settings, endpoint_id: str, endpoint, data: bytes,
                     content_type: str, collected_on, uploaded_by: str, now: datetime) -> tuple[BatchReport, list]:
    """Record a box's transcribed slips: valid rows all together, invalid ones reported, and the
    same file again recorded nowhere."""
    digest = spreadsheets.file_digest(data)
    rows = spreadsheets.read_rows(data, content_type, settings.channels.max_upload_rows)
    timezone = settings.countries[endpoint.country].timezone
    batch = spreadsheets.box_rows(rows, endpoint_id, endpoint, collected_on, timezone, uploaded_by)
    with uow:
        repository.lock_batch(uow.conn, endpoint_id, digest)
        earlier = repository.find_batch_report(uow.conn, endpoint_id, digest)
        if earlier is not None:
            return BatchReport.model_validate({**earlier, "already_uploaded": True}), []
        recorded, accepted, rejected = [], [], []
        for row in batch:
            if row.message is None:
                rejected += [BatchRowProblem(row=p.row, column=p.column, reason=p.reason) for p in row.problems]
                continue
            result = _record(uow, vault, settings, row.message, now)
            recorded.append(result)
            accepted.append(BatchRowAccepted(row=row.row, reference=result.receipt.reference, duplicate=result.retry))
        report = BatchReport(endpoint=endpoint_id, file_sha256=digest, already_uploaded=False,
                             accepted=accepted, rejected=rejected)
        repository.insert_batch(uow.conn, endpoint_id, digest, uploaded_by, report.model_dump(mode="json"))
    return report, recorded


def record_calls(uow, endpoint_id: str, endpoint, calls: list[tuple[int, object]]) -> list[BatchRowAccepted]:
    """Record call detail records inside the caller's transaction; a call id seen before is a duplicate."""
    accepted = []
    for row, call in calls:
        new = repository.insert_call(uow.conn, endpoint_id, call)
        if new:
            uow.emit(CallRecorded(call_id=call.call_id, endpoint=endpoint_id, started_at=call.started_at,
                                  outcome=call.outcome, wait_seconds=call.wait_seconds,
                                  duration_seconds=call.duration_seconds if call.outcome == "answered" else 0,
                                  agent_id=call.agent_id), country=endpoint.country)
        accepted.append(BatchRowAccepted(row=row, call_id=call.call_id, duplicate=not new))
    return accepted


def receive_calls(uow, endpoint_id: str, endpoint, calls, body_digest: str) -> BatchReport:
    """The telephony webhook: every record valid (the contract checked), recorded together."""
    with uow:
        accepted = record_calls(uow, endpoint_id, endpoint, list(enumerate(calls, start=1)))
    return BatchReport(endpoint=endpoint_id, file_sha256=body_digest, already_uploaded=False,
                       accepted=accepted, rejected=[])


def upload_call_batch(uow, settings, endpoint_id: str, endpoint, data: bytes, content_type: str,
                      uploaded_by: str) -> BatchReport:
    digest = spreadsheets.file_digest(data)
    rows = spreadsheets.read_rows(data, content_type, settings.channels.max_upload_rows)
    parsed = spreadsheets.call_rows(rows, settings.countries[endpoint.country].timezone)
    with uow:
        repository.lock_batch(uow.conn, endpoint_id, digest)
        earlier = repository.find_batch_report(uow.conn, endpoint_id, digest)
        if earlier is not None:
            return BatchReport.model_validate({**earlier, "already_uploaded": True})
        accepted = record_calls(uow, endpoint_id, endpoint, [(row, call) for row, call, _ in parsed if call])
        rejected = [BatchRowProblem(row=p.row, column=p.column, reason=p.reason)
                    for _, call, problems in parsed for p in problems]
        report = BatchReport(endpoint=endpoint_id, file_sha256=digest, already_uploaded=False,
                             accepted=accepted, rejected=rejected)
        repository.insert_batch(uow.conn, endpoint_id, digest, uploaded_by, report.model_dump(mode="json"))
    return report


# --- the vault -----------------------------------------------------------------------------------


class ContactNotFound(LookupError):
    pass


class RevealRefused(PermissionError):
    """intake found nothing it recorded that justifies this reveal; the attempt is logged."""


def reveal_contact(uow, vault: ContactVault, request: RevealContactRequest, now: datetime) -> RevealContactResponse:
    """Decrypt one contact if intake's own records justify the stated purpose, and log who asked and
    why, and what was refused. The caller's word is not enough: any process on the bus could say it."""
    subject_id = getattr(request, domain.REVEAL_SUBJECT[request.purpose])
    with uow:
        sealed = repository.find_contact(uow.conn, request.contact_ref)
        if sealed is None:
            raise ContactNotFound(str(request.contact_ref))
        grounds = repository.reveal_grounds(uow.conn, request.purpose, request.contact_ref, subject_id)
        so_far = repository.count_reveals(uow.conn, request.purpose, subject_id) if grounds else 0
        refused = (domain.reveal_refusal(request.purpose, request.requested_by, grounds, so_far, now)
                   or consent.reveal_refusal(uow.conn, request.purpose, request.contact_ref, grounds))
        repository.log_contact_reveal(uow.conn, request.contact_ref, request.purpose, request.requested_by,
                                      subject_id, refused, request.referral_id, request.on_behalf_of)
    if refused:
        raise RevealRefused(refused)
    return RevealContactResponse(contact_ref=request.contact_ref,
                                 contact=vault.open(UUID(str(request.contact_ref)), sealed))


# --- looking a caller up -------------------------------------------------------------------------

def look_up_contact(uow, vault: ContactVault, lookup: ContactLookup, principal) -> ContactLookupResult:
    """Whoever has this phone number, found through the blind index (the number is never decrypted nor
    stored). Every look-up is logged, found or not, with the person found and how many of their messages
    are in the requester's countries, but without the number."""
    try:
        phone = domain.normalize_phone(lookup.phone, lookup.country)
    except domain.InvalidPhoneNumber as exc:
        raise _invalid_phone(exc, "phone") from None
    index = vault.blind_index(f"phone:{phone}")
    with uow:
        contact_ref = repository.find_indexed_contact(uow.conn, index)
        messages = repository.count_messages(uow.conn, contact_ref, principal.countries) if contact_ref else 0
        repository.log_contact_lookup(uow.conn, principal.subject, principal.role, lookup.country, contact_ref,
                                      messages)
    return ContactLookupResult(found=contact_ref is not None, contact_ref=contact_ref)


def places(settings, country: str) -> PlaceList:
    return PlaceList(country=country, places=[Place(code=p.code, name=p.name, level=p.level, parent=p.parent)
                                              for p in settings.gazetteer.get(country, [])])


# --- what operators watch -----------------------------------------------------------------------------

def channel_activity(uow, settings, countries: frozenset[str]) -> ChannelActivity:
    """When each channel of these countries last brought a message; a configured channel that never did is
    listed too (with no time), since a channel that never worked is the first an operator must see."""
    with uow:
        last = repository.last_message_per_channel(uow.conn, sorted(countries))
    configured = {(endpoint.country, endpoint.channel.value) for endpoint in settings.endpoints.values()
                  if endpoint.country in countries}
    return ChannelActivity(channels=[
        ChannelLastMessage(country=country, channel=channel, last_received_at=last.get((country, channel)))
        for country, channel in sorted(configured | set(last))])
