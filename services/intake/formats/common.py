"""What the format parsers share: refusals, timestamps, addresses, attachments."""
from contextlib import contextmanager
from datetime import UTC, datetime

from pydantic import ValidationError

from chassis.errors import ApiError
from contracts.common import AttachmentRef, ContactDetails
from services.intake import domain


def malformed(reason: str, field: str | None = None) -> ApiError:
    return ApiError(422, "malformed_payload", "The payload does not match the provider's format.",
                    [{"field": field, "reason": reason}])


@contextmanager
def reading_payload():
    """Whatever a parser could not read in a provider's payload (a value of the wrong type, one longer
    than the contract holds) is the provider's error, 422 `malformed_payload`, never a crash. The one
    place this is decided: the service reads every payload inside it. The value is never echoed."""
    try:
        yield
    except ValidationError as exc:
        error = exc.errors(include_input=False, include_url=False)[0]
        raise malformed(error["msg"], ".".join([exc.title, *(str(part) for part in error["loc"])])) from None
    except (TypeError, AttributeError, ValueError):
        raise malformed("a value has the wrong type or shape") from None


def read_or_refuse(read, value, field: str):
    """`value` read with one of domain's readers (read_name, read_language, ...), or 422
    `malformed_payload` naming the provider's field."""
    try:
        return read(value)
    except domain.InvalidAnswer as exc:
        raise malformed(str(exc), field) from None


def empty_message() -> ApiError:
    return ApiError(422, "empty_message", "The message has neither text nor attachment.")


def endpoint_mismatch(field: str) -> ApiError:
    return ApiError(403, "endpoint_mismatch", "The payload names an address this endpoint is not configured for.",
                    [{"field": field, "reason": "not this endpoint's address"}])


def too_many_attachments(limit: int) -> ApiError:
    return ApiError(413, "too_many_attachments", f"A message may carry at most {limit} attachments.")


def check_attachments(attachments: list[AttachmentRef], limit: int) -> tuple[AttachmentRef, ...]:
    if len(attachments) > limit:
        raise too_many_attachments(limit)
    return tuple(attachments)


def same_address(given: str | None, configured: str | None, country: str) -> bool:
    """Whether the address a payload names is the endpoint's own; phone numbers compare in E.164."""
    if configured is None:
        return True
    if not given:
        return False
    given, configured = given.strip().lower(), configured.strip().lower()
    if given == configured:
        return True
    try:
        return domain.normalize_phone(given, country) == domain.normalize_phone(configured, country)
    except domain.InvalidPhoneNumber:
        return False


def phone_contact(raw: str | None, country: str, name: str | None = None, field: str = "from",
                  sender_may_be_a_name: bool = False) -> ContactDetails | None:
    """The sender as a contact (phone in E.164, read with the endpoint's country as region), with
    their name already read (domain.read_name).

    `sender_may_be_a_name`: on SMS the sender may be an alphanumeric sender id ("Orange", "MTN-INFO")
    rather than a number. Such a message is still someone's message and the provider will not send it
    again: it is recorded with no callable contact (so never acknowledged by SMS)."""
    if not raw:
        return None
    try:
        phone = domain.normalize_phone(raw, country)
    except domain.InvalidPhoneNumber as exc:
        if sender_may_be_a_name and domain.is_sender_name(raw):
            return None
        raise ApiError(422, "invalid_phone", "The sender's phone number cannot be read.",
                       [{"field": field, "reason": str(exc)}]) from None
    return ContactDetails(phone=phone, name=name)


def unix_time(value, field: str) -> datetime:
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise malformed("expected a Unix timestamp in seconds", field) from None


def iso_time(value, field: str) -> datetime:
    """An ISO 8601 timestamp with its offset, in UTC."""
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise malformed("expected an ISO 8601 timestamp", field) from None
    if parsed.tzinfo is None:
        raise malformed("the timestamp needs a time zone offset", field)
    return parsed.astimezone(UTC)


def text_field(data: dict, key: str, field: str | None = None, required: bool = False) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise malformed("missing", field or key)
        return None
    if not isinstance(value, str):
        raise malformed("expected a string", field or key)
    return value
