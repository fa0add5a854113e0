"""RapidPro / TextIt "Call Webhook" bodies, as the flow editor sends them without any change:

- the editor's default POST body: `contact{uuid,name,urn}`, `flow{uuid,name}`,
  `results{<key>: {value, category}}` (no message id, no time, no channel);
- the full body of older flows (RapidPro's legacy webhook payload, also what many operators paste):
  `contact`, `flow`, `path`, `results`, `run{uuid,created_on}`,
  `input{uuid,text,created_on,type,urn{scheme,path,display},attachments[],channel}` (input is null
  when the flow reached the webhook without a message), `channel{uuid,name,address}`.

The text is the input's when there is one, else the flow's results: the endpoint's
`rapidpro_result` when configured, else the only result, else every result as `Name: value` lines
(nothing the person answered is dropped). The message's id is the input's uuid, else a digest of
the run, contact, flow and results, so that RapidPro's retry of the same call records nothing new.
Attachments arrive as `content-type:url` strings or `{content_type, url}` objects."""
import hashlib
import json
from datetime import datetime

from contracts.common import AttachmentRef, Consent
from services.intake import domain
from services.intake.formats.common import (
    check_attachments, empty_message, endpoint_mismatch, iso_time, malformed, phone_contact, read_or_refuse,
    same_address,
)

PHONE_SCHEMES = ("tel", "whatsapp")


def _object(value, field: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise malformed("expected an object", field)
    return value


def _urn(value, field: str) -> tuple[str | None, str | None]:
    """(scheme, path) of a URN given as `tel:+224...` or as `{scheme, path}`."""
    if value is None or value == "":
        return None, None
    if isinstance(value, str):
        scheme, _, path = value.partition(":")
        return (scheme, path) if path else (None, None)
    urn = _object(value, field)
    scheme, path = urn.get("scheme"), urn.get("path")
    if scheme is not None and not isinstance(scheme, str) or path is not None and not isinstance(path, (str, int)):
        raise malformed("expected a URN", field)
    return scheme, str(path) if path is not None else None


def _attachments(raw, max_attachments: int) -> tuple[AttachmentRef, ...]:
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        raise malformed("expected a list", "input.attachments")
    attachments = []
    for item in raw:
        if isinstance(item, dict):
            content_type, url = item.get("content_type"), item.get("url")
        elif isinstance(item, str):
            content_type, _, url = item.partition(":")
        else:
            content_type, url = None, None
        if not isinstance(url, str) or not url or not isinstance(content_type, str):
            raise malformed("expected content-type:url", "input.attachments")
        attachments.append(AttachmentRef(kind=domain.attachment_kind(content_type), ref=url, content_type=content_type))
    return check_attachments(attachments, max_attachments)


def _results(body: dict) -> dict[str, dict]:
    results = _object(body.get("results"), "results")
    for key, result in results.items():
        if not isinstance(result, dict):
            raise malformed("expected an object", f"results.{key}")
        if result.get("value") is not None and not isinstance(result["value"], str):
            raise malformed("expected a string", f"results.{key}.value")
    return results


def _text_of_results(results: dict[str, dict], chosen: str | None) -> str | None:
    if chosen:
        if chosen not in results:
            raise malformed("missing", f"results.{chosen}")
        return results[chosen].get("value")
    answered = [(key, result) for key, result in results.items() if (result.get("value") or "").strip()]
    if len(answered) == 1:
        return answered[0][1]["value"]
    lines = [f"{result.get('name') or key}: {result['value'].strip()}" for key, result in answered]
    return "\n".join(lines) or None


def _results_time(results: dict[str, dict]) -> datetime | None:
    times = [iso_time(result["created_on"], f"results.{key}.created_on")
             for key, result in results.items() if result.get("created_on")]
    return max(times) if times else None


def _call_digest(body: dict, results: dict) -> str:
    """One webhook call's own id when the body has no message id: the same call (RapidPro's retry)
    gives the same digest; another call of the same run with other answers another one."""
    run, contact, flow = (_object(body.get(key), key) for key in ("run", "contact", "flow"))
    content = json.dumps([run.get("uuid"), contact.get("uuid"), flow.get("uuid"), results], sort_keys=True,
                         ensure_ascii=False, default=str)
    return "call-" + hashlib.sha256(content.encode()).hexdigest()[:40]


def parse(endpoint_id: str, endpoint, body, max_attachments: int, now: datetime) -> domain.InboundMessage:
    if not isinstance(body, dict):
        raise malformed("expected a JSON object")
    contact_data = _object(body.get("contact"), "contact")
    given = _object(body.get("input"), "input")
    channel = _object(body.get("channel") or given.get("channel"), "channel")
    # The editor's default body names no channel: the endpoint's secret alone says whose it is.
    if channel.get("address") and not same_address(str(channel["address"]), endpoint.address, endpoint.country):
        raise endpoint_mismatch("channel.address")
    results = _results(body)
    attachments = _attachments(given.get("attachments"), max_attachments)
    text = given.get("text")
    if text is not None and not isinstance(text, str):
        raise malformed("expected a string", "input.text")
    if not (text and text.strip()) and not attachments:
        text = _text_of_results(results, endpoint.rapidpro_result)
    narrative = domain.narrative_of(text, attachments)
    if narrative is None:
        raise empty_message()
    message_id = given.get("uuid") or _call_digest(body, results)
    if given.get("created_on"):
        received_at = iso_time(given["created_on"], "input.created_on")
    else:
        received_at = _results_time(results) or now
    scheme, path = _urn(given.get("urn"), "input.urn")
    if not path:
        scheme, path = _urn(contact_data.get("urn"), "contact.urn")
    contact = None
    if scheme in PHONE_SCHEMES and path:
        contact = phone_contact(path if scheme == "tel" else "+" + path.lstrip("+"), endpoint.country,
                                read_or_refuse(domain.read_name, contact_data.get("name"), "contact.name"),
                                field="input.urn.path", sender_may_be_a_name=scheme == "tel")
    return domain.InboundMessage(
        endpoint_id=endpoint_id, country=endpoint.country, channel=endpoint.channel, text=narrative,
        received_at=received_at, provider_message_id=str(message_id), contact=contact,
        language=read_or_refuse(domain.read_language, contact_data.get("language"), "contact.language"),
        consent=Consent(callback=endpoint.assume_callback_consent and contact is not None),
        attachments=attachments, may_ask_status=True, contact_verified=contact is not None)
