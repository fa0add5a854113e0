"""Reporting's use cases: keep the index current from events, search it, rebuild it.

Each event is journalled and written to Elasticsearch inside the unit of work
that records its message id: if the write fails nothing is recorded and the
event is retried; a redelivery after a successful write is dropped, and
applying it again would change nothing anyway (see domain.apply_event).
"""
import base64
import json
import logging
from datetime import date, datetime, timedelta
from uuid import UUID, uuid4

from elasticsearch import BadRequestError
from psycopg import Connection
from psycopg.types.json import Jsonb
from werkzeug.wrappers import Response

from chassis.auth import Principal
from chassis.errors import ApiError
from contracts.envelope import Envelope
from contracts.events import CallRecorded
from contracts.http import FacetCount, Report, SearchHit, SearchResults, StoredReport, StoredReports
from services.reporting import domain, erasure, exports, reports
from services.reporting.figures import build_report
from services.reporting.index import SearchIndexes

log = logging.getLogger(__name__)

KEYWORD_FILTERS = {"channel": "channel", "status": "status", "priority": "priority",
                   "deadline_state": "deadline_state", "region": "adm1", "category_code": "category_code",
                   "partner": "partner_id"}
NUMBER_FILTERS = ("category_code",)
FACETS = ("country", "channel", "category_code", "status", "deadline_state", "adm1")
SORTS = {
    "newest": [{"received_at": "desc"}, {"reference": "desc"}],
    "oldest": [{"received_at": "asc"}, {"reference": "asc"}],
    "deadline": [{"next_due_at": {"order": "asc", "missing": "_last"}}, {"reference": "asc"}],
    "relevance": ["_score", {"received_at": "desc"}, {"reference": "desc"}],
}
MAX_PAGE_SIZE = 100


def staff_name_masks(settings) -> dict[str, domain.NameMask]:
    return {country: domain.NameMask(names) for country, names in settings.staff_names.items()}


def record_event(uow, indexes: SearchIndexes, event, envelope: Envelope,
                 staff: dict[str, domain.NameMask] | None = None) -> None:
    """`staff`: by country, the names of staff kept out of the narratives."""
    names = (staff or {}).get(envelope.country)
    with uow:
        if not uow.claim_message():
            return
        reference = domain.case_reference(event)
        uow.execute(
            """INSERT INTO journal (message_id, event_type, country, occurred_at, reference, envelope)
               VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (message_id) DO NOTHING""",
            [envelope.message_id, envelope.type, envelope.country, envelope.occurred_at, reference,
             Jsonb(domain.journal_envelope(envelope, event, names))])
        erased = erasure.is_erased(uow.conn, reference)  # an event that came after its case's erasure
        if erased:
            erasure.forget_texts(uow.conn, [reference])
        document = index_event(indexes, event, envelope, names=names, erased=erased)
        if document and document.get("restricted"):
            _forget_narratives(uow.conn, reference)
        if document and domain.is_anonymised(document):
            _forget_narratives(uow.conn, reference)
            _forget_contact_links(uow.conn, reference)


def index_event(indexes: SearchIndexes, event, envelope: Envelope, targets: dict | None = None,
                names: domain.NameMask | None = None, erased: bool = False) -> dict | None:
    """Write one event into the indices (`targets` names other indices than the aliases, for a rebuild);
    returns the case document it changed, if any. An erased case's document gets no text."""
    targets = targets or {}
    reference = domain.case_reference(event)
    document = None
    if isinstance(event, CallRecorded):
        indexes.put_call(domain.call_document(event, envelope), index=targets.get("calls"))
    elif reference is not None and not isinstance(event, domain.TIMELINE_ONLY):
        def change(current: dict) -> dict:
            document = domain.apply_event(current, envelope, event, names)
            return {**document, "narrative": None} if erased else document
        document = indexes.update_case(reference, change, index=targets.get("cases"))
    indexes.add_timeline_entry(domain.timeline_entry(envelope, reference, event), index=targets.get("events"))
    return document


def _forget_narratives(conn: Connection, reference: str) -> None:
    """A case now restricted keeps no text in the journal either (it may have been open before)."""
    conn.execute(
        """UPDATE journal SET envelope = jsonb_set(envelope, '{payload,narrative}',
                  CASE WHEN event_type = 'case_opened' THEN to_jsonb(%s::text) ELSE 'null'::jsonb END)
           WHERE reference = %s AND event_type IN ('case_opened', 'case_classified')
             AND jsonb_typeof(envelope->'payload'->'narrative') = 'string'
             AND envelope->'payload'->>'narrative' <> %s""",
        [domain.NOT_KEPT, reference, domain.NOT_KEPT])


def _forget_contact_links(conn: Connection, reference: str) -> None:
    """An anonymised case keeps no link to its complainant's contact in the journal either."""
    conn.execute(
        """UPDATE journal SET envelope = jsonb_set(envelope, '{payload,contact_ref}', 'null'::jsonb)
           WHERE reference = %s AND jsonb_typeof(envelope->'payload'->'contact_ref') = 'string'""", [reference])


# --- rebuild -----------------------------------------------------------------------------------


def rebuild_index(conn: Connection, indexes: SearchIndexes, staff: dict[str, domain.NameMask] | None = None) -> dict:
    """Rebuild every index from the journal behind the aliases, then swap, with no downtime.

    While the new indices fill, events keep landing in the old ones and in the
    journal. After the swap, an exclusive lock on the journal waits for
    transactions in flight and holds new ones back while the events journalled
    meanwhile are applied to the new indices (applying one twice is harmless).
    """
    generation = indexes.new_generation()
    replayed = set()
    cases: dict[str, dict] = {}
    actions = []
    for seq, body in conn.execute("SELECT seq, envelope FROM journal ORDER BY seq"):
        replayed.add(seq)
        envelope = Envelope.model_validate(body)
        names = (staff or {}).get(envelope.country)
        actions.extend(_replay_actions(envelope, envelope.open(), cases, generation, names))
    actions.extend({"_index": generation["cases"], "_id": reference, "_source": document}
                   for reference, document in cases.items())
    indexes.bulk(actions)
    retired = indexes.swap_to(generation)
    with conn.transaction():
        conn.execute("LOCK TABLE journal IN EXCLUSIVE MODE")
        late = [(seq, body) for seq, body in conn.execute(
            "SELECT seq, envelope FROM journal WHERE seq >= %s ORDER BY seq", [min(replayed, default=0)])
            if seq not in replayed]
        for _, body in late:
            envelope = Envelope.model_validate(body)
            index_event(indexes, envelope.open(), envelope, names=(staff or {}).get(envelope.country))
    indexes.delete_indices(retired)
    log.info("index rebuilt", extra={"events": len(replayed) + len(late), "cases": len(cases)})
    return {"events": len(replayed) + len(late), "cases": len(cases), "indices": sorted(generation.values())}


def _replay_actions(envelope, event, cases, generation, names):
    """Bulk actions for one journalled event; case documents are merged in memory and written at the end."""
    reference = domain.case_reference(event)
    if isinstance(event, CallRecorded):
        yield {"_index": generation["calls"], "_id": event.call_id, "_source": domain.call_document(event, envelope)}
    elif reference is not None and not isinstance(event, domain.TIMELINE_ONLY):
        cases[reference] = domain.apply_event(cases.get(reference, {}), envelope, event, names)
    entry = domain.timeline_entry(envelope, reference, event)
    yield {"_index": generation["events"], "_id": entry["message_id"], "_source": entry}


# --- search ------------------------------------------------------------------------------------


def search_cases(indexes: SearchIndexes, principal: Principal, args, default_page_size: int) -> SearchResults:
    requested = {code.strip().upper() for code in args.get("country", "").split(",") if code.strip()}
    countries = sorted(requested & principal.countries if requested else principal.countries)
    if not countries:
        return SearchResults(total=0, results=[])
    text = args.get("q", "").strip() or None
    sort_name = args.get("sort", "relevance" if text else "newest")
    if sort_name not in SORTS:
        raise ApiError(400, "invalid_sort", f"sort must be one of {', '.join(SORTS)}.")
    size = _page_size(args.get("size"), default_page_size)
    after = _decode_cursor(args.get("cursor"), sort_name)
    try:
        answer = indexes.search_cases(
            query=case_query(text, countries, principal.sees_restricted_cases, args), sort=SORTS[sort_name],
            size=size, search_after=after, facets={name: {"terms": {"field": name, "size": 50}} for name in FACETS})
    except BadRequestError:
        if after is None:
            raise
        raise _invalid_cursor() from None  # values the index cannot compare with this sort's fields
    hits = answer["hits"]["hits"]
    results = [SearchHit(
        reference=doc["reference"], country=doc["country"], channel=doc["channel"],
        category_code=doc.get("category_code"), status=doc.get("status", "new"), restricted=doc["restricted"],
        opened_at=doc["opened_at"], received_at=doc.get("received_at"), adm1=doc.get("adm1"),
        priority=doc.get("priority"), deadline_state=doc.get("deadline_state"),
        excerpt=(doc.get("narrative") or "")[:280] or None) for doc in (hit["_source"] for hit in hits)]
    facets = {name: [FacetCount(value=str(bucket["key"]), count=bucket["doc_count"])
                     for bucket in answer["aggregations"][name]["buckets"]] for name in FACETS}
    next_cursor = _encode_cursor(sort_name, hits[-1]["sort"]) if len(hits) == size else None
    return SearchResults(total=answer["hits"]["total"]["value"], results=results, next_cursor=next_cursor,
                         facets=facets)


def case_query(text: str | None, countries: list[str], include_restricted: bool, args) -> dict:
    conditions: list[dict] = [{"terms": {"country": countries}}, {"exists": {"field": "opened_at"}}]
    for parameter, field in KEYWORD_FILTERS.items():
        values = [value.strip() for value in args.get(parameter, "").split(",") if value.strip()]
        if parameter in NUMBER_FILTERS and not all(value.isdigit() for value in values):
            raise ApiError(400, "invalid_filter", f"{parameter} takes whole numbers, e.g. {parameter}=4,7.",
                           details=[{"field": parameter, "reason": "not a whole number"}])
        if values:
            conditions.append({"terms": {field: values}})
    received = {bound: _date(args, parameter).isoformat() for bound, parameter in (("gte", "received_from"),
                                                                     ("lte", "received_to")) if args.get(parameter)}
    if received:
        conditions.append({"range": {"received_at": received}})
    if not include_restricted:
        conditions.append({"term": {"restricted": False}})
    query: dict = {"bool": {"filter": conditions}}
    if text:
        # Every word must match somewhere (narrative or place names): "retard paiement Kindia".
        # simple_query_string never fails on user syntax, and allows "quoted phrases".
        query["bool"]["must"] = [{"simple_query_string": {
            "query": text, "default_operator": "and",
            "fields": ["narrative", "narrative.fr", "narrative.en", "adm1.text", "adm2.text", "adm3.text",
                       "reference"]}}]
    return query


# Dates a report or a search can be about. Outside them, the period arithmetic (the trend reaches
# eight periods back, a period ends the day after) would leave the calendar.
FIRST_DATE, LAST_DATE = date(1970, 1, 1), date(2999, 12, 31)


def _date(args, parameter: str) -> date:
    try:
        day = date.fromisoformat(args[parameter])
    except ValueError:
        raise ApiError(400, "invalid_date", f"{parameter} must be a date such as 2026-11-23.",
                       details=[{"field": parameter, "reason": "not an ISO date"}]) from None
    if not FIRST_DATE <= day <= LAST_DATE:
        raise ApiError(400, "invalid_date", f"{parameter} must be between {FIRST_DATE} and {LAST_DATE}.",
                       details=[{"field": parameter, "reason": "out of range"}])
    return day


def _page_size(value: str | None, default: int) -> int:
    if value is None:
        return default
    if not value.isdigit() or not 1 <= int(value) <= MAX_PAGE_SIZE:
        raise ApiError(400, "invalid_page_size", f"size must be a number from 1 to {MAX_PAGE_SIZE}.")
    return int(value)


def _invalid_cursor() -> ApiError:
    return ApiError(400, "invalid_cursor", "cursor must be the next_cursor of a search with the same sort.")


def _encode_cursor(sort_name: str, sort_values: list) -> str:
    """Where the next page starts, and under which sort order (a cursor only fits that one)."""
    return base64.urlsafe_b64encode(json.dumps({"sort": sort_name, "after": sort_values}).encode()).decode()


def _decode_cursor(cursor: str | None, sort_name: str) -> list | None:
    if not cursor:
        return None
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except ValueError:
        raise _invalid_cursor() from None
    values = decoded.get("after") if isinstance(decoded, dict) and decoded.get("sort") == sort_name else None
    if not (isinstance(values, list) and len(values) == len(SORTS[sort_name])
            and all(isinstance(value, (str, int, float)) for value in values)):
        raise _invalid_cursor()
    return values


# --- reports -----------------------------------------------------------------------------------

REPORT_FORMATS = ("json", "xlsx", "csv", "hxl")
HXL_FIELDS = ["country", "adm1", "channel", "category_code", "sub_category", "status", "restricted", "satisfied"]


def requested_report(indexes: SearchIndexes, principal: Principal, args, settings, now: datetime) -> Response:
    """GET /v1/reports: one country's or a region's report for a day, week or month, in any format."""
    kind = args.get("period", "week")
    if kind not in reports.PERIODS:
        raise ApiError(400, "invalid_period", f"period must be one of {', '.join(reports.PERIODS)}.")
    fmt = _report_format(args)
    requested = sorted({code.strip().upper() for code in args.get("country", "").split(",") if code.strip()})
    countries = requested or sorted(principal.countries & set(settings.countries))
    for country in countries:
        principal.require_country(country)
    if not countries:
        raise ApiError(403, "country_not_in_scope", "Your token covers no country with reports.")
    scope = countries[0] if len(countries) == 1 else "region"
    timezone = settings.countries[scope].timezone if scope in settings.countries else "UTC"
    if args.get("date"):
        period = reports.period_containing(kind, _date(args, "date"), timezone)
    else:
        period = reports.last_complete_period(kind, now, timezone)
    report = build_report(indexes, scope, countries, period, top_topics=settings.reports.top_topics,
                          rising_min_count=settings.reports.rising_min_count, now=now)
    table = _report_table(args)
    hxl = period_cases(indexes, countries, period) if fmt == "hxl" and table == "cases" else []
    return render_report(report, fmt, settings.reports.category_labels, hxl, table)


def period_cases(indexes: SearchIndexes, countries: list[str], period: reports.Period) -> list[dict]:
    start, end = period.bounds()
    query = {"bool": {"filter": [{"terms": {"country": countries}}, {"exists": {"field": "opened_at"}},
                                 {"range": {"received_at": {"gte": start.isoformat(), "lt": end.isoformat()}}}]}}
    return indexes.scan(indexes.cases, query, HXL_FIELDS, key="reference")


def render_report(report: Report, fmt: str, category_labels: dict[int, str], hxl_cases: list[dict],
                  table: str = "cases") -> Response:
    name = f"cfm-report-{report.scope}-{report.period}-{report.start.isoformat()}"
    if fmt == "hxl" and table == "callbacks":  # the Callbacks table on its own, from the report's figures
        return Response(exports.to_callbacks_hxl_csv(report), mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="{name}-callbacks-hxl.csv"'})
    if fmt == "json":
        return Response(report.model_dump_json(), mimetype="application/json")
    if fmt == "xlsx":
        body, mimetype, name = exports.to_xlsx(report, category_labels), exports.XLSX_MIME, f"{name}.xlsx"
    elif fmt == "csv":
        body, mimetype, name = exports.to_csv(report, category_labels), "text/csv", f"{name}.csv"
    else:
        body, mimetype, name = exports.to_hxl_csv(report, hxl_cases, category_labels), "text/csv", f"{name}-hxl.csv"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})


REPORT_TABLES = ("cases", "callbacks")


def _report_table(args) -> str:
    """Which table an HXL file holds: the period's cases (the default) or the Callbacks table."""
    table = args.get("table", "cases")
    if table not in REPORT_TABLES:
        raise ApiError(400, "invalid_table", f"table must be one of {', '.join(REPORT_TABLES)}.")
    return table


def _report_format(args) -> str:
    fmt = args.get("format", "json")
    if fmt not in REPORT_FORMATS:
        raise ApiError(400, "invalid_format", f"format must be one of {', '.join(REPORT_FORMATS)}.")
    return fmt


def generate_due_reports(conn: Connection, indexes: SearchIndexes, settings, now: datetime) -> list[str]:
    """Build and keep every scheduled report whose period has ended (and is `ready_hour` hours old).

    Safe to run from several instances and after any restart: a report is
    stored once per scope, period and start, and a missing one is made on the
    next run.
    """
    scopes = {country: [country] for country in settings.countries}
    scopes["region"] = sorted(settings.countries)
    made = []
    for kind in settings.reports.scheduled_periods:
        for scope, countries in scopes.items():
            timezone = settings.countries[scope].timezone if scope in settings.countries else "UTC"
            period = reports.last_complete_period(kind, now, timezone)
            if now < period.bounds()[1] + timedelta(hours=settings.reports.ready_hour):
                period = period.previous()  # the one just ended is not ready yet; its predecessor is
            exists = conn.execute("SELECT 1 FROM reports WHERE scope = %s AND period = %s AND period_start = %s",
                                  [scope, kind, period.start]).fetchone()
            if exists:
                continue
            report = build_report(indexes, scope, countries, period, top_topics=settings.reports.top_topics,
                                  rising_min_count=settings.reports.rising_min_count, now=now)
            hxl = exports.to_hxl_csv(report, period_cases(indexes, countries, period),
                                     settings.reports.category_labels)
            inserted = conn.execute(
                """INSERT INTO reports (report_id, scope, period, period_start, generated_at, body, hxl)
                   VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING""",
                [uuid4(), scope, kind, period.start, now, Jsonb(report.model_dump(mode="json")), hxl]).rowcount
            conn.commit()
            if inserted:
                made.append(f"{scope}/{kind}/{period.start.isoformat()}")
    return made


def stored_reports(conn: Connection, principal: Principal, args) -> StoredReports:
    # The caller's countries are part of the query, so that the limit counts only reports they may read.
    rows = conn.execute(
        """SELECT report_id, scope, period, period_start, generated_at FROM reports
           WHERE (%(scope)s::text IS NULL OR scope = %(scope)s) AND (%(period)s::text IS NULL OR period = %(period)s)
             AND body->'countries' <@ %(countries)s
           ORDER BY period_start DESC, scope LIMIT 200""",
        {"scope": args.get("scope"), "period": args.get("period"),
         "countries": Jsonb(sorted(principal.countries))}).fetchall()
    return StoredReports(reports=[
        StoredReport(report_id=row[0], scope=row[1], period=row[2], start=row[3], generated_at=row[4])
        for row in rows])


def stored_report(conn: Connection, principal: Principal, report_id: str, args, category_labels) -> Response:
    fmt = _report_format(args)
    try:
        row = conn.execute("SELECT body, hxl FROM reports WHERE report_id = %s", [UUID(report_id)]).fetchone()
    except ValueError:
        row = None
    if row is None or not set(row[0]["countries"]) <= principal.countries:
        raise ApiError(404, "report_not_found", "No kept report has this id in your scope.")
    report = Report.model_validate(row[0])
    if fmt == "hxl" and _report_table(args) == "callbacks":
        return render_report(report, fmt, category_labels, [], "callbacks")
    if fmt == "hxl":
        return Response(row[1], mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="cfm-report-{report.scope}-{report.period}-'
                                   f'{report.start.isoformat()}-hxl.csv"'})
    return render_report(report, fmt, category_labels, [])
