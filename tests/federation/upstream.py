"""The upstream identity provider of the federation tests: node's oidc-provider (OpenID
certified; tests/interop/upstream/server.mjs) standing for the national platform, with persons
whose claims carry identity numbers and USCCs — and the steps a browser takes there (its own
login and consent pages), done with `requests`."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from joserfc.jwk import RSAKey

from tests import factories
from tests.interop.servers import free_port

HERE = Path(__file__).resolve().parents[1] / "interop" / "upstream"
SECRET = "upstream-secret-0123456789abcdef"

# The persons the upstream knows (their ids are its login names; `sub` = the id).
ZHANG_ID = factories.resident_id(area="110101", seq="301")
LI_ID = factories.resident_id(area="110101", seq="302")
WANG_ID = factories.resident_id(area="110101", seq="303")
ORG_USCC = factories.uscc(body="FED00001")
PERSONS = {
    "zhang": {"name": "张三", "id_number": ZHANG_ID, "id_type": "resident_id", "id_verified": True,
              "phone_number": "13900000301"},
    "li": {"name": "李四", "id_number": LI_ID, "id_type": "resident_id", "id_verified": False},
    "wang": {"name": "王五", "id_number": WANG_ID, "id_type": "resident_id", "id_verified": True,
             "phone_number": "13900000303"},
    "org": {"name": "联邦测试科技有限公司", "uscc": ORG_USCC, "id_verified": True},
}


def new_key(kid: str) -> dict:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "alg": "RS256", "use": "sig"}).as_dict(private=True)


def require_node() -> None:
    if shutil.which("node") is None or not (HERE / "node_modules" / "oidc-provider").exists():
        message = "oidc-provider is missing (cd tests/interop/upstream && npm ci; make test does)"
        if os.environ.get("IDP_TEST_STRICT") == "1":
            pytest.fail(message)
        pytest.skip("SKIPPED: " + message)


class Upstream:
    def __init__(self, tmp: Path, *, platform: str, code: str = "nation", client_id: str = "idp-platform",
                 backchannel: str | None = None, keep_all: bool = False):
        require_node()
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.client_id, self.code = client_id, code
        self.config = tmp / f"upstream-{self.port}.json"
        client = {"client_id": client_id, "client_secret": SECRET, "grant_types": ["authorization_code"],
                  "redirect_uris": [f"{platform}/federation/{code}/callback"],
                  "post_logout_redirect_uris": [f"{platform}/login/"],
                  "scope": "openid profile phone identity"}
        if backchannel:
            client.update(backchannel_logout_uri=backchannel, backchannel_logout_session_required=True)
        self.clients = [client]
        self.key = new_key("upstream-1")
        self.keep_all = keep_all  # a store without the quick-start one's bound (server.mjs)
        self.process = None
        self.start()

    def start(self) -> None:
        self.config.write_text(json.dumps({"port": self.port, "issuer": self.issuer, "key": self.key,
                                           "clients": self.clients, "accounts": PERSONS,
                                           "keep_all": self.keep_all}))
        # Its warnings and errors go to a log beside the configuration; "ready" comes on stdout.
        self.log = self.config.with_suffix(".log")
        with open(self.log, "a") as log:
            self.process = subprocess.Popen(["node", "server.mjs", str(self.config)], cwd=HERE,
                                            stdout=subprocess.PIPE, stderr=log, text=True)
        line = self.process.stdout.readline().strip()
        if line != "ready":
            self.process.kill()
            raise AssertionError(f"the upstream did not start: {line!r}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def rotate(self, kid: str) -> None:
        """A new signing key (the old one gone from its JWKS), as after a key rotation."""
        self.stop()
        self.key = new_key(kid)
        self.start()

    def register(self, *, trusted: bool = True, kinds: str = "both", **fields):
        """The provider, as `register_identity_provider` records it (its discovery fetched)."""
        from idp.federation import registration

        provider, *_ = registration.register(code=self.code, fields={
            "name": "国家政务服务平台", "issuer": self.issuer, "client_id": self.client_id, "client_secret": SECRET,
            "scopes": "openid profile phone identity", "kinds": kinds, "id_number_claim": "id_number",
            "id_type_claim": "id_type", "uscc_claim": "uscc", "verified_claim": "id_verified", "trusted": trusted,
            **fields})
        return provider


def _form(html: str) -> tuple[str, dict]:
    action = re.search(r'<form[^>]*action="([^"]+)"', html)
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    assert action, html[:500]
    return action.group(1).replace("&amp;", "&"), hidden


def through_upstream(authorize_url: str, person: str, *, deny: bool = False,
                     browser: requests.Session | None = None) -> tuple[str, requests.Session]:
    """A browser at the upstream: sign in as `person`, consent (or refuse) — the address it is
    sent back to (our callback), and its cookies there."""
    browser = browser or requests.Session()
    url = authorize_url
    response = browser.get(url, allow_redirects=False, timeout=10)
    upstream = "{0.scheme}://{0.netloc}".format(urlsplit(authorize_url))
    for _ in range(12):
        if response.is_redirect:
            url = urljoin(url, response.headers["Location"])
            if not url.startswith(upstream):
                return url, browser
            response = browser.get(url, allow_redirects=False, timeout=10)
            continue
        action, hidden = _form(response.text)
        if deny:
            response = browser.get(urljoin(url, action + "/abort"), allow_redirects=False, timeout=10)
            continue
        answer = {"prompt": hidden.get("prompt", "consent")}
        if answer["prompt"] == "login":
            answer.update(login=person, password="any")
        response = browser.post(urljoin(url, action), data=answer, allow_redirects=False, timeout=10)
    raise AssertionError(f"the upstream did not send the browser back: {response.status_code} {response.text[:300]}")


def sign_out_at_upstream(upstream: Upstream, browser: requests.Session) -> None:
    """The person signs out at the upstream (its RP-initiated logout page, confirmed)."""
    page = browser.get(f"{upstream.issuer}/session/end", params={"client_id": upstream.client_id}, timeout=10)
    action, hidden = _form(page.text)
    browser.post(urljoin(page.url, action), data={**hidden, "logout": "yes"}, allow_redirects=False, timeout=10)


def local(url: str) -> str:
    """Our callback address as the test client asks for it (path and query)."""
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")
