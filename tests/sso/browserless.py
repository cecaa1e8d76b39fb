"""A user agent made of requests.Session: follows the platform's login form as a browser
would (the captcha answers the test hook's fixed answer), for protocol tests that need a
real HTTP server but no rendering."""

from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import requests


class _Inputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.values = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name"):
            self.values.setdefault(attrs["name"], attrs.get("value") or "")


def form_inputs(html: str) -> dict:
    parser = _Inputs()
    parser.feed(html)
    return parser.values


def follow_until(url: str, stop_prefix: str, *, login_name: str, password: str, choose: str | None = None) -> str:
    """Follow redirects from `url`, logging in and choosing whom to act for when asked, until
    a redirect leaves for `stop_prefix`; returns that URL."""
    with requests.Session() as session:  # closed: no keep-alive connection outlives the test
        return _follow(session, url, stop_prefix, login_name=login_name, password=password, choose=choose)


def _follow(session, url, stop_prefix, *, login_name, password, choose):
    for _ in range(10):
        response = session.get(url, allow_redirects=False)
        if response.status_code in (301, 302, 303):
            url = urljoin(url, response.headers["Location"])
            if url.startswith(stop_prefix):
                return url
            continue
        assert response.status_code == 200, (response.status_code, response.text[:300])
        fields = form_inputs(response.text)
        if "login_name" in fields or "captcha_1" in fields:
            next_url = parse_qs(urlsplit(url).query).get("next", [""])[0]
            data = {**fields, "login_name": login_name, "password": password, "captcha_1": "PASSED",
                    "next": next_url}
            posted = session.post(urljoin(url, "/login/"), data=data, allow_redirects=False)
            assert posted.status_code == 302, posted.text[:500]
            url = urljoin(url, posted.headers["Location"])
            if url.startswith(stop_prefix):  # the login answered the protocol request itself
                return url
        elif "acting_for" in fields:
            posted = session.post(url, data={**fields, "acting_for": choose or "self"}, allow_redirects=False)
            url = urljoin(url, posted.headers["Location"])
            if url.startswith(stop_prefix):
                return url
        else:
            raise AssertionError(f"unexpected page at {url}: {response.text[:300]}")
    raise AssertionError("too many redirects")
