"""What the retention job would delete or anonymise now in one country, service by service: each
service's own `GET /admin/retention/preview` (the dry run `make retention-preview` prints), read with the
admin's or operator's token and shown as one table. Counts, periods and dates only; a service that does
not answer is listed as unavailable, never left out, so a missing line is never read as "nothing due"."""
import logging

import eventlet

from chassis.http import api
from services.console import domain
from services.console.frame import parse_time
from services.console.platform_api import Unavailable

log = logging.getLogger(__name__)

# The services asked over HTTP, then the console itself (its own outbox and processed messages).
PREVIEWED_SERVICES = (*domain.WATCHED_SERVICES, "console")


class RetentionPages:
    def _service_retention(self, service: str, country: str, token: str) -> dict:
        if service == self.name:
            try:
                answer = self.retention_preview(country, sees_restricted=False).model_dump(mode="json")
            except Exception as exc:  # our own database away: the page still shows every other service
                log.warning("retention preview failed", extra={"service": service, "reason": type(exc).__name__})
                answer = None
            return retention_lines(service, answer, self.timezone_of(country))
        try:
            answer = self.tools.apis.call(service, "GET", "/admin/retention/preview", token=token,
                                          params={"country": country})
        except Unavailable:
            answer = None
        return retention_lines(service, answer.body if answer is not None and answer.ok else None,
                               self.timezone_of(country))

    @api("GET", "/data-protection/retention", public=True)
    def retention_preview_page(self, request):
        def view(session, now):
            country = (request.args.get("country") or session.countries[0]).upper()
            if country not in session.countries:
                return self._page(session, "message.html", 404, title_key="retention.not_found.title",
                                  text_key="retention.not_found.text")
            token = self._token(session, now)
            pool = eventlet.GreenPool(len(PREVIEWED_SERVICES))
            services = list(pool.imap(lambda name: self._service_retention(name, country, token), PREVIEWED_SERVICES))
            return self._page(session, "retention.html", country=country, services=services,
                              now=domain.local_time(now, self.timezone_of(country)),
                              back_path=f"/data-protection/retention?country={country}")
        return self._serve(request, view, roles=domain.OPS_ROLES)


def retention_lines(service: str, answer: dict | None, timezone: str) -> dict:
    """One service's part of the table: its kinds, each with the rows due, the period in force and the
    date before which rows are due (on the country's clock); `available` False when it did not answer."""
    if answer is None:
        return {"name": service, "available": False, "kinds": []}
    return {"name": service, "available": True, "kinds": [{
        "kind": row["kind"], "all_countries": row["country"] is None, "rows": row["rows"],
        "withheld": row.get("withheld", False), "period_days": row["period_days"],
        "before": domain.local_time(parse_time(row["cutoff"]), timezone)[:10]} for row in answer.get("kinds", [])]}
