"""KoboToolbox REST service: one submission as flat JSON, questions keyed by group path
(`group_a/question`) plus `_id`, `_uuid`, `meta/instanceID`, `_xform_id_string`,
`_submission_time`, `_attachments[]`, `_geolocation`, `_submitted_by`.

Which question holds what is the endpoint's `kobo_fields` mapping. `_submission_time`
carries no offset: KoboToolbox's servers write it in UTC (kobotoolbox/kpi#3941), so it is
read as UTC unless the endpoint says `kobo_submission_time_zone: country` (then in the
country's time zone). `_geolocation` is not kept (a person's position)."""
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from chassis.errors import ApiError
from contracts.common import AttachmentRef, Channel, Consent, ContactDetails, Respondent
from services.intake import domain
from services.intake.formats.common import check_attachments, endpoint_mismatch, malformed, text_field


def _answer_error(field: str, reason: str) -> ApiError:
    return ApiError(422, "invalid_answer", "An answer in the submission cannot be read.",
                    [{"field": field, "reason": reason}])


def _submission_time(value, endpoint, timezone: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise malformed("expected an ISO 8601 timestamp", "_submission_time") from None
    if parsed.tzinfo is None:
        zone = UTC if endpoint.kobo_submission_time_zone == "UTC" else ZoneInfo(timezone)
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC)


def parse(endpoint_id: str, endpoint, body, timezone: str, max_attachments: int) -> domain.InboundMessage:
    if not isinstance(body, dict):
        raise malformed("expected a JSON object")
    if endpoint.address and str(body.get("_xform_id_string")) != endpoint.address:
        raise endpoint_mismatch("_xform_id_string")
    submission_id = body.get("meta/instanceID") or body.get("_uuid")
    if not submission_id:
        raise malformed("missing", "meta/instanceID")
    fields = endpoint.kobo_fields

    def answer(name: str):
        question = getattr(fields, name)
        return body.get(question) if question else None

    narrative = answer("narrative")
    if not isinstance(narrative, str) or not narrative.strip():
        raise malformed("missing", fields.narrative)
    # Keyed by the mapping's names, so that a refusal names the form's own question (group_respondent/sex).
    readers = {"sex": domain.read_sex, "age_group": domain.read_age_group, "disability": domain.read_yes_no,
               "consent_callback": domain.read_yes_no, "consent_share": domain.read_yes_no,
               "name": domain.read_name, "language": domain.read_language,
               **{area: domain.read_area for area in ("adm1", "adm2", "adm3", "place")}}
    values = {}
    for name, read in readers.items():
        try:
            values[name] = read(answer(name))
        except domain.InvalidAnswer as exc:
            raise _answer_error(getattr(fields, name), str(exc)) from None
    respondent = Respondent(sex=values["sex"], age_group=values["age_group"], disability=values["disability"])
    values["respondent"] = respondent if respondent != Respondent() else None
    values["callback"], values["share"] = values["consent_callback"], values["consent_share"]
    channel = endpoint.channel
    if answer("channel"):
        try:
            channel = Channel(str(answer("channel")).strip().lower())
        except ValueError:
            raise _answer_error(fields.channel, "not a channel") from None
    contact = None
    if answer("phone") or values["name"]:
        phone = None
        if answer("phone"):
            try:
                phone = domain.normalize_phone(str(answer("phone")), endpoint.country)
            except domain.InvalidPhoneNumber as exc:
                raise ApiError(422, "invalid_phone", "The contact's phone number cannot be read.",
                               [{"field": fields.phone, "reason": str(exc)}]) from None
        contact = ContactDetails(phone=phone, name=values["name"])
    raw_attachments = body.get("_attachments") or []
    if not isinstance(raw_attachments, list):
        raise malformed("expected a list", "_attachments")
    attachments = check_attachments([
        AttachmentRef(kind=domain.attachment_kind(item.get("mimetype")),
                      ref=str(item.get("download_url") or item.get("id") or item.get("filename")),
                      content_type=item.get("mimetype"), filename=(item.get("filename") or "").rsplit("/", 1)[-1] or None)
        for item in raw_attachments if isinstance(item, dict)], max_attachments)
    submitted_by = text_field(body, "_submitted_by")
    return domain.InboundMessage(
        endpoint_id=endpoint_id, country=endpoint.country, channel=channel, text=narrative,
        received_at=_submission_time(body.get("_submission_time"), endpoint, timezone),
        provider_message_id=str(submission_id), contact=contact, language=values["language"],
        consent=Consent(callback=bool(values["callback"]) and contact is not None, share_with_partners=bool(values["share"])),
        location=domain.location_of(values["adm1"], values["adm2"], values["adm3"], values["place"]),
        respondent=values["respondent"], attachments=attachments,
        submitted_by=f"kobo:{submitted_by}" if submitted_by else None)
