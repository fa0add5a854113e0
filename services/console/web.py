"""Pages as HTTP: templates, the session cookie, CSRF checks and the security headers every page has."""
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from werkzeug.wrappers import Response

from services.console.i18n import has_key, translate

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
STATIC_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png"}

# No inline script or style anywhere: htmx is told not to add its own style element (meta htmx-config).
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    # Pages hold personal data: never kept by the browser's cache or back-forward cache, nor a proxy's.
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}

templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]),
                        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def cookie_name(settings) -> str:
    # The __Host- prefix makes the browser refuse the cookie unless it is Secure, for this host, path /.
    return "cfm_session" if settings.development else "__Host-cfm_session"


def page(settings, session, template: str, status: int = 200, **context) -> Response:
    language = session.language if session is not None else context.pop("language", "fr")
    html = templates.get_template(template).render(
        t=lambda key, **values: translate(language, key, **values), lang=language, session=session,
        idle_seconds=int(settings.session.idle_timeout.total_seconds()), **context)
    response = Response(html, status=status, mimetype="text/html", headers=PAGE_HEADERS)
    return with_cookie(settings, session, response)


def redirect(settings, session, location: str) -> Response:
    # 303: after a form, the browser fetches the next page with GET (the form is never sent again).
    response = Response("", status=303, headers={**PAGE_HEADERS, "Location": location})
    return with_cookie(settings, session, response)


def with_cookie(settings, session, response: Response) -> Response:
    if session is not None and session.new:
        response.set_cookie(cookie_name(settings), session.cookie, httponly=True, samesite="Strict",
                            secure=not settings.development, path="/")
    return response


def forget_cookie(settings, response: Response) -> Response:
    response.delete_cookie(cookie_name(settings), httponly=True, samesite="Strict", secure=not settings.development,
                           path="/")
    return response


def static_file(name: str) -> Response:
    path = (STATIC_DIR / name).resolve()
    if path.parent != STATIC_DIR.resolve() or not path.is_file() or path.suffix not in STATIC_TYPES:
        return Response("not found", status=404, mimetype="text/plain")
    return Response(path.read_bytes(), mimetype=STATIC_TYPES[path.suffix], headers={
        "Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"})


templates.tests["translated"] = has_key
