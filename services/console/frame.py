"""The frame every console page goes through: the session from the cookie, the CSRF check on every POST,
the role check, and the page or redirect that comes back. The pages themselves are in `pages/`, one module
a group of journeys, each a mixin of `ConsoleFrame`."""
from datetime import UTC, datetime

from nameko.extensions import DependencyProvider

from chassis.service import PlatformService
from chassis.server import trusted_networks
from services.console import domain, web
from services.console.handlers import Sessions, SignedOut
from services.console.platform_api import PlatformApis, Unavailable


class ConsoleTools(DependencyProvider):
    """The sessions keeper and the other services' APIs, made once at start-up."""

    def setup(self):
        settings = self.container.config["SETTINGS"]
        self.apis = PlatformApis(settings.apis)
        self.sessions = Sessions(settings, self.apis)
        self.trusted_proxies = trusted_networks(settings.http.trusted_proxies)
        self.places: dict[str, tuple] = {}   # country -> (fetched at, its gazetteer): configuration, kept a while

    def get_dependency(self, worker_ctx):
        return self


class ConsoleFrame(PlatformService):
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

    def _case_not_found(self, session):
        """The one answer for a case that is missing, out of this person's sight or restricted: the three
        must not be told apart."""
        return self._page(session, "message.html", 404, title_key="case_not_found.title",
                          text_key="case_not_found.text")

    def timezone_of(self, country: str) -> str:
        """A country's clock, for deadlines and times shown to its staff."""
        return self.settings.countries[country].timezone if country in self.settings.countries else "UTC"


def parse_time(value: str | None):
    return datetime.fromisoformat(value) if value else None
