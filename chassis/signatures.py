"""How each provider proves a request is its own (intake's channels, notifications' delivery receipts).
Pure functions: the caller passes in the raw body, URL, parameters and the secret.

Every comparison is constant-time (hmac.compare_digest), on bytes: a header may carry any
character (werkzeug reads headers as latin-1), and compare_digest refuses non-ASCII text.
"""
import base64
import hashlib
import hmac
from collections.abc import Iterable


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))


def twilio_signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """Twilio's X-Twilio-Signature: base64 HMAC-SHA1 of the full URL followed by each POST
    parameter, sorted by name, as name+value."""
    payload = url + "".join(name + value for name, value in sorted(params, key=lambda item: item[0]))
    digest = hmac.new(auth_token.encode(), payload.encode("utf-8", "replace"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def twilio_valid(auth_token: str, url: str, params: Iterable[tuple[str, str]], given: str | None) -> bool:
    return bool(given) and _same(twilio_signature(auth_token, url, params), given)


def meta_valid(app_secret: str, raw_body: bytes, given: str | None) -> bool:
    """WhatsApp Cloud API's X-Hub-Signature-256: `sha256=` + hex HMAC-SHA256 of the raw body."""
    if not given or not given.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), raw_body, hashlib.sha256).hexdigest()
    return _same(expected, given.removeprefix("sha256=").lower())


def mailgun_valid(signing_key: str, timestamp: str, token: str, given: str | None) -> bool:
    """Mailgun's webhook signature: hex HMAC-SHA256(signing key, timestamp + token)."""
    if not (given and timestamp and token):
        return False
    signed = (timestamp + token).encode("utf-8", "replace")
    return _same(hmac.new(signing_key.encode(), signed, hashlib.sha256).hexdigest(), given.lower())


def shared_secret_valid(secret: str, username: str | None, header_value: str | None,
                        basic_auth: tuple[str | None, str | None] | None) -> bool:
    """A provider without signatures (Kobo, RapidPro, gateways, SendGrid) sends the endpoint's secret,
    either in a header or as the password of HTTP basic auth (with the configured user name, if any)."""
    if header_value and _same(secret, header_value):
        return True
    if basic_auth is not None:
        user, password = basic_auth
        user_ok = username is None or _same(username, user or "")
        return user_ok and _same(secret, password or "")
    return False
