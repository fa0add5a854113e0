"""A supervisor's day: the deadline board, moving several cases to another agent or team at once, the alerts
sent to the supervisors on duty, and the weekly quality review of a sample of each agent's closed cases.

Everything shown comes from the cases and notifications APIs with the supervisor's own token: a restricted
case is left out by the cases service itself, so no count here can hint at one."""
from chassis.http import api
from services.console import domain, web
from services.console.frame import parse_time

SUPERVISORS = ("supervisor",)


class SupervisorPages:
    def _staff(self, session, now) -> list[dict]:
        """The case workers of the supervisor's countries, from identity: people are shown by name, not id.
        Without an answer the pages still work, showing ids."""
        answer = self.tools.apis.call("identity", "GET", "/v1/staff", token=self._token(session, now))
        return answer.body.get("staff", []) if answer.ok else []

    def _names(self, session, now) -> dict[str, str]:
        return {person["user_id"]: person["display_name"] for person in self._staff(session, now)}

    # --- the deadline board ---------------------------------------------------------------------------

    @api("GET", "/board", public=True)
    def board(self, request):
        def view(session, now):
            answer = self.tools.apis.call("cases", "GET", "/v1/cases/deadline-board", token=self._token(session, now))
            countries = []
            for board in answer.body.get("countries", []) if answer.ok else []:
                timezone = self.timezone_of(board["country"])
                countries.append({**board, "as_of": domain.local_time(parse_time(answer.body["as_of"]), timezone),
                                  "tables": [(column, board["by_team" if column == "team" else "by_agent"])
                                             for column in ("team", "assignee")]})
            return self._page(session, "board.html", countries=countries, failed=not answer.ok,
                              link=domain.board_link, names=self._names(session, now))
        return self._serve(request, view, roles=SUPERVISORS)

    # --- reassigning one or many ------------------------------------------------------------------------

    def _reassign_page(self, session, now, args, status=200, outcomes=None, errors=(), values=None):
        params = domain.list_params(args)
        answer = self.tools.apis.call("cases", "GET", "/v1/cases", token=self._token(session, now), params=params)
        rows = [{**case, "badge": domain.deadline_badge(parse_time(case["next_deadline_at"]), case["deadline_state"],
                                                        self.timezone_of(case["country"]), now)}
                for case in (answer.body.get("cases", []) if answer.ok else [])]
        staff = self._staff(session, now)
        return self._page(session, "reassign.html", status, rows=rows, filters=params, failed=not answer.ok,
                          staff=[person for person in staff if person["role"] == "agent"],
                          names={person["user_id"]: person["display_name"] for person in staff},
                          outcomes=outcomes, errors=dict(errors), values=values or {},
                          query={key: value for key, value in params.items() if key != "limit"})

    @api("GET", "/reassign", public=True)
    def reassign_list(self, request):
        return self._serve(request, lambda session, now: self._reassign_page(session, now, request.args),
                           roles=SUPERVISORS)

    @api("POST", "/reassign", public=True)
    def reassign(self, request):
        def view(session, now):
            # The list's filters travel in hidden fields, so that the page comes back on the same list.
            body, errors = domain.reassignment_body(request.form)
            if errors:
                return self._reassign_page(session, now, request.form, 422, errors=errors, values=request.form)
            answer = self.tools.apis.call("cases", "POST", "/v1/cases/assignments", token=self._token(session, now),
                                          json=body)
            if not answer.ok:
                return self._reassign_page(session, now, request.form, 422, values=request.form,
                                           errors=[("form", answer.error_code or "invalid")])
            return self._reassign_page(session, now, request.form, outcomes=answer.body["results"])
        return self._serve(request, view, roles=SUPERVISORS)

    # --- alerts ---------------------------------------------------------------------------------------

    @api("GET", "/alerts", public=True)
    def alerts(self, request):
        def view(session, now):
            alerts, failed = [], False
            for country in session.countries:
                answer = self.tools.apis.call("notifications", "GET", "/v1/alerts",
                                              token=self._token(session, now), params={"country": country})
                failed |= not answer.ok
                timezone = self.timezone_of(country)
                alerts += [{**alert, "due": domain.local_time(parse_time(alert["due_at"]), timezone),
                            "alerted": domain.local_time(parse_time(alert["alerted_at"]), timezone)}
                           for alert in (answer.body.get("alerts", []) if answer.ok else [])]
            alerts.sort(key=lambda alert: alert["alerted_at"], reverse=True)
            return self._page(session, "alerts.html", alerts=alerts, failed=failed)
        return self._serve(request, view, roles=SUPERVISORS)

    # --- quality control ------------------------------------------------------------------------------

    def _week_args(self, session, args) -> dict:
        country = (args.get("country") or "").upper()
        params = {"country": country if country in session.countries else session.countries[0]}
        if args.get("week"):
            params["week"] = args["week"][:10]
        return params

    @api("GET", "/quality", public=True)
    def quality(self, request):
        def view(session, now):
            params = self._week_args(session, request.args)
            answer = self.tools.apis.call("cases", "GET", "/v1/quality/sample", token=self._token(session, now),
                                          params=params)
            sample = answer.body if answer.ok else None
            timezone = self.timezone_of(params["country"])
            previous = None
            if sample:
                sample["cases"] = [{**case, "closed": domain.local_time(parse_time(case["closed_at"]), timezone)}
                                   for case in sample["cases"]]
                previous = domain.previous_week(sample["week_start"])
            return self._page(session, "quality.html", 200 if answer.ok else 422, sample=sample, params=params,
                              names=self._names(session, now),
                              previous=previous, failure=None if answer.ok else answer.error_code)
        return self._serve(request, view, roles=SUPERVISORS)

    def _review_page(self, session, now, reference, week, status=200, errors=(), values=None):
        answer = self.tools.apis.call("cases", "GET", f"/v1/cases/{reference}", token=self._token(session, now))
        if not answer.ok:
            return self._case_not_found(session)
        case = answer.body
        timezone = self.timezone_of(case["country"])
        if values is None:  # a case reviewed before: its review, to change
            values = self._earlier_review(session, now, case, week)
        return self._page(session, "review.html", status, case=case, week=week, errors=dict(errors),
                          values=values, scores=domain.REVIEW_SCORES,
                          local=lambda value: domain.local_time(parse_time(value), timezone))

    def _earlier_review(self, session, now, case, week) -> dict:
        answer = self.tools.apis.call("cases", "GET", "/v1/quality/sample", token=self._token(session, now),
                                      params={"country": case["country"], **({"week": week} if week else {})})
        sampled = next((each for each in answer.body.get("cases", []) if each["reference"] == case["reference"]),
                       None) if answer.ok else None
        review = sampled and sampled.get("review")
        return {"score": str(review["score"]), "comment": review["comment"] or ""} if review else {}

    @api("GET", "/quality/<reference>", public=True)
    def review(self, request, reference):
        return self._serve(request, lambda session, now: self._review_page(
            session, now, reference[:20], (request.args.get("week") or "")[:10]), roles=SUPERVISORS)

    @api("POST", "/quality/<reference>", public=True)
    def submit_review(self, request, reference):
        def view(session, now):
            week = (request.form.get("week") or "")[:10]
            body, errors = domain.review_body(request.form)
            if errors:
                return self._review_page(session, now, reference[:20], week, 422, errors, request.form)
            answer = self.tools.apis.call("cases", "POST", f"/v1/quality/reviews/{reference[:20]}",
                                          token=self._token(session, now), json=body)
            if not answer.ok:
                return self._review_page(session, now, reference[:20], week, 422,
                                         [("form", answer.error_code or "invalid")], request.form)
            self.tools.sessions.update(self.db, session, notice="review_saved")
            country = reference[:2].upper()
            return web.redirect(self.settings, session, "/quality?" + domain.urlencode(
                {"country": country, **({"week": week} if week else {})}))
        return self._serve(request, view, roles=SUPERVISORS)
