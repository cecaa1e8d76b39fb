"""Mint N refresh tokens from the local oidc-provider via authorization_code + PKCE using
the devInteractions login/consent pages.
Usage: python3 mint_refresh.py [BASE_URL] N > refresh_tokens.txt   (BASE_URL default http://127.0.0.1:3000)"""
import base64
import hashlib
import http.cookiejar
import json
import secrets
import sys
import urllib.error
import urllib.parse
import urllib.request

BASE = "http://127.0.0.1:3000"
CID, SECRET = "bench-client", "bench-secret-0123456789abcdef"
REDIRECT = "http://127.0.0.1:9999/cb"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None


def one(i):
    jar = http.cookiejar.CookieJar()
    op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())

    def req(url, data=None, headers=None):
        if url.startswith("/"):
            url = BASE + url
        r = urllib.request.Request(url, data=urllib.parse.urlencode(data).encode() if data else None,
                                   headers=headers or {})
        try:
            resp = op.open(r)
            return resp.status, resp.headers, resp.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read().decode()

    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    q = urllib.parse.urlencode({
        "client_id": CID, "response_type": "code", "scope": "openid offline_access",
        "redirect_uri": REDIRECT, "prompt": "consent", "state": "s", "code_challenge": challenge,
        "code_challenge_method": "S256"})
    st, h, _ = req(f"/auth?{q}")
    loc = h["Location"]
    code = None
    for _ in range(8):
        if loc.startswith(REDIRECT):
            code = urllib.parse.parse_qs(urllib.parse.urlsplit(loc).query)["code"][0]
            break
        st, h, body = req(loc)
        if st in (302, 303):
            loc = h["Location"]
            continue
        # an interaction page: decide which prompt it is
        uid = loc.rstrip("/").split("/")[-1]
        prompt = "login" if 'name="login"' in body else "consent"
        data = {"prompt": prompt}
        if prompt == "login":
            data.update(login=f"user{i}", password="x")
        st, h, body = req(f"/interaction/{uid}", data)
        assert st in (302, 303), (st, body[:300])
        loc = h["Location"]
    assert code, loc
    auth = "Basic " + base64.b64encode(f"{CID}:{SECRET}".encode()).decode()
    st, h, body = req("/token", {"grant_type": "authorization_code", "code": code,
                                 "redirect_uri": REDIRECT, "code_verifier": verifier},
                      {"Authorization": auth})
    assert st == 200, body
    return json.loads(body)["refresh_token"]


if __name__ == "__main__":
    if len(sys.argv) > 2:
        BASE = sys.argv[1].rstrip("/")
    for i in range(int(sys.argv[-1])):
        print(one(i))
