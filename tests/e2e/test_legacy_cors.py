"""Issue 13, item 8: the legacy platform's transfer page, on its own origin, asks 账号检索 in
Chromium — allowed origins read the answer (after a CORS preflight), others cannot."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGE = """<!doctype html><meta charset="utf-8"><title>火炬中心 用户转移</title>
<p id="result">waiting</p>
<script>
const platform = new URLSearchParams(location.search).get("platform");
(async () => {
  try {
    const captcha = await (await fetch(platform + "/api/migration/captcha")).json();
    const answer = await fetch(platform + "/api/migration/lookup", {
      method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({kind: "person", mobile: "13912340077", captcha_0: captcha.key, captcha_1: "PASSED"})});
    document.getElementById("result").textContent = "case " + (await answer.json()).case;
  } catch (error) {
    document.getElementById("result").textContent = "blocked";
  }
})();
</script>"""


@pytest.fixture
def legacy_site():
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = PAGE.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_an_allowed_origin_reads_the_answer_and_another_cannot(new_page, live_server, legacy_site, settings):
    factories.demo_systems()
    settings.IDP_LEGACY_ORIGINS = [legacy_site]
    page = new_page()
    page.goto(f"{legacy_site}/?platform={live_server.url}")
    page.wait_for_function("document.getElementById('result').textContent !== 'waiting'")
    assert page.locator("#result").inner_text() == "case U"  # a mobile never on the legacy platform

    settings.IDP_LEGACY_ORIGINS = []
    other = new_page()
    other.goto(f"{legacy_site}/?platform={live_server.url}")
    other.wait_for_function("document.getElementById('result').textContent !== 'waiting'")
    assert other.locator("#result").inner_text() == "blocked"
