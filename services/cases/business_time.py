"""Business time: the clock arithmetic of deadlines (pure: no I/O, the time is passed in).

A country's business time runs on its working days only (its working week,
less its public holidays), counted in local wall-clock time: one business day
is the span from a moment on a working day to the same wall-clock time on the
next working day, even across a daylight-saving change. A message that
arrives on a day off starts the clock at midnight of the next working day.

Sensitive deadlines run "on the clock" instead: plain elapsed hours.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Calendar:
    """A country's time zone, working week (0 = Monday) and days off."""

    timezone: str
    working_days: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    holidays: frozenset[date] = field(default_factory=frozenset)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.working_days and day not in self.holidays

    def _local(self, moment: datetime) -> datetime:
        """Local wall-clock time, naive, so that arithmetic on it is wall-clock arithmetic."""
        return moment.astimezone(ZoneInfo(self.timezone)).replace(tzinfo=None)

    def _aware(self, wall: datetime) -> datetime:
        return wall.replace(tzinfo=ZoneInfo(self.timezone))

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The moment when `duration` of business time has passed after `start`."""
        if not self.working_days:
            raise ValueError("a calendar needs at least one working day")
        wall = self._local(start)
        remaining = duration
        while True:
            next_midnight = datetime.combine(wall.date() + ONE_DAY, time())
            if self.is_working_day(wall.date()):
                available = next_midnight - wall
                if remaining <= available:
                    return self._aware(wall + remaining)
                remaining -= available
            wall = next_midnight

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Business time between two moments (zero when `end` is not after `start`)."""
        wall, stop = self._local(start), self._local(end)
        total = timedelta()
        while wall < stop:
            next_midnight = datetime.combine(wall.date() + ONE_DAY, time())
            if self.is_working_day(wall.date()):
                total += min(next_midnight, stop) - wall
            wall = next_midnight
        return total


@dataclass(frozen=True)
class Span:
    """How long a deadline gives: business days in the country's calendar, or hours on the clock."""

    duration: timedelta
    on_the_clock: bool

    @classmethod
    def business_days(cls, days: float) -> "Span":
        return cls(timedelta(days=days), on_the_clock=False)

    @classmethod
    def hours(cls, hours: float) -> "Span":
        return cls(timedelta(hours=hours), on_the_clock=True)

    def add(self, calendar: Calendar, start: datetime, duration: timedelta | None = None) -> datetime:
        duration = self.duration if duration is None else duration
        return start + duration if self.on_the_clock else calendar.add(start, duration)

    def elapsed(self, calendar: Calendar, start: datetime, end: datetime) -> timedelta:
        if self.on_the_clock:
            return max(end - start, timedelta())
        return calendar.elapsed(start, end)


WARNING_SHARE = 0.75


@dataclass(frozen=True)
class Deadline:
    """One deadline of a case: when its clock started, when it warns and falls due, and, while the
    clock is paused (waiting for the complainant), how much was left of each."""

    kind: str
    span: Span
    started_at: datetime
    due_at: datetime | None
    warn_at: datetime | None
    paused_at: datetime | None = None
    remaining: timedelta | None = None
    warn_remaining: timedelta | None = None

    @classmethod
    def start(cls, kind: str, span: Span, calendar: Calendar, now: datetime) -> "Deadline":
        return cls(kind=kind, span=span, started_at=now, due_at=span.add(calendar, now),
                   warn_at=span.add(calendar, now, span.duration * WARNING_SHARE))

    @property
    def paused(self) -> bool:
        return self.paused_at is not None

    def pause(self, calendar: Calendar, now: datetime) -> "Deadline":
        """Stop the clock; deadlines on the clock (sensitive ones) never pause."""
        if self.paused or self.span.on_the_clock:
            return self
        return Deadline(kind=self.kind, span=self.span, started_at=self.started_at, due_at=None, warn_at=None,
                        paused_at=now, remaining=self.span.elapsed(calendar, now, self.due_at),
                        warn_remaining=self.span.elapsed(calendar, now, self.warn_at))

    def resume(self, calendar: Calendar, now: datetime) -> "Deadline":
        """Restart the clock with what was left when it stopped."""
        if not self.paused:
            return self
        return Deadline(kind=self.kind, span=self.span, started_at=self.started_at,
                        due_at=self.span.add(calendar, now, self.remaining),
                        warn_at=self.span.add(calendar, now, self.warn_remaining))

    def met_by(self, done_at: datetime) -> bool:
        """Was the action done in time? A paused deadline cannot have passed."""
        return self.due_at is None or done_at <= self.due_at
