"""Data protection: a focal point or an admin asks to erase a case or a complainant, another one
approves or declines, and both read the certificate of what was erased where. Everything through
cases' erasure API (`/v1/erasures`) with the person's own token; the four-eyes rule is cases'."""
from uuid import UUID

from chassis.http import api
from services.console import web
from services.console.platform_api import Unavailable

ERASURE_ROLES = ("focal_point", "admin")
SCOPES = ("case", "complainant")
GROUNDS = ("complainant_request", "consent_withdrawn", "unlawful_processing", "other")
DECISIONS = {"approve", "decline"}


class DataProtectionPages:
    def _erasures_page(self, session, now, status=200, values=None, errors=(), failure=None):
        try:
            answer = self.tools.apis.call("cases", "GET", "/v1/erasures", token=self._token(session, now))
        except Unavailable:
            answer = None
        erasures = answer.body.get("erasures", []) if answer is not None and answer.ok else []
        return self._page(session, "data_protection.html", status, erasures=erasures, failed=answer is None,
                          values=values or {"scope": "case"}, errors=dict(errors), failure=failure,
                          scopes=SCOPES, grounds=GROUNDS, back_path="/data-protection")

    @api("GET", "/data-protection", public=True)
    def data_protection(self, request):
        return self._serve(request, lambda session, now: self._erasures_page(session, now), roles=ERASURE_ROLES)

    @api("POST", "/data-protection/requests", public=True)
    def request_erasure(self, request):
        def view(session, now):
            values = {key: request.form.get(key, "").strip() for key in ("reference", "scope", "ground")}
            errors = [(field, "required") for field in ("reference",) if not values[field]]
            if values["scope"] not in SCOPES:
                errors.append(("scope", "required"))
            if values["ground"] not in GROUNDS:
                errors.append(("ground", "required"))
            if errors:
                return self._erasures_page(session, now, 422, values, errors)
            try:
                answer = self.tools.apis.call("cases", "POST", "/v1/erasures", token=self._token(session, now),
                                              json={**values, "reference": values["reference"].upper()[:20]})
            except Unavailable:
                return self._erasures_page(session, now, 503, values, failure="unavailable")
            if not answer.ok:
                return self._erasures_page(session, now, 422, values, [("reference", answer.error_code or "invalid")],
                                           failure=answer.error_code)
            self.tools.sessions.update(self.db, session, notice="erasure_requested")
            return web.redirect(self.settings, session, "/data-protection")
        return self._serve(request, view, roles=ERASURE_ROLES)

    @api("POST", "/data-protection/<erasure_id>/<decision>", public=True)
    def decide_erasure(self, request, erasure_id, decision):
        def view(session, now):
            if decision not in DECISIONS or not _is_uuid(erasure_id):
                return self._page(session, "message.html", 404, title_key="erasure_not_found.title",
                                  text_key="erasure_not_found.text")
            try:
                answer = self.tools.apis.call("cases", "POST", f"/v1/erasures/{erasure_id}/{decision}",
                                              token=self._token(session, now))
            except Unavailable:
                return self._erasures_page(session, now, 503, failure="unavailable")
            if not answer.ok:
                return self._erasures_page(session, now, 409 if answer.status in (403, 409) else 422,
                                           failure=answer.error_code or "invalid")
            self.tools.sessions.update(self.db, session, notice=f"erasure_{decision}d")
            return web.redirect(self.settings, session, f"/data-protection/{erasure_id}")
        return self._serve(request, view, roles=ERASURE_ROLES)

    @api("GET", "/data-protection/<erasure_id>", public=True)
    def erasure_certificate(self, request, erasure_id):
        def view(session, now):
            answer = None
            if _is_uuid(erasure_id):
                try:
                    answer = self.tools.apis.call("cases", "GET", f"/v1/erasures/{erasure_id}/certificate",
                                                  token=self._token(session, now))
                except Unavailable:
                    return self._erasures_page(session, now, 503, failure="unavailable")
            if answer is None or not answer.ok:
                return self._page(session, "message.html", 404, title_key="erasure_not_found.title",
                                  text_key="erasure_not_found.text")
            return self._page(session, "erasure_certificate.html", certificate=answer.body,
                              back_path=f"/data-protection/{erasure_id}")
        return self._serve(request, view, roles=ERASURE_ROLES)


def _is_uuid(value: str) -> bool:
    try:
        UUID(value)
    except ValueError:
        return False
    return True
