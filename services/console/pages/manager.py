"""A regional manager's journey: search across their countries with facets, and the weekly and monthly
reports as pages with charts and as files (XLSX, CSV, HXL).

Everything shown comes from reporting, asked with the manager's own token: reporting decides the countries,
leaves restricted cases out of search results, totals and facets, and withholds small counts in tables
about people. The console draws what it gets and never recomputes a count.

The search form is sent by POST, not GET: its free text may name a person or a place someone lives, and a
URL is kept in the browser's history, in bookmarks and in proxies' logs. Facets and pages are buttons of
the same form, so the words typed stay in the request's body from the first page to the last. Report pages
carry only a period, a date and a country in their URL, which name no one, so they stay GET links that can
be bookmarked and shared.
"""
from datetime import date, timedelta
from functools import partial

from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from chassis.http import api
from services.console import charts, domain
from services.console.frame import parse_time
from services.console.i18n import translate
from services.console.platform_api import Answer

# Where a facet's values find their words (a region is a place name, shown as it is).
FACET_LABELS = {"country": "country.", "channel": "channel.", "category_code": "category.", "status": "status.",
                "deadline_state": "deadline.", "region": ""}
REPORT_FORMATS = ("xlsx", "csv", "hxl")
FILE_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


class ManagerPages:
    # --- search ---------------------------------------------------------------------------------------

    @api("GET", "/search", public=True)
    def search_page(self, request):
        return self._serve(request, lambda session, now: self._search(
            session, now, domain.search_from_form(MultiDict(), session.countries)), roles=domain.MANAGER_ROLES)

    @api("POST", "/search", public=True)
    def search_results(self, request):
        return self._serve(request, lambda session, now: self._search(
            session, now, domain.search_from_form(request.form, session.countries)), roles=domain.MANAGER_ROLES)

    def _search(self, session, now, search: domain.Search):
        token = self._token(session, now)
        answer = self.tools.apis.call("reporting", "GET", "/v1/search", token=token, params=search.params())
        if answer.error_code == "invalid_cursor":   # the sort changed under a page's cursor: start again
            search = domain.Search(search.text, search.filters, search.received_from, search.received_to,
                                   search.sort, [])
            answer = self.tools.apis.call("reporting", "GET", "/v1/search", token=token, params=search.params())
        body = answer.body if answer.ok else {}
        facets = body.get("facets", {})
        groups = []
        for name, facet in domain.SEARCH_FILTERS.items():
            counted = {entry["value"]: entry["count"] for entry in facets.get(facet, [])}
            values = [(value, counted.get(value, 0), value in search.filters[name])
                      for value in [*counted, *(chosen for chosen in search.filters[name] if chosen not in counted)]]
            groups.append({"name": name, "labels": FACET_LABELS[name], "values": values})
        rows = [{**hit, "received": domain.local_time(parse_time(hit.get("received_at") or hit["opened_at"]),
                                                      self.timezone_of(hit["country"]))}
                for hit in body.get("results", [])]
        return self._page(session, "search.html", search=search, rows=rows, total=body.get("total", 0),
                          next_cursor=body.get("next_cursor"), groups=groups, sorts=domain.SEARCH_SORTS,
                          failure=None if answer.ok else (answer.error_code or "invalid"),
                          first_result=len(search.cursors) * domain.SEARCH_PAGE_SIZE + 1)

    # --- reports ------------------------------------------------------------------------------------

    @api("GET", "/reports/<period>", public=True)
    def report_page(self, request, period):
        def view(session, now):
            if period not in domain.REPORT_PERIODS:
                return self._page(session, "message.html", 404, title_key="report.not_found",
                                  text_key="report.not_found_text")
            scope = domain.report_scope(request.args.get("scope"), session.countries)
            params = domain.report_params(period, scope, request.args.get("date"), session.countries)
            answer = self.tools.apis.call("reporting", "GET", "/v1/reports", token=self._token(session, now),
                                          params={**params, "format": "json"})
            context = {"period": period, "scope": scope, "scopes": ["region", *sorted(session.countries)],
                       "day": params.get("date", ""), "failure": None, "report": None}
            if not answer.ok:
                return self._page(session, "report.html", 422 if answer.status == 400 else answer.status,
                                  **{**context, "failure": answer.error_code or "invalid"})
            report = answer.body
            start, end = date.fromisoformat(report["start"]), date.fromisoformat(report["end"])
            context.update(report=report, start=start, end=end, day=start.isoformat(),
                           previous_day=(start - timedelta(days=1)).isoformat(),
                           next_day=(end + timedelta(days=1)).isoformat() if end < now.date() - timedelta(days=1)
                           else None,
                           figures=report_figures(report, partial(translate, session.language)))
            return self._page(session, "report.html", **context)
        return self._serve(request, view, roles=domain.MANAGER_ROLES)

    @api("GET", "/reports/<period>/download", public=True)
    def report_download(self, request, period):
        """The report as a file, passed from reporting to the browser as it comes, with the manager's token."""
        def view(session, now):
            fmt = request.args.get("format")
            if period not in domain.REPORT_PERIODS or fmt not in REPORT_FORMATS:
                return self._page(session, "message.html", 404, title_key="report.not_found",
                                  text_key="report.not_found_text")
            scope = domain.report_scope(request.args.get("scope"), session.countries)
            params = domain.report_params(period, scope, request.args.get("date"), session.countries)
            table = {"table": "callbacks"} if fmt == "hxl" and request.args.get("table") == "callbacks" else {}
            got = self.tools.apis.download("reporting", "/v1/reports", token=self._token(session, now),
                                           params={**params, "format": fmt, **table})
            if isinstance(got, Answer):
                return self._page(session, "message.html", 404, title_key="report.not_found",
                                  text_key="report.not_found_text")
            return Response(got.chunks, status=200, content_type=got.content_type, direct_passthrough=True,
                            headers={**FILE_HEADERS, "Content-Disposition": got.disposition})
        return self._serve(request, view, roles=domain.MANAGER_ROLES)


def report_figures(report: dict, t) -> dict:
    """The charts and their tables for one report, labels in the person's language. Counts are
    reporting's, withheld ones (None) included as they are."""
    def label(prefix: str, key: str) -> str:
        if key in ("not_stated", "unclassified", "other"):
            return t(f"report.{key}")
        return t(prefix + key) if prefix else key

    def table(counts: list[dict], prefix: str) -> list[dict]:
        return [{"label": label(prefix, count["key"]), "count": count["count"], "previous": count.get("previous"),
                 "withheld": count.get("suppressed", False)} for count in counts]

    messages = report["messages"]
    channels = table(messages["by_channel"], "channel.")
    categories = table(messages["by_category"], "category.")
    regions = table(messages["by_location"], "")
    shares = [{"label": t(f"report.{kind}"), "share": None if report[kind]["share_within_deadline"] is None
               else round(100 * report[kind]["share_within_deadline"]), **report[kind]}
              for kind in ("acknowledge", "resolve")]
    date_format = "%d/%m" if report["period"] != "month" else "%m/%Y"
    trend_labels = [date.fromisoformat(point["period_start"]).strftime(date_format) for point in report["trend"]]
    return {
        "channels": channels, "channel_chart": charts.bar_chart([(row["label"], row["count"]) for row in channels]),
        "categories": categories,
        "category_chart": charts.bar_chart([(row["label"], row["count"]) for row in categories]),
        "regions": regions, "region_chart": charts.bar_chart([(row["label"], row["count"]) for row in regions]),
        "shares": shares,
        "share_chart": charts.bar_chart([(row["label"], row["share"]) for row in shares], scale_max=100,
                                        text=lambda value: t("report.percent", value=value),
                                        missing_text=t("report.no_deadline")),
        "satisfaction": _satisfaction_figures(report.get("satisfaction"), label, t),
        "trend": [{"label": label_, **point} for label_, point in zip(trend_labels, report["trend"])],
        "trend_chart": charts.line_chart(trend_labels, [
            (t("report.messages"), "messages", [point["messages"] for point in report["trend"]]),
            (t("report.calls"), "calls", [point["calls"] for point in report["trend"]])]),
    }


def _satisfaction_figures(satisfaction: dict | None, label, t) -> dict | None:
    """% satisfied after closure by country, channel and category, as tables; None in an older report.
    A line reporting withheld (1 to 4 answers) keeps its None figures and is marked `withheld`."""
    if satisfaction is None:
        return None

    def percent(share):
        return None if share is None else round(100 * share)
    groups = [{"caption": t(f"satisfaction.by_{what}"), "column": t(f"satisfaction.column_{what}"),
               "rows": [{"label": label(prefix, line["key"]), "answered": line["answered"],
                         "satisfied": line["satisfied"], "percent": percent(line["share_satisfied"]),
                         "withheld": line.get("suppressed", False)}
                        for line in satisfaction[f"by_{what}"]]}
              for what, prefix in (("country", "country."), ("channel", "channel."), ("category", "category."))]
    return {"answered": satisfaction["answered"], "satisfied": satisfaction["satisfied"],
            "percent": percent(satisfaction["share_satisfied"]), "withheld": satisfaction.get("suppressed", False),
            "any_withheld": satisfaction.get("suppressed", False) or any(
                row["withheld"] for group in groups for row in group["rows"]),
            "groups": groups}
