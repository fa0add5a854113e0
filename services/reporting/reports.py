"""Pure rules of the reports: periods, statistics, and turning counts into figures.

A report covers one period in one time zone: a day, an ISO week (Monday to
Sunday) or a calendar month. A country's report follows the country's time
zone; a regional report, which spans several, follows UTC.
"""
import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from contracts.http import CallbackFigures, Count, DeadlineFigures, SatisfactionFigures, SatisfactionLine, Topic

PERIODS = ("day", "week", "month")
TREND_LENGTH = 8
BACKLOG_AGES = (("0-2", 0, 3), ("3-7", 3, 8), ("8-14", 8, 15), ("15-30", 15, 31), ("31+", 31, None))
SEX_VALUES = ("female", "male", "other", "not_said")
NOT_STATED = "not_stated"
# Small-cell suppression: a figure from 1 to SMALL_CELL - 1 is withheld in tables about people.
SMALL_CELL = 5
SUPPRESSED = f"<{SMALL_CELL}"
UNCLASSIFIED = "unclassified"  # held for a focal point before any category was given


@dataclass(frozen=True)
class Period:
    kind: str
    start: date  # first day
    end: date  # first day after the period
    timezone: str

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    def bounds(self) -> tuple[datetime, datetime]:
        """The period as aware datetimes: [start, end)."""
        zone = ZoneInfo(self.timezone)
        return (datetime.combine(self.start, time(), zone), datetime.combine(self.end, time(), zone))

    def previous(self) -> "Period":
        return period_containing(self.kind, self.start - timedelta(days=1), self.timezone)


def period_containing(kind: str, day: date, timezone: str) -> Period:
    """The day, ISO week or month that contains `day`."""
    if kind == "day":
        return Period(kind, day, day + timedelta(days=1), timezone)
    if kind == "week":
        monday = day - timedelta(days=day.weekday())
        return Period(kind, monday, monday + timedelta(days=7), timezone)
    if kind == "month":
        first = day.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return Period(kind, first, following, timezone)
    raise ValueError(f"unknown period {kind!r}")


def last_complete_period(kind: str, now: datetime, timezone: str) -> Period:
    """The most recent period that has ended by `now`, in `timezone` (e.g. last week on a Monday)."""
    today = now.astimezone(ZoneInfo(timezone)).date()
    return period_containing(kind, today, timezone).previous()


def trend_periods(period: Period) -> list[Period]:
    """`period` and the TREND_LENGTH - 1 before it, oldest first."""
    periods = [period]
    while len(periods) < TREND_LENGTH:
        periods.append(periods[-1].previous())
    return periods[::-1]


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile (share 0.5 is the median); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def change_percent(current: int, previous: int) -> float | None:
    if previous == 0:
        return None
    return round(100 * (current - previous) / previous, 1)


def counts(buckets: list[dict], total: int, previous: dict[str, int] | None = None,
           expected: tuple[str, ...] = (), missing_label: str = NOT_STATED) -> list[Count]:
    """Terms buckets as counts, with the documents that have no value shown as `missing_label`.

    Values in `expected`, and every key the previous period had, appear even at zero: tables keep
    their shape week after week, and a channel that went silent shows as a fall to 0.
    """
    found = {bucket_key(bucket): bucket["doc_count"] for bucket in buckets}
    for key in (*expected, *(key for key, count in (previous or {}).items() if count)):
        found.setdefault(key, 0)
    missing = total - sum(found.values())
    if missing > 0:
        found[missing_label] = found.get(missing_label, 0) + missing
    ordered = sorted(found.items(), key=lambda item: (-item[1], item[0]))
    return [Count(key=key, count=count, previous=None if previous is None else previous.get(key, 0))
            for key, count in ordered]


def is_small(value: int | None) -> bool:
    """A figure from 1 to SMALL_CELL - 1: few enough to tell who it is about. Zero tells nobody."""
    return value is not None and 0 < value < SMALL_CELL


def suppress_small_cells(counts: list[Count]) -> list[Count]:
    """`counts` with every figure from 1 to 4 withheld (count or previous None, `suppressed`)."""
    return _withheld_last(counts, lambda count: is_small(count.count) or is_small(count.previous),
                          lambda count: count.model_copy(update={
                              "count": None if is_small(count.count) else count.count,
                              "previous": None if is_small(count.previous) else count.previous,
                              "suppressed": True}))


def suppress_small_satisfaction(lines: list[SatisfactionLine]) -> list[SatisfactionLine]:
    """`lines` with each line of 1 to 4 answers withheld whole (answered, satisfied and share None,
    `suppressed`): its satisfied count alone would tell what those few people said.

    The report's total and the lines shown would give back a withheld group of fewer than 5 answers by
    subtraction (17 answered, 16 shown: the one withheld answered too), so the smallest shown lines are
    withheld with it until the group holds 5 answers or more."""
    withheld = {line.key for line in lines if is_small(line.answered)}
    while withheld and sum(line.answered for line in lines if line.key in withheld) < SMALL_CELL:
        shown = [line for line in lines if line.key not in withheld]
        if not shown:
            break
        withheld.add(min(shown, key=lambda line: (line.answered, line.key)).key)
    return _withheld_last(lines, lambda line: line.key in withheld, lambda line: line.model_copy(update={
        "answered": None, "satisfied": None, "share_satisfied": None, "suppressed": True}))


def _withheld_last(rows: list, is_withheld, withhold) -> list:
    """`rows` in their order, except that those `is_withheld` picks are replaced by `withhold(row)` and put
    last, by key, since an order by their exact figures would tell them."""
    shown = [row for row in rows if not is_withheld(row)]
    withheld = [withhold(row) for row in rows if is_withheld(row)]
    return shown + sorted(withheld, key=lambda row: row.key)


def shown_count(value: int | None) -> int | str:
    """A figure as a file shows it: the number, or `<5` when it was withheld."""
    return SUPPRESSED if value is None else value


def bucket_key(bucket: dict) -> str:
    """A terms bucket's key as text; boolean fields give "true" and "false"."""
    key = bucket.get("key_as_string", bucket["key"])
    return str(key).lower() if isinstance(key, bool) else str(key)


def share(part: int, whole: int) -> float | None:
    """part / whole to three places (0.667); None of nothing."""
    return round(part / whole, 3) if whole else None


def satisfaction_figures(answered: int, satisfied: int,
                         breakdowns: dict[str, list[SatisfactionLine]]) -> SatisfactionFigures:
    """The period's answers to the satisfaction question, with lines of 1 to 4 answers withheld.

    The total keeps `answered` even from 1 to 4: how many answered across a whole country or the region in
    a week or a month describes the programme, as the messages' total does. But its satisfied count and
    share would tell what those few said (1 answer, 0 satisfied: that person was not), so they are withheld.
    """
    small_total = is_small(answered)
    return SatisfactionFigures(
        answered=answered, satisfied=None if small_total else satisfied,
        share_satisfied=None if small_total else share(satisfied, answered), suppressed=small_total,
        **{name: suppress_small_satisfaction(lines) for name, lines in breakdowns.items()})


def deadline_figures(kind: str, settled: list[dict], overdue_unsettled: int) -> DeadlineFigures:
    """`settled`: {"within_deadline": bool, "seconds_taken": float} for each deadline settled in the period."""
    within = sum(1 for entry in settled if entry.get("within_deadline"))
    hours = [entry["seconds_taken"] / 3600 for entry in settled if entry.get("seconds_taken") is not None]
    ended = len(settled) + overdue_unsettled
    median, p90 = percentile(hours, 0.5), percentile(hours, 0.9)
    return DeadlineFigures(
        kind=kind, settled=len(settled), within_deadline=within, overdue_unsettled=overdue_unsettled,
        share_within_deadline=round(within / ended, 3) if ended else None,
        median_hours=None if median is None else round(median, 1), p90_hours=None if p90 is None else round(p90, 1))


# How long people waited for the call that reached them, from the task's opening.
REACH_DELAYS = (("0-4h", 0, 4), ("4-24h", 4, 24), ("24-72h", 24, 72), ("72h+", 72, None))


def callback_figures(country: str, opened_by_reason: dict[str, int], outcomes: dict[str, int], unreachable: int,
                     hours_to_reach: list[float]) -> CallbackFigures:
    """One country's Callbacks row. `outcomes`: calls made in the period by outcome; `hours_to_reach`: for each
    person reached in the period, the hours from the task's opening to that call. Median and mean come from
    those values here: the development search server has no percentiles aggregation, and a period's
    reached callbacks are few enough to read (as the deadlines' medians)."""
    median = percentile(hours_to_reach, 0.5)
    delays = {label: sum(1 for hours in hours_to_reach if low <= hours and (high is None or hours < high))
              for label, low, high in REACH_DELAYS}
    return CallbackFigures(
        country=country, opened=sum(opened_by_reason.values()), opened_by_reason=opened_by_reason,
        attempts=sum(outcomes.values()), reached=outcomes.get("reached", 0), unreachable=unreachable,
        median_hours_to_reach=None if median is None else round(median, 1),
        mean_hours_to_reach=round(sum(hours_to_reach) / len(hours_to_reach), 1) if hours_to_reach else None,
        reach_delay=delays)


def topics(current: dict[tuple, int], previous: dict[tuple, int], *, top: int, rising_min_count: int) -> list[Topic]:
    """The most frequent (category, sub-category) pairs, flagging those that at least doubled."""
    ordered = sorted(current.items(), key=lambda item: (-item[1], str(item[0])))[:top]
    return [Topic(category_code=category, sub_category=sub_category, count=count,
                  previous=previous.get((category, sub_category), 0),
                  rising=count >= rising_min_count and count >= 2 * previous.get((category, sub_category), 0))
            for (category, sub_category), count in ordered]


def backlog_age_ranges(end: datetime) -> dict[str, dict]:
    """Ranges on received_at for each backlog age, counted back from the end of the period."""
    ranges = {}
    for label, youngest, oldest in BACKLOG_AGES:
        bound = {"lte": (end - timedelta(days=youngest)).isoformat()}
        if oldest is not None:
            bound["gt"] = (end - timedelta(days=oldest)).isoformat()
        ranges[label] = bound
    return ranges
