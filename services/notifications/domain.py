"""Pure rules of notifications: who gets a message, and its words.

Messages to complainants name only the reference: a phone can be seen by
others, so they never hint at what the message was about (a case referred to
a protection partner reads as "being handled"). Alerts to staff name only the
reference, the deadline and its due time: never the narrative, never the
category.
"""
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

WITHDRAWAL_CONFIRMATIONS = {
    "fr": "Votre demande est enregistrée : vous ne recevrez plus de messages de notre part. "
          "Vous pouvez toujours nous écrire.",
    "en": "Your request is recorded: you will receive no more messages from us. You can still write to us.",
}
ACKNOWLEDGEMENTS = {
    "fr": "Nous avons bien reçu votre message. Votre référence est {reference}. "
          "Gardez-la pour suivre votre dossier.",
    "en": "We have received your message. Your reference is {reference}. "
          "Keep it to follow up on your case.",
}

# The status of a case in the complainant's words. "referred" reads as "being
# handled": saying a partner has it would hint that the case is sensitive.
STATUS_IN_WORDS = {
    "fr": {
        "new": "a bien été reçu et sera traité prochainement",
        "acknowledged": "a bien été reçu et sera traité prochainement",
        "in_progress": "est en cours de traitement",
        "referred": "est en cours de traitement",
        "reopened": "est en cours de traitement",
        "waiting_for_complainant": "attend une information de votre part : nous allons vous recontacter",
        "resolved": "a été traité",
        "closed": "est clôturé",
    },
    "en": {
        "new": "has been received and will be handled soon",
        "acknowledged": "has been received and will be handled soon",
        "in_progress": "is being handled",
        "referred": "is being handled",
        "reopened": "is being handled",
        "waiting_for_complainant": "is waiting for information from you: we will contact you again",
        "resolved": "has been handled",
        "closed": "is closed",
    },
}
STATUS_REPLY = {"fr": "Votre dossier {reference} {status}.", "en": "Your case {reference} {status}."}
# One answer whether the case does not exist or belongs to someone else: it must not tell them apart.
NO_CASE_FOR_THIS_CONTACT = {
    "fr": "Nous ne trouvons pas de dossier avec cette référence pour ce numéro. "
          "Vérifiez la référence ou appelez notre ligne gratuite.",
    "en": "We cannot find a case with this reference for this number. "
          "Check the reference or call our free hotline.",
}

DEADLINE_IN_WORDS = {
    "fr": {"acknowledge": "accusé de réception", "first_response": "première réponse",
           "resolve": "résolution", "refer": "référencement"},
    "en": {"acknowledge": "acknowledgement", "first_response": "first response",
           "resolve": "resolution", "refer": "referral"},
}
# To a partner's on-duty number: the reference only (what the case is about is for the console, signed in).
EMERGENCY_REFERRAL = {"fr": "CFM URGENCE : nouveau référencement {reference}. Ouvrez la console CFM.",
                      "en": "CFM EMERGENCY: new referral {reference}. Open the CFM console."}
ALERTS = {
    "fr": {
        "deadline_warning": "CFM alerte : dossier {reference}, le délai de {deadline} expire le {due}.",
        "deadline_breached": "CFM alerte : dossier {reference}, le délai de {deadline} est dépassé depuis le {due}.",
        "emergency_case": "CFM URGENCE : dossier {reference} à traiter immédiatement, {deadline} avant le {due}.",
        "emergency_referral": EMERGENCY_REFERRAL["fr"],
    },
    "en": {
        "deadline_warning": "CFM alert: case {reference}, the {deadline} deadline expires on {due}.",
        "deadline_breached": "CFM alert: case {reference}, the {deadline} deadline passed on {due}.",
        "emergency_case": "CFM EMERGENCY: case {reference} needs action now, {deadline} before {due}.",
        "emergency_referral": EMERGENCY_REFERRAL["en"],
    },
}
# A restricted case's alert names no deadline: only sensitive cases have a referral deadline, so
# "référencement" would tell supervisors who may not open the case what it is about.
NEUTRAL_ALERTS = {
    "fr": {
        "deadline_warning": "CFM alerte : dossier {reference}, un délai expire le {due}.",
        "deadline_breached": "CFM alerte : dossier {reference}, un délai est dépassé depuis le {due}.",
        "emergency_case": "CFM URGENCE : dossier {reference} à traiter immédiatement, avant le {due}.",
        "emergency_referral": EMERGENCY_REFERRAL["fr"],
    },
    "en": {
        "deadline_warning": "CFM alert: case {reference}, a deadline expires on {due}.",
        "deadline_breached": "CFM alert: case {reference}, a deadline passed on {due}.",
        "emergency_case": "CFM EMERGENCY: case {reference} needs action now, before {due}.",
        "emergency_referral": EMERGENCY_REFERRAL["en"],
    },
}
LOCAL_TIME = {"fr": "{date} à {time} (heure de {city})", "en": "{date} at {time} ({city} time)"}


def wants_acknowledgement(has_contact: bool, callback_consent: bool) -> bool:
    return has_contact and callback_consent


def unverified_contact(contact_verified: bool | None) -> bool:
    """A contact the person typed (web form, Kobo, a box slip) may be anyone's: never texted automatically.
    None (a producer that does not say) is left to the allow-list and the daily cap."""
    return contact_verified is False


def sms_withheld(phone: str, allowed_prefixes: list[str], sent_in_last_day: int, daily_limit: int) -> str | None:
    """Why an SMS to a complainant must not go out, or None: a number outside the programme's countries
    (E.164 prefixes), or a contact who had their day's share already."""
    if not any(phone.startswith(prefix) for prefix in allowed_prefixes):
        return "prefix_not_allowed"
    if sent_in_last_day >= daily_limit:
        return "daily_limit"
    return None


def message_language(case_language: str | None, country_languages: list[str]) -> str:
    """The case's language when we have words for it, else the country's first such language."""
    for language in [case_language, *country_languages]:
        if language in ACKNOWLEDGEMENTS:
            return language
    return "en"


def acknowledgement_text(language: str, reference: str) -> str:
    return ACKNOWLEDGEMENTS[language].format(reference=reference)


def status_reply_text(language: str, reference: str, owned: bool, status: str | None) -> str:
    """The answer to `STATUT <reference>`; the same words for every reference the contact does not own."""
    if not owned:
        return NO_CASE_FOR_THIS_CONTACT[language]
    words = STATUS_IN_WORDS[language]
    return STATUS_REPLY[language].format(reference=reference, status=words.get(status, words["in_progress"]))


def satisfaction_question_text(texts: dict[str, str], language: str, reference: str) -> str:
    """The one question after closure, in the case's language (configured texts, `satisfaction.questions`)."""
    return (texts.get(language) or texts.get("en") or next(iter(texts.values()))).format(reference=reference)


def local_time(moment: datetime, timezone: str, language: str) -> str:
    """A due time as the country's staff read it: their own clock, named after its city."""
    local = moment.astimezone(ZoneInfo(timezone))
    city = timezone.rsplit("/", 1)[-1].replace("_", " ")
    return LOCAL_TIME[language].format(date=local.strftime("%d/%m/%Y"), time=local.strftime("%H:%M"), city=city)


def alert_text(language: str, reason: str, reference: str, deadline_kind: str, due_at: datetime,
               timezone: str, restricted: bool = False) -> str:
    due = local_time(due_at, timezone, language)
    if restricted:
        return NEUTRAL_ALERTS[language][reason].format(reference=reference, due=due)
    return ALERTS[language][reason].format(reference=reference, deadline=DEADLINE_IN_WORDS[language][deadline_kind],
                                           due=due)


def shown_deadline_kind(deadline_kind: str, restricted: bool, sees_restricted_cases: bool) -> str | None:
    """The deadline an alert lists: not named to someone who may not open the restricted case."""
    return deadline_kind if sees_restricted_cases or not restricted else None


# --- appointments at a reception centre ----------------------------------------------------------------
# The day, time and place, and how to cancel; never what the case is about.

APPOINTMENT_TEXTS = {
    "fr": {
        "appointment_confirmation": "Rendez-vous pour votre dossier {reference} : le {date} à {time}, {place}. "
                                    "Pour annuler, répondez ANNULER.",
        "appointment_reminder": "Rappel : rendez-vous demain {date} à {time}, {place} (dossier {reference}). "
                                "Pour annuler, répondez ANNULER.",
        "appointment_cancellation": "Votre rendez-vous du {date} à {time} ({place}) est annulé. "
                                    "Dossier {reference}.",
    },
    "en": {
        "appointment_confirmation": "Appointment for your case {reference}: on {date} at {time}, {place}. "
                                    "To cancel, reply CANCEL.",
        "appointment_reminder": "Reminder: appointment tomorrow {date} at {time}, {place} (case {reference}). "
                                "To cancel, reply CANCEL.",
        "appointment_cancellation": "Your appointment of {date} at {time} ({place}) is cancelled. "
                                    "Case {reference}.",
    },
}


def in_language(texts: dict[str, str], language: str) -> str:
    """A centre's name or address in the person's language, else in the first language it has."""
    return texts.get(language) or next(iter(texts.values()))


def appointment_text(purpose: str, language: str, reference: str, starts_at: datetime, timezone: str,
                     centre_name: dict[str, str], centre_address: dict[str, str]) -> str:
    local = starts_at.astimezone(ZoneInfo(timezone))
    place = f"{in_language(centre_name, language)}, {in_language(centre_address, language)}"
    return APPOINTMENT_TEXTS[language][purpose].format(
        reference=reference, date=local.strftime("%d/%m/%Y"), time=local.strftime("%H:%M"), place=place)


def reminder_due_at(starts_at: datetime, timezone: str, at: time) -> datetime:
    """When the reminder goes: the day before the appointment, at `at` on the centre's clock."""
    zone = ZoneInfo(timezone)
    day_before = starts_at.astimezone(zone).date() - timedelta(days=1)
    return datetime.combine(day_before, at, zone)


def reminder_wanted(booked_at: datetime, remind_at: datetime) -> bool:
    """A booking made after the reminder's time (the day before, or the same day) is reminded by its
    confirmation: a second SMS minutes later would only cost the person one of their day's messages."""
    return booked_at < remind_at


def reminder_due(remind_at: datetime, starts_at: datetime, now: datetime) -> bool:
    """Due from its time until the appointment starts; a reminder after that would be wrong."""
    return remind_at <= now < starts_at
