"""The console's entrypoints: server-rendered pages for people signed in through identity. Every page
reads and writes through the other services' HTTP APIs with the person's own token; the console keeps
sessions and nothing of the cases."""
from datetime import UTC, datetime

from nameko.extensions import DependencyProvider

from chassis.http import api
from chassis.server import client_address, trusted_networks
from chassis.service import PlatformService
from chassis.timers import SettingsTimer
from services.console import domain, web
from services.console.handlers import Sessions, SignedOut
from services.console.platform_api import PlatformApis, Unavailable
from services.console.settings import ConsoleSettings

STEP_PAGES = {"totp": "/sign-in/totp", "enrol_totp": "/sign-in/enrol", "accept_conduct": "/sign-in/conduct"}
CASE_ACTIONS = {"notes", "classification", "assignment", "status", "resolve", "close"}
STATUS_MOVES = ("acknowledged", "in_progress", "waiting_for_complainant")


class ConsoleTools(DependencyProvider):
    """The sessions keeper and the other services' APIs, made once at start-up."""

    def setup(self):
        settings = self.container.config["SETTINGS"]
        self.apis = PlatformApis(settings.apis)
        self.sessions = Sessions(settings, self.apis)
        self.trusted_proxies = trusted_networks(settings.http.trusted_proxies)

    def get_dependency(self, worker_ctx):
        return self


class ConsoleService(PlatformService):
    name = "console"
    tools = ConsoleTools()

    # --- the frame every page goes through -----------------------------------------------------------

    def _serve(self, request, view, *, signed_in: bool = True, roles: tuple[str, ...] | None = None):
        now = datetime.now(UTC)
        sessions = self.tools.sessions
        try:
            session = sessions.find(self.db, request.cookies.get(web.cookie_name(self.settings)), now)
            if request.method == "POST":
                given = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token")
                if not sessions.csrf_valid(session, given):
                    return self._restart(request, now, "form_expired")
            if signed_in:
                if session is None or not session.signed_in:
                    raise SignedOut("sign_in_first" if session is None else "signed_out")
                if roles and session.role not in roles:
                    return web.page(self.settings, session, "message.html", 403, title_key="forbidden.title",
                                    text_key="forbidden.text", notice=None)
                sessions.touch(self.db, session, now)
            return view(session, now)
        except SignedOut as out:
            return self._restart(request, now, out.notice)
        except Unavailable:
            return web.page(self.settings, locals().get("session"), "message.html", 503,
                            title_key="unavailable.title", text_key="unavailable.text", notice=None,
                            language=domain.language_from_header(request.headers.get("Accept-Language")))

    def _restart(self, request, now, notice: str):
        """To the sign-in page, on a fresh session that carries why."""
        session = self.tools.sessions.start(self.db, domain.language_from_header(
            request.headers.get("Accept-Language")), now)
        self.tools.sessions.update(self.db, session, notice=notice)
        return web.redirect(self.settings, session, "/sign-in")

    def _token(self, session, now) -> str:
        return self.tools.sessions.access_token(self.db, session, now)

    def _page(self, session, template, status=200, **context):
        context.setdefault("notice", self.tools.sessions.take_notice(self.db, session) if session else None)
        return web.page(self.settings, session, template, status, **context)

    def _after_sign_in_step(self, session, answer):
        """Where identity's answer to a sign-in step leads."""
        if answer.error_code in ("challenge_not_valid", "wrong_step"):
            raise SignedOut("challenge_expired")   # the sign-in took too long: start again
        if not answer.ok:
            return None
        session = self.tools.sessions.sign_in_answer(self.db, session, answer, datetime.now(UTC))
        if session.recovery_codes:
            return web.redirect(self.settings, session, "/sign-in/recovery-codes")
        if session.signed_in:
            return web.redirect(self.settings, session, domain.home_of(session.role))
        return web.redirect(self.settings, session, STEP_PAGES[session.next_step])

    # --- static files and health -------------------------------------------------------------------

    @api("GET", "/static/<name>", public=True)
    def static(self, request, name):
        return web.static_file(name)

    @api("GET", "/", public=True)
    def home(self, request):
        return self._serve(request, lambda session, now: web.redirect(self.settings, session,
                                                                       domain.home_of(session.role)))

    # --- sign-in ----------------------------------------------------------------------------------------

    @api("GET", "/sign-in", public=True)
    def sign_in_page(self, request):
        def view(session, now):
            if session is not None and session.signed_in:
                return web.redirect(self.settings, session, domain.home_of(session.role))
            if session is None:
                session = self.tools.sessions.start(self.db, domain.language_from_header(
                    request.headers.get("Accept-Language")), now)
            providers = self.tools.apis.call("identity", "GET", "/v1/sso").body.get("providers", [])
            # identity sends a person back here with ?error=<code> when an organisation's sign-in failed.
            error = request.args.get("error")
            return self._page(session, "sign_in.html", providers=providers,
                              error=error if error and error.replace("_", "").isalnum() else None)
        return self._serve(request, view, signed_in=False)

    @api("POST", "/sign-in", public=True)
    def sign_in(self, request):
        def view(session, now):
            answer = self.tools.apis.call("identity", "POST", "/v1/sign-in", json={
                "username": request.form.get("username", "")[:200], "password": request.form.get("password", "")[:1024]},
                for_browser=client_address(request.remote_addr, request.headers.get("X-Forwarded-For"),
                                           self.tools.trusted_proxies))
            next_page = self._after_sign_in_step(session, answer)
            if next_page is not None:
                return next_page
            providers = self.tools.apis.call("identity", "GET", "/v1/sso").body.get("providers", [])
            return self._page(session, "sign_in.html", 401 if answer.status == 401 else 422, providers=providers,
                              error=answer.error_code or "invalid_credentials",
                              username=request.form.get("username", "")[:200])
        return self._serve(request, view, signed_in=False)

    def _step(self, request, step: str, view):
        def guarded(session, now):
            if session is None or session.next_step != step or session.challenge is None:
                raise SignedOut("sign_in_first")
            return view(session, now)
        return self._serve(request, guarded, signed_in=False)

    @api("GET", "/sign-in/totp", public=True)
    def totp_page(self, request):
        return self._step(request, "totp", lambda session, now: self._page(session, "totp.html", error=None))

    @api("POST", "/sign-in/totp", public=True)
    def totp(self, request):
        def view(session, now):
            answer = self.tools.apis.call("identity", "POST", "/v1/sign-in/totp", json={
                "challenge": self.tools.sessions.challenge(session), "code": request.form.get("code", "")[:20]})
            return self._after_sign_in_step(session, answer) or self._page(
                session, "totp.html", 422, error=answer.error_code or "invalid_code")
        return self._step(request, "totp", view)

    @api("GET", "/sign-in/enrol", public=True)
    def enrol_page(self, request):
        def view(session, now):
            sessions = self.tools.sessions
            if session.enrolment is None:
                answer = self.tools.apis.call("identity", "POST", "/v1/sign-in/totp-enrolment", json={
                    "challenge": sessions.challenge(session)})
                if not answer.ok:
                    raise SignedOut(answer.error_code or "sign_in_first")
                sessions.update(self.db, session, enrolment=sessions.seal(
                    f"{answer.body['secret']} {answer.body['otpauth_uri']}", session.session_hash))
            secret, uri = sessions.open(session.enrolment, session.session_hash).split(" ", 1)
            return self._page(session, "enrol.html", secret=secret, grouped=" ".join(
                secret[i:i + 4] for i in range(0, len(secret), 4)), otpauth_uri=uri, error=None)
        return self._step(request, "enrol_totp", view)

    @api("POST", "/sign-in/enrol", public=True)
    def enrol(self, request):
        def view(session, now):
            sessions = self.tools.sessions
            answer = self.tools.apis.call("identity", "POST", "/v1/sign-in/totp-enrolment/confirm", json={
                "challenge": sessions.challenge(session), "code": request.form.get("code", "")[:20]})
            if answer.ok:
                return self._after_sign_in_step(session, answer)
            secret, uri = sessions.open(session.enrolment, session.session_hash).split(" ", 1) \
                if session.enrolment else ("", "")
            return self._page(session, "enrol.html", 422, secret=secret, otpauth_uri=uri, grouped=" ".join(
                secret[i:i + 4] for i in range(0, len(secret), 4)), error=answer.error_code or "invalid_code")
        return self._step(request, "enrol_totp", view)

    @api("GET", "/sign-in/recovery-codes", public=True)
    def recovery_codes_page(self, request):
        def view(session, now):
            if session is None or not session.recovery_codes:
                raise SignedOut("sign_in_first")
            codes = self.tools.sessions.open(session.recovery_codes, session.session_hash).split("\n")
            return self._page(session, "recovery_codes.html", codes=codes)
        return self._serve(request, view, signed_in=False)

    @api("POST", "/sign-in/recovery-codes", public=True)
    def recovery_codes_saved(self, request):
        def view(session, now):
            # Shown once: erased as soon as the person says they have kept them.
            self.tools.sessions.update(self.db, session, recovery_codes=None)
            if session.signed_in:
                return web.redirect(self.settings, session, domain.home_of(session.role))
            return web.redirect(self.settings, session, STEP_PAGES.get(session.next_step, "/sign-in"))
        return self._serve(request, view, signed_in=False)

    @api("GET", "/sign-in/conduct", public=True)
    def conduct_page(self, request):
        def view(session, now):
            conduct = self.tools.apis.call("identity", "GET", "/v1/conduct").body
            return self._page(session, "conduct.html", conduct_text=conduct["text"].get(session.language, ""),
                              version=conduct["version"], error=None)
        return self._step(request, "accept_conduct", view)

    @api("POST", "/sign-in/conduct", public=True)
    def conduct(self, request):
        def view(session, now):
            conduct = self.tools.apis.call("identity", "GET", "/v1/conduct").body
            if request.form.get("accept") != "yes":
                return self._page(session, "conduct.html", 422, conduct_text=conduct["text"].get(session.language, ""),
                                  version=conduct["version"], error="accept_required")
            answer = self.tools.apis.call("identity", "POST", "/v1/sign-in/conduct", json={
                "challenge": self.tools.sessions.challenge(session), "version": request.form.get("version", "")[:40]})
            return self._after_sign_in_step(session, answer) or self._page(
                session, "conduct.html", 422, conduct_text=conduct["text"].get(session.language, ""),
                version=conduct["version"], error=answer.error_code or "conduct_changed")
        return self._step(request, "accept_conduct", view)

    @api("GET", "/sign-in/sso", public=True)
    def sso_landing(self, request):
        """The browser comes back from the organisation's sign-in with a one-time code for identity."""
        def view(session, now):
            if session is None:
                session = self.tools.sessions.start(self.db, domain.language_from_header(
                    request.headers.get("Accept-Language")), now)
            answer = self.tools.apis.call("identity", "POST", "/v1/sign-in/sso", json={
                "code": request.args.get("code", "")[:512] or "-"})
            if not answer.ok:
                self.tools.sessions.update(self.db, session, notice="sso_failed")
                return self._page(session, "continue.html", target="/sign-in")
            session = self.tools.sessions.sign_in_answer(self.db, session, answer, now)
            target = domain.home_of(session.role) if session.signed_in else STEP_PAGES[session.next_step]
            # A page, not a redirect: after a navigation from another site a SameSite=Strict cookie is only
            # sent from the next navigation on, and the one-time code leaves the address bar.
            return self._page(session, "continue.html", target=target)
        return self._serve(request, view, signed_in=False)

    @api("POST", "/sign-out", public=True)
    def sign_out(self, request):
        def view(session, now):
            self.tools.sessions.end(self.db, session)
            reason = "idle" if request.form.get("reason") == "idle" else "signed_out"
            fresh = self.tools.sessions.start(self.db, session.language, now)
            self.tools.sessions.update(self.db, fresh, notice=reason)
            return web.redirect(self.settings, fresh, "/sign-in")
        return self._serve(request, view, signed_in=False)

    @api("POST", "/language", public=True)
    def choose_language(self, request):
        def view(session, now):
            language = request.form.get("language")
            if language in domain.LANGUAGES:
                self.tools.sessions.set_language(self.db, session, language, now)
            return web.redirect(self.settings, session, domain.safe_local_path(request.form.get("back")))
        return self._serve(request, view, signed_in=False)

    @api("POST", "/session/keepalive", public=True)
    def keepalive(self, request):
        """The page reports typing (which sends nothing) so that an agent writing a long narrative is not idle."""
        return self._serve(request, lambda session, now: web.Response(status=204, headers=web.PAGE_HEADERS))

    @api("GET", "/no-pages-yet", public=True)
    def no_pages_yet(self, request):
        return self._serve(request, lambda session, now: self._page(
            session, "message.html", title_key="no_pages.title", text_key="no_pages.text"))

    @SettingsTimer.decorator("session.cleanup_seconds")
    def forget_stale_sessions(self):
        self.tools.sessions.cleanup(self.db, datetime.now(UTC))

    # --- taking a call --------------------------------------------------------------------------------

    def _call_form(self, session, status=200, values=None, errors=(), failure=None):
        return self._page(session, "call.html", status, values=values or {"country": session.countries[0]},
                          errors=dict(errors), failure=failure, sexes=domain.SEXES, age_groups=domain.AGE_GROUPS)

    @api("GET", "/calls/new", public=True)
    def new_call(self, request):
        return self._serve(request, lambda session, now: self._call_form(session), roles=domain.CASE_ROLES)

    @api("POST", "/calls", public=True)
    def record_call(self, request):
        def view(session, now):
            values = {key: request.form.get(key, "") for key in request.form}
            submission, errors = domain.feedback_from_form(request.form, session.countries, self.settings.hotlines)
            if errors:
                return self._call_form(session, 422, values, errors)
            try:
                answer = self.tools.apis.call("intake", "POST", "/v1/feedback", token=self._token(session, now),
                                              json=submission)
            except Unavailable:
                return self._call_form(session, 503, values, failure="unavailable")
            if not answer.ok:
                fields = [field.split(".")[-1] for field in answer.error_fields]
                errors = [({"phone": "caller_phone", "name": "caller_name"}.get(field, field), answer.error_code)
                          for field in fields] or [("form", answer.error_code)]
                return self._call_form(session, 422, values, errors, failure=answer.error_code)
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
            filters["mine"] = request.args.get("mine") == "yes"
            params = {key: value for key, value in filters.items() if value and key != "mine"}
            if filters["mine"]:
                params["assignee"] = session.subject
            params["limit"] = 50
            if restricted_only:
                params["restricted"] = "true"
            answer = self.tools.apis.call("cases", "GET", "/v1/cases", token=self._token(session, now),
                                          params=params)
            cases = answer.body.get("cases", []) if answer.ok else []
            rows = [{**case, "badge": domain.deadline_badge(
                        _time(case["next_deadline_at"]), case["deadline_state"],
                        self.settings.countries[case["country"]].timezone if case["country"] in self.settings.countries
                        else "UTC", now)} for case in cases]
            return self._page(session, "queue.html", rows=rows, filters=filters, restricted_only=restricted_only,
                              statuses=domain.QUEUE_STATUSES, failed=not answer.ok)
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
            return self._page(session, "message.html", 404, title_key="case_not_found.title",
                              text_key="case_not_found.text")
        case = answer.body
        timezone = self.settings.countries[case["country"]].timezone if case["country"] in self.settings.countries \
            else "UTC"
        deadlines = [{**deadline, "badge": domain.deadline_badge(_time(deadline["due_at"]), case["deadline_state"]
                                                                if not deadline["settled_at"] else "ok", timezone, now)}
                     for deadline in case["deadlines"]]
        return self._page(session, "case.html", status, case=case, deadlines=deadlines, timezone=timezone,
                          local=lambda value: domain.local_time(_time(value), timezone),
                          categories=domain.CATEGORY_CODES, sensitive_categories=domain.SENSITIVE_CATEGORIES,
                          sub_categories=domain.SUB_CATEGORIES, status_moves=STATUS_MOVES,
                          response_channels=domain.RESPONSE_CHANNELS, errors=dict(errors), values=values or {},
                          failure=failure)

    @api("GET", "/cases/<reference>", public=True)
    def case(self, request, reference):
        return self._serve(request, lambda session, now: self._case_page(session, now, reference[:20]),
                           roles=domain.CASE_ROLES)

    @api("POST", "/cases/<reference>/<action>", public=True)
    def case_action(self, request, reference, action):
        def view(session, now):
            if action not in CASE_ACTIONS:
                return self._page(session, "message.html", 404, title_key="case_not_found.title",
                                  text_key="case_not_found.text")
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
                return self._page(session, "message.html", 404, title_key="case_not_found.title",
                                  text_key="case_not_found.text")
            return self._case_page(session, now, reference[:20], 409 if answer.status == 409 else 422,
                                   [(action, answer.error_code or "invalid")], dict(request.form),
                                   failure=answer.error_code)
        return self._serve(request, view, roles=domain.CASE_ROLES)


def _time(value: str | None):
    return datetime.fromisoformat(value) if value else None


SERVICE = ConsoleService
SETTINGS = ConsoleSettings
