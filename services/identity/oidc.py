"""The OpenID Connect relying party: the provider's discovery document and keys, the authorization
URL with PKCE, the code exchange (Authlib's OAuth 2 client), and the checks of the ID token."""
import time

import jwt
import requests
from authlib.integrations.requests_client import OAuth2Session

from services.identity.domain import Refused

DISCOVERY_CACHE_SECONDS = 3600
ID_TOKEN_ALGORITHMS = ["RS256", "ES256", "EdDSA", "PS256"]
_discovered: dict[str, tuple[float, dict]] = {}


def _provider_failed() -> Refused:
    return Refused(502, "provider_unavailable", "Your organisation's sign-in service did not answer as expected.")


class OidcClient:
    def __init__(self, provider_id: str, provider, redirect_uri: str):
        self.provider_id = provider_id
        self.provider = provider
        self.redirect_uri = redirect_uri

    def _metadata(self) -> dict:
        issuer = self.provider.issuer.rstrip("/")
        cached = _discovered.get(issuer)
        if cached and time.monotonic() - cached[0] < DISCOVERY_CACHE_SECONDS:
            return cached[1]
        try:
            response = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10)
            response.raise_for_status()
            metadata = response.json()
        except (requests.RequestException, ValueError):
            raise _provider_failed() from None
        # The document must speak for the issuer we were configured with (OpenID Connect Discovery 4.3).
        if metadata.get("issuer", "").rstrip("/") != issuer:
            raise _provider_failed()
        _discovered[issuer] = (time.monotonic(), metadata)
        return metadata

    def _session(self) -> OAuth2Session:
        return OAuth2Session(self.provider.client_id, self.provider.client_secret.get_secret_value(),
                             scope=self.provider.scopes, redirect_uri=self.redirect_uri,
                             code_challenge_method="S256")

    def authorization_url(self, *, state: str, nonce: str, code_verifier: str) -> str:
        url, _ = self._session().create_authorization_url(
            self._metadata()["authorization_endpoint"], state=state, nonce=nonce, code_verifier=code_verifier)
        return url

    def claims_for_code(self, code: str, *, code_verifier: str, nonce: str) -> dict:
        """Exchange the code for tokens and return the ID token's claims, once every check has passed."""
        metadata = self._metadata()
        try:
            token = self._session().fetch_token(metadata["token_endpoint"], grant_type="authorization_code",
                                                code=code, code_verifier=code_verifier)
        except Exception:
            raise Refused(401, "provider_refused", "Your organisation's sign-in service refused the sign-in.") from None
        id_token = token.get("id_token")
        if not id_token:
            raise _provider_failed()
        try:
            signing_key = jwt.PyJWKClient(metadata["jwks_uri"], cache_keys=True).get_signing_key_from_jwt(id_token)
            claims = jwt.decode(id_token, signing_key.key, algorithms=ID_TOKEN_ALGORITHMS,
                                audience=self.provider.client_id, issuer=metadata["issuer"],
                                options={"require": ["exp", "iat", "sub", "aud", "iss"]})
        except (jwt.PyJWKClientError, jwt.InvalidTokenError):
            raise Refused(401, "provider_token_invalid", "The sign-in could not be verified.") from None
        if claims.get("nonce") != nonce:
            raise Refused(401, "provider_token_invalid", "The sign-in could not be verified.")
        return claims


def client_for(settings, provider_id: str) -> OidcClient:
    provider = settings.providers.get(provider_id)
    if provider is None:
        raise Refused(404, "unknown_provider", "There is no such sign-in provider.")
    return OidcClient(provider_id, provider, f"{settings.public_url}/v1/sso/{provider_id}/callback")
