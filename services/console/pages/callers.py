"""A caller on the line: their earlier cases found by the phone number they give, and the answer to
"where is my case?" by the reference they were given. The number goes in a form's body only (never a URL);
intake logs each look-up, and cases decides which of the cases found this person may open."""
from chassis.http import api
from services.console import domain
from services.console.frame import parse_time

REFERENCE_MAX = 40   # as typed, with spaces


class CallerPages:
    def _cases_of_caller(self, session, now, country: str, phone: str):
        """(the cases of whoever has this number that this person may open, newest first; intake's error
        code or None). Intake finds the person and logs the look-up; cases lists their cases under its own
        scoping, so a restricted case stays hidden, even by its reference, from whoever may not open it."""
        answer = self.tools.apis.call("intake", "POST", "/v1/contacts/lookup", token=self._token(session, now),
                                      json={"country": country, "phone": phone})
        if not answer.ok:
            return None, answer.error_code or "invalid"
        if not answer.body.get("contact_ref"):
            return [], None
        listed = self.tools.apis.call("cases", "GET", "/v1/cases", token=self._token(session, now),
                                      params={"contact_ref": answer.body["contact_ref"], "limit": 50})
        cases = sorted(listed.body.get("cases", []) if listed.ok else [],
                       key=lambda case: case["received_at"], reverse=True)
        return [{**case, "received": domain.local_time(parse_time(case["received_at"]),
                                                       self.timezone_of(case["country"]))} for case in cases], None

    @api("GET", "/callers", public=True)
    def caller_lookup_form(self, request):
        return self._serve(request, lambda session, now: self._page(
            session, "callers.html", values={"country": session.countries[0]}, cases=None, errors={}),
            roles=domain.CASE_ROLES)

    @api("POST", "/callers", public=True)
    def look_up_caller(self, request):
        """The look-up page's form, or the call form's "earlier cases" button (htmx takes the list from
        this page), whose fields are named caller_phone and country."""
        def view(session, now):
            country = request.form.get("country") or session.countries[0]
            phone = (request.form.get("phone") or request.form.get("caller_phone") or "").strip()
            values = {"country": country}
            if country not in session.countries:
                return self._page(session, "callers.html", 422, values=values, cases=None,
                                  errors={"country": "choose"})
            if not phone:
                return self._page(session, "callers.html", 422, values=values, cases=None,
                                  errors={"phone": "required"})
            cases, error = self._cases_of_caller(session, now, country, phone)
            if error:
                return self._page(session, "callers.html", 422, values=values, cases=None,
                                  errors={"phone": "invalid_phone" if error == "invalid_phone" else "invalid"})
            return self._page(session, "callers.html", values=values, cases=cases, errors={})
        return self._serve(request, view, roles=domain.CASE_ROLES)

    # --- "where is my case?" -----------------------------------------------------------------------------

    @api("GET", "/status-request", public=True)
    def status_request_form(self, request):
        return self._serve(request, lambda session, now: self._page(
            session, "status_request.html", values={"country": session.countries[0]}, told=None, errors={}),
            roles=domain.CASE_ROLES)

    @api("POST", "/status-request", public=True)
    def answer_status_request(self, request):
        def view(session, now):
            typed = (request.form.get("reference") or "").strip()[:REFERENCE_MAX]
            reference = domain.case_reference(typed)
            phone = (request.form.get("phone") or "").strip()
            values = {"reference": reference or typed, "country": session.countries[0]}
            if not typed:
                return self._page(session, "status_request.html", 422, values=values, told=None,
                                  errors={"reference": "required"})
            answer = self.tools.apis.call("cases", "GET", f"/v1/cases/{reference}", token=self._token(session, now)) \
                if reference else None
            if answer is None or not answer.ok:
                # Missing, out of this person's sight or restricted: one neutral answer for all three.
                return self._page(session, "status_request.html", values=values, told=None, errors={},
                                  unknown=True)
            case = answer.body
            timezone = self.timezone_of(case["country"])
            told = domain.status_for_caller(case)
            told["received"] = domain.local_time(parse_time(case["received_at"]), timezone)
            told["due"] = domain.local_time(parse_time(told["answer_by"]), timezone)
            # Is it their case? Their number against the case's contact, through intake's logged look-up.
            owner = None
            if phone:
                cases, error = self._cases_of_caller(session, now, case["country"], phone)
                owner = "unreadable" if error else "yes" if case["reference"] in {c["reference"] for c in cases} \
                    else "no"
            return self._page(session, "status_request.html", values=values, told=told, case=case, owner=owner,
                              errors={})
        return self._serve(request, view, roles=domain.CASE_ROLES)
