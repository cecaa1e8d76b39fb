"""高企认定 (demo): a business system that signs on with OpenID Connect through Authlib's
client — authorization code with PKCE and nonce, the ID token checked with joserfc against
the platform's JWKS — and honours Back-Channel Logout.

    python -m demos.oidc_demo   (make run starts it on IDP_DEMO_OIDC_URL)
"""

import html
import secrets
from urllib.parse import urlencode

import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from demos import common

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"


class OidcDemo:
    def __init__(self, *, issuer: str, base_url: str, client_id: str, client_secret: str,
                 title: str = "高企认定(演示)"):
        self.issuer, self.base_url = issuer.rstrip("/"), base_url.rstrip("/")
        self.client_id, self.client_secret, self.title = client_id, client_secret, title
        self.redirect_uri = self.base_url + "/callback"
        self.sessions = common.Sessions()
        self._metadata = None

    # --- the platform's published configuration ---
    def metadata(self) -> dict:
        if self._metadata is None:
            self._metadata = requests.get(self.issuer + "/.well-known/openid-configuration", timeout=5).json()
        return self._metadata

    def keys(self) -> KeySet:
        return KeySet.import_key_set(requests.get(self.metadata()["jwks_uri"], timeout=5).json())

    def oauth(self) -> OAuth2Session:
        return OAuth2Session(self.client_id, self.client_secret, scope="openid profile",
                             redirect_uri=self.redirect_uri, code_challenge_method="S256")

    def check_id_token(self, id_token: str, nonce: str) -> dict:
        decoded = jwt.decode(id_token, self.keys(), algorithms=self.metadata()["id_token_signing_alg_values_supported"])
        jwt.JWTClaimsRegistry(iss={"essential": True, "value": self.issuer},
                              aud={"essential": True, "value": self.client_id},
                              nonce={"essential": True, "value": nonce},
                              sub={"essential": True}, exp={"essential": True}).validate(decoded.claims)
        return decoded.claims

    def check_logout_token(self, token: str) -> dict:
        """OIDC Back-Channel Logout 1.0 §2.6."""
        decoded = jwt.decode(token, self.keys(), algorithms=["RS256", "ES256"])
        jwt.JWTClaimsRegistry(iss={"essential": True, "value": self.issuer},
                              aud={"essential": True, "value": self.client_id},
                              iat={"essential": True}, jti={"essential": True}).validate(decoded.claims)
        claims = decoded.claims
        if decoded.header.get("typ") != "logout+jwt" or "nonce" in claims \
                or BACKCHANNEL_EVENT not in claims.get("events", {}) or not claims.get("sid"):
            raise JoseError("not a logout token")
        return claims

    # --- pages ---
    def __call__(self, environ, start_response):
        request = common.Request(environ)
        key, session = self.sessions.load(environ)

        def reply(status, body="", **kw):
            return common.respond(start_response, status, body, session_key=key, **kw)

        if request.path == "/backchannel-logout" and request.method == "POST":
            try:
                claims = self.check_logout_token(request.form.get("logout_token", ""))
            except (JoseError, ValueError):
                return common.respond(start_response, "400 Bad Request", '{"error":"invalid_request"}',
                                      content_type="application/json")
            self.sessions.end_where(lambda data: data.get("sid") == claims["sid"])
            return common.respond(start_response, "200 OK", "", content_type="text/plain")
        if request.path == "/login":
            return reply("302 Found", location=self.start_login(session, request.query.get("next", "/")))
        if request.path == "/callback":
            return self.callback(request, session, reply)
        if request.path == "/logout":
            id_token = session.get("id_token", "")
            session.clear()
            query = urlencode({"id_token_hint": id_token, "post_logout_redirect_uri": self.base_url + "/",
                               "client_id": self.client_id})
            return reply("302 Found", location=f"{self.metadata()['end_session_endpoint']}?{query}")
        if "claims" not in session and request.path != "/":
            # A service item's entrance: sign on straight away (the platform knows the user).
            return reply("302 Found", location=self.start_login(session, request.full_path))
        return reply("200 OK", common.home_page(self.title, session.get("claims"), request.path))

    def start_login(self, session: dict, next_path: str) -> str:
        verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
        with self.oauth() as oauth:
            url, state = oauth.create_authorization_url(self.metadata()["authorization_endpoint"],
                                                        code_verifier=verifier, nonce=nonce)
        session.update(pending={"state": state, "verifier": verifier, "nonce": nonce,
                                "next": next_path if next_path.startswith("/") else "/"})
        return url

    def callback(self, request, session, reply):
        pending = session.pop("pending", None)
        if request.query.get("error") or not pending or request.query.get("state") != pending["state"]:
            message = request.query.get("error_description") or request.query.get("error") or "登录请求已失效"
            return reply("400 Bad Request", common.page(self.title, f"<p>登录失败:{html.escape(message)}</p>"
                                                       '<p><a class="button" href="/login">重新登录</a></p>'))
        with self.oauth() as oauth:
            token = oauth.fetch_token(self.metadata()["token_endpoint"], code=request.query.get("code"),
                                      code_verifier=pending["verifier"], state=pending["state"])
        claims = self.check_id_token(token["id_token"], pending["nonce"])
        session.update(claims=claims, sid=claims.get("sid"), id_token=token["id_token"])
        return reply("302 Found", location=pending["next"])


def main():
    from demos import settings

    config = settings.load("oidc")
    app = OidcDemo(issuer=config["issuer"], base_url=config["base_url"], client_id=config["client_id"],
                   client_secret=config["client_secret"])
    host, port = settings.host_port(config["base_url"])
    print(f"高企认定(OIDC 演示)listening on {config['base_url']}", flush=True)
    common.serve(app, host, port).serve_forever()


if __name__ == "__main__":
    main()
