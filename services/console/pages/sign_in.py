"""Signing in and out: password, then the steps identity asks for (TOTP, enrolment, recovery codes, code of
conduct), or an organisation's sign-in; the language switch and the idle keep-alive."""
from datetime import UTC, datetime

from chassis.http import api
from chassis.server import client_address
from chassis.timers import SettingsTimer
from services.console import domain, web
from services.console.handlers import SignedOut


class SignInPages:
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
        return web.redirect(self.settings, session, domain.STEP_PAGES[session.next_step])

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
            return web.redirect(self.settings, session, domain.STEP_PAGES.get(session.next_step, "/sign-in"))
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
            target = domain.home_of(session.role) if session.signed_in else domain.STEP_PAGES[session.next_step]
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

