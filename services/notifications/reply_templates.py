"""Replies an agent sends from a case: the templates per country and language, their words filled in with
the case's non-personal fields, and WhatsApp's 24-hour customer-service window. Pure rules, no I/O.

A template names only fields in REPLY_FIELDS (the reference, the status in the person's words): never a
name, a number, a category or anything the person wrote, so a reply read by someone else over their
shoulder tells no more than the acknowledgement did. Inside the window WhatsApp takes free text; outside
it only a template Meta approved (`whatsapp.name`, its language code, and which fields fill its {{1}},
{{2}}, ... in order).
"""
from datetime import datetime, timedelta
from string import Formatter

from pydantic import Field, field_validator, model_validator

from chassis.settings import Section
from services.notifications.domain import STATUS_IN_WORDS

REPLY_FIELDS = ("reference", "status")
WHATSAPP_WINDOW = timedelta(hours=24)


def placeholders(text: str) -> list[str]:
    return [name for _, name, _, _ in Formatter().parse(text) if name is not None]


class WhatsAppTemplate(Section):
    """A message template Meta approved, used outside the 24-hour window."""

    name: str = Field(pattern=r"^[a-z0-9_]{1,512}$")
    language: str = Field(description="Meta's language code of the approved translation, e.g. fr, en_US")
    parameters: list[str] = Field([], description="The fields filling {{1}}, {{2}}, ... in order")

    @field_validator("parameters")
    @classmethod
    def _known_fields(cls, parameters: list[str]):
        unknown = set(parameters) - set(REPLY_FIELDS)
        if unknown:
            raise ValueError(f"a WhatsApp template may name only {REPLY_FIELDS}, not {sorted(unknown)}")
        return parameters


class ReplyTemplate(Section):
    id: str = Field(pattern=r"^[a-z0-9_]{1,60}$")
    label: str = Field(min_length=1, max_length=200)
    text: str = Field(min_length=1, max_length=1000)
    whatsapp: WhatsAppTemplate | None = None

    @field_validator("text")
    @classmethod
    def _only_case_fields(cls, text: str):
        # Plain names only: `{reference.__class__}` or `{status!r}` would be more than a field's value.
        for _, name, spec, conversion in Formatter().parse(text):
            if name is not None and (name not in REPLY_FIELDS or spec or conversion):
                raise ValueError(f"a reply may name only {{{'}, {'.join(REPLY_FIELDS)}}}, not {{{name}}}")
        return text


class RepliesSettings(Section):
    # templates.<COUNTRY>.<language>: the replies agents may send there, in that language. French and
    # English come with the platform; a national language is added once its words are translated and
    # checked with speakers (e.g. templates.GN.ff).
    templates: dict[str, dict[str, list[ReplyTemplate]]] = {}
    whatsapp_window_hours: float = Field(24, gt=0, le=24, description=(
        "WhatsApp takes free text this long after the person's last message (Meta's rule: 24 hours)"))

    @model_validator(mode="after")
    def _unique_ids(self):
        for country, languages in self.templates.items():
            for language, templates in languages.items():
                ids = [template.id for template in templates]
                if len(ids) != len(set(ids)):
                    raise ValueError(f"replies.templates.{country}.{language}: template ids repeat")
        return self

    def find(self, country: str, language: str, template_id: str) -> ReplyTemplate | None:
        return next((template for template in self.templates.get(country, {}).get(language, [])
                     if template.id == template_id), None)

    def languages(self, country: str) -> list[str]:
        return [language for language, templates in self.templates.get(country, {}).items() if templates]


def field_values(fields: dict[str, str], language: str) -> dict[str, str]:
    """The fields as the person reads them: the status in their language's words ("is being handled"),
    never the workflow's name for it (a `referred` case reads as being handled, as in status replies)."""
    words = STATUS_IN_WORDS.get(language, STATUS_IN_WORDS["en"])
    values = {name: "" for name in REPLY_FIELDS}
    values.update({name: value for name, value in fields.items() if name in REPLY_FIELDS})
    if "status" in fields:
        values["status"] = words.get(fields["status"], words["in_progress"])
    return values


def render(template: ReplyTemplate, fields: dict[str, str], language: str) -> str:
    return template.text.format_map(field_values(fields, language))


def whatsapp_parameters(template: ReplyTemplate, fields: dict[str, str], language: str) -> list[str]:
    values = field_values(fields, language)
    return [values[name] for name in template.whatsapp.parameters] if template.whatsapp else []


def inside_whatsapp_window(last_inbound_at: datetime | None, now: datetime,
                           window: timedelta = WHATSAPP_WINDOW) -> bool:
    """Free text may go only within `window` of the person's last WhatsApp message to us (Meta's
    customer-service window); after it, or when they never wrote on WhatsApp, only an approved template."""
    return last_inbound_at is not None and timedelta(0) <= now - last_inbound_at < window
