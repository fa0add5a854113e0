"""User administration, for admins, through identity's API: invite, change a role and countries, disable
and enable, a new password link, a new second factor; and each account's log. Identity decides who may
manage whom (an admin's own countries; never their own account); the console only asks."""
from chassis.http import api
from services.console import domain, web
from services.console.frame import parse_time

ADMIN_ROLES = ("admin",)
USER_ACTIONS = {"access", "disable", "enable", "reset-link", "reset-second-factor"}


class UserPages:
    def _users(self, session, now) -> list[dict] | None:
        answer = self.tools.apis.call("identity", "GET", "/v1/users", token=self._token(session, now))
        return answer.body.get("users", []) if answer.ok else None

    def _users_page(self, session, now, status=200, values=None, errors=(), failure=None):
        return self._page(session, "users.html", status, users=self._users(session, now), roles=domain.ROLES,
                          values=values or {"countries": list(session.countries)}, errors=dict(errors),
                          failure=failure, local=lambda value: parse_time(value).strftime("%d/%m/%Y"))

    @api("GET", "/users", public=True)
    def users(self, request):
        return self._serve(request, lambda session, now: self._users_page(session, now), roles=ADMIN_ROLES)

    def _link_page(self, session, answer, purpose: str):
        """The one-time link, shown once: identity keeps only its hash."""
        return self._page(session, "account_link.html", purpose=purpose, user=answer.body["user"],
                          link=answer.body["link"],
                          expires=parse_time(answer.body["expires_at"]).strftime("%d/%m/%Y %H:%M"))

    @api("POST", "/users", public=True)
    def invite_user(self, request):
        def view(session, now):
            values = {name: request.form.get(name, "") for name in ("username", "display_name", "role", "org")}
            values["countries"] = request.form.getlist("countries")
            body, errors = domain.invitation_from_form(request.form, session.countries)
            if errors:
                return self._users_page(session, now, 422, values, errors)
            answer = self.tools.apis.call("identity", "POST", "/v1/users", token=self._token(session, now), json=body)
            if not answer.ok:
                errors = [(field.split(".")[0], "validation_failed") for field in answer.error_fields if field]
                if answer.error_code == "username_taken":
                    errors = [("username", "username_taken")]
                return self._users_page(session, now, 409 if answer.status == 409 else 422, values, errors,
                                        failure=answer.error_code)
            return self._link_page(session, answer, "invitation")
        return self._serve(request, view, roles=ADMIN_ROLES)

    def _user_page(self, session, now, user_id: str, status=200, errors=(), failure=None):
        answer = self.tools.apis.call("identity", "GET", f"/v1/users/{user_id}", token=self._token(session, now))
        user = answer.body if answer.ok else None
        if user is None:
            return self._page(session, "message.html", 404, title_key="user_not_found.title",
                              text_key="user_not_found.text")
        log = self.tools.apis.call("identity", "GET", "/v1/audit", token=self._token(session, now),
                                   params={"user": user_id})
        return self._page(session, "user.html", status, user=user, roles=domain.ROLES, errors=dict(errors),
                          failure=failure, events=log.body.get("events", [])[:50] if log.ok else [],
                          own_account=user_id == session.subject,
                          utc=lambda value: parse_time(value).strftime("%d/%m/%Y %H:%M"))

    @api("GET", "/users/<uuid:user_id>", public=True)
    def user(self, request, user_id):
        return self._serve(request, lambda session, now: self._user_page(session, now, str(user_id)),
                           roles=ADMIN_ROLES)

    @api("POST", "/users/<uuid:user_id>/<action>", public=True)
    def user_action(self, request, user_id, action):
        def view(session, now):
            if action not in USER_ACTIONS:
                return self._page(session, "message.html", 404, title_key="user_not_found.title",
                                  text_key="user_not_found.text")
            body = None
            if action == "access":
                body, errors = domain.access_from_form(request.form, session.countries)
                if errors:
                    return self._user_page(session, now, str(user_id), 422, errors)
            answer = self.tools.apis.call("identity", "POST", f"/v1/users/{user_id}/{action}",
                                          token=self._token(session, now), json=body)
            if not answer.ok:
                return self._user_page(session, now, str(user_id), 404 if answer.status == 404 else 422,
                                       failure=answer.error_code or "invalid")
            if action == "reset-link":
                return self._link_page(session, answer, "reset")
            self.tools.sessions.update(self.db, session, notice=f"user_{action.replace('-', '_')}")
            return web.redirect(self.settings, session, f"/users/{user_id}")
        return self._serve(request, view, roles=ADMIN_ROLES)
