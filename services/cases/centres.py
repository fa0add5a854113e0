"""Reception centres and their slots: pure rules, on the centre's own clock.

A centre opens on some weekdays in one or more ranges ("08:30-12:30"); each range is cut into slots of
`slot_minutes` from its opening (a last piece shorter than a slot is not a slot), and each slot sees
`capacity` people. A centre is closed on its closed days (the country's public holidays and its own days off):
no slot then. A booking must start exactly on a slot, in the future and within the booking horizon.
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_range(text: str) -> tuple[time, time]:
    """"08:30-12:30" -> (08:30, 12:30); ValueError when it is not an opening range."""
    start, _, end = text.partition("-")
    opens, closes = time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
    if closes <= opens:
        raise ValueError(f"{text!r} closes before it opens")
    return opens, closes


@dataclass(frozen=True)
class Centre:
    id: str
    country: str
    name: dict[str, str]
    address: dict[str, str]
    timezone: str
    opening_hours: dict[str, tuple[tuple[time, time], ...]]
    slot_minutes: int
    capacity: int
    closed_days: frozenset[date] = frozenset()

    @property
    def slot_length(self) -> timedelta:
        return timedelta(minutes=self.slot_minutes)

    def slots_on(self, day: date) -> list[datetime]:
        """The day's slot starts, on the centre's clock, in order; none on a closed day."""
        if day in self.closed_days:
            return []
        zone = ZoneInfo(self.timezone)
        starts = []
        for opens, closes in self.opening_hours.get(WEEKDAYS[day.weekday()], ()):
            start = datetime.combine(day, opens, zone)
            closing = datetime.combine(day, closes, zone)
            while start + self.slot_length <= closing:
                starts.append(start)
                start += self.slot_length
        return sorted(starts)

    def is_slot(self, starts_at: datetime) -> bool:
        local = starts_at.astimezone(ZoneInfo(self.timezone))
        return local in self.slots_on(local.date())

    def day_of(self, starts_at: datetime) -> date:
        return starts_at.astimezone(ZoneInfo(self.timezone)).date()


def booking_refusal(centre: Centre, starts_at: datetime, now: datetime, horizon_days: int) -> str | None:
    """Why this slot may not be booked now, or None: the centre must be open that day, and it must be one of
    the centre's slots, not started yet, and no further ahead than the horizon."""
    if centre.day_of(starts_at) in centre.closed_days:
        return "centre_closed"
    if not centre.is_slot(starts_at):
        return "not_a_slot"
    if starts_at <= now:
        return "slot_in_the_past"
    if starts_at - now > timedelta(days=horizon_days):
        return "slot_too_far_ahead"
    return None


def cancel_refusal(state: str, starts_at: datetime, now: datetime) -> str | None:
    """Why a booked appointment may not be cancelled now, or None: only a booked one that has not started."""
    if state != "booked":
        return "appointment_not_booked"
    if starts_at <= now:
        return "appointment_started"
    return None


def attendance_refusal(state: str, attendance: str, starts_at: datetime, now: datetime) -> str | None:
    """Why the desk may not record this attendance, or None. Once only; a person who comes early is marked
    when they come, but nobody has missed a slot that has not started."""
    if state != "booked":
        return "appointment_not_booked"
    if attendance == "missed" and now < starts_at:
        return "appointment_not_started"
    return None


def free_places(capacity: int, booked: int) -> int:
    return max(capacity - booked, 0)
