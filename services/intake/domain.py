"""Rules of intake that need no I/O: phone numbers and case references."""
import phonenumbers

from contracts.common import ContactDetails


class InvalidPhoneNumber(ValueError):
    pass


def normalize_phone(raw: str, country: str) -> str:
    """E.164 form of `raw`, read with the programme's country as the default region."""
    try:
        number = phonenumbers.parse(raw, country)
    except phonenumbers.NumberParseException:
        raise InvalidPhoneNumber("not a phone number") from None
    if not phonenumbers.is_possible_number(number):
        raise InvalidPhoneNumber("not a possible phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_contact(contact: ContactDetails | None, country: str) -> ContactDetails | None:
    """The contact with its phone in E.164, or None when it holds nothing to reach the person by."""
    if contact is None or not (contact.name or contact.phone or contact.email):
        return None
    phone = normalize_phone(contact.phone, country) if contact.phone else None
    return contact.model_copy(update={"phone": phone})


def format_reference(country: str, year: int, number: int) -> str:
    return f"{country}-{year:04d}-{number:06d}"
