"""A protection partner's referrals: the list of their own (referrals scopes it to the organisation their
token names), one referral with only what acting on it needs, accept or decline with a reason, the
person's contact where they agreed to its being shared (revealed by intake, which logs it), and what
happened in the end (the outcome, once, after accepting)."""
from chassis.http import api
from services.console import domain, web
from services.console.frame import parse_time

PARTNER = ("partner",)


class PartnerPages:
    @api("GET", "/referrals", public=True)
    def referrals(self, request):
        def view(session, now):
            answer = self.tools.apis.call("referrals", "GET", "/v1/referrals", token=self._token(session, now))
            rows = answer.body.get("referrals", []) if answer.ok else []
            return self._page(session, "referrals.html", rows=rows, failed=not answer.ok,
                              local=lambda value, country: domain.local_time(parse_time(value),
                                                                             self.timezone_of(country)))
        return self._serve(request, view, roles=PARTNER)

    def _referral_page(self, session, now, referral_id, status=200, contact=None, errors=()):
        if not domain.is_uuid(referral_id):
            return self._not_found(session)
        answer = self.tools.apis.call("referrals", "GET", f"/v1/referrals/{referral_id}",
                                      token=self._token(session, now))
        if not answer.ok:
            return self._not_found(session)
        referral = answer.body
        timezone = self.timezone_of(referral["country"])
        return self._page(session, "referral.html", status, referral=referral, contact=contact,
                          errors=dict(errors), reasons=domain.DECLINE_REASONS, outcomes=domain.REFERRAL_OUTCOMES,
                          local=lambda value: domain.local_time(parse_time(value), timezone))

    def _not_found(self, session):
        return self._page(session, "message.html", 404, title_key="referral_not_found.title",
                          text_key="referral_not_found.text")

    @api("GET", "/referrals/<referral_id>", public=True)
    def referral(self, request, referral_id):
        return self._serve(request, lambda session, now: self._referral_page(session, now, referral_id[:36]),
                           roles=PARTNER)

    @api("POST", "/referrals/<referral_id>/<answer>", public=True)
    def answer_referral(self, request, referral_id, answer):
        referral_id = referral_id[:36]

        def view(session, now):
            if answer not in ("accept", "decline", "contact", "outcome") or not domain.is_uuid(referral_id):
                return self._not_found(session)
            body = None
            if answer == "decline":
                reason = domain.decline_reason(request.form)
                if reason is None:
                    return self._referral_page(session, now, referral_id, 422, errors=[("reason", "choose")])
                body = {"reason": reason}
            if answer == "outcome":
                body, errors = domain.referral_outcome_body(request.form)
                if errors:
                    return self._referral_page(session, now, referral_id, 422, errors=errors)
            result = self.tools.apis.call("referrals", "POST", f"/v1/referrals/{referral_id}/{answer}",
                                          token=self._token(session, now), json=body)
            if not result.ok:
                if result.status == 404:
                    return self._not_found(session)
                return self._referral_page(session, now, referral_id,
                                           result.status if result.status in (403, 422) else 409,
                                           errors=[(_field_of(answer, result.error_code),
                                                    result.error_code or "invalid")])
            if answer == "contact":
                # Shown once, on this answer to the POST: never in a URL, never kept by the console.
                return self._referral_page(session, now, referral_id, contact=result.body)
            self.tools.sessions.update(self.db, session, notice=f"done_referral_{answer}")
            return web.redirect(self.settings, session, f"/referrals/{referral_id}")
        return self._serve(request, view, roles=PARTNER)


def _field_of(answer: str, error_code: str | None) -> str:
    """Where the page shows referrals' refusal: a wrong date by the date field, anything else by its form."""
    return "on" if error_code == "invalid_outcome_date" else answer
