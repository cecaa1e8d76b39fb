"""Two nodes behind one proxy behave as one platform (issue 14, item 6): a browser signs in
while its requests alternate between the nodes; SSO session, CSRF, captcha, SMS code, refresh
rotation and reuse detection, revocation, login locks and key rotation hold across them, and a
single-logout notification is delivered once although both nodes run job workers."""

import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from captcha.models import CaptchaStore
from joserfc import jwt
from joserfc.jwk import KeySet

from idp.accounts.models import Account
from idp.sso.models import LogoutDelivery
from tests import factories
from tests.sso import helpers
from tests.sso.browserless import form_inputs

pytestmark = [pytest.mark.postgres, pytest.mark.browser,
              pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")]  # self-signed proxy


def session() -> requests.Session:
    s = requests.Session()
    s.verify, s.trust_env = False, False  # no CA bundle or proxy from the environment
    return s


def nodes_of(responses) -> set[str]:
    return {response.headers.get("X-Served-By") for response in responses}


def captcha_answer(hashkey: str) -> str:
    return CaptchaStore.objects.get(hashkey=hashkey).response


def log_in(user: requests.Session, base: str, login_name: str, password: str) -> list[requests.Response]:
    page = user.get(f"{base}/login/?tab=natural")
    form = form_inputs(page.text)
    form.update(kind="natural", login_name=login_name, password=password, captcha_1=captcha_answer(form["captcha_0"]))
    return [page, user.post(f"{base}/login/", data=form, allow_redirects=False, headers={"Referer": page.url})]


def authorize(page, base: str, receiver, challenge: str) -> str:
    """The browser's authorization request; returns the code the business system receives."""
    page.goto(f"{base}/oidc/authorize?response_type=code&client_id=rp-two-nodes&scope=openid+profile"
              f"&redirect_uri={receiver.url}/cb&state=s&nonce=n&code_challenge={challenge}"
              "&code_challenge_method=S256")
    page.wait_for_url(f"{receiver.url}/cb?**")
    return parse_qs(urlsplit(page.url).query)["code"][0]


def test_two_nodes_behind_the_proxy_are_one_platform(platform, browser, receiver):
    base = platform.proxy.url
    factories.natural_account("two_nodes", name="张双")
    rp = helpers.oidc_client("rp-two-nodes", redirect_uris=[receiver.url + "/cb"],
                             backchannel_logout_uri=receiver.url + "/bc")
    served = []

    # A browser signs in through the proxy: the login page, the captcha and the POST come from
    # different nodes; the SSO session then lets the OIDC authorize step (another node) through.
    context = browser.new_context(ignore_https_errors=True, locale="zh-CN")
    page = context.new_page()
    page.on("response", lambda response: served.append(response.headers.get("x-served-by")))
    page.goto(f"{base}/login/")
    page.get_by_label("登录名").fill("two_nodes")
    page.get_by_label("密码", exact=True).fill(factories.PASSWORD)
    page.get_by_label("验证码").fill(captcha_answer(page.locator("input[name=captcha_0]").get_attribute("value")))
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(f"{base}/online/**")
    assert "张双" in page.content()
    verifier, challenge = helpers.pkce_pair()
    code = authorize(page, base, receiver, challenge)
    assert {"a", "b"} <= set(served)

    # The code is exchanged, refreshed and replayed at alternating nodes.
    api = session()
    token = lambda **form: api.post(f"{base}/oidc/token", data=form, auth=(rp.client.client_id, rp.secret))  # noqa: E731
    exchanged = token(grant_type="authorization_code", code=code, redirect_uri=receiver.url + "/cb",
                      code_verifier=verifier)
    assert exchanged.status_code == 200, exchanged.text
    first = exchanged.json()["refresh_token"]
    rotated = token(grant_type="refresh_token", refresh_token=first)
    replayed = token(grant_type="refresh_token", refresh_token=first)
    after_reuse = token(grant_type="refresh_token", refresh_token=rotated.json()["refresh_token"])
    assert rotated.status_code == 200 and replayed.status_code == 400 and after_reuse.status_code == 400
    assert nodes_of([exchanged, rotated, replayed, after_reuse]) == {"a", "b"}

    # A token revoked at one node is refused by the other within a second.
    issued = token(grant_type="client_credentials").json()["access_token"]
    revoked = api.post(f"{base}/oidc/revoke", data={"token": issued}, auth=(rp.client.client_id, rp.secret))
    started, seen = time.monotonic(), []
    while time.monotonic() - started < 1:
        seen.append(api.post(f"{base}/oidc/introspect", data={"token": issued},
                             auth=(rp.client.client_id, rp.secret)))
        if len(nodes_of(seen) - {revoked.headers["X-Served-By"]}) and not seen[-1].json()["active"]:
            break
    other = [r for r in seen if r.headers["X-Served-By"] != revoked.headers["X-Served-By"]]
    assert other and not other[-1].json()["active"] and time.monotonic() - started < 1

    # Keys rotated on one node (the operator's command) sign at once on both, and each node
    # verifies what the other signed.
    kids_before = {key["kid"] for key in api.get(f"{base}/oidc/jwks").json()["keys"]}
    platform.manage("rotate_signing_keys", "--lead", "0", "--emergency")
    jwks = [api.get(f"{base}/oidc/jwks") for _ in range(2)]
    assert nodes_of(jwks) == {"a", "b"}
    assert all({key["kid"] for key in response.json()["keys"]} > kids_before for response in jwks)
    fresh = token(grant_type="authorization_code", code=authorize(page, base, receiver, challenge),
                  redirect_uri=receiver.url + "/cb", code_verifier=verifier).json()
    header = jwt.decode(fresh["id_token"], KeySet.import_key_set(jwks[0].json())).header
    assert header["kid"] not in kids_before
    userinfo = [api.get(f"{base}/oidc/userinfo", headers={"Authorization": f"Bearer {fresh['access_token']}"})
                for _ in range(2)]
    assert [r.status_code for r in userinfo] == [200, 200] and nodes_of(userinfo) == {"a", "b"}

    # CSRF, the SMS code and the registration form across nodes.
    visitor = session()
    form_page = visitor.get(f"{base}/register/natural/")
    sent = visitor.post(f"{base}/api/sms/send", data={"phone": "13912349876", "purpose": "register"},
                        headers={"X-CSRFToken": visitor.cookies["csrftoken"], "Referer": f"{base}/register/natural/"})
    assert sent.status_code == 200, sent.text
    data = {**form_inputs(form_page.text), "login_name": "registered_across", "password": "Kz9vBq2wLm",
            "password_confirm": "Kz9vBq2wLm", "name": "李跨", "identity_type": "mainland", "id_type": "resident_id",
            "id_number": factories.resident_id(seq="373"), "phone": "13912349876", "agree": "on",
            "sms_code": platform.sms.code_for("13912349876")}
    registered = visitor.post(f"{base}/register/natural/", data=data, allow_redirects=False,
                              headers={"Referer": f"{base}/register/natural/"})
    assert registered.status_code == 302, registered.text[-2000:]
    assert nodes_of([form_page, sent, registered]) == {"a", "b"}
    assert Account.objects.filter(login_name="registered_across").exists()

    # Failures at both nodes count together: the pause they cause holds at both.
    attacker, posts = session(), []
    while len(posts) < 10 and not (posts and "过于频繁" in posts[-1].text):
        posts.append(log_in(attacker, base, "two_nodes", "wrong-password")[1])
        attacker.get(f"{base}/health/live")  # the next POST goes to the other node
    assert "过于频繁" in posts[-1].text and nodes_of(posts) == {"a", "b"}
    honest = []
    for _ in range(2):
        honest.append(log_in(session(), base, "two_nodes", factories.PASSWORD)[1])
        api.get(f"{base}/health/live")
    assert nodes_of(honest) == {"a", "b"} and all("过于频繁" in r.text for r in honest)

    # Logging out queues one notification; two job clusters share the queue: delivered once.
    page.goto(f"{base}/online/")
    page.get_by_role("button", name="退出登录").click()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not receiver.posts:
        time.sleep(0.2)
    time.sleep(3)  # time enough for a second delivery, if there were one
    assert [path for path, _ in receiver.posts] == ["/bc"]
    assert LogoutDelivery.objects.get().attempts == 1
    context.close()

