"""A hotline agent's day: taking a call, the queues, and a case's page with its actions."""
from datetime import timedelta

from chassis.http import api
from services.console import domain, web
from services.console.frame import parse_time
from services.console.i18n import translate
from services.console.platform_api import Unavailable

CASE_ACTIONS = {"notes", "classification", "assignment", "status", "resolve", "close"}
STATUS_MOVES = ("acknowledged", "in_progress", "waiting_for_complainant")
# intake's field names where the call form's differ, to show its refusals against the right field
FORM_FIELDS = {"phone": "caller_phone", "name": "caller_name", "place": "place_said", "adm1": "place_code",
               "adm2": "place_code", "adm3": "place_code"}
SCRIPT_KEYS = ("call.consent_script", "call.script.consent_callback", "call.script.consent_share")
PLACES_KEPT = timedelta(minutes=10)   # a country's gazetteer changes with its configuration, rarely


class CasePages:
    # --- taking a call --------------------------------------------------------------------------------

    def _places(self, session, now) -> dict[str, list[dict]]:
        """Each of the person's countries' places, from intake (kept a few minutes); none while it is down."""
        kept = self.tools.places
        for country in session.countries:
            if country in kept and now - kept[country][0] < PLACES_KEPT:
                continue
            try:
                answer = self.tools.apis.call("intake", "GET", "/v1/places", token=self._token(session, now),
                                              params={"country": country})
            except Unavailable:
                continue
            if answer.ok:
                kept[country] = (now, answer.body.get("places", []))
        return {country: kept[country][1] if country in kept else [] for country in session.countries}

    def _call_form(self, session, now, status=200, values=None, errors=(), failure=None):
        places = self._places(session, now)
        return self._page(session, "call.html", status, values=values or {"country": session.countries[0]},
                          errors=dict(errors), failure=failure, sexes=domain.SEXES, age_groups=domain.AGE_GROUPS,
                          place_groups=[(country, domain.place_groups(places[country])) for country in places],
                          scripts={language: {key: translate(language, key) for key in SCRIPT_KEYS}
                                   for language in domain.LANGUAGES})

    @api("GET", "/calls/new", public=True)
    def new_call(self, request):
        return self._serve(request, lambda session, now: self._call_form(session, now), roles=domain.CASE_ROLES)

    @api("POST", "/calls", public=True)
    def record_call(self, request):
        def view(session, now):
            values = {key: request.form.get(key, "") for key in request.form}
            submission, errors = domain.feedback_from_form(request.form, session.countries, self.settings.hotlines,
                                                           self._places(session, now))
            if errors:
                return self._call_form(session, now, 422, values, errors)
            try:
                answer = self.tools.apis.call("intake", "POST", "/v1/feedback", token=self._token(session, now),
                                              json=submission)
            except Unavailable:
                return self._call_form(session, now, 503, values, failure="unavailable")
            if not answer.ok:
                fields = [field.split(".")[-1] for field in answer.error_fields]
                errors = [(FORM_FIELDS.get(field, field), answer.error_code)
                          for field in fields] or [("form", answer.error_code)]
                return self._call_form(session, now, 422, values, errors, failure=answer.error_code)
            return web.redirect(self.settings, session, f"/calls/recorded/{answer.body['reference']}")
        return self._serve(request, view, roles=domain.CASE_ROLES)

    @api("GET", "/calls/recorded/<reference>", public=True)
    def call_recorded(self, request, reference):
        return self._serve(request, lambda session, now: self._page(
            session, "call_recorded.html", reference=reference[:20]), roles=domain.CASE_ROLES)

    # --- queues and cases ---------------------------------------------------------------------------

    def _queue(self, request, restricted_only: bool):
        def view(session, now):
            filters = {"status": request.args.get("status") or None,
                       "deadline_state": request.args.get("deadline_state") or None}
            if filters["status"] not in (None, *domain.QUEUE_STATUSES):
                filters["status"] = None
            if filters["deadline_state"] not in (None, "ok", "warning", "breached"):
                filters["deadline_state"] = None
            view_name = "mine" if request.args.get("mine") == "yes" else request.args.get("view") or "all"
            if view_name not in domain.QUEUE_VIEWS or restricted_only:
                view_name = "all"
            filters["view"] = view_name
            params = {key: value for key, value in filters.items() if value and key != "view"}
            params.update(domain.QUEUE_VIEWS[view_name])
            if view_name == "mine":
                params["assignee"] = session.subject
            params["limit"] = 50
            if restricted_only:
                params["restricted"] = "true"
            answer = self.tools.apis.call("cases", "GET", "/v1/cases", token=self._token(session, now),
                                          params=params)
            cases = answer.body.get("cases", []) if answer.ok else []
            rows = [{**case, "badge": domain.deadline_badge(
                        parse_time(case["next_deadline_at"]), case["deadline_state"],
                        self.timezone_of(case["country"]), now)} for case in cases]
            return self._page(session, "queue.html", rows=rows, filters=filters, restricted_only=restricted_only,
                              statuses=domain.QUEUE_STATUSES, views=domain.QUEUE_VIEWS, failed=not answer.ok)
        return view

    @api("GET", "/cases", public=True)
    def queue(self, request):
        return self._serve(request, self._queue(request, False), roles=domain.CASE_ROLES)

    @api("GET", "/restricted", public=True)
    def restricted_queue(self, request):
        return self._serve(request, self._queue(request, True), roles=("focal_point",))

    def _case_page(self, session, now, reference, status=200, errors=(), values=None, failure=None):
        answer = self.tools.apis.call("cases", "GET", f"/v1/cases/{reference}", token=self._token(session, now))
        if not answer.ok:
            return self._case_not_found(session)
        case = answer.body
        timezone = self.timezone_of(case["country"])
        deadlines = [{**deadline, "badge": domain.deadline_badge(parse_time(deadline["due_at"]), case["deadline_state"]
                                                                if not deadline["settled_at"] else "ok", timezone, now)}
                     for deadline in case["deadlines"]]
        return self._page(session, "case.html", status, case=case, deadlines=deadlines, timezone=timezone,
                          centre_names=self._centre_names(session, now, case),
                          local=lambda value: domain.local_time(parse_time(value), timezone),
                          categories=domain.CATEGORY_CODES, sensitive_categories=domain.SENSITIVE_CATEGORIES,
                          sub_categories=domain.SUB_CATEGORIES, status_moves=STATUS_MOVES,
                          response_channels=domain.RESPONSE_CHANNELS, errors=dict(errors), values=values or {},
                          failure=failure)

    def _centre_names(self, session, now, case) -> dict[str, dict[str, str]]:
        """The names by language of the reception centres of the case's country, when the case has an
        appointment to show (one more call to cases only then)."""
        if not any(entry["action"].startswith("appointment_") for entry in case["timeline"]):
            return {}
        answer = self.tools.apis.call("cases", "GET", "/v1/centres", token=self._token(session, now),
                                      params={"country": case["country"]})
        return {centre["id"]: centre["name"] for centre in answer.body.get("centres", [])} if answer.ok else {}

    @api("GET", "/cases/<reference>", public=True)
    def case(self, request, reference):
        return self._serve(request, lambda session, now: self._case_page(session, now, reference[:20]),
                           roles=domain.CASE_ROLES)

    @api("POST", "/cases/<reference>/<action>", public=True)
    def case_action(self, request, reference, action):
        def view(session, now):
            if action not in CASE_ACTIONS:
                return self._case_not_found(session)
            body, errors = domain.case_action_body(action, request.form, session.subject)
            if errors:
                return self._case_page(session, now, reference[:20], 422, errors, dict(request.form))
            answer = self.tools.apis.call("cases", "POST", f"/v1/cases/{reference[:20]}/{action}",
                                          token=self._token(session, now), json=body)
            if answer.ok:
                self.tools.sessions.update(self.db, session, notice=f"done_{action}")
                return web.redirect(self.settings, session, f"/cases/{reference[:20]}")
            if answer.status == 404:
                # Classified into a sensitive category, the case left this person's sight: say so without
                # showing it again.
                return self._case_not_found(session)
            return self._case_page(session, now, reference[:20], 409 if answer.status == 409 else 422,
                                   [(action, answer.error_code or "invalid")], dict(request.form),
                                   failure=answer.error_code)
        return self._serve(request, view, roles=domain.CASE_ROLES)


