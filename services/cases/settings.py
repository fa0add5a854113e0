"""Settings of the cases service: per-country calendars, deadline policies, taxonomies and
classifier phrases, the deadline timer, and the clock.

Every country section is optional: a country without one gets the defaults of
the domain note (Monday to Friday, the `holidays` library's public holidays,
CFM.md's deadlines, the default taxonomy).
"""
from datetime import date
from pathlib import Path
from functools import cached_property
from typing import Annotated, Literal

import holidays
from pydantic import Field, field_validator

from chassis.envelope import DataKeySettings, TextEnvelope
from chassis.settings import Section, ServiceSettings
from services.cases import domain
from services.cases.callbacks import Policy as CallbackPolicy
from services.cases.centres import WEEKDAYS, Centre, parse_range
from services.cases.satisfaction import Policy as SatisfactionPolicy
from services.cases import model as classifier_model
from services.cases.business_time import Calendar


class CalendarSettings(Section):
    working_days: list[int] = Field(default_factory=lambda: [0, 1, 2, 3, 4], description="0 is Monday")
    public_holidays: bool = Field(True, description="Take the country's public holidays from `holidays`")
    extra_holidays: list[date] = Field(default_factory=list, description="Days off the library does not know")


class PolicySettings(Section):
    acknowledge_business_days: float = 1
    refer_hours: float = 24
    emergency_refer_hours: float = 1
    first_response_business_days: dict[int, float] = Field(default_factory=lambda: {1: 3, 11: 3})
    resolve_business_days: dict[int, float] = Field(default_factory=lambda: {2: 10, 4: 10, 5: 15})


class CategorySettings(Section):
    name: str
    sensitive: bool = False
    emergency: bool = False


class TaxonomySettings(Section):
    version: int = Field(ge=1)
    categories: dict[int, CategorySettings]
    sub_categories: list[str] = Field(default_factory=lambda: list(domain.SUB_CATEGORIES))


class DeadlineSettings(Section):
    scan_seconds: float = Field(5.0, gt=0, description="How often the timer looks for warnings and breaches")
    scan_batch: int = Field(100, ge=1)


class ClockSettings(Section):
    """`adjustable: true` lets an admin move the service's clock forward (PUT /admin/clock), for tests
    and demos only. Off by default; production never sets it, and the endpoint answers 404 when off."""

    adjustable: bool = False


class QualitySettings(Section):
    sample_per_agent: int = Field(2, ge=1, le=50, description="Closed cases of each agent reviewed each week")


class ClassifierSettings(Section):
    # country -> rule name -> extra phrases (national languages, local words)
    phrases: dict[str, dict[str, list[str]]] = Field(default_factory=dict)
    models: Path | None = Field(None, description="Folder of the trained models (base.json, <COUNTRY>.json); "
                                                  "default: services/cases/models")


CallbackReason = Literal["message_failed", "no_sms", "needs_explaining"]


class CallbackSettings(Section):
    """A country's callback tasks (callbacks.py): called back within `due_hours` of the task's opening (or
    the reason's own due time); the task ends as unreachable after `max_failed_attempts` calls that did not
    reach the person."""

    due_hours: float = Field(24, gt=0)
    max_failed_attempts: int = Field(3, ge=1, le=20)
    due_hours_by_reason: dict[CallbackReason, Annotated[float, Field(gt=0)]] = Field(
        default_factory=dict, description="A due time of its own for some reasons, e.g. needs_explaining: 48")


class CentreSettings(Section):
    """A reception centre of a country (appointments.py): its name and address in the country's languages,
    its opening ranges per weekday on the country's clock, and the people seen per slot."""

    id: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9-]+$")
    country: str = Field(min_length=2, max_length=2)
    name: dict[str, str] = Field(min_length=1, description="By language, e.g. {fr: ..., en: ...}")
    address: dict[str, str] = Field(min_length=1, description="By language")
    opening_hours: dict[str, list[str]] = Field(description="mon..sun -> ranges such as 08:30-12:30")
    slot_minutes: int = Field(30, ge=5, le=480)
    capacity: int = Field(1, ge=1, le=500, description="People seen in one slot")
    closed_days: list[date] = Field(default_factory=list, description="Days this centre alone is closed, "
                                                                      "besides the country's public holidays")

    @field_validator("opening_hours")
    @classmethod
    def _known_days_and_ranges(cls, hours: dict[str, list[str]]) -> dict[str, list[str]]:
        for day, ranges in hours.items():
            if day not in WEEKDAYS:
                raise ValueError(f"{day!r} is not one of {', '.join(WEEKDAYS)}")
            for text in ranges:
                parse_range(text)
        return hours


class AppointmentSettings(Section):
    centres: list[CentreSettings] = Field(default_factory=list)
    book_days_ahead: int = Field(60, ge=1, le=365, description="How far ahead a slot may be booked")
class SatisfactionSettings(Section):
    """A country's satisfaction question after closure (satisfaction.py): asked when `enabled`, answered
    by a reply within `reply_window_days`."""

    enabled: bool = False
    reply_window_days: float = Field(7, gt=0, le=90)


class CasesSettings(ServiceSettings):
    # A master key ring from the environment replaces the development one whole.
    replaced_whole = ("data_keys.keys",)
    explicit_outside_development = ("data_keys.active_key_id",)

    data_keys: DataKeySettings  # master keys of the cases' data keys (chassis/envelope.py)
    calendars: dict[str, CalendarSettings] = Field(default_factory=dict)
    deadline_policies: dict[str, PolicySettings] = Field(default_factory=dict)
    taxonomies: dict[str, TaxonomySettings] = Field(default_factory=dict)
    deadlines: DeadlineSettings = DeadlineSettings()
    clock: ClockSettings = ClockSettings()
    classifier: ClassifierSettings = ClassifierSettings()
    quality: QualitySettings = QualitySettings()
    callbacks: dict[str, CallbackSettings] = Field(default_factory=dict, description="Per country")
    appointments: AppointmentSettings = AppointmentSettings()
    satisfaction: dict[str, SatisfactionSettings] = Field(default_factory=dict, description="Per country")

    @cached_property
    def text_envelope(self) -> TextEnvelope:
        return TextEnvelope.from_settings(self.data_keys)

    @cached_property
    def _calendars(self) -> dict[str, Calendar]:
        return {}

    def calendar(self, country: str, around_year: int) -> Calendar:
        """The country's business calendar, with its holidays from two years before to two after."""
        key = f"{country}:{around_year}"
        if key not in self._calendars:
            own = self.calendars.get(country, CalendarSettings())
            days_off = set(own.extra_holidays)
            if own.public_holidays:
                days_off |= set(holidays.country_holidays(country, years=range(around_year - 2, around_year + 3)))
            self._calendars[key] = Calendar(timezone=self.countries[country].timezone,
                                            working_days=frozenset(own.working_days), holidays=frozenset(days_off))
        return self._calendars[key]

    def deadline_policy(self, country: str) -> domain.DeadlinePolicy:
        return domain.DeadlinePolicy(**self.deadline_policies.get(country, PolicySettings()).model_dump())

    def taxonomy(self, country: str) -> domain.Taxonomy:
        own = self.taxonomies.get(country)
        if own is None:
            return domain.DEFAULT_TAXONOMY
        return domain.Taxonomy(
            version=own.version, sub_categories=tuple(own.sub_categories),
            categories={code: domain.Category(code, **category.model_dump())
                        for code, category in own.categories.items()})

    def callback_policy(self, country: str) -> CallbackPolicy:
        return CallbackPolicy(**self.callbacks.get(country, CallbackSettings()).model_dump())

    @cached_property
    def centres(self) -> dict[str, Centre]:
        """Every configured reception centre by id, on its country's clock, closed on the days off of its
        country's calendar (the holidays deadlines skip) and on its own closed days. The calendar holds two years
        either side of the year the service starts in, more than the booking horizon (at most a year)."""
        this_year = date.today().year
        return {own.id: Centre(id=own.id, country=own.country, name=own.name, address=own.address,
                               timezone=self.countries[own.country].timezone,
                               opening_hours={day: tuple(parse_range(text) for text in ranges)
                                              for day, ranges in own.opening_hours.items()},
                               slot_minutes=own.slot_minutes, capacity=own.capacity,
                               closed_days=self.calendar(own.country, this_year).holidays | set(own.closed_days))
                for own in self.appointments.centres}
    def satisfaction_policy(self, country: str) -> SatisfactionPolicy:
        return SatisfactionPolicy(**self.satisfaction.get(country, SatisfactionSettings()).model_dump())

    def classifier_phrases(self, country: str) -> dict[str, list[str]]:
        return self.classifier.phrases.get(country, {})

    def classifier_model(self, country: str) -> classifier_model.Model:
        """The country's own model when one was promoted for it, else the base model."""
        folder = self.classifier.models or classifier_model.MODELS
        return classifier_model.load(classifier_model.model_path(country, folder))
