"""Callback tasks: the people to call back about their case (a message to them never arrived, they cannot be
texted, or the answer needs explaining), soonest due first; the number to call, shown on request; and the
form recording each call's outcome. cases scopes the list and audits each attempt; the number comes from
intake through cases, which logs who asked, and appears only on the page answering that POST (never in a
URL; every console page is sent with Cache-Control: no-store)."""
from chassis.http import api
from services.console import domain, web
from services.console.frame import parse_time

CALLBACK_OUTCOMES = ("reached", "no_answer", "call_dropped", "wrong_number")


class CallbackPages:
    def _callbacks_page(self, session, now, status=200, errors=(), revealed=None):
        answer = self.tools.apis.call("cases", "GET", "/v1/callbacks", token=self._token(session, now))
        return self._page(session, "callbacks.html", status, rows=answer.body.get("callbacks", []) if answer.ok else [],
                          failed=not answer.ok, outcomes=CALLBACK_OUTCOMES, errors=dict(errors),
                          revealed=revealed or {},
                          local=lambda value, country: domain.local_time(parse_time(value),
                                                                         self.timezone_of(country)))

    @api("GET", "/callbacks", public=True)
    def callbacks(self, request):
        return self._serve(request, lambda session, now: self._callbacks_page(session, now), roles=domain.CASE_ROLES)

    @api("POST", "/callbacks/<task_id>/contact", public=True)
    def reveal_callback_contact(self, request, task_id):
        """Show the number to call for one task, on this page only."""
        task_id = task_id[:36]

        def view(session, now):
            if not domain.is_uuid(task_id):
                return self._callbacks_page(session, now, 404)
            result = self.tools.apis.call("cases", "POST", f"/v1/callbacks/{task_id}/contact",
                                          token=self._token(session, now))
            if not result.ok:
                return self._callbacks_page(session, now, 409 if result.status == 409 else 404 if
                                            result.status == 404 else 403,
                                            errors=[(task_id, result.error_code or "invalid")])
            return self._callbacks_page(session, now, revealed={task_id: result.body})
        return self._serve(request, view, roles=domain.CASE_ROLES)

    @api("POST", "/callbacks/<task_id>/attempts", public=True)
    def record_callback_attempt(self, request, task_id):
        task_id = task_id[:36]

        def view(session, now):
            outcome = request.form.get("outcome", "")
            if not domain.is_uuid(task_id):
                return self._callbacks_page(session, now, 404)
            if outcome not in CALLBACK_OUTCOMES:
                return self._callbacks_page(session, now, 422, errors=[(task_id, "choose")])
            result = self.tools.apis.call("cases", "POST", f"/v1/callbacks/{task_id}/attempts",
                                          token=self._token(session, now), json={"outcome": outcome})
            if not result.ok:
                return self._callbacks_page(session, now, 409 if result.status == 409 else 404,
                                            errors=[(task_id, result.error_code or "invalid")])
            self.tools.sessions.update(self.db, session, notice=f"callback_{result.body['state']}")
            return web.redirect(self.settings, session, "/callbacks")
        return self._serve(request, view, roles=domain.CASE_ROLES)
