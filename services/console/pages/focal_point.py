"""A focal point's day beside the restricted queue: triage of the cases held as possibly sensitive
(confirm, or release to the agents with a reason), the case's referral sent or re-routed to a partner of
its country, and the case's access log. Everything through cases' and referrals' APIs."""
from chassis.http import api
from services.console import domain, web
from services.console.frame import parse_time

FOCAL_POINT = ("focal_point",)


class FocalPointPages:
    @api("GET", "/triage", public=True)
    def triage_queue(self, request):
        def view(session, now):
            answer = self.tools.apis.call("cases", "GET", "/v1/cases", token=self._token(session, now),
                                          params={"restricted": "true", "confirmed": "false", "limit": 50})
            rows = [{**case, "badge": domain.deadline_badge(parse_time(case["next_deadline_at"]),
                                                            case["deadline_state"], self.timezone_of(case["country"]),
                                                            now)}
                    for case in (answer.body.get("cases", []) if answer.ok else [])]
            return self._page(session, "triage.html", rows=rows, failed=not answer.ok)
        return self._serve(request, view, roles=FOCAL_POINT)

    def _triage_page(self, session, now, reference, status=200, errors=(), values=None):
        token = self._token(session, now)
        answer = self.tools.apis.call("cases", "GET", f"/v1/cases/{reference}", token=token)
        if not answer.ok:
            return self._case_not_found(session)
        case = answer.body
        timezone = self.timezone_of(case["country"])
        referrals = self.tools.apis.call("referrals", "GET", "/v1/referrals", token=token,
                                         params={"reference": reference}).body.get("referrals", [])
        partners = self.tools.apis.call("referrals", "GET", "/v1/partners", token=token,
                                        params={"country": case["country"]}).body.get("partners", [])
        opened = next((entry for entry in case["timeline"] if entry["action"] == "opened"), None)
        return self._page(session, "triage_case.html", status, case=case, referrals=referrals, partners=partners,
                          partner_names={partner["id"]: partner["name"] for partner in partners},
                          explanation=(opened or {}).get("detail", {}).get("suggestion", {}).get("explanation", []),
                          local=lambda value: domain.local_time(parse_time(value), timezone),
                          sensitive_categories=sorted(domain.SENSITIVE_CATEGORIES),
                          ordinary_categories=[code for code in domain.CATEGORY_CODES
                                               if code not in domain.SENSITIVE_CATEGORIES],
                          sub_categories=domain.SUB_CATEGORIES, errors=dict(errors), values=values or {},
                          routable=domain.ROUTABLE_REFERRALS)

    @api("GET", "/triage/<reference>", public=True)
    def triage_case(self, request, reference):
        return self._serve(request, lambda session, now: self._triage_page(session, now, reference[:20]),
                           roles=FOCAL_POINT)

    @api("POST", "/triage/<reference>/<decision>", public=True)
    def triage_decision(self, request, reference, decision):
        """confirm (stays restricted, in a sensitive category), release (to the agents, with a reason), or
        route (the case's referral to a partner of its country)."""
        reference = reference[:20]

        def view(session, now):
            body, errors = domain.triage_body(decision, request.form)
            if errors:
                return self._triage_page(session, now, reference, 422, errors, dict(request.form))
            if decision == "route":
                referral_id = body.pop("referral_id")
                answer = self.tools.apis.call("referrals", "POST", f"/v1/referrals/{referral_id}/route",
                                              token=self._token(session, now), json=body)
            else:
                action = "classification" if decision == "confirm" else "release"
                answer = self.tools.apis.call("cases", "POST", f"/v1/cases/{reference}/{action}",
                                              token=self._token(session, now), json=body)
            if not answer.ok:
                return self._triage_page(session, now, reference, 409 if answer.status == 409 else 422,
                                         [(decision, answer.error_code or "invalid")], dict(request.form))
            self.tools.sessions.update(self.db, session, notice=f"done_triage_{decision}")
            # A released case is the agents' now: back to what is left to triage.
            return web.redirect(self.settings, session, "/triage" if decision == "release" else f"/triage/{reference}")
        return self._serve(request, view, roles=FOCAL_POINT)

    @api("GET", "/cases/<reference>/access-log", public=True)
    def access_log(self, request, reference):
        def view(session, now):
            answer = self.tools.apis.call("cases", "GET", f"/v1/cases/{reference[:20]}/access-log",
                                          token=self._token(session, now))
            if not answer.ok:
                return self._case_not_found(session)
            timezone = self.timezone_of(reference[:2].upper())
            return self._page(session, "access_log.html", log=answer.body, action_of=domain.access_log_action,
                              local=lambda value: domain.local_time(parse_time(value), timezone))
        return self._serve(request, view, roles=FOCAL_POINT)
