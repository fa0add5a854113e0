"""Pure rules of notifications: who gets an acknowledgement, and its words.

The acknowledgement names only the reference: a phone can be seen by others,
so it never hints at what the message was about.
"""
ACKNOWLEDGEMENTS = {
    "fr": "Nous avons bien reçu votre message. Votre référence est {reference}. "
          "Gardez-la pour suivre votre dossier.",
    "en": "We have received your message. Your reference is {reference}. "
          "Keep it to follow up on your case.",
}


def wants_acknowledgement(has_contact: bool, callback_consent: bool) -> bool:
    return has_contact and callback_consent


def message_language(case_language: str | None, country_languages: list[str]) -> str:
    """The case's language when we have words for it, else the country's first such language."""
    for language in [case_language, *country_languages]:
        if language in ACKNOWLEDGEMENTS:
            return language
    return "en"


def acknowledgement_text(language: str, reference: str) -> str:
    return ACKNOWLEDGEMENTS[language].format(reference=reference)
