"""Rules of intake that need no I/O: the normalized inbound message, phone numbers,
case references, status requests, repeats, languages and the answers people give
to disaggregation questions."""
import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import phonenumbers

from chassis.redact import NameMask

from contracts.common import (
    AgentAssessment, AgeGroup, AttachmentKind, AttachmentRef, Channel, Consent, ContactDetails, Location,
    Respondent, Sex,
)
from contracts.events import Narrative

# The longest text a feedback may hold, read from the contract so that the two never disagree.
MAX_NARRATIVE_LENGTH = next(rule.max_length for rule in Narrative.__metadata__ if hasattr(rule, "max_length"))
# Providers' own message ids are short (a Twilio SID has 34 characters, a WhatsApp wamid about 60); a
# longer one is not a message id, and would not fit the index that makes a retry record nothing new.
MAX_PROVIDER_MESSAGE_ID_LENGTH = 200


class InvalidPhoneNumber(ValueError):
    pass


class InvalidAnswer(ValueError):
    """A value a person or clerk gave that does not fit the question (the reason, never the value)."""


@dataclass(frozen=True)
class InboundMessage:
    """One message from a person, whatever channel brought it, before it is recorded."""

    endpoint_id: str
    country: str
    channel: Channel
    text: str
    received_at: datetime
    provider_message_id: str | None = None
    contact: ContactDetails | None = None
    language: str | None = None
    consent: Consent = Consent()
    location: Location | None = None
    respondent: Respondent | None = None
    attachments: tuple[AttachmentRef, ...] = ()
    submitted_by: str | None = None
    call_id: str | None = None
    agent_assessment: AgentAssessment | None = None
    # Only a person writing in from their own number or address (SMS, WhatsApp, email) can ask for a
    # case's status this way; an agent or a clerk typing "STATUT ..." is recording what someone said.
    may_ask_status: bool = False
    # Anyone could have typed this contact (the public web form): it gets a contact_ref of its own and
    # is never joined to, nor found by, the messages of whoever really owns that number or address.
    unverified_contact: bool = False
    # The contact is the sender's own address as the provider reports it (SMS, WhatsApp, email), or was
    # taken by a staff member from the person: only such a contact may be texted automatically. A number
    # the person typed (web form, Kobo, a box slip) could be anyone's.
    contact_verified: bool = False


def normalize_phone(raw: str, country: str) -> str:
    """E.164 form of `raw`, read with the programme's country as the default region."""
    try:
        number = phonenumbers.parse(raw, country)
    except phonenumbers.NumberParseException:
        raise InvalidPhoneNumber("not a phone number") from None
    if not phonenumbers.is_possible_number(number):
        raise InvalidPhoneNumber("not a possible phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# An alphanumeric sender id as operators and brands use them ("Orange", "MTN-INFO", "Info 224"):
# letters, digits, spaces and a little punctuation, with at least one letter, at most 16 characters
# (11 on most networks; some gateways pass longer ones).
_SENDER_NAME = re.compile(r"^(?=.*[^\W\d_])[\w .&'+-]{1,16}$")


def is_sender_name(raw: str) -> bool:
    """Whether an SMS sender that is not a phone number is an alphanumeric sender id."""
    return bool(_SENDER_NAME.match(raw.strip()))


def normalize_contact(contact: ContactDetails | None, country: str) -> ContactDetails | None:
    """The contact with its phone in E.164, or None when it holds nothing to reach the person by."""
    if contact is None or not (contact.name or contact.phone or contact.email):
        return None
    phone = normalize_phone(contact.phone, country) if contact.phone else None
    email = contact.email.lower() if contact.email else None
    return contact.model_copy(update={"phone": phone, "email": email})


def contact_identities(contact: ContactDetails | None) -> list[str]:
    """What makes two messages come from the same person: the same phone or the same email (either
    one is enough). A name alone identifies no one."""
    if contact is None:
        return []
    return [identity for identity in (f"phone:{contact.phone}" if contact.phone else None,
                                      f"email:{contact.email.lower()}" if contact.email else None) if identity]


def format_reference(country: str, year: int, number: int) -> str:
    return f"{country}-{year:04d}-{number:06d}"


REFERENCE_NUMBERS = 999_999  # GN-2026-000001 to GN-2026-999999


def reference_number(sequence: int, key: bytes, country: str, year: int) -> int:
    """The number printed in the `sequence`-th reference of a country and year (1-based).

    A keyed permutation of 1..999999 (a small Feistel network, walked until it lands in range):
    still unique and six digits long, but no longer in order, so the references an agent sees have
    no gaps that count the restricted cases hidden from them, nor tell how many messages came in.
    """
    if not 1 <= sequence <= REFERENCE_NUMBERS:
        raise ValueError("a country has room for 999,999 references a year")
    value = sequence - 1
    while True:
        value = _feistel(value, key, f"{country}:{year}".encode())
        if value < REFERENCE_NUMBERS:
            return value + 1


def _feistel(value: int, key: bytes, tweak: bytes, half_bits: int = 10, rounds: int = 6) -> int:
    """A permutation of 0..2**20-1 keyed by `key` and `tweak` (four rounds or more are a pseudo-random
    permutation)."""
    mask = (1 << half_bits) - 1
    left, right = value >> half_bits, value & mask
    for round_number in range(rounds):
        digest = hmac.new(key, tweak + bytes([round_number]) + right.to_bytes(2, "big"), hashlib.sha256).digest()
        left, right = right, left ^ (int.from_bytes(digest[:2], "big") & mask)
    return (left << half_bits) | right


_STATUS_REQUEST = re.compile(
    r"^\W*(statut|status)\W+([a-z]{2})\W*(\d{4})\W*(\d{6})\W*$", re.IGNORECASE)


def status_request_reference(text: str) -> str | None:
    """The case reference of `STATUT GN-2026-000042` (or STATUS, any case, stray spaces and
    punctuation), or None when the text is not a status request."""
    match = _STATUS_REQUEST.match(text.strip())
    if not match:
        return None
    _, country, year, number = match.groups()
    return f"{country.upper()}-{year}-{number}"


def status_request_language(text: str) -> str | None:
    """The language the person asked in: STATUT is French, STATUS English."""
    match = _STATUS_REQUEST.match(text.strip())
    if not match:
        return None
    return "fr" if match.group(1).lower() == "statut" else "en"


def text_digest(text: str) -> bytes:
    """Fingerprint of a text for repeat detection: case, accents of spacing and extra
    whitespace do not make a message different."""
    folded = " ".join(unicodedata.normalize("NFC", text).casefold().split())
    return hashlib.sha256(folded.encode()).digest()


# A few frequent words that are unlikely in the other language; enough to tell French from English
# in messages of a sentence or more. Short words that are also common in Bambara, Pular, Susu or
# Wolof (ma, ce, la, a, i, o ...) are left out. National languages are never guessed, only taken
# when given.
_FRENCH = frozenset(
    "le les un une des du de et est je suis nous vous ils elle il mon mes pour pas que qui dans avec "
    "sur ne au aux cette mais merci bonjour depuis paiement retard aide j'ai c'est n'ai".split())
_ENGLISH = frozenset(
    "the an and is are am we you they he she my our for not that who in with on at this but or thank "
    "thanks hello since payment late help have has was were been please".split())


def detect_language(text: str) -> str | None:
    """`fr` or `en` when the text says so clearly enough (at least two telling words, and one word
    in five), else None."""
    words = re.findall(r"[\w']+", text.casefold())
    french = sum(word in _FRENCH for word in words)
    english = sum(word in _ENGLISH for word in words)
    best = max(french, english)
    if best < 2 or french == english or best * 5 < len(words):
        return None
    return "fr" if french > english else "en"


# ISO 639-3 codes (RapidPro, Kobo) of the languages programmes configure, to the BCP 47 tags we use.
_ISO_639_3 = {"fra": "fr", "eng": "en", "ful": "ff", "fuf": "ff", "bam": "bm", "wol": "wo", "hau": "ha",
              "yor": "yo", "ibo": "ig", "sus": "sus", "man": "man", "mnk": "man", "emk": "man"}
_LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def language_tag(value: str | None) -> str | None:
    """A language as a BCP 47 tag, or None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    lowered = value.lower()
    tag = _ISO_639_3.get(lowered, lowered if "-" not in lowered else value)
    return tag if _LANGUAGE_TAG.match(tag) else None


def choose_language(given: str | None, text: str) -> tuple[str | None, bool]:
    """(language, detected): the language given, else a guess from the text."""
    tag = language_tag(given)
    if tag:
        return tag, False
    guessed = detect_language(text)
    return guessed, guessed is not None


_SEX = {"female": Sex.FEMALE, "f": Sex.FEMALE, "femme": Sex.FEMALE, "feminin": Sex.FEMALE, "féminin": Sex.FEMALE,
        "woman": Sex.FEMALE, "male": Sex.MALE, "m": Sex.MALE, "h": Sex.MALE, "homme": Sex.MALE,
        "masculin": Sex.MALE, "man": Sex.MALE, "other": Sex.OTHER, "autre": Sex.OTHER,
        "not_said": Sex.NOT_SAID, "prefer_not_to_say": Sex.NOT_SAID, "non_dit": Sex.NOT_SAID}
_YES = {"yes", "y", "oui", "o", "true", "1", "vrai"}
_NO = {"no", "n", "non", "false", "0", "faux"}


def read_sex(value) -> Sex | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        return _SEX[str(value).strip().lower()]
    except KeyError:
        raise InvalidAnswer("expected female, male, other or not_said") from None


def read_age_group(value) -> AgeGroup | None:
    """An age band, from the band itself or from an age in years."""
    if value is None or str(value).strip() == "":
        return None
    text = str(value).strip().replace("_", "-")
    for band in AgeGroup:
        if text == band.value:
            return band
    try:
        age = float(text)
    except ValueError:
        raise InvalidAnswer("expected an age or one of 0-17, 18-24, 25-59, 60+") from None
    if not 0 <= age < 130:
        raise InvalidAnswer("expected an age between 0 and 129")
    if age < 18:
        return AgeGroup.UNDER_18
    if age < 25:
        return AgeGroup.FROM_18_TO_24
    return AgeGroup.FROM_25_TO_59 if age < 60 else AgeGroup.OVER_59


def read_yes_no(value) -> bool | None:
    if value is None or str(value).strip() == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise InvalidAnswer("expected yes or no")


def respondent_of(sex=None, age_group=None, disability=None) -> Respondent | None:
    respondent = Respondent(sex=read_sex(sex), age_group=read_age_group(age_group), disability=read_yes_no(disability))
    return respondent if respondent != Respondent() else None


# What the contract holds (contracts.common: ContactDetails.name, Location's AdminName); a unit test
# keeps the two in step.
NAME_MAX_LENGTH = 200
AREA_MAX_LENGTH = 100


def read_text(value, max_length: int) -> str | None:
    """Short text a person or a form gave (a name, a place), stripped; None when blank. Refused, never
    cut, when it is not text or longer than the contract holds."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidAnswer("expected text")
    text = value.strip()
    if len(text) > max_length:
        raise InvalidAnswer(f"longer than {max_length} characters")
    return text or None


def read_name(value) -> str | None:
    return read_text(value, NAME_MAX_LENGTH)


def read_area(value) -> str | None:
    """An administrative area or a place name (adm1, adm2, adm3, place)."""
    return read_text(value, AREA_MAX_LENGTH)


def read_language(value) -> str | None:
    """A language as given, as a BCP 47 tag; None when blank or not a language code (then it is guessed)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidAnswer("expected text")
    return language_tag(value)


def location_of(adm1: str | None = None, adm2: str | None = None, adm3: str | None = None,
                place: str | None = None) -> Location | None:
    """The location from areas already read (read_area), or None when none was given."""
    values = {key: value for key, value in (("adm1", adm1), ("adm2", adm2), ("adm3", adm3), ("place", place))
              if value}
    return Location(**values) if values else None


def attachment_kind(content_type: str | None) -> AttachmentKind:
    major = (content_type or "").split("/")[0].lower()
    if major in ("audio", "image", "video"):
        return AttachmentKind(major)
    if content_type and content_type.lower() in ("application/pdf", "application/msword", "text/plain") \
            or (content_type or "").startswith("application/vnd."):
        return AttachmentKind.DOCUMENT
    return AttachmentKind.OTHER


def without_own_name(text: str, contact: ContactDetails | None) -> str:
    """The text with the complainant's own name (whole, and each part of three letters or more)
    replaced by [name], as it travels to the other services; intake keeps the text as received."""
    if contact is None or not contact.name:
        return text
    return NameMask([contact.name]).mask(text)


def too_long(text: str) -> bool:
    """Whether a message is longer than a feedback may hold: refused whole, never cut."""
    return len(text) > MAX_NARRATIVE_LENGTH


def narrative_of(text: str | None, attachments: tuple[AttachmentRef, ...] | list) -> str | None:
    """The text as received; for a message with only files (a voice note), a marker naming them,
    so that the case still opens and someone listens to it."""
    if text and text.strip():
        return text
    if attachments:
        return "[" + ", ".join(attachment.kind.value for attachment in attachments) + "]"
    return None


@dataclass
class RowProblem:
    """Why one row of a batch was not accepted: spreadsheet row number, column, reason."""

    row: int
    column: str | None
    reason: str


@dataclass
class BatchRow:
    row: int
    key: str
    message: InboundMessage | None = None
    problems: list[RowProblem] = field(default_factory=list)


# --- who may see a contact -------------------------------------------------------------------------

REVEAL_WINDOW = timedelta(days=7)  # long enough for a parked message replayed after a weekend
# A protection partner may take weeks to act on a referral; the consent to sharing still holds.
REVEAL_WINDOWS = {"referral": timedelta(days=90),
                  # An appointment is booked weeks after the message, its reminder comes later still.
                  "appointment": timedelta(days=90),
                  # The satisfaction question goes out when the case is closed, maybe months after the message.
                  "satisfaction_question": timedelta(days=365)}
# An agent's callback (through cases) may come weeks after the message: an answer to explain once the case
# is resolved. The person's consent to be called back still holds.
REVEAL_WINDOWS_BY_REQUESTER = {("callback", "cases"): timedelta(days=90)}
MAX_REVEALS_PER_SUBJECT = 10       # a sender's retries and replays, not a way to read the vault at will
# Purposes whose one ground (the case's first message) serves many messages: each appointment takes up to
# three reveals (confirmation, reminder, cancellation), and a person may book again after a missed one; an
# agent may reply many times while a case is worked.
MAX_REVEALS_BY_PURPOSE = {"appointment": 30, "reply": 30}
# The grounds each purpose is checked against: the message whose sender agreed to be contacted (for the
# satisfaction question and appointments too: the case's first message), the status request, the withdrawal.
REVEAL_SUBJECT = {"acknowledgement": "feedback_id", "callback": "feedback_id", "status_reply": "request_id",
                  "referral": "feedback_id", "withdrawal_confirmation": "withdrawal_id",
                  "appointment": "feedback_id", "satisfaction_question": "feedback_id"}
# Who may ask, by purpose: notifications for its SMS; referrals for the partner who accepted a referral.
# cases for an agent calling back (it checks the task, intake the consent; the agent is `on_behalf_of`).
REVEALERS = {"acknowledgement": {"notifications"}, "callback": {"notifications", "cases"},
             "status_reply": {"notifications"}, "referral": {"referrals"}, "withdrawal_confirmation": {"notifications"},
             "appointment": {"notifications"}, "satisfaction_question": {"notifications"}}
# An agent's reply from a case (purpose `reply`): its grounds are the case's first message, from this very
# contact, whose sender agreed to be contacted back (consent_callback), as for an acknowledgement; a case is
# worked for weeks, so they hold 90 days like a referral's. A withdrawal since refuses it (consent.py), and
# at most MAX_REVEALS_BY_PURPOSE["reply"] replies reveal the contact per case message.
REVEAL_WINDOWS["reply"] = timedelta(days=90)
REVEAL_SUBJECT["reply"] = "feedback_id"
REVEALERS["reply"] = {"notifications"}


def reveal_refusal(purpose: str, requested_by: str, grounds_recorded_at: datetime | None, reveals_so_far: int,
                   now: datetime) -> str | None:
    """Why a contact may not be revealed for this purpose, or None when it may. The grounds are what
    intake recorded itself: the message whose sender agreed to be called back (acknowledgement,
    callback) or the status request being answered, of this very contact; for a partner (referral), the
    message whose sender agreed to their contact being shared with a partner."""
    if requested_by not in REVEALERS[purpose]:
        return "requester_not_allowed"
    if grounds_recorded_at is None:
        return "no_grounds"  # no such message or request, not this contact's, or no consent
    window = REVEAL_WINDOWS_BY_REQUESTER.get((purpose, requested_by), REVEAL_WINDOWS.get(purpose, REVEAL_WINDOW))
    if now - grounds_recorded_at > window:
        return "grounds_too_old"
    if reveals_so_far >= MAX_REVEALS_BY_PURPOSE.get(purpose, MAX_REVEALS_PER_SUBJECT):
        return "too_many_reveals"
    return None
