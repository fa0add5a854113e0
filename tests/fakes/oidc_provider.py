"""An OpenID Connect provider for tests, speaking the real protocol over real HTTP: discovery document,
authorization endpoint (authorization code with PKCE S256), token endpoint with client authentication,
RS256 ID tokens and a JWKS. It stands in for Entra ID, Keycloak or Humanitarian ID, which cannot run
here. Whoever the test puts in `signed_in_as` is the person signed in at the provider."""
import base64
import hashlib
import json
import secrets
import threading
import time
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


class OidcProvider:
    def __init__(self, port: int, client_id: str, client_secret: str, redirect_uri: str):
        self.issuer = f"http://127.0.0.1:{port}"
        self.client_id, self.client_secret, self.redirect_uri = client_id, client_secret, redirect_uri
        self.signed_in_as: dict | None = None     # the claims of the person signed in at the provider
        self.token_requests = 0
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._kid = secrets.token_hex(4)
        self._codes: dict[str, dict] = {}
        self._server = make_server("127.0.0.1", port, self._app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *_):
        self._server.shutdown()

    @Request.application
    def _app(self, request: Request) -> Response:
        routes = {"/.well-known/openid-configuration": self._discovery, "/authorize": self._authorize,
                  "/token": self._token, "/jwks": self._jwks}
        handler = routes.get(request.path)
        return handler(request) if handler else Response("not found", 404)

    def _json(self, body: dict, status: int = 200) -> Response:
        return Response(json.dumps(body), status, mimetype="application/json", headers={"Cache-Control": "no-store"})

    def _discovery(self, request):
        return self._json({
            "issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token", "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"], "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"], "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": ["openid", "profile", "email"]})

    def _authorize(self, request):
        args = request.args
        if args.get("client_id") != self.client_id or args.get("redirect_uri") != self.redirect_uri:
            return Response("unknown client or redirect_uri", 400)     # never redirect to an unknown place
        state = args.get("state", "")

        def back(**params):
            return Response(status=302, headers={"Location": f"{self.redirect_uri}?{urlencode({**params, 'state': state})}"})

        if args.get("response_type") != "code" or "openid" not in args.get("scope", "").split():
            return back(error="unsupported_response_type")
        if args.get("code_challenge_method") != "S256" or not args.get("code_challenge"):
            return back(error="invalid_request", error_description="PKCE required")
        if self.signed_in_as is None:
            return back(error="access_denied")
        code = secrets.token_urlsafe(24)
        self._codes[code] = {"challenge": args["code_challenge"], "nonce": args.get("nonce"),
                             "claims": dict(self.signed_in_as), "expires": time.time() + 60}
        return back(code=code)

    def _client_authenticated(self, request) -> bool:
        if request.authorization and request.authorization.type == "basic":
            return (request.authorization.username, request.authorization.password) == (self.client_id,
                                                                                         self.client_secret)
        return (request.form.get("client_id"), request.form.get("client_secret")) == (self.client_id,
                                                                                      self.client_secret)

    def _token(self, request):
        self.token_requests += 1
        if not self._client_authenticated(request):
            return self._json({"error": "invalid_client"}, 401)
        form = request.form
        grant = self._codes.pop(form.get("code", ""), None)       # a code works once
        if form.get("grant_type") != "authorization_code" or grant is None or grant["expires"] < time.time() \
                or form.get("redirect_uri") != self.redirect_uri:
            return self._json({"error": "invalid_grant"}, 400)
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if challenge != grant["challenge"]:
            return self._json({"error": "invalid_grant", "error_description": "PKCE verification failed"}, 400)
        now = int(time.time())
        id_token = jwt.encode({**grant["claims"], "iss": self.issuer, "aud": self.client_id, "iat": now,
                               "exp": now + 300, "nonce": grant["nonce"]},
                              self._key, algorithm="RS256", headers={"kid": self._kid})
        return self._json({"access_token": secrets.token_urlsafe(24), "token_type": "Bearer", "expires_in": 300,
                           "id_token": id_token})

    def _jwks(self, request):
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key()))
        return self._json({"keys": [{**public, "kid": self._kid, "alg": "RS256", "use": "sig"}]})
