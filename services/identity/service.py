"""identity's entrypoints: the public keys, sign-in and its steps, tokens and sessions, users for
admins, and sign-in with an organisation's identity provider."""
import json
from datetime import UTC, datetime
from urllib.parse import urlencode
from uuid import UUID

from nameko.extensions import DependencyProvider
from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from chassis.errors import ApiError
from chassis.http import api, json_response, parse_body
from chassis.server import client_address, trusted_networks
from chassis.service import PlatformService
from contracts.identity import (
    AccessChange, AccountEvent, AccountEvents, AccountLink, ChallengeCode, ClientCreated, ClientList, ClientToken, ClientView, EndedSessions, NewClient, ChallengeStep, Conduct, ConductAcceptance, LinkUse, Me, NewUser, Provider,
    ProviderList, RefreshRequest, SessionsEnded, SignIn, SignInResult, SsoExchange, StaffList, StaffMember,
    TotpEnrolment, UserList, UserView,
)
from services.identity import domain, handlers
from services.identity.crypto import Passwords, ServiceKeys
from services.identity.settings import IdentitySettings

MAX_USERS_LISTED = 500
CONDUCT_TEXT = {
    "fr": "Je protège la confidentialité des personnes qui nous contactent. Je ne partage aucune information "
          "sur un cas en dehors de ce que mon rôle exige. Je signale sans délai toute exploitation ou abus "
          "sexuels, fraude ou menace dont j'ai connaissance. Je ne demande ni n'accepte rien en échange de "
          "l'aide. Je n'utilise mon accès que pour mon travail, et je ne partage jamais mon compte.",
    "en": "I protect the confidentiality of the people who contact us. I share no information about a case "
          "beyond what my role requires. I report at once any sexual exploitation or abuse, fraud or threat I "
          "learn of. I ask for and accept nothing in exchange for assistance. I use my access only for my "
          "work, and I never share my account.",
}


class IdentityTools(DependencyProvider):
    """The service key, the password hasher and the list of common passwords, made once at start-up."""

    def setup(self):
        settings = self.container.config["SETTINGS"]
        self.keys = ServiceKeys(settings.secret_key.get_secret_value())
        self.passwords = Passwords()
        self.common_passwords = domain.load_common_passwords()
        # The console (and the platform's reverse proxies) say which browser a sign-in comes from.
        self.trusted_proxies = trusted_networks(settings.http.trusted_proxies)

    def get_dependency(self, worker_ctx):
        return self


def _result(outcome) -> SignInResult:
    if isinstance(outcome, handlers.Tokens):
        return SignInResult(status="signed_in", access_token=outcome.access_token, refresh_token=outcome.refresh_token,
                            token_type="Bearer", expires_in=outcome.expires_in)
    return SignInResult(status="next_step", challenge=outcome.challenge, next_step=outcome.steps[0])


def _user_view(user: dict) -> UserView:
    return UserView(user_id=user["user_id"], username=user["username"], display_name=user["display_name"],
                    role=user["role"], countries=list(user["countries"]), org=user["org"],
                    sign_in="provider" if user["idp"] else "password",
                    second_factor=user["totp_secret"] is not None,
                    disabled_at=user["disabled_at"], created_at=user["created_at"])


def _client_view(client: dict) -> ClientView:
    return ClientView(**{field: client[field] for field in ClientView.model_fields})


class IdentityService(PlatformService):
    name = "identity"
    tools = IdentityTools()

    def _ctx(self, request) -> handlers.Context:
        return handlers.Context(keys=self.tools.keys, settings=self.settings, passwords=self.tools.passwords,
                                common_passwords=self.tools.common_passwords, now=datetime.now(UTC),
                                client_address=client_address(request.remote_addr,
                                                              request.headers.get("X-Forwarded-For"),
                                                              self.tools.trusted_proxies))

    def _run(self, use_case, *args, **kwargs):
        try:
            return use_case(*args, **kwargs)
        except domain.Refused as refused:
            headers = {"Retry-After": str(int(self.settings.lockout.lock_for.total_seconds()))} \
                if refused.status == 429 else None
            raise ApiError(refused.status, refused.code, refused.message, headers=headers) from None

    # Public keys

    @api("GET", "/.well-known/jwks.json", public=True)
    def jwks(self, request):
        keys = self._run(handlers.published_keys, self.db(), self._ctx(request))
        return Response(json.dumps({"keys": keys}), mimetype="application/json",
                        headers={"Cache-Control": "max-age=60"})

    @api("GET", "/v1/ended-sessions", public=True)
    def ended_sessions(self, request):
        """Read by every service every few seconds, to refuse the access tokens of ended sessions."""
        return EndedSessions(sessions=self._run(handlers.ended_sessions, self.db(), self._ctx(request)))

    # Sign-in

    @api("GET", "/v1/conduct", public=True)
    def conduct(self, request):
        return Conduct(version=self.settings.conduct_version, text=CONDUCT_TEXT)

    @api("POST", "/v1/sign-in", public=True)
    def sign_in(self, request):
        body = parse_body(request, SignIn)
        return _result(self._run(handlers.sign_in, self.db(), self._ctx(request), body.username, body.password))

    @api("POST", "/v1/sign-in/totp", public=True)
    def sign_in_totp(self, request):
        body = parse_body(request, ChallengeCode)
        return _result(self._run(handlers.verify_second_factor, self.db(), self._ctx(request), body.challenge,
                                 body.code))

    @api("POST", "/v1/sign-in/totp-enrolment", public=True)
    def start_totp_enrolment(self, request):
        body = parse_body(request, ChallengeStep)
        secret, uri = self._run(handlers.start_enrolment, self.db(), self._ctx(request), body.challenge)
        return TotpEnrolment(secret=secret, otpauth_uri=uri)

    @api("POST", "/v1/sign-in/totp-enrolment/confirm", public=True)
    def confirm_totp_enrolment(self, request):
        body = parse_body(request, ChallengeCode)
        outcome, codes = self._run(handlers.confirm_enrolment, self.db(), self._ctx(request), body.challenge,
                                   body.code)
        return _result(outcome).model_copy(update={"recovery_codes": codes})

    @api("POST", "/v1/sign-in/conduct", public=True)
    def accept_conduct(self, request):
        body = parse_body(request, ConductAcceptance)
        return _result(self._run(handlers.accept_conduct, self.db(), self._ctx(request), body.challenge,
                                 body.version))

    @api("POST", "/v1/token", public=True)
    def refresh(self, request):
        body = parse_body(request, RefreshRequest)
        return _result(self._run(handlers.refresh, self.db(), self._ctx(request), body.refresh_token))

    @api("POST", "/v1/sign-out", roles=domain.ROLES)
    def sign_out(self, request, principal):
        if principal.session_id is None:
            raise ApiError(400, "no_session", "This token belongs to no session.")
        self._run(handlers.sign_out, self.db(), self._ctx(request), principal, UUID(principal.session_id))
        return SessionsEnded(sessions_ended=1)

    @api("GET", "/v1/me", roles=domain.ROLES)
    def me(self, request, principal):
        return Me(subject=principal.subject, role=principal.role, countries=sorted(principal.countries),
                  org=principal.organisation)

    @api("POST", "/v1/links/use", public=True)
    def use_link(self, request):
        body = parse_body(request, LinkUse)
        self._run(handlers.use_link, self.db(), self._ctx(request), body.link, body.password)
        return json_response(SessionsEnded(sessions_ended=0), 200)

    # Users, for admins of their countries

    @api("GET", "/v1/users", roles=("admin",))
    def list_users(self, request, principal):
        rows = self._run(handlers.list_users, self.db(), principal, MAX_USERS_LISTED)
        return UserList(users=[_user_view(row) for row in rows])

    # Case workers, for supervisors choosing whom to give cases to (names, not ids)

    @api("GET", "/v1/staff", roles=("supervisor", "focal_point", "admin"))
    def list_staff(self, request, principal):
        rows = self._run(handlers.list_case_workers, self.db(), principal, MAX_USERS_LISTED)
        return StaffList(staff=[StaffMember(**row) for row in rows])

    @api("POST", "/v1/users", roles=("admin",))
    def create_user(self, request, principal):
        body = parse_body(request, NewUser)
        ctx = self._ctx(request)
        user, secret = self._run(handlers.create_user, self.db(), ctx, principal, username=body.username,
                                 display_name=body.display_name, role=body.role, countries=body.countries,
                                 org=body.org)
        return 201, AccountLink(user=_user_view({**user, "idp": None, "totp_secret": None, "disabled_at": None}),
                                link=self._link_url("invitation", secret),
                                expires_at=ctx.now + self.settings.invitation_ttl)

    @api("GET", "/v1/users/<uuid:user_id>", roles=("admin",))
    def read_user(self, request, user_id, principal):
        return _user_view(self._run(handlers.managed_user, self.db(), principal, user_id))

    @api("POST", "/v1/users/<uuid:user_id>/disable", roles=("admin",))
    def disable_user(self, request, user_id, principal):
        ended = self._run(handlers.disable_user, self.db(), self._ctx(request), principal, user_id)
        return SessionsEnded(sessions_ended=ended)

    @api("POST", "/v1/users/<uuid:user_id>/enable", roles=("admin",))
    def enable_user(self, request, user_id, principal):
        return _user_view(self._run(handlers.enable_user, self.db(), self._ctx(request), principal, user_id))

    @api("POST", "/v1/users/<uuid:user_id>/access", roles=("admin",))
    def change_access(self, request, user_id, principal):
        body = parse_body(request, AccessChange)
        return _user_view(self._run(handlers.change_access, self.db(), self._ctx(request), principal, user_id,
                                    role=body.role, countries=body.countries, org=body.org))

    @api("POST", "/v1/users/<uuid:user_id>/reset-second-factor", roles=("admin",))
    def reset_second_factor(self, request, user_id, principal):
        ended = self._run(handlers.reset_second_factor, self.db(), self._ctx(request), principal, user_id)
        return SessionsEnded(sessions_ended=ended)

    @api("POST", "/v1/users/<uuid:user_id>/reset-link", roles=("admin",))
    def reset_link(self, request, user_id, principal):
        ctx = self._ctx(request)
        secret = self._run(handlers.reset_link, self.db(), ctx, principal, user_id)
        with self.db() as uow:
            user = handlers.repository.user_by_id(uow.conn, user_id)
        return 201, AccountLink(user=_user_view(user), link=self._link_url("reset", secret),
                                expires_at=ctx.now + self.settings.invitation_ttl)

    @api("GET", "/v1/audit", roles=("admin",))
    def audit(self, request, principal):
        """?user=<id>&from=&to= (ISO dates or times): the account log of the admin's countries' users."""
        try:
            user_id = UUID(request.args["user"]) if request.args.get("user") else None
            since, until = (datetime.fromisoformat(request.args[name]) if request.args.get(name) else None
                            for name in ("from", "to"))
        except ValueError:
            raise ApiError(400, "invalid_filter", "user is an id; from and to are ISO dates or times.") from None
        since, until = (value.replace(tzinfo=UTC) if value and value.tzinfo is None else value
                        for value in (since, until))
        rows = self._run(handlers.audit, self.db(), principal, user_id=user_id, since=since, until=until,
                         limit=MAX_USERS_LISTED)
        return AccountEvents(events=[AccountEvent(**row) for row in rows])

    # Machine clients

    @api("POST", "/v1/clients", roles=("admin",))
    def create_client(self, request, principal):
        body = parse_body(request, NewClient)
        client, secret = self._run(handlers.create_client, self.db(), self._ctx(request), principal,
                                   name=body.name, role=body.role, countries=body.countries, org=body.org)
        return 201, ClientCreated(client=_client_view(client), client_secret=secret)

    @api("GET", "/v1/clients", roles=("admin",))
    def list_clients(self, request, principal):
        return ClientList(clients=[_client_view(row) for row in self._run(handlers.list_clients, self.db(), principal)])

    @api("POST", "/v1/clients/<client_id>/revoke", roles=("admin",))
    def revoke_client(self, request, client_id, principal):
        self._run(handlers.revoke_client, self.db(), self._ctx(request), principal, client_id)
        return SessionsEnded(sessions_ended=1)

    @api("POST", "/v1/oauth/token", public=True)
    def client_credentials(self, request):
        """OAuth 2 client credentials (RFC 6749 section 4.4), with the standard's own error bodies, so
        that an integration's ordinary OAuth library understands them."""
        def oauth_error(status: int, error: str) -> Response:
            return Response(json.dumps({"error": error}), status=status, mimetype="application/json",
                            headers={"Cache-Control": "no-store"})

        if request.mimetype != "application/x-www-form-urlencoded":
            return oauth_error(400, "invalid_request")
        if request.form.get("grant_type") != "client_credentials":
            return oauth_error(400, "unsupported_grant_type")
        auth = request.authorization
        client_id, secret = (auth.username, auth.password) if auth and auth.type == "basic" else (
            request.form.get("client_id"), request.form.get("client_secret"))
        if not client_id or not secret:
            return oauth_error(401, "invalid_client")
        try:
            token, expires_in = handlers.client_token(self.db(), self._ctx(request), client_id, secret)
        except domain.Refused:
            return oauth_error(401, "invalid_client")
        return Response(ClientToken(access_token=token, expires_in=expires_in).model_dump_json(),
                        mimetype="application/json", headers={"Cache-Control": "no-store"})

    def _link_url(self, purpose: str, secret: str) -> str:
        # The secret travels in the fragment, which browsers never send to a server or a proxy's log.
        return f"{self.settings.console_url}/account/{purpose}#{secret}"

    # Sign-in with an organisation's identity provider

    @api("GET", "/v1/sso", public=True)
    def list_providers(self, request):
        return ProviderList(providers=[
            Provider(id=provider_id, name=provider.name,
                     start_url=f"{self.settings.public_url}/v1/sso/{provider_id}/start")
            for provider_id, provider in self.settings.providers.items()])

    @api("GET", "/v1/sso/<provider_id>/start", public=True)
    def start_sso(self, request, provider_id):
        return redirect(self._run(handlers.start_sso, self.db(), self._ctx(request), provider_id), code=302)

    @api("GET", "/v1/sso/<provider_id>/callback", public=True)
    def sso_callback(self, request, provider_id):
        """The browser comes back from the provider; it goes on to the console with a one-time code, or
        with the reason it cannot sign in."""
        try:
            code = handlers.finish_sso(self.db(), self._ctx(request), provider_id, request.args.get("state", ""),
                                       request.args.get("code", ""), request.args.get("error"))
        except domain.Refused as refused:
            return redirect(f"{self.settings.console_url}/sign-in?{urlencode({'error': refused.code})}", code=302)
        return redirect(f"{self.settings.console_url}/sign-in/sso?{urlencode({'code': code})}", code=302)

    @api("POST", "/v1/sign-in/sso", public=True)
    def exchange_sso_code(self, request):
        body = parse_body(request, SsoExchange)
        return _result(self._run(handlers.exchange_sso_code, self.db(), self._ctx(request), body.code))


SERVICE = IdentityService
SETTINGS = IdentitySettings
