"""A person asks what we hold about them: a focal point types the number they used, reads a summary of
what is held (their contact, messages, status requests and cases) and downloads the whole of it as JSON to
hand over. Everything comes from intake's `POST /v1/contacts/export` with the focal point's own token:
intake writes every export (and every search that found nobody) to its hash-chained log. The number
travels in forms' bodies only, never in a URL, and the console keeps nothing of the answer."""
import json

from werkzeug.wrappers import Response

from chassis.http import api
from services.console import domain, web
from services.console.frame import parse_time
from services.console.platform_api import Unavailable

EXPORT_ROLES = ("focal_point",)
PHONE_MAX = 32


class ContactExportPages:
    def _export_form(self, session, status=200, *, values=None, errors=None, failure=None, export=None):
        return self._page(session, "contact_export.html", status, values=values or {"country": session.countries[0]},
                          errors=errors or {}, failure=failure, export=export, back_path="/data-protection/export")

    def _exported(self, request, session, now):
        """(intake's export, None) or (None, the form page saying what went wrong)."""
        country = request.form.get("country") or session.countries[0]
        phone = (request.form.get("phone") or "").strip()[:PHONE_MAX]
        values = {"country": country, "phone": phone}
        if country not in session.countries:
            return None, self._export_form(session, 422, values=values, errors={"country": "choose"})
        if not phone:
            return None, self._export_form(session, 422, values=values, errors={"phone": "required"})
        try:
            answer = self.tools.apis.call("intake", "POST", "/v1/contacts/export", token=self._token(session, now),
                                          json={"country": country, "phone": phone})
        except Unavailable:
            # intake, or cases behind it (nothing is exported without the cases): try again, nothing typed is lost.
            return None, self._export_form(session, 503, values=values, failure="unavailable")
        if answer.status == 404:
            return None, self._export_form(session, values=values, failure="contact_not_found")
        if not answer.ok:
            return None, self._export_form(session, 422, values=values, errors={
                "phone": "invalid_phone" if answer.error_code in ("invalid_phone", "validation_failed") else "invalid"})
        return answer.body, None

    @api("GET", "/data-protection/export", public=True)
    def contact_export_form(self, request):
        return self._serve(request, lambda session, now: self._export_form(session), roles=EXPORT_ROLES)

    @api("POST", "/data-protection/export", public=True)
    def contact_export_summary(self, request):
        def view(session, now):
            export, refused = self._exported(request, session, now)
            if refused is not None:
                return refused
            values = {"country": request.form.get("country"), "phone": (request.form.get("phone") or "").strip()}
            held = summary(export, self.timezone_of(values["country"]))
            return self._export_form(session, values=values, export=held)
        return self._serve(request, view, roles=EXPORT_ROLES)

    @api("POST", "/data-protection/export/download", public=True)
    def contact_export_download(self, request):
        """The whole export as a JSON file, asked for afresh (and so logged again by intake): the console
        never keeps an export between two requests."""
        def view(session, now):
            export, refused = self._exported(request, session, now)
            if refused is not None:
                return refused
            return Response(json.dumps(export, ensure_ascii=False, indent=2), mimetype="application/json", headers={
                **web.PAGE_HEADERS,
                "Content-Disposition": f'attachment; filename="contact-export-{int(export["export_id"])}.json"'})
        return self._serve(request, view, roles=EXPORT_ROLES)


def summary(export: dict, timezone: str) -> dict:
    """What the focal point reads before handing the file over: the same facts, dates on the country's clock."""
    at = lambda value: domain.local_time(parse_time(value), timezone)  # noqa: E731
    return {
        "export_id": export["export_id"],
        "exported": at(export["exported_at"]),
        "contact": {key: value for key, value in (export.get("contact") or {}).items() if value},
        "messages": [{**message, "received": at(message["received_at"])} for message in export["messages"]],
        "status_requests": [{**asked, "received": at(asked["received_at"])} for asked in export["status_requests"]],
        "cases": [{**case, "received": at(case.get("received_at"))} for case in export["cases"]],
    }
