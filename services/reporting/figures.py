"""Gathers a report's figures from the indices: aggregations for counts, and
the few per-case values that medians and 90th percentiles need.

Percentiles are computed here rather than with Elasticsearch's `percentiles`
aggregation, which is approximate and which the development server lacks; a
period's settled deadlines are few enough to read.
"""
from datetime import UTC, datetime

from contracts.http import (
    CallbackFigures, CallFigures, CentreAppointments, MessageFigures, PartnerReferrals, Report, SatisfactionFigures,
    SatisfactionLine, TrendPoint,
)
from services.reporting import reports
from services.reporting.index import SearchIndexes
from services.reporting.reports import Period

BREAKDOWNS = {"by_country": "country", "by_channel": "channel", "by_category": "category_code", "by_sex": "sex",
              "by_age_group": "age_group", "by_disability": "disability", "by_location": "adm1"}
EXPECTED = {"by_sex": reports.SEX_VALUES, "by_disability": ("true", "false")}
# Tables about people: with a small count a reader could tell who a restricted case is about (the one
# woman over 60 from a region who wrote this week). Channels, categories and countries describe the
# programme and are shown whole (the satisfaction lines by them are not: an answer is what a person said).
ABOUT_PEOPLE = ("by_location", "by_sex", "by_age_group", "by_disability")
MISSING_LABELS = {"by_category": reports.UNCLASSIFIED}


def build_report(indexes: SearchIndexes, scope: str, countries: list[str], period: Period, *,
                 top_topics: int = 10, rising_min_count: int = 3, now: datetime | None = None) -> Report:
    now = now or datetime.now(UTC)
    previous = period.previous()
    in_scope = {"terms": {"country": countries}}

    current_messages = _message_aggregations(indexes, in_scope, period)
    previous_messages = _message_aggregations(indexes, in_scope, previous)
    total, previous_total = current_messages["total"], previous_messages["total"]
    previous_counts = {name: _with_missing({reports.bucket_key(bucket): bucket["doc_count"]
                                            for bucket in previous_messages["aggs"][name]["buckets"]},
                                           previous_total, MISSING_LABELS.get(name, reports.NOT_STATED))
                       for name in BREAKDOWNS}
    messages = MessageFigures(
        total=total, previous_total=previous_total, change_percent=reports.change_percent(total, previous_total),
        **{name: _breakdown(name, current_messages["aggs"][name]["buckets"], total, previous_counts[name])
           for name in BREAKDOWNS})

    return Report(
        scope=scope, countries=countries, period=period.kind, start=period.start, end=period.last_day,
        timezone=period.timezone, generated_at=now, messages=messages,
        calls=_calls(indexes, in_scope, period),
        acknowledge=_deadlines(indexes, in_scope, period, "acknowledge", now),
        resolve=_deadlines(indexes, in_scope, period, "resolve", now),
        backlog=_backlog(indexes, in_scope, period.bounds()[1]),
        referrals=_referrals(indexes, in_scope, period),
        appointments=_appointments(indexes, in_scope, period),
        replies_sent=indexes.aggregate(indexes.events, _within(in_scope, "at", period, {
            "term": {"type": "notification_sent"}}), {})["hits"]["total"]["value"],
        responses_by_channel=_responses(indexes, in_scope, period),
        topics=reports.topics(_topic_counts(current_messages), _topic_counts(previous_messages),
                              top=top_topics, rising_min_count=rising_min_count),
        trend=_trend(indexes, in_scope, reports.trend_periods(period)),
        daily=_daily(indexes, in_scope, period),
        satisfaction=_satisfaction(indexes, in_scope, period),
        callbacks=_callbacks(indexes, countries, period),
    )


def _breakdown(name: str, buckets: list[dict], total: int, previous: dict[str, int]):
    counts = reports.counts(buckets, total, previous, EXPECTED.get(name, ()),
                            MISSING_LABELS.get(name, reports.NOT_STATED))
    return reports.suppress_small_cells(counts) if name in ABOUT_PEOPLE else counts


def _with_missing(found: dict[str, int], total: int, missing_label: str) -> dict[str, int]:
    """`found` with the documents that had no value counted under `missing_label`, as counts() shows them."""
    missing = total - sum(found.values())
    return {**found, missing_label: found.get(missing_label, 0) + missing} if missing > 0 else found


def _within(in_scope: dict, field: str, period: Period, *more: dict) -> dict:
    start, end = period.bounds()
    return {"bool": {"filter": [in_scope, {"range": {field: {"gte": start.isoformat(), "lt": end.isoformat()}}},
                                *more]}}


def _received(in_scope: dict, period: Period) -> dict:
    """Cases received in the period (a document exists once the case is opened)."""
    return _within(in_scope, "received_at", period, {"exists": {"field": "opened_at"}})


def _message_aggregations(indexes: SearchIndexes, in_scope: dict, period: Period) -> dict:
    aggs = {name: {"terms": {"field": field, "size": 100}} for name, field in BREAKDOWNS.items()}
    aggs["topics"] = {"terms": {"field": "category_code", "size": 100},
                      "aggs": {"sub": {"terms": {"field": "sub_category", "size": 100}}}}
    answer = indexes.aggregate(indexes.cases, _received(in_scope, period), aggs)
    return {"total": answer["hits"]["total"]["value"], "aggs": answer["aggregations"]}


def _topic_counts(messages: dict) -> dict[tuple, int]:
    """(category, sub-category) → count; cases without a sub-category count under (category, None)."""
    found = {}
    for bucket in messages["aggs"]["topics"]["buckets"]:
        category = int(bucket["key"])
        for sub in bucket["sub"]["buckets"]:
            found[(category, str(sub["key"]))] = sub["doc_count"]
        without = bucket["doc_count"] - sum(sub["doc_count"] for sub in bucket["sub"]["buckets"])
        if without:
            found[(category, None)] = without
    return found


def _calls(indexes: SearchIndexes, in_scope: dict, period: Period) -> CallFigures:
    answer = indexes.aggregate(indexes.calls, _within(in_scope, "started_at", period), {
        "outcome": {"terms": {"field": "outcome"}}, "wait": {"avg": {"field": "wait_seconds"}}})
    outcomes = {bucket["key"]: bucket["doc_count"] for bucket in answer["aggregations"]["outcome"]["buckets"]}
    wait = answer["aggregations"]["wait"]["value"]
    previous = indexes.aggregate(indexes.calls, _within(in_scope, "started_at", period.previous()), {})
    return CallFigures(received=answer["hits"]["total"]["value"], answered=outcomes.get("answered", 0),
                       abandoned=outcomes.get("abandoned", 0),
                       average_wait_seconds=None if wait is None else round(wait, 1),
                       previous_received=previous["hits"]["total"]["value"])


def _deadlines(indexes: SearchIndexes, in_scope: dict, period: Period, kind: str, now: datetime):
    """Deadlines of `kind` settled in the period, and those that fell due in it, before `now`, and are
    still not met (whether or not the breach event has been seen yet)."""
    prefix = f"deadlines.{kind}"
    settled = indexes.scan(indexes.cases, _within(in_scope, f"{prefix}.settled_at", period),
                           [f"{prefix}.within_deadline", f"{prefix}.seconds_taken"], key="reference")
    overdue_query = _within(in_scope, f"{prefix}.due_at", period, {"range": {f"{prefix}.due_at": {
        "lt": now.isoformat()}}})
    overdue_query["bool"]["must_not"] = [{"terms": {f"{prefix}.state": ["settled", "cancelled"]}}]
    overdue = indexes.aggregate(indexes.cases, overdue_query, {})["hits"]["total"]["value"]
    return reports.deadline_figures(kind, [doc["deadlines"][kind] for doc in settled], overdue)


def _backlog(indexes: SearchIndexes, in_scope: dict, end: datetime):
    """Cases received before the end of the period and not resolved or closed by then."""
    done_by_end = {"bool": {"filter": [{"terms": {"status": ["resolved", "closed"]}}], "should": [
        {"range": {"resolved_at": {"lt": end.isoformat()}}}, {"range": {"closed_at": {"lt": end.isoformat()}}}],
        "minimum_should_match": 1}}
    query = {"bool": {"filter": [in_scope, {"exists": {"field": "opened_at"}},
                                 {"range": {"received_at": {"lt": end.isoformat()}}}],
                      "must_not": [done_by_end]}}
    ages = reports.backlog_age_ranges(end)
    answer = indexes.aggregate(indexes.cases, query, {"age": {"filters": {"filters": {
        label: {"range": {"received_at": bound}} for label, bound in ages.items()}}}})
    buckets = answer["aggregations"]["age"]["buckets"]
    return [{"age": label, "count": buckets[label]["doc_count"]} for label in ages]


def _referrals(indexes: SearchIndexes, in_scope: dict, period: Period) -> list[PartnerReferrals]:
    answer = indexes.aggregate(indexes.cases, _within(in_scope, "referred_at", period), {
        "partner": {"terms": {"field": "partner_id", "size": 100},
                    "aggs": {"status": {"terms": {"field": "referral_status"}},
                             "outcome": {"terms": {"field": "referral_outcome"}},
                             "overdue": {"filter": {"term": {"referral_overdue": True}}}}}})
    found = []
    for bucket in answer["aggregations"]["partner"]["buckets"]:
        statuses = {status["key"]: status["doc_count"] for status in bucket["status"]["buckets"]}
        found.append(PartnerReferrals(partner_id=bucket["key"], made=bucket["doc_count"],
                                      accepted=statuses.get("accepted", 0), declined=statuses.get("declined", 0),
                                      pending=statuses.get("pending", 0), overdue=bucket["overdue"]["doc_count"],
                                      outcomes={outcome["key"]: outcome["doc_count"]
                                                for outcome in bucket["outcome"]["buckets"]}))
    return found


APPOINTMENT_EVENTS = ("appointment_booked", "appointment_cancelled", "appointment_attendance_recorded")


def _appointments(indexes: SearchIndexes, in_scope: dict, period: Period) -> list[CentreAppointments]:
    """Bookings, cancellations and attendance recorded in the period, by country and centre."""
    answer = indexes.aggregate(indexes.events, _within(in_scope, "at", period, {
        "terms": {"type": list(APPOINTMENT_EVENTS)}}), {
        "country": {"terms": {"field": "country", "size": 100}, "aggs": {
            "centre": {"terms": {"field": "centre_id", "size": 500}, "aggs": {
                "type": {"terms": {"field": "type"}}, "attendance": {"terms": {"field": "attendance"}}}}}}})
    found = []
    for country in answer["aggregations"]["country"]["buckets"]:
        for centre in country["centre"]["buckets"]:
            kinds = {bucket["key"]: bucket["doc_count"] for bucket in centre["type"]["buckets"]}
            attendance = {bucket["key"]: bucket["doc_count"] for bucket in centre["attendance"]["buckets"]}
            found.append(CentreAppointments(
                country=country["key"], centre_id=centre["key"], booked=kinds.get("appointment_booked", 0),
                attended=attendance.get("attended", 0), missed=attendance.get("missed", 0),
                cancelled=kinds.get("appointment_cancelled", 0)))
    return sorted(found, key=lambda figures: (figures.country, figures.centre_id))


def _responses(indexes: SearchIndexes, in_scope: dict, period: Period):
    answer = indexes.aggregate(indexes.cases, _within(in_scope, "closed_at", period), {
        "channel": {"terms": {"field": "response_channel", "size": 50}}})
    return reports.counts(answer["aggregations"]["channel"]["buckets"], answer["hits"]["total"]["value"])


SATISFACTION_BREAKDOWNS = {"by_country": "country", "by_channel": "channel", "by_category": "category_code"}


def _satisfaction(indexes: SearchIndexes, in_scope: dict, period: Period) -> SatisfactionFigures:
    """Answers to the question after closure that came in the period: how many, how many satisfied (lines of
    1 to 4 answers withheld, see reports.satisfaction_figures)."""
    satisfied = {"satisfied": {"filter": {"term": {"satisfied": True}}}}
    answer = indexes.aggregate(indexes.cases, _within(in_scope, "satisfaction_answered_at", period), {
        **{name: {"terms": {"field": field, "size": 100}, "aggs": satisfied}
           for name, field in SATISFACTION_BREAKDOWNS.items()}, **satisfied})
    aggregations = answer["aggregations"]

    def lines(name: str) -> list[SatisfactionLine]:
        return [SatisfactionLine(key=reports.bucket_key(bucket), answered=bucket["doc_count"],
                                 satisfied=bucket["satisfied"]["doc_count"],
                                 share_satisfied=reports.share(bucket["satisfied"]["doc_count"], bucket["doc_count"]))
                for bucket in aggregations[name]["buckets"]]

    return reports.satisfaction_figures(answer["hits"]["total"]["value"], aggregations["satisfied"]["doc_count"],
                                        {name: lines(name) for name in SATISFACTION_BREAKDOWNS})


def _trend(indexes: SearchIndexes, in_scope: dict, periods: list[Period]) -> list[TrendPoint]:
    def per_period(index: str, field: str, extra: list[dict]) -> dict:
        ranges = {str(index_): {"range": {field: {"gte": start.isoformat(), "lt": end.isoformat()}}}
                  for index_, (start, end) in enumerate(period.bounds() for period in periods)}
        answer = indexes.aggregate(index, {"bool": {"filter": [in_scope, *extra]}},
                                   {"periods": {"filters": {"filters": ranges}}})
        return {int(key): bucket["doc_count"] for key, bucket in answer["aggregations"]["periods"]["buckets"].items()}

    messages = per_period(indexes.cases, "received_at", [{"exists": {"field": "opened_at"}}])
    calls = per_period(indexes.calls, "started_at", [])
    return [TrendPoint(period_start=period.start, messages=messages[number], calls=calls[number])
            for number, period in enumerate(periods)]


def _daily(indexes: SearchIndexes, in_scope: dict, period: Period) -> list[TrendPoint]:
    """Each day of the period (each day of a week or month; a day report has a single point)."""
    days = [reports.period_containing("day", period.start, period.timezone)]
    while days[-1].end < period.end:
        days.append(reports.period_containing("day", days[-1].end, period.timezone))
    return _trend(indexes, in_scope, days)


def _callbacks(indexes: SearchIndexes, countries: list[str], period: Period) -> list[CallbackFigures]:
    """Each country's Callbacks row, from the timeline: tasks opened and calls made in the period, and the
    delay of each call that reached someone (read one by one: median and mean are computed in
    reports.callback_figures, the development server having no percentiles aggregation)."""
    in_scope = {"terms": {"country": countries}}
    per_country = {
        "opened": {"filter": {"term": {"type": "callback_task_opened"}},
                   "aggs": {"reason": {"terms": {"field": "callback.reason"}}}},
        "calls": {"filter": {"term": {"type": "callback_attempt_recorded"}},
                  "aggs": {"outcome": {"terms": {"field": "callback.outcome"}},
                           "unreachable": {"filter": {"term": {"callback.task_state": "unreachable"}}}}}}
    answer = indexes.aggregate(
        indexes.events,
        _within(in_scope, "at", period, {"terms": {"type": ["callback_task_opened", "callback_attempt_recorded"]}}),
        {"country": {"terms": {"field": "country", "size": 100}, "aggs": per_country}})
    by_country = {bucket["key"]: bucket for bucket in answer["aggregations"]["country"]["buckets"]}
    reached = indexes.scan(indexes.events, _within(in_scope, "at", period, {
        "term": {"type": "callback_attempt_recorded"}}, {"term": {"callback.outcome": "reached"}}),
        ["country", "callback.hours_to_reach"], key="message_id")
    found = []
    for country in countries:
        bucket = by_country.get(country)
        if bucket is None:
            found.append(reports.callback_figures(country, {}, {}, 0, []))
            continue
        found.append(reports.callback_figures(
            country, {reason["key"]: reason["doc_count"] for reason in bucket["opened"]["reason"]["buckets"]},
            {outcome["key"]: outcome["doc_count"] for outcome in bucket["calls"]["outcome"]["buckets"]},
            bucket["calls"]["unreachable"]["doc_count"],
            [doc["callback"]["hours_to_reach"] for doc in reached
             if doc["country"] == country and doc.get("callback", {}).get("hours_to_reach") is not None]))
    return found
